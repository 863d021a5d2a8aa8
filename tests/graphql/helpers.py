"""Shared helpers for the GraphQL tests: queries that must succeed, and rows inserted straight through the ORM
(far faster than REST for bulk data, and the stock-check tables need no endpoint)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import event

from tally.db import Database
from tally.db.base import TenantOwned
from tests.support import Api, unique

R = TypeVar("R", bound=TenantOwned)

FILTER_TYPES = {
    "stocks": "StockFilterType",
    "locations": "LocationFilterType",
    "products": "ProductFilterType",
    "accounts": "AccountFilterType",
    "warehouses": "WarehouseFilterType",
    "reason_codes": "ReasonCodeFilterType",
    "stock_checks": "StockCheckFilterType",
    "tasks": "TaskFilterType",
    "transactions": "TransactionFilterType",
}


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 4, day, hour, tzinfo=UTC)


async def body(api: Api, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON body of a 200 answer, decimals parsed exactly."""
    response = await api.graphql(query, variables)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json(parse_float=Decimal)
    return result


async def data(api: Api, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """The `data` of a query that must answer without errors."""
    result = await body(api, query, variables)
    assert "errors" not in result, result["errors"]
    answer: dict[str, Any] = result["data"]
    return answer


async def error_messages(api: Api, query: str, variables: dict[str, Any] | None = None) -> list[str]:
    result = await body(api, query, variables)
    assert result.get("errors"), result
    return [error["message"] for error in result["errors"]]


def nodes(answer: dict[str, Any], root: str) -> list[dict[str, Any]]:
    return [edge["node"] for edge in answer[root]["all"]["edges"]]


async def matching(api: Api, root: str, filter: dict[str, Any], field: str = "id") -> list[Any]:
    """`field` of every row of `root` that `filter` selects, in id order."""
    query = (
        f"query($f: {FILTER_TYPES[root]}) {{ {root} {{ all(filter: $f, first: 500) "
        f"{{ edges {{ node {{ {field} }} }} }} }} }}"
    )
    return [node[field] for node in nodes(await data(api, query, {"f": filter}), root)]


async def insert(db: Database, *rows: R) -> list[R]:
    """Rows added in one transaction; their ids are set on return."""
    async with db.write() as session:
        session.add_all(rows)
        await session.flush()
    return list(rows)


@contextmanager
def counting_statements(db: Database) -> Iterator[list[str]]:
    """Every SQL statement sent on either engine of `db` inside the block."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    # An engine made by execution_options() shares its parent's listeners: listen on the parent only, or
    # every statement on it would be counted twice.
    bases = (getattr(e, "_proxied", e) for e in (db.engine.sync_engine, db.read_engine.sync_engine))
    engines = {id(e): e for e in bases}.values()
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


__all__ = ["unique"]
