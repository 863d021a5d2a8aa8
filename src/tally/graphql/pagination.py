"""Relay connections paged by keyset on id.

A cursor is the URL-safe base64 of "id:<n>": opaque to callers, and it names a row by its sort key, so a
page starts strictly after that id whatever was inserted or deleted meanwhile (ids only grow). Pages are
`WHERE tenant_id = :t AND id > :after … ORDER BY id LIMIT first + 1` on the (tenant_id, id) primary key:
no OFFSET, and the extra row tells whether there is a next page.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from sqlalchemy import func, select

from tally.db.base import TenantOwned
from tally.graphql.context import Info, QueryError, resolver
from tally.graphql.filters import MAX_ID, Condition

DEFAULT_PAGE = 100
MAX_PAGE = 500

NodeT = TypeVar("NodeT")
RowT = TypeVar("RowT", bound=TenantOwned)

_PREFIX = "id:"


def encode_cursor(row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{row_id}".encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        text = ""
    number = text.removeprefix(_PREFIX)
    if not text.startswith(_PREFIX) or not number.isdigit() or int(number) > MAX_ID:
        raise QueryError(f"{cursor!r} is not a cursor from this API: pass an endCursor or an edge's cursor.")
    return int(number)


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if first < 0 or first > MAX_PAGE:
        raise QueryError(f"first must be between 0 and {MAX_PAGE}; got {first}.")
    return first


@strawberry.type
class PageInfo:
    has_next_page: bool = strawberry.field(name="hasNextPage")
    end_cursor: str | None = strawberry.field(name="endCursor")


@strawberry.type
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo = strawberry.field(name="pageInfo")
    counter: strawberry.Private[Callable[[], Awaitable[int]]]

    @resolver(name="totalCount", description="How many rows match the filter, on every page.")
    async def total_count(self) -> int:
        # Only run when the field is asked for.
        return await self.counter()


async def paginate(
    info: Info,
    model: type[RowT],
    conditions: Sequence[Condition],
    first: int | None,
    after: str | None,
    to_node: Callable[[RowT], NodeT],
) -> Connection[NodeT]:
    """One page of the tenant's `model` rows matching `conditions`, in id order."""
    context = info.context
    limit = page_size(first)
    scoped = [model.tenant_id == context.tenant_id, *conditions]
    statement = select(model).where(*scoped)
    if after is not None:
        statement = statement.where(model.id > decode_cursor(after))
    rows: list[RowT] = await context.reader.scalars(statement.order_by(model.id).limit(limit + 1))
    page = rows[:limit]
    edges = [Edge(cursor=encode_cursor(row.id), node=to_node(row)) for row in page]

    async def count() -> int:
        total: Any = await context.reader.scalar(select(func.count()).select_from(model).where(*scoped))
        return int(total)

    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(rows) > limit, end_cursor=edges[-1].cursor if edges else None),
        counter=count,
    )
