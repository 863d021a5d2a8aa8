"""The Clarus filter operators, by input type, and the SQL conditions they become.

| input type | operators |
|---|---|
| StringInputType | eq, ilike (case-insensitive substring), like (case-sensitive substring), in, between |
| DecimalInputType | eq gt gteq lt lteq between |
| DatetimeInputType, DateInputType | eq, from (>=), to (<=), between |
| BooleanInputType | eq |
| IdInputType | eq gt gteq lt lteq in, filled (true: not null, false: null) |
| enum inputs | eq in |

`between` takes [low, high] and is inclusive at both ends. Several operators, like several filters, AND
together. Clarus also documents an IntegerInputType; no Tally column it could filter is a plain integer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, Protocol

import strawberry
from sqlalchemy import ColumnElement, func
from sqlalchemy.orm import InstrumentedAttribute

from tally.graphql.context import QueryError

Condition = ColumnElement[bool]
Column = InstrumentedAttribute[Any]

MAX_ID = 2**63 - 1


@strawberry.input(name="StringInputType")
class StringInput:
    eq: str | None = None
    ilike: str | None = strawberry.field(default=None, description="Case-insensitive substring.")
    like: str | None = strawberry.field(default=None, description="Case-sensitive substring.")
    in_: list[str] | None = strawberry.field(default=None, name="in")
    between: list[str] | None = strawberry.field(default=None, description="[low, high], inclusive.")


@strawberry.input(name="DecimalInputType")
class DecimalInput:
    eq: Decimal | None = None
    gt: Decimal | None = None
    gteq: Decimal | None = None
    lt: Decimal | None = None
    lteq: Decimal | None = None
    between: list[Decimal] | None = strawberry.field(default=None, description="[low, high], inclusive.")


@strawberry.input(name="DatetimeInputType")
class DatetimeInput:
    eq: datetime | None = None
    from_: datetime | None = strawberry.field(default=None, name="from", description="At or after.")
    to: datetime | None = strawberry.field(default=None, description="At or before.")
    between: list[datetime] | None = strawberry.field(default=None, description="[low, high], inclusive.")


@strawberry.input(name="DateInputType")
class DateInput:
    eq: date | None = None
    from_: date | None = strawberry.field(default=None, name="from", description="On or after.")
    to: date | None = strawberry.field(default=None, description="On or before.")
    between: list[date] | None = strawberry.field(default=None, description="[low, high], inclusive.")


@strawberry.input(name="BooleanInputType")
class BooleanInput:
    eq: bool


@strawberry.input(name="IdInputType")
class IdInput:
    eq: strawberry.ID | None = None
    gt: strawberry.ID | None = None
    gteq: strawberry.ID | None = None
    lt: strawberry.ID | None = None
    lteq: strawberry.ID | None = None
    in_: list[strawberry.ID] | None = strawberry.field(default=None, name="in")
    filled: bool | None = strawberry.field(default=None, description="true: has a value; false: has none.")


class EnumInput(Protocol):
    """The shape of every enum input (StockStatusInputType, …): eq and in."""

    @property
    def eq(self) -> Enum | None: ...

    @property
    def in_(self) -> Sequence[Enum] | None: ...


class CodeInput(Protocol):
    """The shape of the eq/in inputs over open sets of codes (task types, ledger subtypes): strings, since
    new codes must not break old clients the way a new GraphQL enum value would."""

    @property
    def eq(self) -> str | None: ...

    @property
    def in_(self) -> Sequence[str] | None: ...


def _pair(values: list[Any], operator: str = "between") -> tuple[Any, Any]:
    if len(values) != 2:
        raise QueryError(f"{operator} takes exactly two values, [low, high]; got {len(values)}.")
    return values[0], values[1]


def _ordered(column: Any, op: Any) -> list[Condition]:
    conditions: list[Condition] = []
    for name, compare in (
        ("eq", column.__eq__),
        ("gt", column.__gt__),
        ("gteq", column.__ge__),
        ("lt", column.__lt__),
        ("lteq", column.__le__),
        ("from_", column.__ge__),
        ("to", column.__le__),
    ):
        value = getattr(op, name, None)
        if value is not None:
            conditions.append(compare(value))
    if op.between is not None:
        low, high = _pair(op.between)
        conditions.append(column.between(low, high))
    return conditions


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def string_conditions(column: Any, op: StringInput | None, dialect: str) -> list[Condition]:
    if op is None:
        return []
    # Byte-wise order for between on both engines, whatever collation PostgreSQL was initialised with.
    ordered = column.collate("C") if dialect == "postgresql" else column
    conditions: list[Condition] = []
    if op.eq is not None:
        conditions.append(column == op.eq)
    if op.in_ is not None:
        conditions.append(column.in_(op.in_))
    if op.between is not None:
        low, high = _pair(op.between)
        conditions.append(ordered.between(low, high))
    if op.ilike is not None:
        conditions.append(column.ilike(f"%{_escape_like(op.ilike)}%", escape="\\"))
    if op.like is not None:
        # A plain substring search: no wildcards to escape, and case-sensitive on SQLite too, where LIKE
        # ignores ASCII case.
        position = func.instr(column, op.like) if dialect == "sqlite" else func.strpos(column, op.like)
        conditions.append(position > 0)
    return conditions


def decimal_conditions(column: Any, op: DecimalInput | None) -> list[Condition]:
    return [] if op is None else _ordered(column, op)


def datetime_conditions(column: Any, op: DatetimeInput | DateInput | None) -> list[Condition]:
    return [] if op is None else _ordered(column, op)


def boolean_conditions(column: Any, op: BooleanInput | None) -> list[Condition]:
    return [] if op is None else [column.is_(op.eq)]


def parse_id(value: str) -> int:
    """A GraphQL ID as Tally's integer id; anything else is the caller's mistake."""
    text = str(value).strip()
    if not text.isdigit() or int(text) > MAX_ID:
        raise QueryError(f"{value!r} is not an id: ids are positive whole numbers.")
    return int(text)


def id_conditions(column: Any, op: IdInput | None) -> list[Condition]:
    if op is None:
        return []
    conditions: list[Condition] = []
    for name, compare in (
        ("eq", column.__eq__),
        ("gt", column.__gt__),
        ("gteq", column.__ge__),
        ("lt", column.__lt__),
        ("lteq", column.__le__),
    ):
        value = getattr(op, name)
        if value is not None:
            conditions.append(compare(parse_id(value)))
    if op.in_ is not None:
        conditions.append(column.in_([parse_id(v) for v in op.in_]))
    if op.filled is not None:
        conditions.append(column.is_not(None) if op.filled else column.is_(None))
    return conditions


def enum_conditions(column: Any, op: EnumInput | None) -> list[Condition]:
    if op is None:
        return []
    conditions: list[Condition] = []
    if op.eq is not None:
        conditions.append(column == op.eq.value)
    if op.in_ is not None:
        conditions.append(column.in_([member.value for member in op.in_]))
    return conditions


def code_conditions(column: Any, op: CodeInput | None) -> list[Condition]:
    if op is None:
        return []
    conditions: list[Condition] = []
    if op.eq is not None:
        conditions.append(column == op.eq)
    if op.in_ is not None:
        conditions.append(column.in_(op.in_))
    return conditions
