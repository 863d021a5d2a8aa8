"""Every root field answers `{ all { edges { cursor node } pageInfo totalCount } }` with its node."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from tally.inventory.models import Stock
from tally.stock_checks.models import StockCheck, StockCheckAttempt, StockCheckRecord
from tally.tasks.models import Task
from tests.graphql.helpers import at, data, insert, nodes
from tests.support import Api, new_site, unique
from tests.tasks.helpers import new_user


async def test_stocks_node_has_the_clarus_fields(api: Api) -> None:
    site = await new_site(api)
    created = await api.create(
        "stocks",
        product_id=site.product_id,
        location_id=site.location_id,
        quantity=240,
        batch="B1",
        sell_by_date="2026-05-01",
        best_before_date="2026-06-01",
        status="held",
    )
    unbatched = await api.create(
        "stocks", product_id=site.product_id, location_id=site.location_id, quantity=2.5
    )
    answer = await data(
        api,
        """{ stocks { all { totalCount pageInfo { hasNextPage endCursor }
             edges { cursor node { id quantity status fifo_date batch sell_by_date best_before_date
                                   last_counted_at product { id code } location { id code }
                                   account { id code } } } } } }""",
    )
    connection = answer["stocks"]["all"]
    assert connection["totalCount"] == 2
    assert connection["pageInfo"] == {"hasNextPage": False, "endCursor": connection["edges"][-1]["cursor"]}
    first, second = nodes(answer, "stocks")
    assert first["id"] == str(created["id"])
    assert first["quantity"] == 240 and isinstance(first["quantity"], int)
    assert first["status"] == "held"
    assert first["fifo_date"].endswith("Z")
    assert (first["batch"], first["sell_by_date"], first["best_before_date"]) == (
        "B1",
        "2026-05-01",
        "2026-06-01",
    )
    assert first["last_counted_at"] is None
    assert first["product"]["id"] == str(site.product_id)
    assert first["location"]["id"] == str(site.location_id)
    assert first["account"]["id"] == str(site.account_id)
    # No batch is stored as '' and shown as null; 2.5 stays exactly 2.5.
    assert second["id"] == str(unbatched["id"])
    assert second["batch"] is None
    assert second["quantity"] == Decimal("2.5")


async def test_master_data_roots(api: Api) -> None:
    site = await new_site(api)
    reason = await api.create(
        "reason_codes",
        code="ADJ-NEG-01",
        name="Damaged",
        description="Damaged in transit",
        reason_type="negative_adjustment",
    )
    answer = await data(
        api,
        """{
          accounts { all { totalCount edges { node { id code name is_active batch_tracking sell_by_tracking
                                                     best_before_tracking } } } }
          warehouses { all { totalCount edges { node { id code name } } } }
          locations { all { totalCount edges { node { id code description is_active last_counted_at
                                                      warehouse { id code } } } } }
          products { all { totalCount edges { node { id code description account { id code } } } } }
          reason_codes { all { totalCount edges { node { id code name description reason_type active } } } }
        }""",
    )
    assert [n["id"] for n in nodes(answer, "accounts")] == [str(site.account_id)]
    assert nodes(answer, "accounts")[0]["batch_tracking"] is True
    assert [n["id"] for n in nodes(answer, "warehouses")] == [str(site.warehouse_id)]
    location = nodes(answer, "locations")[0]
    assert location["id"] == str(site.location_id)
    assert location["warehouse"]["id"] == str(site.warehouse_id)
    assert location["is_active"] is True
    product = nodes(answer, "products")[0]
    assert product["id"] == str(site.product_id)
    assert product["account"]["id"] == str(site.account_id)
    assert nodes(answer, "reason_codes") == [
        {
            "id": str(reason["id"]),
            "code": "ADJ-NEG-01",
            "name": "Damaged",
            "description": "Damaged in transit",
            "reason_type": "negative_adjustment",
            "active": True,
        }
    ]
    for root in ("accounts", "warehouses", "locations", "products", "reason_codes"):
        assert answer[root]["all"]["totalCount"] == 1


async def test_transactions_are_the_ledger(api: Api) -> None:
    site = await new_site(api)
    reason = await api.create(
        "reason_codes", code="UP", name="Found", description="Found", reason_type="positive_adjustment"
    )
    stock = await api.create("stocks", product_id=site.product_id, location_id=site.location_id, quantity=10)
    adjusted = await api.post(
        f"/api/stocks/{stock['id']}/adjust",
        {"data": {"attributes": {"quantity_change": 2.5, "reason_code_id": reason["id"]}}},
    )
    assert adjusted.status_code == 200, adjusted.text
    answer = await data(
        api,
        """{ transactions { all { totalCount edges { node { id subtype quantity_change resulting_quantity
             created_at product { id code } location { id code } stock { id quantity }
             reason_code { id code } stock_check_id } } } } }""",
    )
    create, adjust = nodes(answer, "transactions")
    assert (create["subtype"], create["quantity_change"], create["resulting_quantity"]) == ("CREATE", 10, 10)
    assert create["reason_code"] is None
    assert adjust["subtype"] == "ADJUST"
    assert (adjust["quantity_change"], adjust["resulting_quantity"]) == (Decimal("2.5"), Decimal("12.5"))
    assert adjust["reason_code"] == {"id": str(reason["id"]), "code": "UP"}
    assert adjust["stock"] == {"id": str(stock["id"]), "quantity": Decimal("12.5")}
    assert adjust["product"]["id"] == str(site.product_id)
    assert adjust["location"]["id"] == str(site.location_id)
    assert adjust["stock_check_id"] is None
    assert int(create["id"]) < int(adjust["id"])


async def seed_check(api: Api) -> dict[str, int]:
    """A failed check with four records (uncounted, passed, failed, resolved) over stock of two groups."""
    site = await new_site(api)
    tenant = api.tenant_id
    reason = await api.create(
        "reason_codes", code=unique("SC"), name="Count", description="Count", reason_type="stock_check"
    )
    await insert(
        api.db,
        Stock(
            tenant_id=tenant,
            product_id=site.product_id,
            location_id=site.location_id,
            account_id=site.account_id,
            quantity=Decimal("7.5"),
            batch="B1",
            sell_by_date=date(2026, 5, 1),
        ),
        Stock(
            tenant_id=tenant,
            product_id=site.product_id,
            location_id=site.location_id,
            account_id=site.account_id,
            quantity=Decimal("2.5"),
            batch="B1",
            sell_by_date=date(2026, 5, 1),
            status="held",
        ),
        # Another group at the same location: not part of the B1 record's expectation.
        Stock(
            tenant_id=tenant,
            product_id=site.product_id,
            location_id=site.location_id,
            account_id=site.account_id,
            quantity=Decimal(100),
            batch="B2",
        ),
    )
    (task,) = await insert(
        api.db, Task(tenant_id=tenant, location_from_id=site.location_id, status="COMPLETED")
    )
    (check,) = await insert(
        api.db,
        StockCheck(
            tenant_id=tenant,
            location_id=site.location_id,
            task_id=task.id,
            status="failed",
            expected_completion_date=at(30),
            completed_at=at(29),
        ),
    )

    def record(key: str, **kw: object) -> StockCheckRecord:
        return StockCheckRecord(
            tenant_id=tenant, stock_check_id=check.id, product_id=site.product_id, group_key=key, **kw
        )

    uncounted, passed, failed, resolved = await insert(
        api.db,
        record("u", batch="B9"),
        record("p", batch="B1", sell_by_date=date(2026, 5, 1), attempt_count=1, last_result="success"),
        record("f", batch="B2", attempt_count=2, last_result="failure"),
        record(
            "r",
            batch="B3",
            attempt_count=2,
            last_result="failure",
            reason_code_id=reason["id"],
            resolved_at=at(29, 12),
        ),
    )
    await insert(
        api.db,
        StockCheckAttempt(
            tenant_id=tenant,
            record_id=passed.id,
            attempt_number=1,
            physical_count=Decimal(10),
            system_count=Decimal(10),
            attempt_result="success",
        ),
        StockCheckAttempt(
            tenant_id=tenant,
            record_id=failed.id,
            attempt_number=1,
            physical_count=Decimal(90),
            system_count=Decimal(100),
            attempt_result="failure",
        ),
        StockCheckAttempt(
            tenant_id=tenant,
            record_id=failed.id,
            attempt_number=2,
            physical_count=Decimal(91),
            system_count=Decimal(100),
            attempt_result="failure",
        ),
    )
    return {
        "check": check.id,
        "task": task.id,
        "location": site.location_id,
        "product": site.product_id,
        "reason": reason["id"],
        "uncounted": uncounted.id,
        "passed": passed.id,
        "failed": failed.id,
        "resolved": resolved.id,
    }


CHECKS = """{ stock_checks { all { totalCount edges { node {
  id status location { id code } task { id status } expected_completion_date created_at completed_at
  records { id product { id code } batch sell_by_date best_before_date status expected_quantity
            attempts { attempt_number physical_count system_count attempt_result recorded_at }
            reason_code_id resolved_at } } } } } }"""


async def test_stock_checks_with_records_and_attempts(api: Api) -> None:
    ids = await seed_check(api)
    answer = await data(api, CHECKS)
    (check,) = nodes(answer, "stock_checks")
    assert check["id"] == str(ids["check"])
    assert check["status"] == "failed"
    assert check["location"]["id"] == str(ids["location"])
    assert check["task"] == {"id": str(ids["task"]), "status": "COMPLETED"}
    assert check["expected_completion_date"] == "2026-04-30T00:00:00Z"
    assert check["completed_at"] == "2026-04-29T00:00:00Z"
    records = {r["id"]: r for r in check["records"]}
    assert [r["id"] for r in check["records"]] == [
        str(ids[k]) for k in ("uncounted", "passed", "failed", "resolved")
    ]
    assert {k: records[str(ids[k])]["status"] for k in ("uncounted", "passed", "failed", "resolved")} == {
        "uncounted": "uncounted",
        "passed": "passed",
        "failed": "failed",
        "resolved": "resolved",
    }
    passed = records[str(ids["passed"])]
    # Live: both B1 rows at the location (held included), not the B2 row.
    assert passed["expected_quantity"] == 10
    assert (passed["batch"], passed["sell_by_date"], passed["best_before_date"]) == ("B1", "2026-05-01", None)
    assert passed["product"]["id"] == str(ids["product"])
    assert records[str(ids["failed"])]["expected_quantity"] == 100
    assert records[str(ids["uncounted"])]["expected_quantity"] == 0
    assert [
        (a["attempt_number"], a["physical_count"], a["system_count"], a["attempt_result"])
        for a in records[str(ids["failed"])]["attempts"]
    ] == [(1, 90, 100, "failure"), (2, 91, 100, "failure")]
    assert records[str(ids["uncounted"])]["attempts"] == []
    resolved = records[str(ids["resolved"])]
    assert resolved["reason_code_id"] == str(ids["reason"])
    assert resolved["resolved_at"] == "2026-04-29T12:00:00Z"


async def test_counting_token_sees_checks_blind(api: Api) -> None:
    ids = await seed_check(api)
    counter = await api.with_scopes("stock_checks:count")
    answer = await data(counter, CHECKS)
    (check,) = nodes(answer, "stock_checks")
    assert check["id"] == str(ids["check"])
    for record in check["records"]:
        assert record["expected_quantity"] is None
        for attempt in record["attempts"]:
            assert attempt["system_count"] is None
            assert attempt["physical_count"] is not None
    assert any(record["attempts"] for record in check["records"])


async def test_tasks_with_their_stock_check(api: Api) -> None:
    ids = await seed_check(api)
    site = await new_site(api)
    (lone,) = await insert(
        api.db, Task(tenant_id=api.tenant_id, location_from_id=site.location_id, created_at=at(2))
    )
    answer = await data(
        api,
        """{ tasks { all { totalCount edges { node { id status task_type location_from { id code }
                                                   stock_check { id } created_at completed_at } } } } }""",
    )
    first, second = nodes(answer, "tasks")
    assert first["id"] == str(ids["task"])
    assert first["status"] == "COMPLETED"
    assert first["task_type"] == "CHECK"
    assert first["location_from"]["id"] == str(ids["location"])
    assert first["stock_check"] == {"id": str(ids["check"])}
    assert second["id"] == str(lone.id)
    assert second["status"] == "AVAILABLE"
    assert second["stock_check"] is None
    assert second["created_at"] == "2026-04-02T00:00:00Z"
    assert second["completed_at"] is None


async def test_tasks_show_who_holds_them(api: Api) -> None:
    site = await new_site(api)
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
    task_id = opened.json()["task_id"]
    user_id = await new_user(api)
    allocated = await api.post(f"/api/tasks/{task_id}/allocate", {"user_id": user_id})
    assert allocated.status_code == 204, allocated.text

    answer = await data(
        api,
        "{ tasks { all { edges { node { id status user_id assigned_at start_at last_accessed_at } } } } }",
    )

    (task,) = nodes(answer, "tasks")
    assert task["status"] == "ALLOCATED"
    assert task["user_id"] == str(user_id)
    assert task["assigned_at"] is not None
    assert task["start_at"] is None and task["last_accessed_at"] is None
