"""Keyset paging: ordered by id, default 100, at most 500, stable while rows come and go between pages."""

from __future__ import annotations

import base64
from decimal import Decimal

from sqlalchemy import delete

from tally.inventory.models import Stock
from tests.graphql.helpers import data, error_messages, insert
from tests.support import Api, Site, new_site

PAGE = """query($first: Int, $after: String, $f: StockFilterType) {
  stocks { all(filter: $f, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id } } } } }"""


async def add_stocks(api: Api, site: Site, count: int) -> list[int]:
    rows = await insert(
        api.db,
        *(
            Stock(
                tenant_id=api.tenant_id,
                product_id=site.product_id,
                location_id=site.location_id,
                account_id=site.account_id,
                quantity=Decimal(n),
            )
            for n in range(count)
        ),
    )
    return [row.id for row in rows]


async def test_paging_over_1200_rows_while_rows_come_and_go(api: Api) -> None:
    site = await new_site(api)
    original = await add_stocks(api, site, 1200)
    seen: list[int] = []
    added: list[int] = []
    deleted: set[int] = set()
    after = None
    pages = 0
    while True:
        answer = await data(api, PAGE, {"first": 250, "after": after})
        connection = answer["stocks"]["all"]
        seen += [int(edge["node"]["id"]) for edge in connection["edges"]]
        pages += 1
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
        assert after == connection["edges"][-1]["cursor"]
        # Between pages: new rows arrive, and rows already read go away. Under OFFSET paging the deletions
        # would shift the window and skip unread rows.
        added += await add_stocks(api, site, 30)
        gone = seen[-40:]
        async with api.db.write() as session:
            await session.execute(delete(Stock).where(Stock.tenant_id == api.tenant_id, Stock.id.in_(gone)))
        deleted.update(gone)
    assert len(seen) == len(set(seen)), "a row was returned twice"
    assert seen == sorted(seen)
    missing = set(original) - set(seen)
    assert not missing, f"{len(missing)} rows that existed throughout were skipped"
    # Rows inserted meanwhile have higher ids, so they are still ahead of the cursor and are read too.
    assert set(added) <= set(seen)
    assert pages >= 6
    assert deleted


async def test_page_sizes(api: Api) -> None:
    site = await new_site(api)
    ids = await add_stocks(api, site, 520)
    default = (await data(api, PAGE))["stocks"]["all"]
    assert [int(e["node"]["id"]) for e in default["edges"]] == ids[:100]
    assert default["pageInfo"]["hasNextPage"] is True
    assert default["totalCount"] == 520
    biggest = (await data(api, PAGE, {"first": 500}))["stocks"]["all"]
    assert len(biggest["edges"]) == 500
    rest = (await data(api, PAGE, {"first": 500, "after": biggest["pageInfo"]["endCursor"]}))["stocks"]["all"]
    assert [int(e["node"]["id"]) for e in rest["edges"]] == ids[500:]
    assert rest["pageInfo"]["hasNextPage"] is False
    # totalCount counts the filter's rows, not the page's.
    assert rest["totalCount"] == 520
    empty = (await data(api, PAGE, {"first": 0}))["stocks"]["all"]
    assert empty["edges"] == [] and empty["pageInfo"] == {"hasNextPage": True, "endCursor": None}


async def test_first_above_500_is_an_error(api: Api) -> None:
    messages = await error_messages(api, PAGE, {"first": 501})
    assert messages == ["first must be between 0 and 500; got 501."]
    assert await error_messages(api, PAGE, {"first": -1})


async def test_cursor_is_opaque_and_checked(api: Api) -> None:
    site = await new_site(api)
    ids = await add_stocks(api, site, 3)
    first = (await data(api, PAGE, {"first": 1}))["stocks"]["all"]
    cursor = first["edges"][0]["cursor"]
    assert cursor != str(ids[0])
    assert str(ids[0]) in base64.urlsafe_b64decode(cursor).decode()
    after = (await data(api, PAGE, {"after": cursor}))["stocks"]["all"]
    assert [int(e["node"]["id"]) for e in after["edges"]] == ids[1:]
    for bad in ("nonsense", base64.b64encode(b"id:x").decode(), str(ids[0])):
        messages = await error_messages(api, PAGE, {"after": bad})
        assert "is not a cursor from this API" in messages[0]


async def test_filter_and_cursor_combine(api: Api) -> None:
    site = await new_site(api)
    ids = await add_stocks(api, site, 10)  # quantities 0..9
    f = {"quantity": {"gteq": 5}}
    page = (await data(api, PAGE, {"first": 2, "f": f}))["stocks"]["all"]
    assert [int(e["node"]["id"]) for e in page["edges"]] == ids[5:7]
    assert page["totalCount"] == 5
    after = page["pageInfo"]["endCursor"]
    rest = (await data(api, PAGE, {"first": 10, "after": after, "f": f}))["stocks"]["all"]
    assert [int(e["node"]["id"]) for e in rest["edges"]] == ids[7:]
