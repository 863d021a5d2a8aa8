"""The ledger: one immutable row per change of a stock quantity, written in the same transaction."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from tally.db import Database
from tally.inventory import service
from tally.inventory.models import LedgerTransaction, Stock
from tally.oauth.models import OAuthClient
from tests.support import Api, new_site, unique


async def ledger(db: Database, tenant_id: int, stock_id: int) -> list[LedgerTransaction]:
    async with db.read() as session:
        rows = await session.scalars(
            select(LedgerTransaction)
            .where(LedgerTransaction.tenant_id == tenant_id, LedgerTransaction.stock_id == stock_id)
            .order_by(LedgerTransaction.id)
        )
        return list(rows)


async def client_pk(db: Database, api: Api) -> int:
    async with db.read() as session:
        pk = await session.scalar(select(OAuthClient.id).where(OAuthClient.client_id == api.client_id))
    assert pk is not None
    return pk


async def reason_code(api: Api, reason_type: str) -> int:
    created = await api.create(
        "reason_codes", code=unique("RC"), name=reason_type, description=reason_type, reason_type=reason_type
    )
    return int(created["id"])


async def adjust(api: Api, stock_id: int, change: Any, reason_code_id: int) -> None:
    response = await api.post(
        f"/api/stocks/{stock_id}/adjust",
        {"data": {"attributes": {"quantity_change": change, "reason_code_id": reason_code_id}}},
    )
    assert response.status_code == 200, response.text


async def test_creating_stock_writes_a_create_row(api: Api, db: Database) -> None:
    site = await new_site(api)
    created = await api.create(
        "stocks", product_id=site.product_id, location_id=site.location_id, quantity=7.5
    )

    [row] = await ledger(db, api.tenant_id, created["id"])

    assert row.subtype == "CREATE"
    assert (row.quantity_change, row.resulting_quantity) == (Decimal("7.5"), Decimal("7.5"))
    assert (row.product_id, row.location_id) == (site.product_id, site.location_id)
    assert row.client_id == await client_pk(db, api)
    assert row.reason_code_id is None


async def test_each_adjustment_writes_an_adjust_row(api: Api, db: Database) -> None:
    site = await new_site(api)
    created = await api.create(
        "stocks", product_id=site.product_id, location_id=site.location_id, quantity=10
    )
    up = await reason_code(api, "positive_adjustment")
    down = await reason_code(api, "negative_adjustment")

    await adjust(api, created["id"], 2.25, up)
    await adjust(api, created["id"], -4, down)

    rows = await ledger(db, api.tenant_id, created["id"])
    assert [(r.subtype, r.quantity_change, r.resulting_quantity, r.reason_code_id) for r in rows] == [
        ("CREATE", Decimal(10), Decimal(10), None),
        ("ADJUST", Decimal("2.25"), Decimal("12.25"), up),
        ("ADJUST", Decimal(-4), Decimal("8.25"), down),
    ]
    assert {r.client_id for r in rows} == {await client_pk(db, api)}


async def test_changes_that_leave_the_quantity_alone_write_no_row(api: Api, db: Database) -> None:
    site = await new_site(api)
    created = await api.create("stocks", product_id=site.product_id, location_id=site.location_id, quantity=3)
    down = await reason_code(api, "negative_adjustment")

    patched = await api.patch(f"/api/stocks/{created['id']}", {"data": {"attributes": {"status": "held"}}})
    refused = await api.post(
        f"/api/stocks/{created['id']}/adjust",
        {"data": {"attributes": {"quantity_change": -4, "reason_code_id": down}}},
    )

    assert (patched.status_code, refused.status_code) == (200, 422)
    assert [r.subtype for r in await ledger(db, api.tenant_id, created["id"])] == ["CREATE"]


def _broken_ledger_row(*args: Any, **kwargs: Any) -> LedgerTransaction:
    row = _real_ledger_row(*args, **kwargs)
    row.subtype = None  # type: ignore[assignment]  # NOT NULL: the database refuses the ledger row
    return row


_real_ledger_row = service.ledger_row


async def test_stock_is_not_created_when_its_ledger_row_fails(
    api: Api, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = await new_site(api)
    monkeypatch.setattr(service, "ledger_row", _broken_ledger_row)
    values = {
        "product_id": site.product_id,
        "location_id": site.location_id,
        "quantity": Decimal(5),
        "batch": "",
        "sell_by_date": None,
        "best_before_date": None,
        "status": "available",
        "storage_unit_reference": None,
    }

    with pytest.raises(DBAPIError):
        await service.create_stock(db, api.tenant_id, await client_pk(db, api), values)

    async with db.read() as session:
        stocks = await session.scalars(select(Stock.id).where(Stock.tenant_id == api.tenant_id))
        assert list(stocks) == []


async def test_stock_is_not_adjusted_when_its_ledger_row_fails(
    api: Api, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = await new_site(api)
    created = await api.create("stocks", product_id=site.product_id, location_id=site.location_id, quantity=5)
    up = await reason_code(api, "positive_adjustment")
    monkeypatch.setattr(service, "ledger_row", _broken_ledger_row)

    with pytest.raises(DBAPIError):
        await service.adjust_stock(db, api.tenant_id, await client_pk(db, api), created["id"], Decimal(1), up)

    async with db.read() as session:
        quantity = await session.scalar(
            select(Stock.quantity).where(Stock.tenant_id == api.tenant_id, Stock.id == created["id"])
        )
    assert quantity == 5
    assert [r.subtype for r in await ledger(db, api.tenant_id, created["id"])] == ["CREATE"]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE transactions SET quantity_change = 999 WHERE tenant_id = :tenant_id",
        "UPDATE transactions SET subtype = 'ADJUST' WHERE tenant_id = :tenant_id",
        "DELETE FROM transactions WHERE tenant_id = :tenant_id",
    ],
    ids=["update quantity", "update subtype", "delete"],
)
async def test_the_database_refuses_to_change_ledger_rows(api: Api, db: Database, statement: str) -> None:
    site = await new_site(api)
    created = await api.create("stocks", product_id=site.product_id, location_id=site.location_id, quantity=4)
    before = [(r.id, r.subtype, r.quantity_change) for r in await ledger(db, api.tenant_id, created["id"])]

    with pytest.raises(DBAPIError, match="immutable"):
        async with db.write() as session:
            await session.execute(text(statement), {"tenant_id": api.tenant_id})

    after = [(r.id, r.subtype, r.quantity_change) for r in await ledger(db, api.tenant_id, created["id"])]
    assert after == before == [(before[0][0], "CREATE", Decimal(4))]
