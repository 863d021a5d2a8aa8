"""REST routes for OAuth client administration, under the `admin` scope: POST and GET /api/oauth_clients,
GET and PATCH /api/oauth_clients/{id}, POST /api/oauth_clients/{id}/rotate_secret."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from tally.http.auth import DB, Admin
from tally.http.body import read_attributes
from tally.http.envelope import resource_document, resource_response
from tally.http.json import json_response
from tally.oauth import client_schemas as schemas
from tally.oauth import clients as service

router = APIRouter(prefix="/api", tags=["oauth clients"])

TYPE = "oauth_clients"
PathId = Annotated[int, Path(ge=1, le=2**63 - 1)]
After = Annotated[int | None, Query(ge=0, le=2**63 - 1, description="The last id of the previous page.")]
Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE, description="At most 500; 100 when left out.")]
# Answers that carry a secret must not be kept by any cache.
NO_STORE = {"Cache-Control": "no-store"}


@router.post("/oauth_clients", status_code=201, summary="Register a client (its secret is shown once)")
async def create_client(request: Request, db: DB, principal: Admin) -> Response:
    body = await read_attributes(request, schemas.ClientCreate, TYPE)
    created = await service.register_client(db, principal.tenant_id, body.model_dump())
    attributes = schemas.client_attributes(created.client, created.secret, with_secret=True)
    response = resource_response(TYPE, created.client.id, attributes, 201)
    response.headers.update(NO_STORE)
    return response


@router.get("/oauth_clients", summary="List clients in id order, a page at a time")
async def list_clients(db: DB, principal: Admin, after: After = None, limit: Limit = 100) -> Response:
    clients = await service.list_clients(db, principal.tenant_id, after, limit + 1)
    page = clients[:limit]
    more = len(clients) > limit
    return json_response(
        {
            "data": [resource_document(TYPE, c.id, schemas.client_attributes(c))["data"] for c in page],
            "links": {"next": f"/api/oauth_clients?after={page[-1].id}&limit={limit}" if more else None},
        }
    )


@router.get("/oauth_clients/{id}", summary="Read a client (never its secret)")
async def read_client(id: PathId, db: DB, principal: Admin) -> Response:
    client = await service.get_client(db, principal.tenant_id, id)
    return resource_response(TYPE, client.id, schemas.client_attributes(client))


@router.patch("/oauth_clients/{id}", summary="Update a client")
async def update_client(id: PathId, request: Request, db: DB, principal: Admin) -> Response:
    body = await read_attributes(request, schemas.ClientUpdate, TYPE)
    client = await service.update_client(db, principal.tenant_id, id, body.model_dump(exclude_unset=True))
    return resource_response(TYPE, client.id, schemas.client_attributes(client))


@router.post("/oauth_clients/{id}/rotate_secret", summary="Replace a client's secret (shown once)")
async def rotate_secret(id: PathId, db: DB, principal: Admin) -> Response:
    rotated = await service.rotate_secret(db, principal.tenant_id, id)
    attributes = schemas.client_attributes(rotated.client, rotated.secret, with_secret=True)
    response = resource_response(TYPE, rotated.client.id, attributes)
    response.headers.update(NO_STORE)
    return response
