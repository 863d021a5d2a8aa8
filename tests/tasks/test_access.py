"""Who may call the task endpoints: allocate and unallocate need stock_checks:manage (assigning work to
people), enter and exit need stock_checks:count (the operative's handheld); 401 without a valid token, 404 for
another tenant's or an unknown task."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tally.oauth.rules import INVENTORY_READ, INVENTORY_WRITE, STOCK_CHECKS_COUNT, STOCK_CHECKS_MANAGE
from tests.support import Api
from tests.tasks.helpers import (
    AVAILABLE,
    Floor,
    as_new_user,
    no_content,
    refused,
    task_view,
)

MANAGE_ONLY = ("allocate", "allocate_many", "unallocate", "unallocate_many")
COUNT_ONLY = ("enter", "exit")


def calls(task_id: int, user_id: int) -> dict[str, tuple[str, str, Any]]:
    return {
        "allocate": ("POST", f"/api/tasks/{task_id}/allocate", {"user_id": user_id}),
        "allocate_many": ("POST", "/api/tasks/allocate", {"ids": [task_id], "user_id": user_id}),
        "unallocate": ("PATCH", f"/api/tasks/{task_id}/unallocate", None),
        "unallocate_many": ("PATCH", "/api/tasks/unallocate", {"ids": [task_id]}),
        "enter": ("POST", f"/api/tasks/{task_id}/enter", None),
        "exit": ("POST", f"/api/tasks/{task_id}/exit", None),
    }


async def send(api: Api, name: str, task_id: int, user_id: int) -> Any:
    method, path, body = calls(task_id, user_id)[name]
    if method == "POST":
        return await api.post(path, body)
    return await api.patch(path, body)


@pytest.fixture
async def floor(api: Api) -> Floor:
    return await Floor(api).build()


@pytest.mark.parametrize("name", MANAGE_ONLY)
@pytest.mark.parametrize("scopes", [(STOCK_CHECKS_COUNT,), (INVENTORY_READ, INVENTORY_WRITE)])
async def test_allocate_and_unallocate_need_the_manage_scope(
    floor: Floor, name: str, scopes: tuple[str, ...]
) -> None:
    _, task_id = await floor.task_in(AVAILABLE)
    operative, user_id = await as_new_user(floor.api, scopes)

    response = await send(operative, name, task_id, user_id)

    refused(response, "stock_checks:manage", status=403)
    assert (await task_view(floor.api, task_id))["status"] == "AVAILABLE"


@pytest.mark.parametrize("name", COUNT_ONLY)
@pytest.mark.parametrize("scopes", [(STOCK_CHECKS_MANAGE,), (INVENTORY_READ, INVENTORY_WRITE)])
async def test_enter_and_exit_need_the_count_scope(floor: Floor, name: str, scopes: tuple[str, ...]) -> None:
    _, task_id = await floor.task_in(AVAILABLE)
    user, user_id = await as_new_user(floor.api, scopes)

    response = await send(user, name, task_id, user_id)

    refused(response, "stock_checks:count", status=403)
    view = await task_view(floor.api, task_id)
    assert (view["status"], view["last_accessed_at"]) == ("AVAILABLE", None)


async def test_an_operative_with_only_the_count_scope_can_enter_and_exit(floor: Floor) -> None:
    _, task_id = await floor.task_in(AVAILABLE)
    operative, user_id = await as_new_user(floor.api, (STOCK_CHECKS_COUNT,))

    no_content(await send(operative, "enter", task_id, user_id))
    assert (await task_view(floor.api, task_id))["user_id"] == user_id
    no_content(await send(operative, "exit", task_id, user_id))
    assert (await task_view(floor.api, task_id))["user_id"] is None


async def test_a_supervisor_with_only_the_manage_scope_can_allocate_and_unallocate(floor: Floor) -> None:
    _, task_id = await floor.task_in(AVAILABLE)
    supervisor = await floor.api.with_scopes(STOCK_CHECKS_MANAGE)

    for name in MANAGE_ONLY:
        no_content(await send(supervisor, name, task_id, floor.me_id))


@pytest.mark.parametrize("name", MANAGE_ONLY[::2] + COUNT_ONLY)
async def test_another_tenants_task_is_404_and_untouched(floor: Floor, other_api: Api, name: str) -> None:
    other_floor = await Floor(other_api).build()
    _, foreign = await other_floor.task_in(AVAILABLE)
    before = await task_view(other_api, foreign)

    refused(await send(floor.me, name, foreign, floor.me_id), str(foreign), status=404)

    assert await task_view(other_api, foreign) == before


@pytest.mark.parametrize("name", MANAGE_ONLY[::2] + COUNT_ONLY)
async def test_an_unknown_task_is_404(floor: Floor, name: str) -> None:
    refused(await send(floor.me, name, 2**62, floor.me_id), status=404)


@pytest.mark.parametrize("name", MANAGE_ONLY + COUNT_ONLY)
async def test_a_token_of_another_tenant_is_401(floor: Floor, other_api: Api, name: str) -> None:
    _, task_id = await floor.task_in(AVAILABLE)
    intruder = replace(other_api, subdomain=floor.api.subdomain)

    response = await send(intruder, name, task_id, floor.me_id)

    assert response.status_code == 401, response.text
    assert (await task_view(floor.api, task_id))["status"] == "AVAILABLE"


async def test_a_user_of_another_tenant_cannot_be_allocated_to(floor: Floor, other_api: Api) -> None:
    _, task_id = await floor.task_in(AVAILABLE)
    _, stranger = await as_new_user(other_api)

    refused(await send(floor.api, "allocate", task_id, stranger), "user_id")

    assert (await task_view(floor.api, task_id))["status"] == "AVAILABLE"
