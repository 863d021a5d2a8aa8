"""REST routes for users, under the `admin` scope: POST and GET /api/users, GET and PATCH /api/users/{id}."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from tally.http.auth import DB, Admin
from tally.http.body import read_attributes
from tally.http.envelope import resource_document, resource_response
from tally.http.json import json_response
from tally.users import schemas, service

router = APIRouter(prefix="/api", tags=["users"])

PathId = Annotated[int, Path(ge=1, le=2**63 - 1)]
After = Annotated[int | None, Query(ge=0, le=2**63 - 1, description="The last id of the previous page.")]
Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE, description="At most 500; 100 when left out.")]


@router.post("/users", status_code=201, summary="Create a user")
async def create_user(request: Request, db: DB, principal: Admin) -> Response:
    body = await read_attributes(request, schemas.UserCreate, "users")
    user = await service.register_user(db, principal.tenant_id, body.model_dump())
    return resource_response("users", user.id, schemas.user_attributes(user), 201)


@router.get("/users", summary="List users in id order, a page at a time")
async def list_users(db: DB, principal: Admin, after: After = None, limit: Limit = 100) -> Response:
    users = await service.list_users(db, principal.tenant_id, after, limit + 1)
    page = users[:limit]
    more = len(users) > limit
    return json_response(
        {
            "data": [resource_document("users", u.id, schemas.user_attributes(u))["data"] for u in page],
            "links": {"next": f"/api/users?after={page[-1].id}&limit={limit}" if more else None},
        }
    )


@router.get("/users/{id}", summary="Read a user")
async def read_user(id: PathId, db: DB, principal: Admin) -> Response:
    user = await service.get_user(db, principal.tenant_id, id)
    return resource_response("users", user.id, schemas.user_attributes(user))


@router.patch("/users/{id}", summary="Update a user")
async def update_user(id: PathId, request: Request, db: DB, principal: Admin) -> Response:
    body = await read_attributes(request, schemas.UserUpdate, "users")
    user = await service.update_user(db, principal.tenant_id, id, body.model_dump(exclude_unset=True))
    return resource_response("users", user.id, schemas.user_attributes(user))
