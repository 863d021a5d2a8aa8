"""Bulk allocate and unallocate: all or nothing (clarus-api.md §3.2: 422 if any task fails)."""

from __future__ import annotations

import pytest

from tests.support import Api
from tests.tasks.helpers import (
    AVAILABLE,
    CANCELLED,
    COMPLETED,
    MINE,
    THEIRS,
    Body,
    Floor,
    allocate_many,
    new_user,
    no_content,
    refused,
    task_view,
    unallocate_many,
)


@pytest.fixture
async def floor(api: Api) -> Floor:
    return await Floor(api).build()


async def views(floor: Floor, task_ids: list[int]) -> list[Body]:
    return [await task_view(floor.api, t) for t in task_ids]


async def test_bulk_allocate_allocates_every_task_to_the_user(floor: Floor) -> None:
    tasks = [(await floor.task_in(s))[1] for s in (AVAILABLE, AVAILABLE, THEIRS)]

    no_content(await allocate_many(floor.api, {"ids": tasks, "user_id": floor.me_id}))

    for view in await views(floor, tasks):
        assert (view["status"], view["user_id"]) == ("ALLOCATED", floor.me_id)
        assert view["assigned_at"] is not None and view["start_at"] is None


async def test_bulk_allocate_without_a_user_allocates_to_the_caller_and_ignores_repeated_ids(
    floor: Floor,
) -> None:
    tasks = [(await floor.task_in(AVAILABLE))[1] for _ in range(2)]

    no_content(await allocate_many(floor.me, {"ids": [tasks[1], tasks[0], tasks[1]]}))

    assert [v["user_id"] for v in await views(floor, tasks)] == [floor.me_id, floor.me_id]


@pytest.mark.parametrize("bad", [COMPLETED, CANCELLED])
async def test_bulk_allocate_with_one_closed_task_is_422_naming_it_and_changes_nothing(
    floor: Floor, bad: str
) -> None:
    _, first = await floor.task_in(AVAILABLE)
    _, held = await floor.task_in(THEIRS)
    _, closed = await floor.task_in(bad)
    before = await views(floor, [first, held, closed])

    body = refused(
        await allocate_many(floor.api, {"ids": [first, held, closed], "user_id": floor.me_id}),
        f"Task {closed}",
        bad,
    )

    assert [e["source"]["pointer"] for e in body["errors"]] == ["/ids"]
    assert await views(floor, [first, held, closed]) == before


async def test_bulk_allocate_with_an_unknown_or_other_tenants_id_is_422_naming_it(
    floor: Floor, other_api: Api
) -> None:
    _, mine = await floor.task_in(AVAILABLE)
    other_floor = await Floor(other_api).build()
    _, foreign = await other_floor.task_in(AVAILABLE)
    unknown = 2**62

    body = refused(
        await allocate_many(floor.api, {"ids": [mine, foreign, unknown], "user_id": floor.me_id}),
        str(foreign),
        str(unknown),
    )

    assert [e["source"]["pointer"] for e in body["errors"]] == ["/ids"]
    assert (await task_view(floor.api, mine))["status"] == "AVAILABLE"
    assert (await task_view(other_api, foreign))["status"] == "AVAILABLE"


async def test_bulk_allocate_to_an_inactive_user_is_422_and_changes_nothing(floor: Floor) -> None:
    tasks = [(await floor.task_in(AVAILABLE))[1] for _ in range(2)]
    inactive = await new_user(floor.api, active=False)

    refused(await allocate_many(floor.api, {"ids": tasks, "user_id": inactive}), "user_id")

    assert [v["status"] for v in await views(floor, tasks)] == ["AVAILABLE", "AVAILABLE"]


@pytest.mark.parametrize(
    "body",
    [{}, {"ids": []}, {"ids": [0]}, {"ids": ["1"]}, {"ids": 1}, {"ids": [1], "extra": 1}, [1], None],
    ids=["no ids", "empty", "zero", "string", "not a list", "unknown attribute", "a list", "no body"],
)
async def test_bulk_allocate_with_an_invalid_body_is_refused(floor: Floor, body: object) -> None:
    response = await allocate_many(floor.api, body)
    assert response.status_code in (415, 422), response.text
    if body is not None:
        refused(response)


async def test_bulk_allocate_without_a_user_by_client_credentials_is_422(floor: Floor) -> None:
    _, task_id = await floor.task_in(AVAILABLE)

    refused(await allocate_many(floor.api, {"ids": [task_id]}), "user")

    assert (await task_view(floor.api, task_id))["status"] == "AVAILABLE"


async def test_bulk_unallocate_releases_every_task(floor: Floor) -> None:
    tasks = [(await floor.task_in(s))[1] for s in (MINE, THEIRS, AVAILABLE)]

    no_content(await unallocate_many(floor.api, {"ids": tasks}))

    for view in await views(floor, tasks):
        assert (view["status"], view["user_id"], view["assigned_at"], view["start_at"]) == (
            "AVAILABLE",
            None,
            None,
            None,
        )


@pytest.mark.parametrize("bad", [COMPLETED, CANCELLED])
async def test_bulk_unallocate_with_one_closed_task_is_422_and_changes_nothing(
    floor: Floor, bad: str
) -> None:
    _, mine = await floor.task_in(MINE)
    _, closed = await floor.task_in(bad)
    before = await views(floor, [mine, closed])

    refused(await unallocate_many(floor.api, {"ids": [closed, mine]}), f"Task {closed}")

    assert await views(floor, [mine, closed]) == before


async def test_bulk_unallocate_with_an_unknown_id_is_422_naming_it(floor: Floor) -> None:
    _, mine = await floor.task_in(MINE)

    refused(await unallocate_many(floor.api, {"ids": [mine, 2**62]}), str(2**62))

    assert (await task_view(floor.api, mine))["user_id"] == floor.me_id


async def test_bulk_unallocate_takes_only_ids(floor: Floor) -> None:
    _, mine = await floor.task_in(MINE)

    refused(await unallocate_many(floor.api, {"ids": [mine], "user_id": floor.me_id}), "user_id")

    assert (await task_view(floor.api, mine))["user_id"] == floor.me_id
