"""Property tests of the task rules: the allocation after allocate, unallocate, enter and exit; who may
count."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tally.tasks import rules
from tally.tasks.rules import Action, Allocation, Refusal, Stamp

users = st.integers(1, 5)
maybe_users = st.none() | users
actions = st.sampled_from(list(Action))
statuses = st.sampled_from(rules.STATUSES)


@st.composite
def tasks(draw: st.DrawFn) -> tuple[str, int | None]:
    """A task's (status, holder): ALLOCATED always has a holder; AVAILABLE never; closed tasks either."""
    status = draw(statuses)
    if status == rules.ALLOCATED:
        return status, draw(users)
    if status == rules.AVAILABLE:
        return status, None
    return status, draw(maybe_users)


@given(actions, tasks(), maybe_users, st.booleans())
def test_an_allocated_task_always_has_a_holder_and_an_available_one_never(
    action: Action, task: tuple[str, int | None], user: int | None, started: bool
) -> None:
    outcome = rules.allocation_after(action, *task, user, start_at_set=started)
    if isinstance(outcome, Allocation):
        assert outcome.status in rules.STATUSES
        if outcome.status == rules.ALLOCATED:
            assert outcome.user_id is not None
        if outcome.status == rules.AVAILABLE:
            assert outcome.user_id is None
            # Releasing a task clears its assignment; a task that stays AVAILABLE has none to clear.
            assert outcome.assigned_at is not Stamp.NOW and outcome.start_at is not Stamp.NOW


@given(actions, tasks(), maybe_users, st.booleans())
def test_a_closed_task_is_never_reopened_and_only_exit_touches_it(
    action: Action, task: tuple[str, int | None], user: int | None, started: bool
) -> None:
    status, holder = task
    outcome = rules.allocation_after(action, status, holder, user, start_at_set=started)
    if status not in rules.CLOSED:
        return
    if action is Action.EXIT:
        assert outcome == Allocation(status, holder, last_accessed_at=Stamp.NOW)
    else:
        assert isinstance(outcome, Refusal) and status in outcome.reason


@given(tasks(), users, st.booleans())
def test_allocate_gives_an_open_task_to_the_user(
    task: tuple[str, int | None], user: int, started: bool
) -> None:
    status, holder = task
    outcome = rules.allocation_after(Action.ALLOCATE, status, holder, user, start_at_set=started)
    if status in rules.CLOSED:
        assert isinstance(outcome, Refusal)
    elif holder == user:
        assert outcome == Allocation(rules.ALLOCATED, user)  # already theirs: nothing changes
    else:
        assert outcome == Allocation(rules.ALLOCATED, user, assigned_at=Stamp.NOW, start_at=Stamp.CLEAR)


@given(tasks(), maybe_users, st.booleans())
def test_unallocate_releases_an_open_task_whoever_holds_it(
    task: tuple[str, int | None], user: int | None, started: bool
) -> None:
    status, holder = task
    outcome = rules.allocation_after(Action.UNALLOCATE, status, holder, user, start_at_set=started)
    if status in rules.CLOSED:
        assert isinstance(outcome, Refusal)
    elif status == rules.AVAILABLE:
        assert outcome == Allocation(rules.AVAILABLE, None)
    else:
        assert outcome == Allocation(rules.AVAILABLE, None, Stamp.CLEAR, Stamp.CLEAR)


@given(tasks(), users, st.booleans())
def test_enter_claims_an_available_task_touches_my_own_and_refuses_anyone_elses(
    task: tuple[str, int | None], me: int, started: bool
) -> None:
    status, holder = task
    outcome = rules.allocation_after(Action.ENTER, status, holder, me, start_at_set=started)
    if status == rules.AVAILABLE:
        assert outcome == Allocation(rules.ALLOCATED, me, assigned_at=Stamp.NOW, start_at=Stamp.NOW)
    elif status == rules.ALLOCATED and holder == me:
        assert outcome == Allocation(
            rules.ALLOCATED,
            me,
            start_at=Stamp.KEEP if started else Stamp.NOW,
            last_accessed_at=Stamp.NOW,
        )
    else:
        assert isinstance(outcome, Refusal)


@given(tasks(), users, st.booleans())
def test_exit_releases_my_own_task_touches_available_and_closed_ones_and_refuses_anyone_elses(
    task: tuple[str, int | None], me: int, started: bool
) -> None:
    status, holder = task
    outcome = rules.allocation_after(Action.EXIT, status, holder, me, start_at_set=started)
    if status == rules.ALLOCATED and holder == me:
        assert outcome == Allocation(rules.AVAILABLE, None, Stamp.CLEAR, Stamp.CLEAR, Stamp.NOW)
    elif status == rules.ALLOCATED:
        assert isinstance(outcome, Refusal) and "another user" in outcome.reason
    else:
        assert outcome == Allocation(status, holder, last_accessed_at=Stamp.NOW)


@given(st.sampled_from([Action.ALLOCATE, Action.ENTER]), tasks(), st.booleans())
def test_allocate_and_enter_need_a_user(action: Action, task: tuple[str, int | None], started: bool) -> None:
    assert isinstance(rules.allocation_after(action, *task, None, start_at_set=started), Refusal)


@given(actions, st.text(max_size=12).filter(lambda s: s not in rules.STATUSES), maybe_users, maybe_users)
def test_an_unknown_status_is_refused(
    action: Action, status: str, holder: int | None, user: int | None
) -> None:
    assert isinstance(rules.allocation_after(action, status, holder, user), Refusal)


@given(maybe_users, maybe_users)
def test_only_the_holder_counts_an_allocated_task_and_integrations_are_not_bound(
    holder: int | None, caller: int | None
) -> None:
    expected = caller is None or holder is None or holder == caller
    assert rules.may_count(holder, caller) is expected


@given(actions, tasks(), users, st.booleans())
def test_a_second_identical_action_changes_nothing_more_than_the_first(
    action: Action, task: tuple[str, int | None], user: int, started: bool
) -> None:
    """Retrying an accepted action (a handheld resending) leaves the task where the first left it."""
    first = rules.allocation_after(action, *task, user, start_at_set=started)
    if isinstance(first, Refusal):
        return
    started_after = {Stamp.NOW: True, Stamp.CLEAR: False, Stamp.KEEP: started}[first.start_at]
    second = rules.allocation_after(action, first.status, first.user_id, user, start_at_set=started_after)
    assert isinstance(second, Allocation)
    assert (second.status, second.user_id) == (first.status, first.user_id)
    assert (second.assigned_at, second.start_at) == (Stamp.KEEP, Stamp.KEEP)
