"""Wire types shared by request schemas: exact JSON-number quantities, ISO dates, strict ids and flags."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
)

from tally.db.types import MAX_QUANTITY, QUANTITY_PLACES


class Schema(BaseModel):
    """A request body: unknown attributes are refused, not ignored."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)


def _json_number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise ValueError("must be a JSON number")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError("must be a JSON number") from None
    if not number.is_finite():
        raise ValueError("must be a finite number")
    return number


def _places(value: Decimal) -> Decimal:
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -QUANTITY_PLACES:
        raise ValueError(f"must have at most {QUANTITY_PLACES} decimal places")
    if abs(value) > MAX_QUANTITY:
        raise ValueError(f"must be at most {MAX_QUANTITY.normalize():f} in size")
    return value


# Any exact JSON number (may be negative), at most four decimal places.
Number = Annotated[Decimal, BeforeValidator(_json_number), AfterValidator(_places)]


def _non_negative(value: Decimal) -> Decimal:
    if value < 0:
        raise ValueError("must be zero or more")
    return value


Quantity = Annotated[Number, AfterValidator(_non_negative)]


_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _iso_date(value: Any) -> Any:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("must be a date string YYYY-MM-DD")
    try:
        # fromisoformat alone also takes other ISO 8601 forms of the same length, such as 2027-W01-1.
        if not _DATE.fullmatch(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a valid date YYYY-MM-DD") from None


IsoDate = Annotated[date, BeforeValidator(_iso_date)]


def _iso_datetime(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date-time string, e.g. 2026-05-25T17:00:00Z")
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise ValueError("must be an ISO 8601 date-time, e.g. 2026-05-25T17:00:00Z") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # a date-time without an offset is read as UTC
    return parsed.astimezone(UTC)


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_datetime)]

Id = Annotated[StrictInt, Field(gt=0, le=2**63 - 1)]
Flag = StrictBool


def _storable(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refusing it here keeps both engines alike and the answer a 422.
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    return value


def _batch(value: Any) -> Any:
    # Clarus: absent, null and "" all mean "no batch".
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError("must be a string")
    return value.strip()


Batch = Annotated[str, BeforeValidator(_batch), Field(max_length=100), AfterValidator(_storable)]


def _text(max_length: int) -> Any:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length, strict=True)


# Required strings: never blank, at most N characters.
Text30 = Annotated[str, _text(30), AfterValidator(_storable)]
Text50 = Annotated[str, _text(50), AfterValidator(_storable)]
Text60 = Annotated[str, _text(60), AfterValidator(_storable)]
Text100 = Annotated[str, _text(100), AfterValidator(_storable)]
Text150 = Annotated[str, _text(150), AfterValidator(_storable)]
