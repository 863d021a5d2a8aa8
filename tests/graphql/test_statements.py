"""Nested objects load in batches: a page's statement count does not grow with the page."""

from __future__ import annotations

from decimal import Decimal

from tally.inventory.models import Account, Location, Product, Stock, Warehouse
from tests.graphql.helpers import counting_statements, data, insert, nodes
from tests.support import Api

QUERY = """query($first: Int) { stocks { all(first: $first) { edges { node {
  id quantity product { id code } location { id code } account { id code } } } } } }"""


async def seed(api: Api) -> None:
    """500 stocks over 100 products, 50 locations and 10 accounts, so nothing is shared by accident."""
    tenant = api.tenant_id
    (warehouse,) = await insert(api.db, Warehouse(tenant_id=tenant, code="W", name="W"))
    accounts = await insert(api.db, *(Account(tenant_id=tenant, code=f"A{n}", name="A") for n in range(10)))
    locations = await insert(
        api.db, *(Location(tenant_id=tenant, warehouse_id=warehouse.id, code=f"L{n}") for n in range(50))
    )
    products = await insert(
        api.db,
        *(
            Product(tenant_id=tenant, code=f"P{n}", description="P", account_id=accounts[n % 10].id)
            for n in range(100)
        ),
    )
    await insert(
        api.db,
        *(
            Stock(
                tenant_id=tenant,
                product_id=products[n % 100].id,
                location_id=locations[n % 50].id,
                account_id=products[n % 100].account_id,
                quantity=Decimal(n),
            )
            for n in range(500)
        ),
    )


async def statements_for(api: Api, first: int) -> list[str]:
    with counting_statements(api.db) as statements:
        answer = await data(api, QUERY, {"first": first})
    page = nodes(answer, "stocks")
    assert len(page) == first
    assert len({node["product"]["code"] for node in page}) == min(first, 100)
    return statements


async def test_page_of_500_costs_as_few_statements_as_a_page_of_50(api: Api) -> None:
    await seed(api)
    small = await statements_for(api, 50)
    large = await statements_for(api, 500)
    assert len(large) == len(small), large
    selects = [s for s in large if s.lstrip().upper().startswith("SELECT")]
    # The token lookup, the page, and one batch each for products, locations and accounts.
    assert len(selects) == 5, selects


async def test_stock_check_pages_are_batched_too(api: Api) -> None:
    from tests.graphql.test_roots import CHECKS, seed_check

    for _ in range(3):
        await seed_check(api)
    with counting_statements(api.db) as statements:
        answer = await data(api, CHECKS)
    assert len(nodes(answer, "stock_checks")) == 3
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    # token, page, totalCount, location, task, records, product, expected quantities, attempts.
    assert len(selects) == 9, "\n".join(s[:150] for s in selects)
