"""Stock-check routes: the ClarusWMS contract (create, record_attempt, complete, resolve), cancel, read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from tally.http.auth import DB, Count, CountOrManage, Manage
from tally.http.body import read_attributes, read_bare
from tally.http.envelope import resource_response
from tally.http.idempotency import idempotent
from tally.http.json import json_response
from tally.stock_checks import rules, schemas, service

router = APIRouter(prefix="/api", tags=["stock checks"])

CheckId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The stock check's id")]


@router.post("/stock_checks", summary="Create a stock check (or return the location's pending one)")
async def create_stock_check(request: Request, db: DB, principal: Manage) -> Response:
    async def run() -> Response:
        body = await read_attributes(request, schemas.StockCheckCreate, "stock_checks")
        opened = await service.create_stock_check(
            db, principal, body.location_id, body.expected_completion_date
        )
        return json_response(
            {"stock_check_id": opened.stock_check_id, "task_id": opened.task_id},
            201 if opened.created else 200,
        )

    return await idempotent(request, db, principal, run)


@router.post("/stock_checks/resolve", status_code=204, summary="Resolve failed stock check records")
async def resolve(request: Request, db: DB, principal: Manage) -> Response:
    async def run() -> Response:
        body = await read_bare(request, schemas.ResolveRequest)
        await service.resolve(db, principal, body.stock_check_record_ids, body.reason_code_id)
        return Response(status_code=204)

    return await idempotent(request, db, principal, run)


@router.post("/stock_checks/{id}/record_attempt", status_code=201, summary="Record a count attempt")
async def record_attempt(id: CheckId, request: Request, db: DB, principal: Count) -> Response:
    async def run() -> Response:
        body = await read_attributes(request, schemas.AttemptCreate, None)
        group = rules.StockGroup(body.product_id, body.batch, body.sell_by_date, body.best_before_date)
        recorded = await service.record_attempt(db, principal, id, group, body.physical_count)
        return json_response(
            {"attempt_result": recorded.attempt_result, "attempt_number": recorded.attempt_number}, 201
        )

    return await idempotent(request, db, principal, run)


@router.post("/stock_checks/{id}/complete", summary="Complete a stock check")
async def complete(id: CheckId, request: Request, db: DB, principal: Manage) -> Response:
    async def run() -> Response:
        return json_response({"status": await service.complete(db, principal, id)})

    return await idempotent(request, db, principal, run)


@router.post("/stock_checks/{id}/cancel", summary="Cancel a pending stock check")
async def cancel(id: CheckId, request: Request, db: DB, principal: Manage) -> Response:
    async def run() -> Response:
        return json_response({"status": await service.cancel(db, principal, id)})

    return await idempotent(request, db, principal, run)


@router.get("/stock_checks/{id}", summary="Read a stock check with its records and attempts")
async def read(id: CheckId, db: DB, principal: CountOrManage) -> Response:
    check = await service.read_check(db, principal, id)
    return resource_response("stock_checks", check["id"], check["attributes"])
