"""Allocate, unallocate, enter and exit of one task, in every task status (clarus-api.md §3.2), and the task
read showing who holds it."""

from __future__ import annotations

import asyncio

import pytest

from tally.errors import RuleViolation
from tally.http.auth import Principal
from tally.tasks import service
from tests.support import Api
from tests.tasks.helpers import (
    AVAILABLE,
    CANCELLED,
    COMPLETED,
    MINE,
    STATES,
    THEIRS,
    Body,
    Floor,
    allocate,
    enter,
    exit_,
    new_user,
    no_content,
    refused,
    task_view,
    token_for,
    unallocate,
)

CLOSED = (COMPLETED, CANCELLED)


@pytest.fixture
async def floor(api: Api) -> Floor:
    return await Floor(api).build()


def holder(view: Body) -> tuple[str, int | None]:
    return view["status"], view["user_id"]


def unchanged_but_touched(before: Body, after: Body) -> None:
    """Only last_accessed_at moved, and it is now set."""
    assert after["last_accessed_at"] is not None
    assert after["last_accessed_at"] != before["last_accessed_at"]
    assert {k: v for k, v in after.items() if k != "last_accessed_at"} == {
        k: v for k, v in before.items() if k != "last_accessed_at"
    }


# --- the read ---


async def test_a_task_read_shows_its_holder_and_the_handheld_times(floor: Floor) -> None:
    _, task_id = await floor.task_in(AVAILABLE)
    fresh = await task_view(floor.api, task_id)
    assert set(fresh) == {
        "status",
        "task_type",
        "location_from_id",
        "stock_check_id",
        "created_at",
        "completed_at",
        "user_id",
        "assigned_at",
        "start_at",
        "last_accessed_at",
    }
    assert (fresh["user_id"], fresh["assigned_at"], fresh["start_at"], fresh["last_accessed_at"]) == (
        None,
        None,
        None,
        None,
    )

    no_content(await enter(floor.me, task_id))

    entered = await task_view(floor.api, task_id)
    assert holder(entered) == ("ALLOCATED", floor.me_id)
    assert isinstance(entered["assigned_at"], str) and entered["assigned_at"].endswith("Z")
    assert entered["start_at"] == entered["assigned_at"]


# --- allocate ---


async def test_allocate_an_available_task_to_a_named_user(floor: Floor) -> None:
    _, task_id = await floor.task_in(AVAILABLE)

    no_content(await allocate(floor.api, task_id, {"user_id": floor.me_id}))

    view = await task_view(floor.api, task_id)
    assert holder(view) == ("ALLOCATED", floor.me_id)
    assert view["assigned_at"] is not None
    assert view["start_at"] is None  # allocated, not yet started on a handheld
    assert view["last_accessed_at"] is None


@pytest.mark.parametrize("body", [None, {}, {"user_id": None}], ids=["no body", "empty object", "null user"])
async def test_allocate_without_a_user_allocates_to_the_callers_user(floor: Floor, body: Body | None) -> None:
    _, task_id = await floor.task_in(AVAILABLE)

    no_content(await allocate(floor.me, task_id, body))

    assert holder(await task_view(floor.api, task_id)) == ("ALLOCATED", floor.me_id)


async def test_allocate_accepts_an_empty_body_sent_as_json(floor: Floor) -> None:
    _, task_id = await floor.task_in(AVAILABLE)

    no_content(await allocate(floor.me, task_id, content=b"", headers={"Content-Type": "application/json"}))

    assert holder(await task_view(floor.api, task_id)) == ("ALLOCATED", floor.me_id)


async def test_allocate_without_a_user_by_a_client_credentials_token_is_422(floor: Floor) -> None:
    _, task_id = await floor.task_in(AVAILABLE)

    body = refused(await allocate(floor.api, task_id), "user")

    assert [e["source"]["pointer"] for e in body["errors"]] == ["/user_id"]
    assert holder(await task_view(floor.api, task_id)) == ("AVAILABLE", None)


async def test_allocate_to_the_holder_again_changes_nothing(floor: Floor) -> None:
    _, task_id = await floor.task_in(MINE)
    before = await task_view(floor.api, task_id)

    no_content(await allocate(floor.api, task_id, {"user_id": floor.me_id}))

    assert await task_view(floor.api, task_id) == before


async def test_allocate_a_task_held_by_someone_else_reassigns_it(floor: Floor) -> None:
    _, task_id = await floor.task_in(THEIRS)
    before = await task_view(floor.api, task_id)

    no_content(await allocate(floor.api, task_id, {"user_id": floor.me_id}))

    after = await task_view(floor.api, task_id)
    assert holder(after) == ("ALLOCATED", floor.me_id)
    assert after["assigned_at"] != before["assigned_at"]
    assert after["start_at"] is None  # the new holder has not started it


@pytest.mark.parametrize("state", CLOSED)
async def test_allocate_a_closed_task_is_422_and_changes_nothing(floor: Floor, state: str) -> None:
    _, task_id = await floor.task_in(state)
    before = await task_view(floor.api, task_id)

    refused(await allocate(floor.api, task_id, {"user_id": floor.me_id}), state)

    assert await task_view(floor.api, task_id) == before


@pytest.mark.parametrize("problem", ["unknown", "inactive", "other tenant"])
async def test_allocate_to_a_user_who_is_not_an_active_user_of_the_tenant_is_422(
    floor: Floor, other_api: Api, problem: str
) -> None:
    _, task_id = await floor.task_in(AVAILABLE)
    if problem == "unknown":
        user_id = 2**62
    elif problem == "inactive":
        user_id = await new_user(floor.api, active=False)
    else:
        user_id = await new_user(other_api)

    body = refused(await allocate(floor.api, task_id, {"user_id": user_id}), "user_id")

    assert [e["source"]["pointer"] for e in body["errors"]] == ["/user_id"]
    assert holder(await task_view(floor.api, task_id)) == ("AVAILABLE", None)


async def test_allocate_by_a_token_of_an_inactive_user_is_refused(floor: Floor) -> None:
    _, task_id = await floor.task_in(AVAILABLE)
    inactive = await new_user(floor.api, active=False, role="standard")
    gone = await token_for(floor.api, inactive, ("stock_checks:manage",))

    # The token is refused when it is read (401); the task service also refuses an inactive user (422).
    assert (await allocate(gone, task_id)).status_code in (401, 422)

    assert holder(await task_view(floor.api, task_id)) == ("AVAILABLE", None)


@pytest.mark.parametrize(
    "body",
    [{"user_id": "1"}, {"user_id": 0}, {"user_id": True}, {"user": 1}, {"ids": [1]}, [], "x"],
)
async def test_allocate_with_an_invalid_body_is_422(floor: Floor, body: object) -> None:
    _, task_id = await floor.task_in(AVAILABLE)

    refused(await allocate(floor.api, task_id, body))

    assert holder(await task_view(floor.api, task_id)) == ("AVAILABLE", None)


async def test_allocate_with_a_body_that_is_not_json_is_415_or_400(floor: Floor) -> None:
    _, task_id = await floor.task_in(AVAILABLE)

    refused(
        await allocate(floor.api, task_id, content=b"user_id=1", headers={"Content-Type": "text/plain"}),
        status=415,
    )
    refused(
        await allocate(floor.api, task_id, content=b"{", headers={"Content-Type": "application/json"}),
        status=400,
    )


# --- unallocate ---


async def test_unallocate_returns_a_task_to_available_and_clears_its_holder(floor: Floor) -> None:
    _, task_id = await floor.task_in(MINE)
    before = await task_view(floor.api, task_id)
    assert before["start_at"] is not None

    no_content(await unallocate(floor.api, task_id))

    after = await task_view(floor.api, task_id)
    assert holder(after) == ("AVAILABLE", None)
    assert (after["assigned_at"], after["start_at"]) == (None, None)
    assert after["last_accessed_at"] == before["last_accessed_at"]


async def test_unallocate_a_task_held_by_someone_else_releases_it(floor: Floor) -> None:
    _, task_id = await floor.task_in(THEIRS)

    no_content(await unallocate(floor.me, task_id, {}))

    view = await task_view(floor.api, task_id)
    assert holder(view) == ("AVAILABLE", None)
    assert (view["assigned_at"], view["start_at"]) == (None, None)


async def test_unallocate_an_available_task_changes_nothing(floor: Floor) -> None:
    _, task_id = await floor.task_in(AVAILABLE)
    before = await task_view(floor.api, task_id)

    no_content(await unallocate(floor.api, task_id))

    assert await task_view(floor.api, task_id) == before


@pytest.mark.parametrize("state", CLOSED)
async def test_unallocate_a_closed_task_is_422_and_changes_nothing(floor: Floor, state: str) -> None:
    _, task_id = await floor.task_in(state)
    before = await task_view(floor.api, task_id)

    refused(await unallocate(floor.api, task_id), state)

    assert await task_view(floor.api, task_id) == before


async def test_unallocate_takes_no_attributes(floor: Floor) -> None:
    _, task_id = await floor.task_in(MINE)

    refused(await unallocate(floor.api, task_id, {"user_id": floor.me_id}), "unknown")

    assert holder(await task_view(floor.api, task_id)) == ("ALLOCATED", floor.me_id)


# --- enter (HHD) ---


async def test_enter_an_available_task_allocates_it_to_me_and_starts_it(floor: Floor) -> None:
    _, task_id = await floor.task_in(AVAILABLE)

    no_content(await enter(floor.me, task_id))

    view = await task_view(floor.api, task_id)
    assert holder(view) == ("ALLOCATED", floor.me_id)
    assert view["assigned_at"] is not None and view["start_at"] is not None


async def test_enter_my_own_task_touches_last_accessed_at(floor: Floor) -> None:
    _, task_id = await floor.task_in(MINE)
    before = await task_view(floor.api, task_id)

    no_content(await enter(floor.me, task_id))

    unchanged_but_touched(before, await task_view(floor.api, task_id))


async def test_enter_a_task_a_supervisor_allocated_to_me_starts_it(floor: Floor) -> None:
    _, task_id = await floor.task_in(AVAILABLE)
    no_content(await allocate(floor.api, task_id, {"user_id": floor.me_id}))
    allocated = await task_view(floor.api, task_id)

    no_content(await enter(floor.me, task_id))

    entered = await task_view(floor.api, task_id)
    assert holder(entered) == ("ALLOCATED", floor.me_id)
    assert entered["assigned_at"] == allocated["assigned_at"]
    assert entered["start_at"] is not None and entered["last_accessed_at"] is not None


async def test_enter_a_task_held_by_someone_else_is_422(floor: Floor) -> None:
    _, task_id = await floor.task_in(THEIRS)
    before = await task_view(floor.api, task_id)

    refused(await enter(floor.me, task_id), "another user")

    assert await task_view(floor.api, task_id) == before


@pytest.mark.parametrize("state", CLOSED)
async def test_enter_a_closed_task_is_422(floor: Floor, state: str) -> None:
    _, task_id = await floor.task_in(state)
    before = await task_view(floor.api, task_id)

    refused(await enter(floor.me, task_id), state)

    assert await task_view(floor.api, task_id) == before


async def test_enter_accepts_an_empty_json_object(floor: Floor) -> None:
    _, task_id = await floor.task_in(AVAILABLE)

    no_content(await enter(floor.me, task_id, {}))

    assert holder(await task_view(floor.api, task_id)) == ("ALLOCATED", floor.me_id)


async def test_enter_by_an_inactive_users_token_is_refused(floor: Floor) -> None:
    _, task_id = await floor.task_in(AVAILABLE)
    gone = await token_for(floor.api, await new_user(floor.api, active=False))

    assert (await enter(gone, task_id)).status_code in (401, 422)

    assert holder(await task_view(floor.api, task_id)) == ("AVAILABLE", None)


# --- exit (HHD) ---


async def test_exit_my_own_task_releases_it(floor: Floor) -> None:
    _, task_id = await floor.task_in(MINE)

    no_content(await exit_(floor.me, task_id))

    view = await task_view(floor.api, task_id)
    assert holder(view) == ("AVAILABLE", None)
    assert (view["assigned_at"], view["start_at"]) == (None, None)
    assert view["last_accessed_at"] is not None


@pytest.mark.parametrize("state", [AVAILABLE, COMPLETED, CANCELLED])
async def test_exit_an_available_or_closed_task_only_touches_last_accessed_at(
    floor: Floor, state: str
) -> None:
    _, task_id = await floor.task_in(state)
    before = await task_view(floor.api, task_id)

    no_content(await exit_(floor.me, task_id))

    unchanged_but_touched(before, await task_view(floor.api, task_id))


async def test_exit_a_task_held_by_someone_else_is_422(floor: Floor) -> None:
    _, task_id = await floor.task_in(THEIRS)
    before = await task_view(floor.api, task_id)

    refused(await exit_(floor.me, task_id), "another user")

    assert await task_view(floor.api, task_id) == before


# --- the whole table, status by action ---

EXPECTED: dict[tuple[str, str], int] = {
    **{("allocate", s): 204 for s in (AVAILABLE, MINE, THEIRS)},
    **{("allocate", s): 422 for s in CLOSED},
    **{("unallocate", s): 204 for s in (AVAILABLE, MINE, THEIRS)},
    **{("unallocate", s): 422 for s in CLOSED},
    ("enter", AVAILABLE): 204,
    ("enter", MINE): 204,
    ("enter", THEIRS): 422,
    **{("enter", s): 422 for s in CLOSED},
    ("exit", AVAILABLE): 204,
    ("exit", MINE): 204,
    ("exit", THEIRS): 422,
    **{("exit", s): 204 for s in CLOSED},
}


@pytest.mark.parametrize("action", ["allocate", "unallocate", "enter", "exit"])
@pytest.mark.parametrize("state", STATES)
async def test_every_action_in_every_status_answers_as_the_table_says(
    floor: Floor, action: str, state: str
) -> None:
    _, task_id = await floor.task_in(state)
    calls = {"allocate": allocate, "unallocate": unallocate, "enter": enter, "exit": exit_}

    # The caller is `me`, a user holding count and manage, so only the task's state decides.
    response = await calls[action](floor.me, task_id)

    assert response.status_code == EXPECTED[(action, state)], response.text
    if response.status_code == 422:
        assert response.json()["error"].startswith(f"Task {task_id} ")


# --- client credentials on the handheld endpoints ---


@pytest.mark.parametrize("call", [enter, exit_], ids=["enter", "exit"])
async def test_enter_and_exit_need_a_token_acting_as_a_user(floor: Floor, call: object) -> None:
    _, task_id = await floor.task_in(AVAILABLE)
    assert callable(call)

    refused(await call(floor.api, task_id), "user")

    view = await task_view(floor.api, task_id)
    assert holder(view) == ("AVAILABLE", None) and view["last_accessed_at"] is None


# --- idempotent retries ---


async def test_an_allocate_retried_with_its_idempotency_key_is_replayed(floor: Floor) -> None:
    _, task_id = await floor.task_in(AVAILABLE)
    key = {"Idempotency-Key": f"allocate-{task_id}"}
    no_content(await allocate(floor.api, task_id, {"user_id": floor.me_id}, headers=key))
    first = await task_view(floor.api, task_id)

    again = await allocate(floor.api, task_id, {"user_id": floor.me_id}, headers=key)

    assert again.status_code == 204 and again.headers.get("Idempotent-Replayed") == "true"
    assert await task_view(floor.api, task_id) == first


# --- races and backstops ---


async def test_of_two_operatives_entering_one_task_at_once_exactly_one_gets_it(floor: Floor) -> None:
    _, task_id = await floor.task_in(AVAILABLE)

    responses = await asyncio.gather(enter(floor.me, task_id), enter(floor.other, task_id))

    assert sorted(r.status_code for r in responses) == [204, 422], [r.text for r in responses]
    winner = floor.me_id if responses[0].status_code == 204 else floor.other_id
    assert holder(await task_view(floor.api, task_id)) == ("ALLOCATED", winner)


async def test_the_service_refuses_a_user_deactivated_after_their_token_was_read(floor: Floor) -> None:
    """Authentication refuses an inactive user's token; the use case checks again inside its transaction."""
    _, task_id = await floor.task_in(AVAILABLE)
    inactive = await new_user(floor.api, active=False)
    principal = Principal(
        tenant_id=floor.api.tenant_id,
        subdomain=floor.api.subdomain,
        client_pk=0,
        scopes=frozenset({"stock_checks:count"}),
        user_id=inactive,
    )

    with pytest.raises(RuleViolation, match="not an active user"):
        await service.enter(floor.api.db, principal, task_id)
    with pytest.raises(RuleViolation, match="not an active user"):
        await service.allocate(floor.api.db, principal, [task_id], None, bulk=False)

    assert holder(await task_view(floor.api, task_id)) == ("AVAILABLE", None)
