"""Steps shared by the task tests: users and tokens acting as them (rows inserted directly), a stock-check
task in each status, and the task's state as the API and the database see it."""

from __future__ import annotations

from typing import Any

import httpx

from tally.oauth.rules import STOCK_CHECKS_COUNT, STOCK_CHECKS_MANAGE
from tally.tasks.models import Task
from tally.users.models import User
from tests.stock_checks.helpers import open_check, put_stock
from tests.support import Api, Site, new_site, unique

Body = dict[str, Any]

OPERATIVE = (STOCK_CHECKS_COUNT,)
SUPERVISOR = (STOCK_CHECKS_COUNT, STOCK_CHECKS_MANAGE)


def role_for(scopes: tuple[str, ...]) -> str:
    """A role allowing `scopes` (a user token never exceeds its user's role): RF operatives count,
    standard users also manage."""
    return "standard" if STOCK_CHECKS_MANAGE in scopes else "rf"


async def new_user(api: Api, *, active: bool = True, role: str = "rf") -> int:
    """A user of the api's tenant; its id."""
    async with api.db.write() as session:
        user = User(
            tenant_id=api.tenant_id,
            email=f"{unique('u')}@example.com",
            name="Operative",
            role=role,
            is_active=active,
        )
        session.add(user)
        await session.flush()
        user_id: int = user.id
    return user_id


async def token_for(api: Api, user_id: int, scopes: tuple[str, ...] = OPERATIVE) -> Api:
    """The api's client acting as the user: a bearer token issued to that user with `scopes`."""
    return await api.acting_as(user_id, scopes)


async def as_new_user(api: Api, scopes: tuple[str, ...] = OPERATIVE) -> tuple[Api, int]:
    """A new active user, of a role that allows `scopes`, and an api acting as them: (api, user id)."""
    user_id = await new_user(api, role=role_for(scopes))
    return await token_for(api, user_id, scopes), user_id


async def open_task(api: Api, site: Site | None = None, *, stock: Any = 5) -> tuple[Site, int, int]:
    """A pending check with stock on its location: (site, check id, task id)."""
    site = site or await new_site(api)
    if stock is not None:
        await put_stock(api, site, stock)
    check_id, task_id = await open_check(api, site.location_id)
    return site, check_id, task_id


async def task_view(api: Api, task_id: int) -> Body:
    response = await api.get(f"/api/tasks/{task_id}")
    assert response.status_code == 200, response.text
    attributes: Body = response.json()["data"]["attributes"]
    return attributes


async def task_row(api: Api, task_id: int) -> Task:
    async with api.db.read() as session:
        task = await session.get(Task, (api.tenant_id, task_id))
    assert task is not None
    return task


async def allocate(api: Api, task_id: int, body: Any = None, **kw: Any) -> httpx.Response:
    return await api.post(f"/api/tasks/{task_id}/allocate", body, **kw)


async def allocate_many(api: Api, body: Any, **kw: Any) -> httpx.Response:
    return await api.post("/api/tasks/allocate", body, **kw)


async def unallocate(api: Api, task_id: int, body: Any = None, **kw: Any) -> httpx.Response:
    return await api.patch(f"/api/tasks/{task_id}/unallocate", body, **kw)


async def unallocate_many(api: Api, body: Any, **kw: Any) -> httpx.Response:
    return await api.patch("/api/tasks/unallocate", body, **kw)


async def enter(api: Api, task_id: int, body: Any = None, **kw: Any) -> httpx.Response:
    return await api.post(f"/api/tasks/{task_id}/enter", body, **kw)


async def exit_(api: Api, task_id: int, body: Any = None, **kw: Any) -> httpx.Response:
    return await api.post(f"/api/tasks/{task_id}/exit", body, **kw)


def no_content(response: httpx.Response) -> None:
    assert response.status_code == 204, response.text
    assert response.content == b""


def refused(response: httpx.Response, *words: str, status: int = 422) -> Body:
    """A refusal with one sentence in "error" that mentions each of `words` (case-insensitive)."""
    assert response.status_code == status, response.text
    body: Body = response.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    for word in words:
        assert word.lower() in body["error"].lower(), body
    return body


# --- a task in each status, with two operatives on the floor ---

AVAILABLE = "AVAILABLE"
MINE = "ALLOCATED to me"
THEIRS = "ALLOCATED to someone else"
COMPLETED = "COMPLETED"
CANCELLED = "CANCELLED"
STATES = (AVAILABLE, MINE, THEIRS, COMPLETED, CANCELLED)


class Floor:
    """A tenant with a supervisor (client credentials, every scope) and two users, `me` and `other`, each with
    a token holding count and manage."""

    def __init__(self, api: Api) -> None:
        self.api = api

    async def build(self) -> Floor:
        self.me, self.me_id = await as_new_user(self.api, SUPERVISOR)
        self.other, self.other_id = await as_new_user(self.api, SUPERVISOR)
        return self

    async def task_in(self, state: str) -> tuple[int, int]:
        """A stock-check task in `state`, reached through the API: (check id, task id). An allocated task was
        entered by its holder, so it has a start_at."""
        _, check_id, task_id = await open_task(self.api)
        if state == MINE:
            no_content(await enter(self.me, task_id))
        elif state == THEIRS:
            no_content(await enter(self.other, task_id))
        elif state == COMPLETED:
            response = await self.api.post(f"/api/stock_checks/{check_id}/complete")
            assert response.status_code == 200, response.text
        elif state == CANCELLED:
            response = await self.api.post(f"/api/stock_checks/{check_id}/cancel")
            assert response.status_code == 200, response.text
        view = await task_view(self.api, task_id)
        assert view["status"] == state.split()[0], view
        return check_id, task_id
