"""Task routes: the read, and the ClarusWMS allocation and handheld (HHD) endpoints.

Scopes: allocate and unallocate assign work to people, a supervisor's job, so they need stock_checks:manage;
enter and exit are what the operative's handheld does, so they need stock_checks:count.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel
from starlette.responses import Response

from tally.http.auth import DB, Count, CountOrManage, Manage
from tally.http.body import read_bare
from tally.http.envelope import resource_response
from tally.http.idempotency import idempotent
from tally.tasks import schemas, service

router = APIRouter(prefix="/api", tags=["tasks"])

TaskId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The task's id")]
M = TypeVar("M", bound=BaseModel)


async def optional_bare(request: Request, model: type[M]) -> M:
    """A bare body that may be left out: no body (or only whitespace) is the model's defaults."""
    if not (await request.body()).strip():
        return model()
    return await read_bare(request, model)


def no_content() -> Response:
    return Response(status_code=204)


@router.get("/tasks/{id}", summary="Read a task")
async def read(id: TaskId, db: DB, principal: CountOrManage) -> Response:
    return resource_response("tasks", id, await service.read_task(db, principal.tenant_id, id))


@router.post("/tasks/allocate", status_code=204, summary="Allocate tasks to a user (all or nothing)")
async def allocate_many(request: Request, db: DB, principal: Manage) -> Response:
    async def run() -> Response:
        body = await read_bare(request, schemas.AllocateMany)
        await service.allocate(db, principal, body.ids, body.user_id, bulk=True)
        return no_content()

    return await idempotent(request, db, principal, run)


@router.patch("/tasks/unallocate", status_code=204, summary="Unallocate tasks (all or nothing)")
async def unallocate_many(request: Request, db: DB, principal: Manage) -> Response:
    async def run() -> Response:
        body = await read_bare(request, schemas.UnallocateMany)
        await service.unallocate(db, principal, body.ids, bulk=True)
        return no_content()

    return await idempotent(request, db, principal, run)


@router.post("/tasks/{id}/allocate", status_code=204, summary="Allocate a task to a user")
async def allocate(id: TaskId, request: Request, db: DB, principal: Manage) -> Response:
    async def run() -> Response:
        body = await optional_bare(request, schemas.AllocateOne)
        await service.allocate(db, principal, [id], body.user_id, bulk=False)
        return no_content()

    return await idempotent(request, db, principal, run)


@router.patch("/tasks/{id}/unallocate", status_code=204, summary="Unallocate a task")
async def unallocate(id: TaskId, request: Request, db: DB, principal: Manage) -> Response:
    async def run() -> Response:
        await optional_bare(request, schemas.NoBody)
        await service.unallocate(db, principal, [id], bulk=False)
        return no_content()

    return await idempotent(request, db, principal, run)


@router.post("/tasks/{id}/enter", status_code=204, summary="Handheld: enter a task (claim it)")
async def enter(id: TaskId, request: Request, db: DB, principal: Count) -> Response:
    async def run() -> Response:
        await optional_bare(request, schemas.NoBody)
        await service.enter(db, principal, id)
        return no_content()

    return await idempotent(request, db, principal, run)


@router.post("/tasks/{id}/exit", status_code=204, summary="Handheld: exit a task (release it)")
async def exit_task(id: TaskId, request: Request, db: DB, principal: Count) -> Response:
    async def run() -> Response:
        await optional_bare(request, schemas.NoBody)
        await service.exit_task(db, principal, id)
        return no_content()

    return await idempotent(request, db, principal, run)
