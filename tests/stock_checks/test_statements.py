"""The set-based SQL agrees with the rules it mirrors."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tally.stock_checks.models import StockCheckRecord
from tally.stock_checks.rules import StockGroup
from tests.support import Api, new_site

GROUPS = [
    ("", None, None),
    ("B|1", None, None),
    ("B1", date(2026, 6, 1), None),
    ("B1", None, date(2026, 12, 31)),
    ("", date(2027, 1, 9), date(2027, 2, 28)),
]


@pytest.mark.parametrize(("batch", "sell_by", "best_before"), GROUPS)
async def test_records_made_in_sql_carry_the_rules_group_key(
    api: Api, batch: str, sell_by: date | None, best_before: date | None
) -> None:
    site = await new_site(api)
    attributes = {
        "batch": batch,
        "sell_by_date": sell_by and sell_by.isoformat(),
        "best_before_date": best_before and best_before.isoformat(),
    }
    await api.create(
        "stocks", product_id=site.product_id, location_id=site.location_id, quantity=2, **attributes
    )
    opened = await api.post(
        "/api/stock_checks",
        {
            "data": {
                "type": "stock_checks",
                "attributes": {
                    "location_id": site.location_id,
                    "expected_completion_date": "2030-01-01T00:00:00Z",
                },
            }
        },
    )
    check_id = opened.json()["stock_check_id"]

    async with api.db.read() as session:
        keys = (
            await session.scalars(
                select(StockCheckRecord.group_key).where(
                    StockCheckRecord.tenant_id == api.tenant_id, StockCheckRecord.stock_check_id == check_id
                )
            )
        ).all()
    assert keys == [StockGroup(site.product_id, batch, sell_by, best_before).key]

    # The attempt (keyed in Python) lands on the record made in SQL, not on a twin.
    attempt = await api.post(
        f"/api/stock_checks/{check_id}/record_attempt",
        {"data": {"attributes": {"product_id": site.product_id, "physical_count": 2, **attributes}}},
    )
    assert attempt.json() == {"attempt_result": "success", "attempt_number": 1}
    records = (await api.get(f"/api/stock_checks/{check_id}")).json()["data"]["attributes"]["records"]
    assert len(records) == 1
    assert len(records[0]["attempts"]) == 1
