"""Scalars: exact decimals written as JSON numbers, UTC timestamps written with a Z, as REST writes them."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import strawberry
from strawberry.types.scalar import ScalarDefinition

from graphql import FloatValueNode, IntValueNode, StringValueNode, ValueNode
from tally.http.json import plain_decimal


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError("A Decimal must be a number, not a boolean.")
    if isinstance(value, float):
        value = repr(value)
    try:
        result = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValueError(f"{value!r} is not a decimal number.") from None
    if not result.is_finite():
        raise ValueError(f"{value!r} is not a finite decimal number.")
    return result


def _decimal_literal(node: ValueNode, _variables: dict[str, Any] | None = None) -> Decimal:
    if isinstance(node, IntValueNode | FloatValueNode | StringValueNode):
        return _decimal(node.value)
    raise ValueError("A Decimal must be a number.")


# Serialised as the Decimal itself: the /graphql route writes responses with tally.http.json, which puts
# it out as an exact JSON number (240, 2.5), never a float approximation and never a string. Variables are
# parsed the same way, so 0.1 in a request stays exactly 0.1.
DecimalScalar = strawberry.scalar(
    name="Decimal",
    description="An exact decimal number (quantities have up to four places), written as a JSON number.",
    serialize=plain_decimal,
    parse_value=_decimal,
    parse_literal=_decimal_literal,
)


def _datetime_out(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _datetime_in(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("A DateTime must be an ISO 8601 string.")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 date-time.") from None
    # A time without an offset is taken as UTC, the only zone Tally stores.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _datetime_literal(node: ValueNode, _variables: dict[str, Any] | None = None) -> datetime:
    if isinstance(node, StringValueNode):
        return _datetime_in(node.value)
    raise ValueError("A DateTime must be an ISO 8601 string.")


DateTimeScalar = strawberry.scalar(
    name="DateTime",
    description="A UTC timestamp in ISO 8601, e.g. 2026-04-02T00:00:00Z; input without an offset is UTC.",
    serialize=_datetime_out,
    parse_value=_datetime_in,
    parse_literal=_datetime_literal,
)

SCALARS: dict[object, ScalarDefinition] = {Decimal: DecimalScalar, datetime: DateTimeScalar}
