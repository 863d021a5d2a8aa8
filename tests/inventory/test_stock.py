"""Stock: the owner comes from the product, tracking decides which group fields are allowed, quantities are
exact and change only through adjustments with a matching reason code."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from tally.db import Database
from tally.inventory.models import LedgerTransaction, Stock
from tests.support import Api, Site, new_site, unique

JSON = {"Content-Type": "application/json"}


def exact(response: Any) -> Any:
    """The response body with numbers read as exact decimals."""
    return json.loads(response.content, parse_float=Decimal)


def raw_attributes(**attributes: str) -> bytes:
    """A create/adjust body whose values are written verbatim, so decimals reach the server exactly."""
    inner = ", ".join(f'"{k}": {v}' for k, v in attributes.items())
    return ('{"data": {"attributes": {' + inner + "}}}").encode()


async def stock(api: Api, site: Site, quantity: Any = 10, **attributes: Any) -> dict[str, Any]:
    return await api.create(
        "stocks", product_id=site.product_id, location_id=site.location_id, quantity=quantity, **attributes
    )


async def reason_code(api: Api, reason_type: str, *, active: bool = True) -> int:
    created = await api.create(
        "reason_codes",
        code=unique("RC"),
        name=reason_type,
        description=reason_type,
        reason_type=reason_type,
        active=active,
    )
    return int(created["id"])


async def adjust(api: Api, stock_id: int, change: Any, reason_code_id: int) -> Any:
    return await api.post(
        f"/api/stocks/{stock_id}/adjust",
        {"data": {"attributes": {"quantity_change": change, "reason_code_id": reason_code_id}}},
    )


async def ledger_count(db: Database, tenant_id: int) -> int:
    async with db.read() as session:
        n = await session.scalar(
            select(func.count())
            .select_from(LedgerTransaction)
            .where(LedgerTransaction.tenant_id == tenant_id)
        )
    return int(n or 0)


async def stored_quantity(db: Database, tenant_id: int, stock_id: int) -> Decimal:
    async with db.read() as session:
        quantity = await session.scalar(
            select(Stock.quantity).where(Stock.tenant_id == tenant_id, Stock.id == stock_id)
        )
    assert quantity is not None
    return quantity


async def test_stock_belongs_to_the_products_account(api: Api) -> None:
    site = await new_site(api)
    created = await stock(api, site)
    assert created["attributes"]["account_id"] == site.account_id
    assert created["attributes"]["last_counted_at"] is None
    assert created["attributes"]["batch"] is None


async def test_stock_may_be_created_held(api: Api) -> None:
    created = await stock(api, await new_site(api), status="held")
    assert created["attributes"]["status"] == "held"


@pytest.mark.parametrize(
    "attribute,value,tracking",
    [
        ("batch", "B-1", "batch"),
        ("sell_by_date", "2027-01-31", "sell_by"),
        ("best_before_date", "2027-01-31", "best_before"),
    ],
)
async def test_untracked_group_fields_are_refused(
    api: Api, db: Database, attribute: str, value: str, tracking: str
) -> None:
    tracked = {"batch": True, "sell_by": True, "best_before": True, tracking: False}
    site = await new_site(api, **tracked)
    before = await ledger_count(db, api.tenant_id)
    body = {"product_id": site.product_id, "location_id": site.location_id, "quantity": 1, attribute: value}

    refused = await api.post("/api/stocks", {"data": {"type": "stocks", "attributes": body}})

    assert refused.status_code == 422, refused.text
    assert [e["source"]["pointer"] for e in refused.json()["errors"]] == [f"/data/attributes/{attribute}"]
    assert await ledger_count(db, api.tenant_id) == before

    # The same field on existing stock, by PATCH, is refused too.
    created = await stock(api, site)
    path = f"/api/stocks/{created['id']}"
    patched = await api.patch(path, {"data": {"type": "stocks", "attributes": {attribute: value}}})
    assert patched.status_code == 422, patched.text
    assert (await api.get(path)).json()["data"] == created


async def test_every_untracked_field_is_named(api: Api) -> None:
    site = await new_site(api, batch=False, sell_by=False, best_before=False)
    body = {
        "product_id": site.product_id,
        "location_id": site.location_id,
        "quantity": 1,
        "batch": "B",
        "sell_by_date": "2027-01-01",
        "best_before_date": "2027-01-01",
    }
    response = await api.post("/api/stocks", {"data": {"attributes": body}})
    assert response.status_code == 422, response.text
    assert {e["source"]["pointer"].rsplit("/", 1)[1] for e in response.json()["errors"]} == {
        "batch",
        "sell_by_date",
        "best_before_date",
    }


@pytest.mark.parametrize("empty", [None, ""])
async def test_no_batch_is_allowed_without_batch_tracking(api: Api, empty: str | None) -> None:
    site = await new_site(api, batch=False)
    created = await stock(api, site, batch=empty)
    assert created["attributes"]["batch"] is None


async def test_tracked_group_fields_are_kept(api: Api) -> None:
    site = await new_site(api)
    created = await stock(
        api,
        site,
        batch=" B-7 ",
        sell_by_date="2027-01-31",
        best_before_date="2027-02-28",
        storage_unit_reference="SU1",
    )
    attributes = (await api.get(f"/api/stocks/{created['id']}")).json()["data"]["attributes"]
    assert attributes["batch"] == "B-7"
    assert (attributes["sell_by_date"], attributes["best_before_date"]) == ("2027-01-31", "2027-02-28")
    assert attributes["storage_unit_reference"] == "SU1"


async def test_a_date_can_be_cleared_by_patch(api: Api) -> None:
    created = await stock(api, await new_site(api), best_before_date="2027-02-28")
    response = await api.patch(
        f"/api/stocks/{created['id']}", {"data": {"attributes": {"best_before_date": None}}}
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["attributes"]["best_before_date"] is None


@pytest.mark.parametrize("quantity", ["0", "17.5", "0.0001", "12345678901234.9999", "1e2", "2.50"])
async def test_quantities_are_exact_and_returned_as_json_numbers(
    api: Api, db: Database, quantity: str
) -> None:
    site = await new_site(api)
    response = await api.post(
        "/api/stocks",
        content=raw_attributes(
            product_id=str(site.product_id), location_id=str(site.location_id), quantity=quantity
        ),
        headers=JSON,
    )
    assert response.status_code == 201, response.text
    stock_id = response.json()["data"]["id"]

    returned = exact(response)["data"]["attributes"]["quantity"]
    reread = exact(await api.get(f"/api/stocks/{stock_id}"))["data"]["attributes"]["quantity"]
    assert isinstance(returned, Decimal | int)
    assert Decimal(returned) == Decimal(quantity)
    assert Decimal(reread) == Decimal(quantity)
    assert await stored_quantity(db, api.tenant_id, stock_id) == Decimal(quantity)
    assert b'"quantity":"' not in response.content


async def test_patch_never_changes_the_quantity(api: Api, db: Database) -> None:
    created = await stock(api, await new_site(api), quantity=5)
    before = await ledger_count(db, api.tenant_id)

    response = await api.patch(
        f"/api/stocks/{created['id']}", {"data": {"attributes": {"quantity": 9, "status": "held"}}}
    )

    assert response.status_code == 422, response.text
    assert "adjust" in response.json()["error"]
    assert await stored_quantity(db, api.tenant_id, created["id"]) == 5
    assert (await api.get(f"/api/stocks/{created['id']}")).json()["data"]["attributes"][
        "status"
    ] == "available"
    assert await ledger_count(db, api.tenant_id) == before


async def test_adjust_up_with_a_positive_adjustment_reason(api: Api, db: Database) -> None:
    created = await stock(api, await new_site(api), quantity=10)
    reason = await reason_code(api, "positive_adjustment")

    response = await adjust(api, created["id"], 2.5, reason)

    assert response.status_code == 200, response.text
    data = exact(response)["data"]
    assert (data["id"], data["type"]) == (created["id"], "stocks")
    assert data["attributes"]["quantity"] == Decimal("12.5")
    assert await stored_quantity(db, api.tenant_id, created["id"]) == Decimal("12.5")


async def test_adjust_down_to_zero_with_a_negative_adjustment_reason(api: Api, db: Database) -> None:
    created = await stock(api, await new_site(api), quantity=10)
    reason = await reason_code(api, "negative_adjustment")

    response = await adjust(api, created["id"], -10, reason)

    assert response.status_code == 200, response.text
    assert response.json()["data"]["attributes"]["quantity"] == 0
    assert await stored_quantity(db, api.tenant_id, created["id"]) == 0


async def test_adjustments_add_exactly(api: Api, db: Database) -> None:
    created = await stock(api, await new_site(api), quantity=0)
    reason = await reason_code(api, "positive_adjustment")
    for _ in range(3):
        response = await api.post(
            f"/api/stocks/{created['id']}/adjust",
            content=raw_attributes(quantity_change="0.1", reason_code_id=str(reason)),
            headers=JSON,
        )
        assert response.status_code == 200, response.text
    assert exact(response)["data"]["attributes"]["quantity"] == Decimal("0.3")
    assert await stored_quantity(db, api.tenant_id, created["id"]) == Decimal("0.3")


@pytest.mark.parametrize(
    "change,reason_type,pointer",
    [
        (5, "negative_adjustment", "reason_code_id"),
        (-5, "positive_adjustment", "reason_code_id"),
        (5, "stock_check", "reason_code_id"),
        (-10.0001, "negative_adjustment", "quantity_change"),
        (0, "positive_adjustment", "quantity_change"),
        (0.00001, "positive_adjustment", "quantity_change"),
        ("5", "positive_adjustment", "quantity_change"),
        (None, "positive_adjustment", "quantity_change"),
        (10**14, "positive_adjustment", "quantity_change"),
    ],
    ids=[
        "increase with negative reason",
        "decrease with positive reason",
        "stock_check reason",
        "below zero",
        "zero",
        "five places",
        "string",
        "null",
        "too large",
    ],
)
async def test_bad_adjustments_are_refused_and_change_nothing(
    api: Api, db: Database, change: Any, reason_type: str, pointer: str
) -> None:
    created = await stock(api, await new_site(api), quantity=10)
    reason = await reason_code(api, reason_type)
    before = await ledger_count(db, api.tenant_id)

    response = await adjust(api, created["id"], change, reason)

    assert response.status_code == 422, response.text
    assert response.json()["error"]
    assert f"/data/attributes/{pointer}" in [e["source"]["pointer"] for e in response.json()["errors"]]
    assert await stored_quantity(db, api.tenant_id, created["id"]) == 10
    assert await ledger_count(db, api.tenant_id) == before


async def test_adjusting_beyond_the_largest_quantity_is_refused_not_a_500(api: Api, db: Database) -> None:
    largest = "99999999999999.9999"
    site = await new_site(api)
    response = await api.post(
        "/api/stocks",
        content=raw_attributes(
            product_id=str(site.product_id), location_id=str(site.location_id), quantity=largest
        ),
        headers=JSON,
    )
    assert response.status_code == 201, response.text
    stock_id = response.json()["data"]["id"]
    reason = await reason_code(api, "positive_adjustment")
    before = await ledger_count(db, api.tenant_id)

    response = await adjust(api, stock_id, 1, reason)

    assert response.status_code == 422, response.text
    assert await stored_quantity(db, api.tenant_id, stock_id) == Decimal(largest)
    assert await ledger_count(db, api.tenant_id) == before


async def test_inactive_reason_codes_cannot_adjust(api: Api, db: Database) -> None:
    created = await stock(api, await new_site(api), quantity=10)
    reason = await reason_code(api, "positive_adjustment", active=False)

    response = await adjust(api, created["id"], 1, reason)

    assert response.status_code == 422, response.text
    assert "inactive" in response.json()["error"]
    assert await stored_quantity(db, api.tenant_id, created["id"]) == 10


@pytest.mark.parametrize(
    "attributes,pointer",
    [
        ({"quantity_change": 1}, "reason_code_id"),
        ({"reason_code_id": 1}, "quantity_change"),
        ({"quantity_change": 1, "reason_code_id": 1, "note": "x"}, "note"),
    ],
    ids=["no reason", "no change", "unknown attribute"],
)
async def test_adjust_bodies_are_validated(api: Api, attributes: dict[str, Any], pointer: str) -> None:
    created = await stock(api, await new_site(api), quantity=10)
    response = await api.post(f"/api/stocks/{created['id']}/adjust", {"data": {"attributes": attributes}})
    assert response.status_code == 422, response.text
    assert f"/data/attributes/{pointer}" in [e["source"]["pointer"] for e in response.json()["errors"]]


async def test_adjust_with_malformed_or_non_json_bodies(api: Api) -> None:
    created = await stock(api, await new_site(api), quantity=10)
    path = f"/api/stocks/{created['id']}/adjust"
    assert (await api.post(path, content=b"{", headers=JSON)).status_code == 400
    assert (
        await api.post(path, content=b"quantity_change=1", headers={"Content-Type": "text/plain"})
    ).status_code == 415


async def test_another_tenants_reason_code_cannot_adjust(api: Api, other_api: Api, db: Database) -> None:
    created = await stock(api, await new_site(api), quantity=10)
    theirs = await reason_code(other_api, "positive_adjustment")

    response = await adjust(api, created["id"], 1, theirs)

    assert response.status_code == 422, response.text
    assert await stored_quantity(db, api.tenant_id, created["id"]) == 10


async def test_another_tenants_stock_cannot_be_adjusted(api: Api, other_api: Api, db: Database) -> None:
    created = await stock(api, await new_site(api), quantity=10)
    their_reason = await reason_code(other_api, "positive_adjustment")
    before = await ledger_count(db, other_api.tenant_id)

    response = await adjust(other_api, created["id"], 1, their_reason)

    assert response.status_code == 404, response.text
    assert "data" not in response.json()
    assert await stored_quantity(db, api.tenant_id, created["id"]) == 10
    assert await ledger_count(db, other_api.tenant_id) == before


@pytest.mark.parametrize("id_", ["999999999", "0", "abc"])
async def test_adjusting_unknown_stock_answers_404(api: Api, id_: str) -> None:
    reason = await reason_code(api, "positive_adjustment")
    response = await adjust(api, id_, 1, reason)  # type: ignore[arg-type]
    assert response.status_code == 404, response.text


async def test_concurrent_adjustments_never_take_stock_below_zero(api: Api, db: Database) -> None:
    created = await stock(api, await new_site(api), quantity=5)
    down = await reason_code(api, "negative_adjustment")
    before = await ledger_count(db, api.tenant_id)

    responses = await asyncio.gather(*[adjust(api, created["id"], -1, down) for _ in range(8)])

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] * 5 + [422] * 3, [r.text for r in responses]
    assert await stored_quantity(db, api.tenant_id, created["id"]) == 0
    assert await ledger_count(db, api.tenant_id) == before + 5
