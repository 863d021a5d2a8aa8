"""JSON in and out with exact decimals: quantities are parsed as Decimal and written as JSON numbers."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import simplejson
from starlette.responses import Response

from tally.errors import MalformedRequest


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a valid JSON number")


def loads(raw: bytes) -> Any:
    """Parse a request body; non-integers become Decimal so 0.1 stays 0.1, NaN and Infinity are refused."""
    try:
        return json.loads(raw, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise MalformedRequest(f"The request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise MalformedRequest("The request body nests JSON arrays or objects too deeply.") from None


def plain_decimal(value: Decimal) -> Decimal:
    """5.0000 -> 5, 2.5000 -> 2.5, never scientific notation (100 stays 100)."""
    normal = value.normalize()
    if normal == normal.to_integral_value():
        return Decimal(int(normal))
    return Decimal(format(normal, "f"))


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _prepare(value: Any) -> Any:
    if isinstance(value, Decimal):
        return plain_decimal(value)
    if isinstance(value, Mapping):
        return {k: _prepare(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_prepare(v) for v in value]
    return value


def dumps(content: Any) -> bytes:
    text: str = simplejson.dumps(
        _prepare(content), use_decimal=True, default=_default, separators=(",", ":"), ensure_ascii=False
    )
    return text.encode("utf-8")


def json_response(content: Any, status_code: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(dumps(content), status_code=status_code, headers=headers, media_type="application/json")
