"""Steps shared by the stock-check API tests: open a check, count, read it, look at stock and the ledger."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import func, select, update

from tally.inventory.models import LedgerTransaction, Stock
from tally.stock_checks.models import StockCheck, StockCheckAttempt, StockCheckRecord
from tally.tasks.models import Task
from tally.tenants.models import Tenant
from tests.support import Api, Site, new_site, unique

Body = dict[str, Any]

EXPECTED = "2026-05-25T17:00:00Z"


def exact(response: httpx.Response) -> Any:
    """The response body with non-integers as Decimal, so quantities compare exactly."""
    return json.loads(response.text, parse_float=Decimal)


def create_body(location_id: Any, expected: Any = EXPECTED) -> Body:
    return {
        "data": {
            "type": "stock_checks",
            "attributes": {"location_id": location_id, "expected_completion_date": expected},
        }
    }


async def open_check(api: Api, location_id: int) -> tuple[int, int]:
    """A new pending check on the location: (stock_check_id, task_id)."""
    response = await api.post("/api/stock_checks", create_body(location_id))
    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"stock_check_id", "task_id"}, body
    return body["stock_check_id"], body["task_id"]


def attempt_body(product_id: Any, physical_count: Any, **group: Any) -> Body:
    return {"data": {"attributes": {"product_id": product_id, "physical_count": physical_count, **group}}}


async def count(
    api: Api, check_id: int, product_id: Any, physical_count: Any, **group: Any
) -> httpx.Response:
    return await api.post(
        f"/api/stock_checks/{check_id}/record_attempt", attempt_body(product_id, physical_count, **group)
    )


async def counted(api: Api, check_id: int, product_id: int, physical_count: Any, **group: Any) -> Body:
    """Record an attempt that must be accepted; its body."""
    response = await count(api, check_id, product_id, physical_count, **group)
    assert response.status_code == 201, response.text
    body: Body = response.json()
    return body


async def complete(api: Api, check_id: int) -> httpx.Response:
    return await api.post(f"/api/stock_checks/{check_id}/complete")


async def completed(api: Api, check_id: int) -> str:
    response = await complete(api, check_id)
    assert response.status_code == 200, response.text
    status: str = response.json()["status"]
    return status


async def view(api: Api, check_id: int) -> Body:
    """The check's attributes as GET /api/stock_checks/{id} shows them to `api`."""
    response = await api.get(f"/api/stock_checks/{check_id}")
    assert response.status_code == 200, response.text
    attributes: Body = exact(response)["data"]["attributes"]
    return attributes


def record_of(
    attributes: Body,
    product_id: int,
    batch: str | None = None,
    sell_by_date: str | None = None,
    best_before_date: str | None = None,
) -> Body:
    matches = [
        r
        for r in attributes["records"]
        if (r["product_id"], r["batch"] or None, r["sell_by_date"], r["best_before_date"])
        == (product_id, batch, sell_by_date, best_before_date)
    ]
    assert len(matches) == 1, attributes["records"]
    record: Body = matches[0]
    return record


async def put_stock(
    api: Api, site: Site, quantity: Any, *, location_id: int | None = None, **group: Any
) -> int:
    stock = await api.create(
        "stocks",
        product_id=site.product_id,
        location_id=location_id or site.location_id,
        quantity=quantity,
        **group,
    )
    stock_id: int = stock["id"]
    return stock_id


async def stock(api: Api, stock_id: int) -> Body:
    response = await api.get(f"/api/stocks/{stock_id}")
    assert response.status_code == 200, response.text
    attributes: Body = exact(response)["data"]["attributes"]
    return attributes


async def quantity(api: Api, stock_id: int) -> Decimal:
    return Decimal((await stock(api, stock_id))["quantity"])


async def reason_code(api: Api, reason_type: str = "stock_check", **extra: Any) -> int:
    code = await api.create(
        "reason_codes",
        code=unique("R")[:30],
        name="Count difference",
        description="Found a different quantity when counting",
        reason_type=reason_type,
        **extra,
    )
    code_id: int = code["id"]
    return code_id


async def adjust(api: Api, stock_id: int, change: Any) -> None:
    kind = "positive_adjustment" if Decimal(str(change)) > 0 else "negative_adjustment"
    code_id = await reason_code(api, kind)
    response = await api.post(
        f"/api/stocks/{stock_id}/adjust",
        {"data": {"attributes": {"quantity_change": change, "reason_code_id": code_id}}},
    )
    assert response.status_code == 200, response.text


async def resolve(api: Api, record_ids: Any, reason_code_id: Any) -> httpx.Response:
    return await api.post(
        "/api/stock_checks/resolve", {"stock_check_record_ids": record_ids, "reason_code_id": reason_code_id}
    )


async def ledger(api: Api, subtype: str = "STOCK_CHECK") -> list[LedgerTransaction]:
    async with api.db.read() as session:
        rows = (
            await session.scalars(
                select(LedgerTransaction)
                .where(LedgerTransaction.tenant_id == api.tenant_id, LedgerTransaction.subtype == subtype)
                .order_by(LedgerTransaction.id)
            )
        ).all()
    return list(rows)


async def stock_rows(api: Api, location_id: int) -> list[Stock]:
    async with api.db.read() as session:
        rows = (
            await session.scalars(
                select(Stock)
                .where(Stock.tenant_id == api.tenant_id, Stock.location_id == location_id)
                .order_by(Stock.id)
            )
        ).all()
    return list(rows)


async def row_counts(api: Api) -> dict[str, int]:
    """How many checks, tasks, records, attempts and ledger rows the tenant has."""
    counts = {}
    async with api.db.read() as session:
        for model in (StockCheck, Task, StockCheckRecord, StockCheckAttempt, LedgerTransaction):
            counts[model.__tablename__] = int(
                await session.scalar(
                    select(func.count()).select_from(model).where(model.tenant_id == api.tenant_id)
                )
                or 0
            )
    return counts


async def set_adjust_stock_on_resolve(api: Api, value: bool) -> None:
    async with api.db.write() as session:
        await session.execute(
            update(Tenant).where(Tenant.id == api.tenant_id).values(adjust_stock_on_resolve=value)
        )


async def failed_record(
    api: Api, site: Site | None = None, *, stock: Any = 5, counted_as: Any = 3, **group: Any
) -> tuple[Site, int, int]:
    """A completed, failed check with one failed record: (site, check id, record id)."""
    site = site or await new_site(api)
    if stock is not None:
        await put_stock(api, site, stock, **group)
    check_id, _ = await open_check(api, site.location_id)
    await counted(api, check_id, site.product_id, counted_as, **group)
    assert await completed(api, check_id) == "failed"
    record = record_of(await view(api, check_id), site.product_id, **group)
    return site, check_id, record["id"]
