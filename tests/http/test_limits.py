"""Request limits and corner cases every endpoint shares."""

from __future__ import annotations

from tests.support import Api, new_site


async def test_a_body_over_a_megabyte_is_413_and_changes_nothing(api: Api) -> None:
    huge = {"data": {"type": "warehouses", "attributes": {"code": "BIG", "name": "x" * 1_100_000}}}
    response = await api.post("/api/warehouses", huge)
    assert response.status_code == 413
    assert "larger than" in response.json()["error"]
    missing = await api.post(
        "/api/warehouses", {"data": {"type": "warehouses", "attributes": {"code": "BIG", "name": "ok"}}}
    )
    assert missing.status_code == 201  # the code was never taken


async def test_stock_keeps_its_batch_when_its_account_stops_tracking_batches(api: Api) -> None:
    site = await new_site(api, batch=True)
    stock = await api.create(
        "stocks", product_id=site.product_id, location_id=site.location_id, quantity=3, batch="B1"
    )
    untrack = await api.patch(
        f"/api/accounts/{site.account_id}",
        {"data": {"type": "accounts", "attributes": {"batch_tracking": False}}},
    )
    assert untrack.status_code == 200

    held = await api.patch(
        f"/api/stocks/{stock['id']}", {"data": {"type": "stocks", "attributes": {"status": "held"}}}
    )
    assert held.status_code == 200, held.text
    assert held.json()["data"]["attributes"]["status"] == "held"
    assert held.json()["data"]["attributes"]["batch"] == "B1"

    relabel = await api.patch(
        f"/api/stocks/{stock['id']}", {"data": {"type": "stocks", "attributes": {"batch": "B2"}}}
    )
    assert relabel.status_code == 422
    assert relabel.json()["errors"][0]["source"]["pointer"] == "/data/attributes/batch"
