"""Every operator of every filter input type, and every filter field; table-driven as (filter, rows)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from tally.inventory.models import LedgerTransaction, Stock
from tally.stock_checks.models import StockCheck
from tally.tasks.models import Task
from tests.graphql.helpers import at, error_messages, insert, matching
from tests.support import Api, new_site

Cases = list[tuple[dict[str, Any], list[str]]]


async def check_cases(api: Api, root: str, cases: Cases, field: str, ids: dict[str, str]) -> None:
    """Each filter selects exactly the rows named, in id order; `ids` maps names to the field's value."""
    failures = []
    for filter, expected in cases:
        got = await matching(api, root, filter, field)
        want = [ids[name] for name in expected]
        if got != want:
            failures.append(f"{filter}: expected {want}, got {got}")
    assert not failures, "\n".join(failures)


async def test_string_operators(api: Api) -> None:
    account = await api.create("accounts", code="ACME", name="Acme")
    codes = ["WIDGET-RED", "widget-blue", "GADGET_1", "GADGETX1", "50%OFF", "A\\B"]
    for code in codes:
        await api.create("products", code=code, description=f"about {code}", account_id=account["id"])
    ids = {code: code for code in codes}
    cases: Cases = [
        ({"code": {"eq": "WIDGET-RED"}}, ["WIDGET-RED"]),
        ({"code": {"eq": "widget-red"}}, []),
        ({"code": {"ilike": "widget"}}, ["WIDGET-RED", "widget-blue"]),
        ({"code": {"ilike": "WIDGET-B"}}, ["widget-blue"]),
        # like is a case-sensitive substring match, on SQLite too.
        ({"code": {"like": "WIDGET"}}, ["WIDGET-RED"]),
        ({"code": {"like": "widget"}}, ["widget-blue"]),
        ({"code": {"like": "ADGET"}}, ["GADGET_1", "GADGETX1"]),
        # % and _ are literal characters, not wildcards.
        ({"code": {"like": "GADGET_"}}, ["GADGET_1"]),
        ({"code": {"ilike": "gadget_"}}, ["GADGET_1"]),
        ({"code": {"ilike": "%"}}, ["50%OFF"]),
        ({"code": {"like": "0%O"}}, ["50%OFF"]),
        ({"code": {"ilike": "A\\"}}, ["A\\B"]),
        ({"code": {"in": ["GADGET_1", "50%OFF", "nope"]}}, ["GADGET_1", "50%OFF"]),
        ({"code": {"in": []}}, []),
        # Byte order on both engines: uppercase before lowercase, digits before letters.
        ({"code": {"between": ["A", "Z"]}}, ["WIDGET-RED", "GADGET_1", "GADGETX1", "A\\B"]),
        ({"code": {"between": ["GADGET_1", "GADGET_1"]}}, ["GADGET_1"]),
        ({"code": {"ilike": "GADGET", "like": "X"}}, ["GADGETX1"]),
        ({"code": {"ilike": "gadget"}, "description": {"like": "_1"}}, ["GADGET_1"]),
    ]
    await check_cases(api, "products", cases, "code", ids)
    messages = await error_messages(
        api,
        '{ products { all(filter: {code: {between: ["A"]}}) { edges { node { id } } } } }',
    )
    assert "between takes exactly two values" in messages[0]


async def stocks_of(api: Api, **by_name: dict[str, Any]) -> dict[str, str]:
    site = await new_site(api)
    rows = await insert(
        api.db,
        *(
            Stock(
                tenant_id=api.tenant_id,
                product_id=site.product_id,
                location_id=site.location_id,
                account_id=site.account_id,
                **values,
            )
            for values in by_name.values()
        ),
    )
    return {name: str(row.id) for name, row in zip(by_name, rows, strict=True)}


async def test_decimal_operators(api: Api) -> None:
    q = {
        name: {"quantity": Decimal(v)}
        for name, v in [("0", "0"), ("2.5", "2.5"), ("10", "10"), ("10.0001", "10.0001"), ("240", "240")]
    }
    ids = await stocks_of(api, **q)
    cases: Cases = [
        ({"quantity": {"eq": 10}}, ["10"]),
        ({"quantity": {"eq": 2.5}}, ["2.5"]),
        ({"quantity": {"eq": "10.0001"}}, ["10.0001"]),
        ({"quantity": {"gt": 10}}, ["10.0001", "240"]),
        ({"quantity": {"gteq": 10}}, ["10", "10.0001", "240"]),
        ({"quantity": {"lt": 2.5}}, ["0"]),
        ({"quantity": {"lteq": 2.5}}, ["0", "2.5"]),
        ({"quantity": {"between": [2.5, 10]}}, ["2.5", "10"]),
        ({"quantity": {"gt": 0, "lt": 240}}, ["2.5", "10", "10.0001"]),
    ]
    await check_cases(api, "stocks", cases, "id", ids)
    literal = await matching(api, "stocks", {"quantity": {"gteq": 10.0001}})
    assert literal == [ids["10.0001"], ids["240"]]


async def test_datetime_and_date_operators(api: Api) -> None:
    ids = await stocks_of(
        api,
        d1={"quantity": 1, "fifo_date": at(1), "sell_by_date": date(2026, 5, 1)},
        d2={"quantity": 1, "fifo_date": at(2, 12), "sell_by_date": date(2026, 5, 2)},
        d3={"quantity": 1, "fifo_date": at(3), "best_before_date": date(2026, 6, 1)},
    )
    cases: Cases = [
        ({"fifo_date": {"eq": "2026-04-02T12:00:00Z"}}, ["d2"]),
        ({"fifo_date": {"eq": "2026-04-02T14:00:00+02:00"}}, ["d2"]),
        ({"fifo_date": {"eq": "2026-04-02T12:00:00"}}, ["d2"]),
        ({"fifo_date": {"from": "2026-04-02T12:00:00Z"}}, ["d2", "d3"]),
        ({"fifo_date": {"to": "2026-04-02T12:00:00Z"}}, ["d1", "d2"]),
        ({"fifo_date": {"between": ["2026-04-01T00:00:00Z", "2026-04-02T12:00:00Z"]}}, ["d1", "d2"]),
        ({"fifo_date": {"from": "2026-04-01T00:00:01Z", "to": "2026-04-02T23:00:00Z"}}, ["d2"]),
        ({"sell_by_date": {"eq": "2026-05-02"}}, ["d2"]),
        ({"sell_by_date": {"from": "2026-05-02"}}, ["d2"]),
        ({"sell_by_date": {"to": "2026-05-02"}}, ["d1", "d2"]),
        ({"sell_by_date": {"between": ["2026-05-01", "2026-05-01"]}}, ["d1"]),
        ({"best_before_date": {"from": "2026-01-01"}}, ["d3"]),
    ]
    await check_cases(api, "stocks", cases, "id", ids)


async def test_boolean_operator(api: Api) -> None:
    warehouse = await api.create("warehouses", code="W", name="W")
    for code, active in [("ON", True), ("OFF", False)]:
        await api.create("locations", code=code, warehouse_id=warehouse["id"], is_active=active)
        await api.create("accounts", code=code, name=code, is_active=active)
        await api.create(
            "reason_codes", code=code, name=code, description=code, reason_type="hold", active=active
        )
    ids = {"ON": "ON", "OFF": "OFF"}
    for root, field in (("locations", "is_active"), ("accounts", "is_active"), ("reason_codes", "active")):
        cases: Cases = [({field: {"eq": True}}, ["ON"]), ({field: {"eq": False}}, ["OFF"])]
        await check_cases(api, root, cases, "code", ids)


async def test_id_operators(api: Api) -> None:
    site = await new_site(api)
    stock_ids = [
        (await api.create("stocks", product_id=site.product_id, location_id=site.location_id, quantity=1))[
            "id"
        ]
        for _ in range(3)
    ]
    rows = await insert(
        api.db,
        *(
            LedgerTransaction(
                tenant_id=api.tenant_id,
                stock_id=stock_id,
                product_id=site.product_id,
                location_id=site.location_id,
                quantity_change=Decimal(0),
                resulting_quantity=Decimal(1),
                subtype="STOCK_CHECK",
                stock_check_id=check_id,
            )
            for stock_id, check_id in zip(stock_ids, (None, 7, None), strict=True)
        ),
    )
    a, b, c = (str(row.id) for row in rows)
    ids = {"a": a, "b": b, "c": c}
    creates = await matching(api, "transactions", {"subtype": {"eq": "CREATE"}})
    assert len(creates) == 3
    subtype = {"subtype": {"eq": "STOCK_CHECK"}}
    cases: Cases = [
        ({**subtype, "id": {"eq": b}}, ["b"]),
        ({**subtype, "id": {"gt": a}}, ["b", "c"]),
        ({**subtype, "id": {"gteq": b}}, ["b", "c"]),
        ({**subtype, "id": {"lt": b}}, ["a"]),
        ({**subtype, "id": {"lteq": b}}, ["a", "b"]),
        ({**subtype, "id": {"in": [a, c, "999999999"]}}, ["a", "c"]),
        ({**subtype, "stock_check_id": {"filled": True}}, ["b"]),
        ({**subtype, "stock_check_id": {"filled": False}}, ["a", "c"]),
        ({**subtype, "stock_check_id": {"eq": "7"}}, ["b"]),
        ({**subtype, "id": {"gt": a, "lt": c}}, ["b"]),
    ]
    await check_cases(api, "transactions", cases, "id", ids)
    messages = await error_messages(
        api, '{ stocks { all(filter: {product_id: {eq: "abc"}}) { edges { node { id } } } } }'
    )
    assert "'abc' is not an id" in messages[0]


async def test_enum_operators(api: Api) -> None:
    ids = await stocks_of(
        api, free={"quantity": 1, "status": "available"}, held={"quantity": 1, "status": "held"}
    )
    cases: Cases = [
        ({"status": {"eq": "held"}}, ["held"]),
        ({"status": {"eq": "available"}}, ["free"]),
        ({"status": {"in": ["available", "held"]}}, ["free", "held"]),
        ({"status": {"in": []}}, []),
    ]
    await check_cases(api, "stocks", cases, "id", ids)
    messages = await error_messages(
        api, '{ stocks { all(filter: {status: {eq: "HELD"}}) { edges { node { id } } } } }'
    )
    assert "HELD" in messages[0]

    for code, reason_type in [("N", "negative_adjustment"), ("S", "stock_check"), ("H", "hold")]:
        await api.create("reason_codes", code=code, name=code, description=code, reason_type=reason_type)
    reasons: Cases = [
        ({"reason_type": {"eq": "stock_check"}}, ["S"]),
        ({"reason_type": {"in": ["hold", "negative_adjustment"]}}, ["N", "H"]),
    ]
    await check_cases(api, "reason_codes", reasons, "code", {"N": "N", "S": "S", "H": "H"})


async def test_stock_filter_fields(api: Api) -> None:
    """Each StockFilterType field, including those that reach through the product and the location."""
    one = await new_site(api)
    two = await new_site(api)
    rows = await insert(
        api.db,
        Stock(
            tenant_id=api.tenant_id,
            product_id=one.product_id,
            location_id=one.location_id,
            account_id=one.account_id,
            quantity=Decimal(1),
            batch="LOT-A",
        ),
        Stock(
            tenant_id=api.tenant_id,
            product_id=two.product_id,
            location_id=two.location_id,
            account_id=two.account_id,
            quantity=Decimal(2),
        ),
    )
    ids = {"one": str(rows[0].id), "two": str(rows[1].id)}
    products = await matching(api, "products", {"id": {"eq": str(two.product_id)}}, "code")
    locations = await matching(api, "locations", {"id": {"eq": str(two.location_id)}}, "code")
    cases: Cases = [
        ({"id": {"eq": ids["two"]}}, ["two"]),
        ({"product_id": {"eq": str(two.product_id)}}, ["two"]),
        ({"product_code": {"eq": products[0]}}, ["two"]),
        ({"account_id": {"eq": str(one.account_id)}}, ["one"]),
        ({"warehouse_id": {"eq": str(two.warehouse_id)}}, ["two"]),
        ({"location_id": {"in": [str(one.location_id)]}}, ["one"]),
        ({"location_code": {"eq": locations[0]}}, ["two"]),
        ({"batch": {"eq": "LOT-A"}}, ["one"]),
        ({"product_id": {"eq": str(two.product_id)}, "account_id": {"eq": str(one.account_id)}}, []),
    ]
    await check_cases(api, "stocks", cases, "id", ids)


async def test_master_data_filter_fields(api: Api) -> None:
    one = await new_site(api)
    two = await new_site(api)
    renamed = await api.patch(
        f"/api/accounts/{two.account_id}", {"data": {"type": "accounts", "attributes": {"name": "Zeta"}}}
    )
    assert renamed.status_code == 200, renamed.text
    account_ids = {"one": str(one.account_id), "two": str(two.account_id)}
    await check_cases(
        api,
        "accounts",
        [({"name": {"eq": "Zeta"}}, ["two"]), ({"id": {"lt": account_ids["two"]}}, ["one"])],
        "id",
        account_ids,
    )
    warehouse_ids = {"one": str(one.warehouse_id), "two": str(two.warehouse_id)}
    await check_cases(
        api,
        "warehouses",
        [({"id": {"eq": warehouse_ids["one"]}}, ["one"]), ({"name": {"eq": "Main"}}, ["one", "two"])],
        "id",
        warehouse_ids,
    )
    location_ids = {"one": str(one.location_id), "two": str(two.location_id)}
    await check_cases(
        api,
        "locations",
        [
            ({"warehouse_id": {"eq": warehouse_ids["two"]}}, ["two"]),
            ({"last_counted_at": {"from": "2000-01-01T00:00:00Z"}}, []),
        ],
        "id",
        location_ids,
    )
    product_ids = {"one": str(one.product_id), "two": str(two.product_id)}
    await check_cases(
        api,
        "products",
        [
            ({"account_id": {"eq": account_ids["one"]}}, ["one"]),
            ({"description": {"eq": "Beans"}}, ["one", "two"]),
        ],
        "id",
        product_ids,
    )


async def test_stock_check_task_and_transaction_filter_fields(api: Api) -> None:
    one = await new_site(api)
    two = await new_site(api)
    tasks = await insert(
        api.db,
        Task(tenant_id=api.tenant_id, location_from_id=one.location_id, status="COMPLETED", created_at=at(1)),
        Task(tenant_id=api.tenant_id, location_from_id=two.location_id, status="AVAILABLE", created_at=at(3)),
        Task(
            tenant_id=api.tenant_id,
            location_from_id=two.location_id,
            status="CANCELLED",
            task_type="PICK",
            created_at=at(5),
        ),
    )
    checks = await insert(
        api.db,
        StockCheck(
            tenant_id=api.tenant_id,
            location_id=one.location_id,
            task_id=tasks[0].id,
            status="passed",
            expected_completion_date=at(9),
            created_at=at(1),
            completed_at=at(2),
        ),
        StockCheck(
            tenant_id=api.tenant_id,
            location_id=two.location_id,
            task_id=tasks[1].id,
            status="pending",
            expected_completion_date=at(9),
            created_at=at(3),
        ),
    )
    check_ids = {"one": str(checks[0].id), "two": str(checks[1].id)}
    check_cases_: Cases = [
        ({"status": {"eq": "pending"}}, ["two"]),
        ({"status": {"in": ["passed", "failed", "resolved", "cancelled"]}}, ["one"]),
        ({"location_id": {"eq": str(one.location_id)}}, ["one"]),
        ({"created_at": {"from": "2026-04-02T00:00:00Z"}}, ["two"]),
        ({"completed_at": {"between": ["2026-04-02T00:00:00Z", "2026-04-02T00:00:00Z"]}}, ["one"]),
        ({"id": {"eq": check_ids["one"]}}, ["one"]),
    ]
    await check_cases(api, "stock_checks", check_cases_, "id", check_ids)

    task_ids = {name: str(t.id) for name, t in zip(["t1", "t2", "t3"], tasks, strict=True)}
    task_cases: Cases = [
        ({"status": {"eq": "AVAILABLE"}}, ["t2"]),
        ({"status": {"in": ["COMPLETED", "CANCELLED", "ALLOCATED"]}}, ["t1", "t3"]),
        ({"task_type": {"eq": "PICK"}}, ["t3"]),
        ({"task_type": {"in": ["CHECK"]}}, ["t1", "t2"]),
        ({"location_from_id": {"eq": str(two.location_id)}}, ["t2", "t3"]),
        ({"created_at": {"to": "2026-04-03T00:00:00Z"}}, ["t1", "t2"]),
    ]
    await check_cases(api, "tasks", task_cases, "id", task_ids)

    stock = await api.create("stocks", product_id=two.product_id, location_id=two.location_id, quantity=3)
    (txn,) = await matching(api, "transactions", {"stock_id": {"eq": str(stock["id"])}})
    txn_cases: Cases = [
        ({"product_id": {"eq": str(two.product_id)}}, ["t"]),
        ({"location_id": {"eq": str(one.location_id)}}, []),
        ({"subtype": {"in": ["CREATE", "ADJUST"]}}, ["t"]),
        ({"subtype": {"eq": "ADJUST"}}, []),
        ({"reason_code_id": {"filled": False}}, ["t"]),
        ({"created_at": {"from": "2000-01-01T00:00:00Z"}}, ["t"]),
        ({"created_at": {"to": "2000-01-01T00:00:00Z"}}, []),
    ]
    await check_cases(api, "transactions", txn_cases, "id", {"t": txn})
