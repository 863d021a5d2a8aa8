"""Ledger rows name the person behind a user token, as well as the client."""

from __future__ import annotations

from sqlalchemy import select

from tally.inventory.models import LedgerTransaction
from tests.support import Api, new_site
from tests.tasks.helpers import new_user, token_for


async def test_stock_created_and_adjusted_by_a_person_is_theirs_in_the_ledger(api: Api) -> None:
    site = await new_site(api)
    reason = await api.create(
        "reason_codes", code="UP", name="Found", description="Found", reason_type="positive_adjustment"
    )
    user_id = await new_user(api, role="admin")
    person = await token_for(api, user_id, ("inventory:read", "inventory:write"))

    created = await person.post(
        "/api/stocks",
        {
            "data": {
                "type": "stocks",
                "attributes": {"product_id": site.product_id, "location_id": site.location_id, "quantity": 2},
            }
        },
    )
    assert created.status_code == 201, created.text
    stock_id = created.json()["data"]["id"]
    adjusted = await person.post(
        f"/api/stocks/{stock_id}/adjust",
        {"data": {"attributes": {"quantity_change": 1, "reason_code_id": reason["id"]}}},
    )
    assert adjusted.status_code == 200, adjusted.text
    await api.post(
        f"/api/stocks/{stock_id}/adjust",
        {"data": {"attributes": {"quantity_change": 1, "reason_code_id": reason["id"]}}},
    )

    async with api.db.read() as session:
        rows = (
            await session.execute(
                select(LedgerTransaction.subtype, LedgerTransaction.user_id)
                .where(LedgerTransaction.tenant_id == api.tenant_id, LedgerTransaction.stock_id == stock_id)
                .order_by(LedgerTransaction.id)
            )
        ).all()
    assert [tuple(r) for r in rows] == [("CREATE", user_id), ("ADJUST", user_id), ("ADJUST", None)]
