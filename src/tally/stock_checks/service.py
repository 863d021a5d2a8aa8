"""Stock-check use cases. Each runs in one transaction, takes the tenant explicitly and raises domain errors.

Locking, so that concurrent scanners and supervisors always leave a check consistent:
- record_attempt holds a share lock on the check row, complete/cancel/resolve an exclusive one, so no attempt
  lands in a check after `complete` decided its outcome, and completes wait for in-flight attempts.
- The attempt slot is taken by one conditional upsert on the record (attempt_count < 2), atomic on both
  engines; the unique (tenant, record, attempt_number) constraint is the backstop.
- A token acting as a user may count only a check whose task is unallocated or allocated to that user; the
  task row is share-locked after the check for that decision.
- Locks are always taken check → records → stock rows, each set in primary-key order, so writers never
  deadlock. SQLite serialises writers (BEGIN IMMEDIATE), where FOR UPDATE/SHARE render as nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tally.db import Database, dialect
from tally.db.types import utcnow
from tally.errors import FieldError, InvalidInput, NotFound, RuleViolation
from tally.http.auth import Principal
from tally.inventory import rules as inventory_rules
from tally.inventory.models import Location, Product, Stock
from tally.inventory.service import SUBTYPE_STOCK_CHECK, ledger_row, usable_reason_code
from tally.oauth.rules import STOCK_CHECKS_MANAGE
from tally.stock_checks import rules, schemas, statements
from tally.stock_checks.models import StockCheck, StockCheckAttempt, StockCheckRecord
from tally.stock_checks.rules import StockGroup
from tally.tasks import rules as task_rules
from tally.tasks.models import Task
from tally.tenants.models import Tenant

TASK_ACTIVE = ("AVAILABLE", "ALLOCATED")


@dataclass(frozen=True)
class Opened:
    stock_check_id: int
    task_id: int
    created: bool


@dataclass(frozen=True)
class AttemptRecorded:
    attempt_result: str
    attempt_number: int


def _insert(session: AsyncSession) -> Any:
    return lambda table: dialect.insert(session, table)


def _group_of(row: Any) -> StockGroup:
    return StockGroup(row.product_id, row.batch or "", row.sell_by_date, row.best_before_date)


async def _group_sums(session: AsyncSession, tenant_id: int, location_id: int) -> dict[StockGroup, Decimal]:
    rows = await session.execute(
        select(
            Stock.product_id,
            Stock.batch,
            Stock.sell_by_date,
            Stock.best_before_date,
            func.sum(Stock.quantity).label("quantity"),
        )
        .where(Stock.tenant_id == tenant_id, Stock.location_id == location_id)
        .group_by(Stock.product_id, Stock.batch, Stock.sell_by_date, Stock.best_before_date)
    )
    return {_group_of(r): r.quantity for r in rows}


async def _check_and_task(
    session: AsyncSession, tenant_id: int, check_id: int, *, exclusive: bool
) -> tuple[StockCheck, Task]:
    row = (
        await session.execute(
            select(StockCheck, Task)
            .join(Task, and_(Task.tenant_id == StockCheck.tenant_id, Task.id == StockCheck.task_id))
            .where(StockCheck.tenant_id == tenant_id, StockCheck.id == check_id)
            .with_for_update(read=not exclusive, of=StockCheck)
        )
    ).first()
    if row is None:
        raise NotFound(f"No stock check with id {check_id}.")
    return row[0], row[1]


def _require_active(check_id: int, status: str, task_status: str, action: str) -> None:
    if status != rules.PENDING:
        raise RuleViolation(f"Stock check {check_id} is {status}, not pending: it cannot {action}.")
    if task_status not in TASK_ACTIVE:
        raise RuleViolation(
            f"The task of stock check {check_id} is {task_status}: the check cannot {action}."
        )


async def create_stock_check(
    db: Database, principal: Principal, location_id: int, expected_completion_date: datetime
) -> Opened:
    """Open a pending check (and its task) on a location, or return the pending one it already has.

    Records are made for every stock group at the location. Concurrent creates for one location yield one
    check: the partial unique index on pending checks makes the loser retry and find the winner's.
    """
    tenant_id = principal.tenant_id

    async def work(session: AsyncSession) -> Opened:
        location = await session.get(Location, (tenant_id, location_id))
        if location is None or not location.is_active:
            problem = (
                "does not name a location of this tenant"
                if location is None
                else "names an inactive location"
            )
            raise InvalidInput(
                f"location_id {location_id} {problem}.",
                [FieldError("/data/attributes/location_id", f"location_id {problem}.", "invalid_location")],
            )
        existing = (
            await session.execute(
                select(StockCheck.id, StockCheck.task_id).where(
                    StockCheck.tenant_id == tenant_id,
                    StockCheck.location_id == location_id,
                    StockCheck.status == rules.PENDING,
                )
            )
        ).first()
        if existing is not None:
            return Opened(existing.id, existing.task_id, created=False)
        task = Task(tenant_id=tenant_id, location_from_id=location_id)
        session.add(task)
        await session.flush()
        check = StockCheck(
            tenant_id=tenant_id,
            location_id=location_id,
            task_id=task.id,
            expected_completion_date=expected_completion_date,
            created_by_client_id=principal.client_pk,
            created_by_user_id=principal.user_id,
        )
        session.add(check)
        await session.flush()
        await session.execute(
            statements.insert_records_for_stock(
                _insert(session),
                dialect.dialect_name(session),
                tenant_id,
                check.id,
                location_id,
                utcnow(),
                nonzero=False,
            )
        )
        return Opened(check.id, task.id, created=True)

    try:
        return await db.transaction(work)
    except IntegrityError:
        # Another create for this location committed first; its pending check is the answer.
        return await db.transaction(work)


def _new_record(tenant_id: int, check_id: int, group: StockGroup, **extra: Any) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "stock_check_id": check_id,
        "product_id": group.product_id,
        "batch": group.batch,
        "sell_by_date": group.sell_by_date,
        "best_before_date": group.best_before_date,
        "group_key": group.key,
        "attempt_count": 0,
        "created_at": utcnow(),
        **extra,
    }


async def record_attempt(
    db: Database, principal: Principal, check_id: int, group: StockGroup, physical_count: Decimal
) -> AttemptRecorded:
    """Record a physical count for one stock group of a pending check.

    The system count is the group's stock at the location now, read in this transaction and stored on the
    attempt. Each group has two attempts; a third is refused and records nothing.
    """
    tenant_id = principal.tenant_id

    async def work(session: AsyncSession) -> AttemptRecorded:
        context = (await session.execute(statements.attempt_context(tenant_id, check_id, group))).first()
        if context is None:
            raise NotFound(f"No stock check with id {check_id}.")
        _require_active(check_id, context.status, context.task_status, "take count attempts")
        await _require_allocated_to_caller(session, principal, check_id, context.task_id)
        _require_countable(context, group)
        system_count = Decimal(context.system_count)
        outcome = rules.attempt_outcome(physical_count, system_count)
        number = await _take_slot_and_record(
            session, principal, check_id, group, physical_count, system_count
        )
        if number is None:
            raise RuleViolation(
                f"This stock group already has {rules.MAX_ATTEMPTS} attempts; no third attempt is recorded. "
                "Resolve the group via POST /api/stock_checks/resolve."
            )
        return AttemptRecorded(outcome, number)

    return await db.transaction(work)


async def _take_slot_and_record(
    session: AsyncSession,
    principal: Principal,
    check_id: int,
    group: StockGroup,
    physical_count: Decimal,
    system_count: Decimal,
) -> int | None:
    """Take the group's next attempt slot and record the attempt; None when both slots are taken.

    The slot is one conditional upsert of the group's record (insert it, or bump attempt_count while it is
    under two), atomic on both engines. On PostgreSQL the attempt rides in the same statement.
    """
    tenant_id = principal.tenant_id
    outcome = rules.attempt_outcome(physical_count, system_count)
    slot = (
        _insert(session)(StockCheckRecord)
        .values(**_new_record(tenant_id, check_id, group, attempt_count=1, last_result=outcome))
        .on_conflict_do_update(
            index_elements=["tenant_id", "stock_check_id", "group_key"],
            set_={"attempt_count": StockCheckRecord.attempt_count + 1, "last_result": outcome},
            where=StockCheckRecord.attempt_count < rules.MAX_ATTEMPTS,
        )
        .returning(StockCheckRecord.id, StockCheckRecord.attempt_count)
    )
    attempt = {
        "tenant_id": tenant_id,
        "physical_count": physical_count,
        "system_count": system_count,
        "attempt_result": outcome,
        "client_id": principal.client_pk,
        "user_id": principal.user_id,
        "recorded_at": utcnow(),
    }
    if dialect.dialect_name(session) == "postgresql":
        taken = slot.cte("slot")
        typed = [literal(v, StockCheckAttempt.__table__.c[k].type) for k, v in attempt.items()]
        statement = (
            _insert(session)(StockCheckAttempt)
            .from_select(
                [*attempt, "record_id", "attempt_number"],
                select(*typed, taken.c.id, taken.c.attempt_count),
            )
            .add_cte(taken)
            .returning(StockCheckAttempt.attempt_number)
        )
        number: int | None = await session.scalar(statement)
        return number
    row = (await session.execute(slot)).first()
    if row is None:
        return None
    await session.execute(
        _insert(session)(StockCheckAttempt).values(
            record_id=row.id, attempt_number=row.attempt_count, **attempt
        )
    )
    taken_number: int = row.attempt_count
    return taken_number


async def _require_allocated_to_caller(
    session: AsyncSession, principal: Principal, check_id: int, task_id: int
) -> None:
    """A user counts only an unallocated task's check or their own; client credentials are not bound.

    The task row is share-locked (after its check, the domain's lock order), so an allocate, enter or exit
    of the task cannot commit between this decision and the attempt.
    """
    if principal.user_id is None:
        return
    holder = await session.scalar(
        select(Task.user_id)
        .where(Task.tenant_id == principal.tenant_id, Task.id == task_id)
        .with_for_update(read=True)
    )
    if not task_rules.may_count(holder, principal.user_id):
        raise RuleViolation(
            f"The task of stock check {check_id} (task {task_id}) is allocated to another user: "
            "only they can count it until it is unallocated."
        )


def _require_countable(context: Any, group: StockGroup) -> None:
    """The product must be this tenant's, and its account must track what the group names."""
    if context.product_id is None:
        message = f"product_id {group.product_id} does not name a product of this tenant."
        raise InvalidInput(message, [FieldError("/data/attributes/product_id", message, "not_found")])
    tracking = inventory_rules.Tracking(
        context.batch_tracking, context.sell_by_tracking, context.best_before_tracking
    )
    fields = inventory_rules.untracked_fields(
        tracking, group.batch, group.sell_by_date, group.best_before_date
    )
    if fields:
        messages = [inventory_rules.untracked_message(f) for f in fields]
        raise RuleViolation(
            " ".join(messages),
            [
                FieldError(f"/data/attributes/{f}", m, "untracked")
                for f, m in zip(fields, messages, strict=True)
            ],
        )


async def complete(db: Database, principal: Principal, check_id: int) -> str:
    """Close a pending check: uncounted stock counts as zero; passed when every latest attempt succeeded.

    Completes the task and stamps last_counted_at on the location and on every stock row at it.
    """
    tenant_id = principal.tenant_id

    async def work(session: AsyncSession) -> str:
        check, task = await _check_and_task(session, tenant_id, check_id, exclusive=True)
        _require_active(check.id, check.status, task.status, "be completed")
        now = utcnow()
        insert = _insert(session)
        location_id = check.location_id
        # Set-based whatever the size: new stock gets records, every uncounted record a zero count.
        await session.execute(
            statements.insert_records_for_stock(
                insert, dialect.dialect_name(session), tenant_id, check_id, location_id, now, nonzero=True
            )
        )
        await session.execute(
            statements.insert_zero_counts(
                insert,
                dialect.dialect_name(session),
                tenant_id,
                check_id,
                location_id,
                principal.client_pk,
                principal.user_id,
                now,
            )
        )
        await session.execute(statements.mark_zero_counted(tenant_id, check_id))
        latest = (await session.scalars(statements.latest_results(tenant_id, check_id))).all()
        status = rules.check_outcome(latest)
        check.status = status
        check.completed_at = now
        check.completed_by_client_id = principal.client_pk
        check.completed_by_user_id = principal.user_id
        task.status = "COMPLETED"
        task.completed_at = now
        await session.execute(
            update(Location)
            .where(Location.tenant_id == tenant_id, Location.id == check.location_id)
            .values(last_counted_at=now)
        )
        await session.execute(
            update(Stock)
            .where(Stock.tenant_id == tenant_id, Stock.location_id == check.location_id)
            .values(last_counted_at=now)
        )
        return status

    return await db.transaction(work)


async def cancel(db: Database, principal: Principal, check_id: int) -> str:
    """Cancel a pending check and its task."""

    async def work(session: AsyncSession) -> str:
        check, task = await _check_and_task(session, principal.tenant_id, check_id, exclusive=True)
        if check.status != rules.PENDING:
            raise RuleViolation(
                f"Stock check {check.id} is {check.status}: only a pending check can be cancelled."
            )
        check.status = rules.CANCELLED
        task.status = "CANCELLED"
        return rules.CANCELLED

    return await db.transaction(work)


async def resolve(db: Database, principal: Principal, record_ids: list[int], reason_code_id: int) -> None:
    """Settle failed records of failed checks with a stock_check reason code, all or nothing.

    Each record's variance (latest physical count minus that attempt's system count) is posted to the group's
    stock at the location, with a STOCK_CHECK ledger row per change, unless the tenant turned
    adjust_stock_on_resolve off. A check with no failed record left unresolved becomes resolved.
    """
    tenant_id = principal.tenant_id
    ids = sorted(set(record_ids))

    async def work(session: AsyncSession) -> None:
        check_ids = sorted(
            set(
                (
                    await session.scalars(
                        select(StockCheckRecord.stock_check_id).where(
                            StockCheckRecord.tenant_id == tenant_id, StockCheckRecord.id.in_(ids)
                        )
                    )
                ).all()
            )
        )
        checks = {
            c.id: c
            for c in (
                await session.scalars(
                    select(StockCheck)
                    .where(StockCheck.tenant_id == tenant_id, StockCheck.id.in_(check_ids))
                    .order_by(StockCheck.id)
                    .with_for_update()
                )
            ).all()
        }
        records = (
            await session.scalars(
                select(StockCheckRecord)
                .where(StockCheckRecord.tenant_id == tenant_id, StockCheckRecord.id.in_(ids))
                .order_by(StockCheckRecord.id)
                .with_for_update()
            )
        ).all()
        missing = sorted(set(ids) - {r.id for r in records})
        if missing:
            raise _resolve_error(f"No stock check record with id {', '.join(map(str, missing))}.")
        for record in records:
            check = checks[record.stock_check_id]
            if record.resolved_at is not None:
                raise _resolve_error(f"Stock check record {record.id} is already resolved.")
            if check.status != rules.FAILED:
                raise _resolve_error(
                    f"Stock check record {record.id} belongs to stock check {check.id}, "
                    f"which is {check.status}, not failed."
                )
            if record.last_result != rules.FAILURE:
                raise _resolve_error(
                    f"The latest attempt of stock check record {record.id} is not a failure."
                )
        await usable_reason_code(session, tenant_id, reason_code_id, "stock_check", "/reason_code_id")
        now = utcnow()
        tenant = await session.get(Tenant, tenant_id)
        if tenant is not None and tenant.adjust_stock_on_resolve:
            await _post_variances(session, principal, records, checks, reason_code_id)
        for record in records:
            record.resolved_at = now
            record.reason_code_id = reason_code_id
            record.resolved_by_client_id = principal.client_pk
            record.resolved_by_user_id = principal.user_id
        await session.flush()
        for check in checks.values():
            unresolved = await session.scalar(
                select(func.count()).where(
                    StockCheckRecord.tenant_id == tenant_id,
                    StockCheckRecord.stock_check_id == check.id,
                    StockCheckRecord.last_result == rules.FAILURE,
                    StockCheckRecord.resolved_at.is_(None),
                )
            )
            check.status = rules.status_after_resolution(unresolved or 0)

    await db.transaction(work)


def _resolve_error(message: str) -> RuleViolation:
    return RuleViolation(message, [FieldError("/stock_check_record_ids", message, "not_resolvable")])


async def _post_variances(
    session: AsyncSession,
    principal: Principal,
    records: Any,
    checks: dict[int, StockCheck],
    reason_code_id: int,
) -> None:
    tenant_id = principal.tenant_id
    latest = {
        a.record_id: a
        for a in (
            await session.scalars(
                select(StockCheckAttempt)
                .where(
                    StockCheckAttempt.tenant_id == tenant_id,
                    StockCheckAttempt.record_id.in_([r.id for r in records]),
                )
                .order_by(StockCheckAttempt.record_id, StockCheckAttempt.attempt_number)
            )
        ).all()
    }
    # Lock every stock row the records may touch, in primary-key order, before changing any.
    locations = {checks[r.stock_check_id].location_id for r in records}
    products = {r.product_id for r in records}
    stock_rows = (
        await session.scalars(
            select(Stock)
            .where(
                Stock.tenant_id == tenant_id,
                Stock.location_id.in_(locations),
                Stock.product_id.in_(products),
            )
            .order_by(Stock.id)
            .with_for_update()
        )
    ).all()
    by_group: dict[tuple[int, StockGroup], list[Stock]] = defaultdict(list)
    for stock in sorted(stock_rows, key=lambda s: (s.fifo_date, s.id)):
        by_group[(stock.location_id, _group_of(stock))].append(stock)
    for record in records:
        attempt = latest[record.id]
        change = rules.variance(attempt.physical_count, attempt.system_count)
        check = checks[record.stock_check_id]
        group_rows = by_group[(check.location_id, _group_of(record))]
        rows = {s.id: s for s in group_rows}
        plan = rules.spread_variance([rules.StockRow(s.id, s.quantity) for s in group_rows], change)
        for stock_id, delta in plan:
            if stock_id is None:
                stock = await _new_stock_for(session, tenant_id, check.location_id, record)
                group_rows.append(stock)
            else:
                stock = rows[stock_id]
            stock.quantity = stock.quantity + delta
            await session.flush()
            entry = ledger_row(
                stock,
                delta,
                SUBTYPE_STOCK_CHECK,
                client_id=principal.client_pk,
                user_id=principal.user_id,
                reason_code_id=reason_code_id,
                stock_check_id=check.id,
                stock_check_record_id=record.id,
            )
            session.add(entry)


async def _new_stock_for(
    session: AsyncSession, tenant_id: int, location_id: int, record: StockCheckRecord
) -> Stock:
    account_id = await session.scalar(
        select(Product.account_id).where(Product.tenant_id == tenant_id, Product.id == record.product_id)
    )
    stock = Stock(
        tenant_id=tenant_id,
        product_id=record.product_id,
        location_id=location_id,
        account_id=account_id,
        quantity=Decimal(0),
        batch=record.batch,
        sell_by_date=record.sell_by_date,
        best_before_date=record.best_before_date,
        status="available",
    )
    session.add(stock)
    await session.flush()
    return stock


async def read_check(db: Database, principal: Principal, check_id: int) -> dict[str, Any]:
    """A check with its records and attempts; system counts only for stock_checks:manage (blind counting)."""
    tenant_id = principal.tenant_id
    manage = principal.has(STOCK_CHECKS_MANAGE)
    async with db.read() as session:
        check = await session.get(StockCheck, (tenant_id, check_id))
        if check is None:
            raise NotFound(f"No stock check with id {check_id}.")
        records = (
            await session.scalars(
                select(StockCheckRecord)
                .where(StockCheckRecord.tenant_id == tenant_id, StockCheckRecord.stock_check_id == check_id)
                .order_by(StockCheckRecord.id)
            )
        ).all()
        attempts: dict[int, list[StockCheckAttempt]] = defaultdict(list)
        for attempt in (
            await session.scalars(
                select(StockCheckAttempt)
                .join(
                    StockCheckRecord,
                    and_(
                        StockCheckRecord.tenant_id == StockCheckAttempt.tenant_id,
                        StockCheckRecord.id == StockCheckAttempt.record_id,
                    ),
                )
                .where(StockCheckAttempt.tenant_id == tenant_id, StockCheckRecord.stock_check_id == check_id)
                .order_by(StockCheckAttempt.record_id, StockCheckAttempt.attempt_number)
            )
        ).all():
            attempts[attempt.record_id].append(attempt)
        sums = await _group_sums(session, tenant_id, check.location_id) if manage else {}
    views = [
        schemas.record_view(
            r, attempts[r.id], manage=manage, expected_quantity=sums.get(_group_of(r), Decimal(0))
        )
        for r in records
    ]
    return {"id": check.id, "attributes": schemas.check_attributes(check, views)}
