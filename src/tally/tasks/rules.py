"""Task decisions, as pure functions over plain values: who holds a task after allocate, unallocate and the
handheld enter/exit, and who may count a task's check.

ClarusWMS (clarus-api.md §3.2) documents the transitions; where it is silent we decided, and say so below:
- allocate on a task already ALLOCATED re-assigns it (a supervisor moving work); to the same user it changes
  nothing, to another user it stamps assigned_at anew and clears start_at (the new holder has not started).
- unallocate on an AVAILABLE task changes nothing (it is already where unallocate would put it).
- enter on a task ALLOCATED to me sets start_at when it was never set (the task was allocated by a
  supervisor, and this is the first time its holder starts it), besides touching last_accessed_at.
- exit on a task ALLOCATED to me also touches last_accessed_at (exit is an access); exit on a task
  ALLOCATED to someone else is refused, like enter; exit on a CANCELLED task is treated as on a COMPLETED one
  (touch last_accessed_at only), so a handheld can always leave a closed task.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum

AVAILABLE = "AVAILABLE"
ALLOCATED = "ALLOCATED"
COMPLETED = "COMPLETED"
CANCELLED = "CANCELLED"
STATUSES = (AVAILABLE, ALLOCATED, COMPLETED, CANCELLED)
CLOSED = (COMPLETED, CANCELLED)


class Action(StrEnum):
    ALLOCATE = "allocate"
    UNALLOCATE = "unallocate"
    ENTER = "enter"
    EXIT = "exit"


class Stamp(Enum):
    """What happens to one of the task's timestamps."""

    KEEP = "keep"
    NOW = "now"
    CLEAR = "clear"


@dataclass(frozen=True)
class Allocation:
    """A task's allocation after an action: its status and holder, and what happens to each timestamp."""

    status: str
    user_id: int | None
    assigned_at: Stamp = Stamp.KEEP
    start_at: Stamp = Stamp.KEEP
    last_accessed_at: Stamp = Stamp.KEEP


@dataclass(frozen=True)
class Refusal:
    """Why the action cannot be taken on the task: a sentence completing "Task 12 …"."""

    reason: str


VERB = {
    Action.ALLOCATE: "allocated",
    Action.UNALLOCATE: "unallocated",
    Action.ENTER: "entered",
    Action.EXIT: "exited",
}


def allocation_after(
    action: Action,
    task_status: str,
    task_user_id: int | None,
    user_id: int | None,
    *,
    start_at_set: bool = True,
) -> Allocation | Refusal:
    """The task's allocation after `action`, or why it is refused.

    `user_id` is the user the action is for: the one to allocate to (allocate), the caller (enter, exit);
    unallocate ignores it. `start_at_set` says whether the task already has a start_at (used by enter).
    """
    if task_status not in STATUSES:
        return Refusal(f"has status {task_status}, which no handheld action applies to.")
    closed = task_status in CLOSED
    if action is Action.EXIT:
        if closed or task_status == AVAILABLE:
            return Allocation(task_status, task_user_id, last_accessed_at=Stamp.NOW)
        if task_user_id != user_id:
            return Refusal("is allocated to another user: only they can exit it.")
        return Allocation(AVAILABLE, None, Stamp.CLEAR, Stamp.CLEAR, Stamp.NOW)
    if closed:
        return Refusal(f"is {task_status}: it cannot be {VERB[action]}.")
    if action is Action.UNALLOCATE:
        if task_status == AVAILABLE:
            return Allocation(AVAILABLE, None)
        return Allocation(AVAILABLE, None, Stamp.CLEAR, Stamp.CLEAR)
    if user_id is None:
        return Refusal(f"cannot be {VERB[action]} without a user.")
    if action is Action.ALLOCATE:
        if task_status == ALLOCATED and task_user_id == user_id:
            return Allocation(ALLOCATED, user_id)
        return Allocation(ALLOCATED, user_id, Stamp.NOW, Stamp.CLEAR)
    # ENTER
    if task_status == AVAILABLE:
        return Allocation(ALLOCATED, user_id, Stamp.NOW, Stamp.NOW)
    if task_user_id != user_id:
        return Refusal("is allocated to another user: only they can enter it.")
    return Allocation(
        ALLOCATED, user_id, start_at=Stamp.KEEP if start_at_set else Stamp.NOW, last_accessed_at=Stamp.NOW
    )


def may_count(task_user_id: int | None, caller_user_id: int | None) -> bool:
    """Whether a caller may record attempts on a check whose task is held by `task_user_id`.

    An unallocated task's check is anyone's to count; an allocated one is its holder's. A token acting for no
    user (client credentials: an integration) is not bound by allocation.
    """
    return caller_user_id is None or task_user_id is None or task_user_id == caller_user_id
