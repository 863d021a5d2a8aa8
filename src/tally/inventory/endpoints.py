"""REST routes for master data and stock: POST /api/<resource>, GET and PATCH /api/<resource>/{id}."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel
from starlette.responses import Response

from tally.http.auth import DB, InventoryRead, InventoryWrite
from tally.http.body import read_attributes
from tally.http.envelope import resource_response
from tally.inventory import schemas, service
from tally.inventory.service import Resource

router = APIRouter(prefix="/api", tags=["inventory"])

PathId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _register(
    resource: Resource,
    create_schema: type[BaseModel],
    update_schema: type[BaseModel],
    attributes: Callable[[Any], dict[str, Any]],
) -> None:
    """The create/read/update routes of one master-data resource."""

    async def create(request: Request, db: DB, principal: InventoryWrite) -> Response:
        body = await read_attributes(request, create_schema, resource.plural)
        row = await service.create(db, resource, principal.tenant_id, body.model_dump())
        return resource_response(resource.plural, row.id, attributes(row), 201)

    async def read(id: PathId, db: DB, principal: InventoryRead) -> Response:
        row = await service.get(db, resource, principal.tenant_id, id, principal.visible_account)
        return resource_response(resource.plural, row.id, attributes(row))

    async def patch(id: PathId, request: Request, db: DB, principal: InventoryWrite) -> Response:
        body = await read_attributes(request, update_schema, resource.plural)
        row = await service.update(db, resource, principal.tenant_id, id, body.model_dump(exclude_unset=True))
        return resource_response(resource.plural, row.id, attributes(row))

    label = resource.label
    router.add_api_route(
        f"/{resource.plural}", create, methods=["POST"], status_code=201, summary=f"Create a {label}"
    )
    router.add_api_route(f"/{resource.plural}/{{id}}", read, methods=["GET"], summary=f"Read a {label}")
    router.add_api_route(f"/{resource.plural}/{{id}}", patch, methods=["PATCH"], summary=f"Update a {label}")


_register(service.ACCOUNTS, schemas.AccountCreate, schemas.AccountUpdate, schemas.account_attributes)
_register(service.WAREHOUSES, schemas.WarehouseCreate, schemas.WarehouseUpdate, schemas.warehouse_attributes)
_register(service.LOCATIONS, schemas.LocationCreate, schemas.LocationUpdate, schemas.location_attributes)
_register(service.PRODUCTS, schemas.ProductCreate, schemas.ProductUpdate, schemas.product_attributes)
_register(
    service.REASON_CODES, schemas.ReasonCodeCreate, schemas.ReasonCodeUpdate, schemas.reason_code_attributes
)


@router.post("/stocks", status_code=201, summary="Create stock (writes a CREATE ledger row)")
async def create_stock(request: Request, db: DB, principal: InventoryWrite) -> Response:
    body = await read_attributes(request, schemas.StockCreate, "stocks")
    stock = await service.create_stock(
        db, principal.tenant_id, principal.client_pk, body.model_dump(), user_id=principal.user_id
    )
    return resource_response("stocks", stock.id, schemas.stock_attributes(stock), 201)


@router.get("/stocks/{id}", summary="Read stock")
async def read_stock(id: PathId, db: DB, principal: InventoryRead) -> Response:
    stock = await service.get(db, service.STOCKS, principal.tenant_id, id, principal.visible_account)
    return resource_response("stocks", stock.id, schemas.stock_attributes(stock))


@router.patch("/stocks/{id}", summary="Update stock (never its quantity)")
async def update_stock(id: PathId, request: Request, db: DB, principal: InventoryWrite) -> Response:
    body = await read_attributes(request, schemas.StockUpdate, "stocks")
    stock = await service.update_stock(db, principal.tenant_id, id, body.model_dump(exclude_unset=True))
    return resource_response("stocks", stock.id, schemas.stock_attributes(stock))


@router.post("/stocks/{id}/adjust", summary="Adjust a stock quantity with a reason code")
async def adjust_stock(id: PathId, request: Request, db: DB, principal: InventoryWrite) -> Response:
    body = await read_attributes(request, schemas.StockAdjust, None)
    stock = await service.adjust_stock(
        db,
        principal.tenant_id,
        principal.client_pk,
        id,
        body.quantity_change,
        body.reason_code_id,
        user_id=principal.user_id,
    )
    return resource_response("stocks", stock.id, schemas.stock_attributes(stock))
