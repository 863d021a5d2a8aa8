"""Task use cases: reading a task, and the ClarusWMS allocation and handheld (HHD) flow on stock-check tasks.

Each write runs in one transaction. Locks follow the stock-check domain's order (check → records → stock rows,
tasks after their check): the tasks' checks are share-locked in id order, so a concurrent complete or cancel
waits and a check stays pending while we act on its task, then the tasks are locked FOR UPDATE in id order,
bulk included, so concurrent allocators never deadlock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from tally.db import Database
from tally.db.types import utcnow
from tally.errors import FieldError, InvalidInput, NotFound, RuleViolation
from tally.http.auth import Principal
from tally.stock_checks import rules as check_rules
from tally.stock_checks.models import StockCheck
from tally.tasks import rules, schemas
from tally.tasks.models import Task
from tally.tasks.rules import Action, Allocation, Refusal, Stamp
from tally.users.models import User

NO_USER = (
    "This token acts for no user (client credentials), so there is no current user to {what}: "
    "use a token issued to a user{alternative}."
)


async def read_task(db: Database, tenant_id: int, task_id: int) -> dict[str, Any]:
    async with db.read() as session:
        task = await session.get(Task, (tenant_id, task_id))
        if task is None:
            raise NotFound(f"No task with id {task_id}.")
        check_id = await session.scalar(
            select(StockCheck.id).where(StockCheck.tenant_id == tenant_id, StockCheck.task_id == task_id)
        )
    return schemas.task_attributes(task, check_id)


async def allocate(
    db: Database, principal: Principal, task_ids: Sequence[int], user_id: int | None, *, bulk: bool
) -> None:
    """Allocate tasks to `user_id` (by default the caller's user), all or nothing.

    The user must be an active user of the tenant. A task already allocated is re-assigned.
    """
    if user_id is not None:
        await _act(db, principal, Action.ALLOCATE, task_ids, user_id, bulk=bulk)
        return
    if principal.user_id is None:
        message = NO_USER.format(what="allocate to", alternative=", or name one with user_id")
        raise InvalidInput(message, [FieldError("/user_id", message, "required")])
    await _act(db, principal, Action.ALLOCATE, task_ids, principal.user_id, bulk=bulk, user_from_token=True)


async def unallocate(db: Database, principal: Principal, task_ids: Sequence[int], *, bulk: bool) -> None:
    """Return tasks to AVAILABLE, clearing their user, assigned_at and start_at; all or nothing."""
    await _act(db, principal, Action.UNALLOCATE, task_ids, None, bulk=bulk)


async def enter(db: Database, principal: Principal, task_id: int) -> None:
    """A handheld opens a task: an AVAILABLE task is allocated to the caller and started; the caller's own
    task is touched; anyone else's is refused."""
    if principal.user_id is None:
        raise RuleViolation(NO_USER.format(what="enter the task", alternative=""))
    await _act(db, principal, Action.ENTER, [task_id], principal.user_id, bulk=False, user_from_token=True)


async def exit_task(db: Database, principal: Principal, task_id: int) -> None:
    """A handheld leaves a task: the caller's own task goes back to AVAILABLE; an AVAILABLE or closed task is
    only touched; anyone else's is refused."""
    if principal.user_id is None:
        raise RuleViolation(NO_USER.format(what="exit the task", alternative=""))
    await _act(db, principal, Action.EXIT, [task_id], principal.user_id, bulk=False)


async def _act(
    db: Database,
    principal: Principal,
    action: Action,
    task_ids: Sequence[int],
    user_id: int | None,
    *,
    bulk: bool,
    user_from_token: bool = False,
) -> None:
    tenant_id = principal.tenant_id
    ids = sorted(set(task_ids))

    async def work(session: AsyncSession) -> None:
        checks = {
            c.task_id: c
            for c in (
                await session.scalars(
                    select(StockCheck)
                    .where(StockCheck.tenant_id == tenant_id, StockCheck.task_id.in_(ids))
                    .order_by(StockCheck.id)
                    .with_for_update(read=True)
                )
            ).all()
        }
        tasks = (
            await session.scalars(
                select(Task)
                .where(Task.tenant_id == tenant_id, Task.id.in_(ids))
                .order_by(Task.id)
                .with_for_update()
            )
        ).all()
        missing = sorted(set(ids) - {t.id for t in tasks})
        if missing:
            listed = ", ".join(map(str, missing))
            if not bulk:
                raise NotFound(f"No task with id {listed}.")
            message = f"No task with id {listed}."
            raise RuleViolation(message, [FieldError("/ids", message, "not_found")])
        if action in (Action.ALLOCATE, Action.ENTER):
            await _require_active_user(session, tenant_id, user_id, from_token=user_from_token)
        now = utcnow()
        changes: list[tuple[Task, Allocation]] = []
        for task in tasks:
            check = checks.get(task.id)
            if action is not Action.EXIT:
                _require_pending(task, check, action, bulk=bulk)
            outcome = rules.allocation_after(
                action, task.status, task.user_id, user_id, start_at_set=task.start_at is not None
            )
            if isinstance(outcome, Refusal):
                raise _refusal(f"Task {task.id} {outcome.reason}", bulk=bulk)
            changes.append((task, outcome))
        # Decide for every task before changing any: a refused bulk request leaves all of them as they were.
        for task, outcome in changes:
            task.status = outcome.status
            task.user_id = outcome.user_id
            task.assigned_at = _stamped(task.assigned_at, outcome.assigned_at, now)
            task.start_at = _stamped(task.start_at, outcome.start_at, now)
            task.last_accessed_at = _stamped(task.last_accessed_at, outcome.last_accessed_at, now)

    await db.transaction(work)


def _stamped(current: datetime | None, stamp: Stamp, now: datetime) -> datetime | None:
    if stamp is Stamp.NOW:
        return now
    if stamp is Stamp.CLEAR:
        return None
    return current


def _refusal(message: str, *, bulk: bool) -> RuleViolation:
    if bulk:
        return RuleViolation(message, [FieldError("/ids", message, "not_allocatable")])
    return RuleViolation(message)


def _require_pending(task: Task, check: StockCheck | None, action: Action, *, bulk: bool) -> None:
    """Only the task of a pending stock check is worked on (the task of a closed check is closed too; this
    also refuses the inconsistent case)."""
    if check is None:
        raise _refusal(
            f"Task {task.id} is not a stock-check task: it cannot be {rules.VERB[action]}.", bulk=bulk
        )
    if check.status != check_rules.PENDING and task.status not in rules.CLOSED:
        raise _refusal(
            f"Task {task.id} belongs to stock check {check.id}, which is {check.status}, not pending.",
            bulk=bulk,
        )


async def _require_active_user(
    session: AsyncSession, tenant_id: int, user_id: int | None, *, from_token: bool
) -> None:
    user = await session.get(User, (tenant_id, user_id)) if user_id is not None else None
    if user is not None and user.is_active:
        return
    if from_token:
        raise RuleViolation(f"The user this token acts for (user {user_id}) is not an active user.")
    problem = "does not name a user of this tenant" if user is None else "names an inactive user"
    message = f"user_id {user_id} {problem}."
    raise InvalidInput(message, [FieldError("/user_id", message, "invalid_user")])
