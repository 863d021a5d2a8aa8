"""Concurrency, proven with real concurrent clients against a running `tally serve` on each engine."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from tally.db import Database
from tally.inventory.models import LedgerTransaction
from tally.stock_checks.models import StockCheck, StockCheckAttempt, StockCheckRecord
from tests.conftest import LiveServer
from tests.support import Api, new_site, new_tenant

CONCURRENT_ATTEMPTS = 24


@pytest.fixture
async def live(live_server: LiveServer, db: Database) -> AsyncIterator[Api]:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=60, limits=limits) as http:
        yield await new_tenant(http, db)


async def _open_check(api: Api, location_id: int) -> int:
    response = await api.post(
        "/api/stock_checks",
        {
            "data": {
                "type": "stock_checks",
                "attributes": {
                    "location_id": location_id,
                    "expected_completion_date": "2030-01-01T00:00:00Z",
                },
            }
        },
    )
    assert response.status_code == 201, response.text
    check_id: int = response.json()["stock_check_id"]
    return check_id


def _attempt(product_id: int, count: Any) -> dict[str, Any]:
    return {"data": {"attributes": {"product_id": product_id, "physical_count": count}}}


async def test_simultaneous_attempts_on_one_group_record_exactly_two(live: Api) -> None:
    site = await new_site(live)
    await live.create("stocks", product_id=site.product_id, location_id=site.location_id, quantity=5)
    check_id = await _open_check(live, site.location_id)

    responses = await asyncio.gather(
        *[
            live.post(f"/api/stock_checks/{check_id}/record_attempt", _attempt(site.product_id, 5))
            for _ in range(CONCURRENT_ATTEMPTS)
        ]
    )

    accepted = [r.json() for r in responses if r.status_code == 201]
    refused = [r for r in responses if r.status_code != 201]
    assert sorted(a["attempt_number"] for a in accepted) == [1, 2]
    assert all(a["attempt_result"] == "success" for a in accepted)
    assert len(refused) == CONCURRENT_ATTEMPTS - 2
    assert {r.status_code for r in refused} == {422}
    async with live.db.read() as session:
        numbers = (
            await session.scalars(
                select(StockCheckAttempt.attempt_number)
                .join(StockCheckRecord, StockCheckRecord.id == StockCheckAttempt.record_id)
                .where(
                    StockCheckRecord.tenant_id == live.tenant_id, StockCheckRecord.stock_check_id == check_id
                )
            )
        ).all()
    assert sorted(numbers) == [1, 2]


async def test_simultaneous_creates_for_one_location_open_one_check(live: Api) -> None:
    site = await new_site(live)
    body = {
        "data": {
            "type": "stock_checks",
            "attributes": {
                "location_id": site.location_id,
                "expected_completion_date": "2030-01-01T00:00:00Z",
            },
        }
    }
    responses = await asyncio.gather(*[live.post("/api/stock_checks", body) for _ in range(12)])

    assert sorted(r.status_code for r in responses) == [200] * 11 + [201]
    assert len({(r.json()["stock_check_id"], r.json()["task_id"]) for r in responses}) == 1
    async with live.db.read() as session:
        count = await session.scalar(
            select(func.count()).where(
                StockCheck.tenant_id == live.tenant_id, StockCheck.location_id == site.location_id
            )
        )
    assert count == 1


async def test_attempts_racing_complete_leave_the_check_consistent(live: Api) -> None:
    site = await new_site(live)
    products = [site.product_id]
    for i in range(15):
        product = await live.create("products", code=f"RACE{i}", description="x", account_id=site.account_id)
        products.append(product["id"])
    for product_id in products:
        await live.create("stocks", product_id=product_id, location_id=site.location_id, quantity=3)
    check_id = await _open_check(live, site.location_id)

    attempts = [live.post(f"/api/stock_checks/{check_id}/record_attempt", _attempt(p, 3)) for p in products]
    results = await asyncio.gather(
        *attempts[:8], live.post(f"/api/stock_checks/{check_id}/complete"), *attempts[8:]
    )
    complete = results[8]
    attempt_responses = results[:8] + results[9:]

    assert complete.status_code == 200
    accepted = {p for p, r in zip(products, attempt_responses, strict=True) if r.status_code == 201}
    refused = {p for p, r in zip(products, attempt_responses, strict=True) if r.status_code != 201}
    assert all(r.status_code in (201, 422) for r in attempt_responses)
    check = (await live.get(f"/api/stock_checks/{check_id}")).json()["data"]["attributes"]
    by_product = {rec["product_id"]: rec for rec in check["records"]}
    # An attempt that was accepted happened before complete: it is the record's only attempt, counted 3.
    for product_id in accepted:
        assert [a["physical_count"] for a in by_product[product_id]["attempts"]] == [3]
    # One that was refused came after: complete counted that group as zero.
    for product_id in refused:
        assert [a["physical_count"] for a in by_product[product_id]["attempts"]] == [0]
    expected = "passed" if not refused else "failed"
    assert complete.json() == {"status": expected}
    assert check["status"] == expected


async def test_simultaneous_resolves_of_one_record_post_one_adjustment(live: Api) -> None:
    site = await new_site(live)
    stock = await live.create("stocks", product_id=site.product_id, location_id=site.location_id, quantity=10)
    reason = await live.create(
        "reason_codes", code="SC", name="Miscount", description="x", reason_type="stock_check"
    )
    check_id = await _open_check(live, site.location_id)
    response = await live.post(f"/api/stock_checks/{check_id}/record_attempt", _attempt(site.product_id, 7))
    assert response.json() == {"attempt_result": "failure", "attempt_number": 1}
    assert (await live.post(f"/api/stock_checks/{check_id}/complete")).json() == {"status": "failed"}
    record_id = (await live.get(f"/api/stock_checks/{check_id}")).json()["data"]["attributes"]["records"][0][
        "id"
    ]

    body = {"stock_check_record_ids": [record_id], "reason_code_id": reason["id"]}
    responses = await asyncio.gather(*[live.post("/api/stock_checks/resolve", body) for _ in range(8)])

    assert sorted(r.status_code for r in responses) == [204] + [422] * 7
    quantity = (await live.get(f"/api/stocks/{stock['id']}")).json()["data"]["attributes"]["quantity"]
    assert quantity == 7
    async with live.db.read() as session:
        posted = await session.scalar(
            select(func.count()).where(
                LedgerTransaction.tenant_id == live.tenant_id, LedgerTransaction.subtype == "STOCK_CHECK"
            )
        )
    assert posted == 1


async def test_attempts_racing_cancel_are_either_recorded_or_refused(live: Api) -> None:
    site = await new_site(live)
    products = []
    for i in range(12):
        product = await live.create("products", code=f"C{i}", description="x", account_id=site.account_id)
        products.append(product["id"])
    check_id = await _open_check(live, site.location_id)

    calls = [live.post(f"/api/stock_checks/{check_id}/record_attempt", _attempt(p, 1)) for p in products]
    results = await asyncio.gather(*calls[:6], live.post(f"/api/stock_checks/{check_id}/cancel"), *calls[6:])
    cancel = results[6]
    attempts = results[:6] + results[7:]

    assert cancel.status_code == 200
    assert cancel.json() == {"status": "cancelled"}
    assert all(r.status_code in (201, 422) for r in attempts)
    accepted = {p for p, r in zip(products, attempts, strict=True) if r.status_code == 201}
    check = (await live.get(f"/api/stock_checks/{check_id}")).json()["data"]["attributes"]
    assert check["status"] == "cancelled"
    assert {r["product_id"] for r in check["records"] if r["attempts"]} == accepted
    task = (await live.get(f"/api/tasks/{check['task_id']}")).json()["data"]["attributes"]
    assert task["status"] == "CANCELLED"
