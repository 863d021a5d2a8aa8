"""Tenancy, tokens and scopes as in REST; limits on query shape; introspection."""

from __future__ import annotations

import httpx
import pytest

from graphql import get_introspection_query
from tally.graphql import inventory
from tests.graphql.helpers import body, data, error_messages, nodes
from tests.graphql.test_roots import seed_check
from tests.support import Api, new_site

EVERY_ROOT = """{
  stocks { all { edges { node { id } } } }
  locations { all { edges { node { id } } } }
  products { all { edges { node { id } } } }
  accounts { all { edges { node { id } } } }
  warehouses { all { edges { node { id } } } }
  reason_codes { all { edges { node { id } } } }
  transactions { all { edges { node { id } } } }
  stock_checks { all { edges { node { id records { id } } } } }
  tasks { all { edges { node { id } } } }
}"""
INVENTORY_ROOTS = [
    "stocks",
    "locations",
    "products",
    "accounts",
    "warehouses",
    "reason_codes",
    "transactions",
]
COUNTING_ROOTS = ["stock_checks", "tasks"]


async def test_other_tenants_rows_never_appear(api: Api, other_api: Api) -> None:
    await seed_check(other_api)
    site = await new_site(other_api)
    await other_api.create("stocks", product_id=site.product_id, location_id=site.location_id, quantity=5)
    theirs = await data(other_api, EVERY_ROOT)
    assert all(nodes(theirs, root) for root in INVENTORY_ROOTS + COUNTING_ROOTS)

    mine = await data(api, EVERY_ROOT)
    assert all(nodes(mine, root) == [] for root in INVENTORY_ROOTS + COUNTING_ROOTS)
    # Not through filters naming their ids either, nor through totalCount.
    their_stock = nodes(theirs, "stocks")[0]["id"]
    answer = await data(
        api,
        "query($f: StockFilterType) { stocks { all(filter: $f) { totalCount edges { node { id } } } } }",
        {"f": {"id": {"eq": their_stock}, "product_id": {"filled": True}}},
    )
    assert answer["stocks"]["all"] == {"totalCount": 0, "edges": []}


async def test_inventory_roots_need_inventory_read(api: Api) -> None:
    counter = await api.with_scopes("stock_checks:count")
    result = await body(counter, EVERY_ROOT)
    for root in INVENTORY_ROOTS:
        assert result["data"][root] is None
    for root in COUNTING_ROOTS:
        assert result["data"][root] == {"all": {"edges": []}}
    errors = {error["path"][0]: error["message"] for error in result["errors"]}
    assert sorted(errors) == sorted(INVENTORY_ROOTS)
    assert "inventory:read" in errors["stocks"]


async def test_stock_check_roots_need_a_counting_scope(api: Api) -> None:
    reader = await api.with_scopes("inventory:read")
    result = await body(reader, EVERY_ROOT)
    for root in COUNTING_ROOTS:
        assert result["data"][root] is None
    for root in INVENTORY_ROOTS:
        assert result["data"][root] == {"all": {"edges": []}}
    errors = {error["path"][0]: error["message"] for error in result["errors"]}
    assert sorted(errors) == sorted(COUNTING_ROOTS)
    assert "stock_checks:count or stock_checks:manage" in errors["stock_checks"]
    manager = await api.with_scopes("stock_checks:manage")
    assert (await data(manager, "{ tasks { all { edges { node { id } } } } }"))["tasks"] == {
        "all": {"edges": []}
    }


async def test_missing_subdomain_is_400(api: Api) -> None:
    response = await api.http.post(
        "/graphql",
        json={"query": "{ stocks { all { edges { node { id } } } } }"},
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 400
    assert "X-Clarus-Subdomain" in response.json()["error"]


async def test_bad_or_foreign_token_is_401(api: Api, other_api: Api) -> None:
    query = {"query": "{ stocks { all { edges { node { id } } } } }"}
    attempts: list[dict[str, str]] = [
        {"X-Clarus-Subdomain": api.subdomain},
        {"X-Clarus-Subdomain": api.subdomain, "Authorization": "Bearer not-a-token"},
        {"X-Clarus-Subdomain": api.subdomain, "Authorization": f"Bearer {other_api.token}"},
        {"X-Clarus-Subdomain": "no-such-tenant", "Authorization": f"Bearer {api.token}"},
    ]
    for headers in attempts:
        response = await api.http.post("/graphql", json=query, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_malformed_requests(api: Api) -> None:
    assert (await api.post("/graphql", {"variables": {}})).status_code == 400
    assert (await api.post("/graphql", ["not", "an", "object"])).status_code == 400
    raw = await api.http.post(
        "/graphql", content=b"{", headers=api.headers(**{"Content-Type": "application/json"})
    )
    assert raw.status_code == 400
    text = await api.http.post(
        "/graphql", content=b"query", headers=api.headers(**{"Content-Type": "text/plain"})
    )
    assert text.status_code == 415
    syntax = await error_messages(api, "{ stocks { all { edges ")
    assert "Syntax Error" in syntax[0]
    unknown = await error_messages(api, "{ stocks { all { edges { node { nope } } } } }")
    assert "nope" in unknown[0]


async def test_depth_is_limited(api: Api) -> None:
    deep = """{ stock_checks { all { edges { node {
        task { stock_check { task { stock_check { task { stock_check { task { id } } } } } } } } } } } }"""
    messages = await error_messages(api, deep)
    assert "exceeds maximum operation depth" in messages[0]
    shallow = "{ stock_checks { all { edges { node { task { stock_check { id } } } } } } }"
    assert (await data(api, shallow))["stock_checks"] == {"all": {"edges": []}}


async def test_aliases_and_tokens_are_limited(api: Api) -> None:
    many = "{ " + " ".join(f"a{n}: stocks {{ all {{ totalCount }} }}" for n in range(40)) + " }"
    messages = await error_messages(api, many)
    assert "aliases" in messages[0]
    huge = "{ stocks { all { edges { node { " + "id " * 6000 + "} } } } }"
    messages = await error_messages(api, huge)
    assert "token" in messages[0].lower()


async def test_introspection_works_and_names_the_filter_types(api: Api) -> None:
    result = await data(api, get_introspection_query())
    types = {t["name"]: t for t in result["__schema"]["types"]}
    for name in (
        "StockFilterType",
        "LocationFilterType",
        "ProductFilterType",
        "AccountFilterType",
        "WarehouseFilterType",
        "ReasonCodeFilterType",
        "StockCheckFilterType",
        "TaskFilterType",
        "TransactionFilterType",
    ):
        assert types[name]["kind"] == "INPUT_OBJECT", name
    assert [f["name"] for f in types["StringInputType"]["inputFields"]] == [
        "eq",
        "ilike",
        "like",
        "in",
        "between",
    ]
    assert [f["name"] for f in types["PageInfo"]["fields"]] == ["hasNextPage", "endCursor"]
    stock_fields = {f["name"] for f in types["Stock"]["fields"]}
    assert {"fifo_date", "sell_by_date", "best_before_date", "last_counted_at"} <= stock_fields
    assert {v["name"] for v in types["StockCheckStatus"]["enumValues"]} == {
        "pending",
        "passed",
        "failed",
        "resolved",
        "cancelled",
    }


async def test_only_queries_are_allowed(api: Api) -> None:
    messages = await error_messages(api, "mutation { stocks }")
    assert "mutation operation is not supported" in messages[0]


async def test_unexpected_errors_are_masked(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_cls: object, _row: object) -> object:
        raise RuntimeError("secret detail")

    monkeypatch.setattr(inventory.WarehouseNode, "of", classmethod(broken))
    await api.create("warehouses", code="W", name="W")
    messages = await error_messages(api, "{ warehouses { all { edges { node { id } } } } }")
    assert messages == ["Unexpected error."]


async def test_plain_http_client_works(api: Api) -> None:
    response = await api.http.post(
        "/graphql",
        content=b'{"query": "{ accounts { all { totalCount } } }"}',
        headers=api.headers(**{"Content-Type": "application/json"}),
    )
    assert isinstance(response, httpx.Response)
    assert response.json() == {"data": {"accounts": {"all": {"totalCount": 0}}}}
