"""Task routes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.responses import Response

from tally.http.auth import DB, CountOrManage
from tally.http.envelope import resource_response
from tally.tasks.service import read_task

router = APIRouter(prefix="/api", tags=["tasks"])


@router.get("/tasks/{id}", summary="Read a task")
async def read(id: Annotated[int, Path(ge=1, le=2**63 - 1)], db: DB, principal: CountOrManage) -> Response:
    return resource_response("tasks", id, await read_task(db, principal.tenant_id, id))
