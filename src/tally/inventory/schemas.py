"""The wire shape of master data and stock: request bodies and response attributes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import field_validator

from tally.http.fields import (
    Batch,
    Flag,
    Id,
    IsoDate,
    Number,
    Quantity,
    Schema,
    Text30,
    Text50,
    Text60,
    Text100,
    Text150,
)
from tally.inventory.models import Stock

ReasonType = Literal[
    "negative_adjustment",
    "positive_adjustment",
    "hold",
    "release",
    "short_order_lines",
    "transfer",
    "stock_check",
]
StockStatus = Literal["available", "held"]


class AccountCreate(Schema):
    code: Text50
    name: Text150
    is_active: Flag = True
    batch_tracking: Flag = False
    sell_by_tracking: Flag = False
    best_before_tracking: Flag = False


class AccountUpdate(Schema):
    code: Text50 | None = None
    name: Text150 | None = None
    is_active: Flag | None = None
    batch_tracking: Flag | None = None
    sell_by_tracking: Flag | None = None
    best_before_tracking: Flag | None = None


class WarehouseCreate(Schema):
    code: Text50
    name: Text150


class WarehouseUpdate(Schema):
    code: Text50 | None = None
    name: Text150 | None = None


class LocationCreate(Schema):
    code: Text60
    warehouse_id: Id
    description: Text150 | None = None
    is_active: Flag = True


class LocationUpdate(Schema):
    code: Text60 | None = None
    warehouse_id: Id | None = None
    description: Text150 | None = None
    is_active: Flag | None = None


class ProductCreate(Schema):
    code: Text50
    description: Text150
    account_id: Id


class ProductUpdate(Schema):
    code: Text50 | None = None
    description: Text150 | None = None
    account_id: Id | None = None


class ReasonCodeCreate(Schema):
    code: Text30
    name: Text50
    description: Text150
    reason_type: ReasonType
    active: Flag = True


class ReasonCodeUpdate(Schema):
    code: Text30 | None = None
    name: Text50 | None = None
    description: Text150 | None = None
    reason_type: ReasonType | None = None
    active: Flag | None = None


class StockCreate(Schema):
    product_id: Id
    location_id: Id
    quantity: Quantity
    batch: Batch = ""
    sell_by_date: IsoDate | None = None
    best_before_date: IsoDate | None = None
    status: StockStatus = "available"
    storage_unit_reference: Text100 | None = None


class StockUpdate(Schema):
    batch: Batch | None = None
    sell_by_date: IsoDate | None = None
    best_before_date: IsoDate | None = None
    status: StockStatus | None = None
    storage_unit_reference: Text100 | None = None
    quantity: Any = None

    @field_validator("quantity")
    @classmethod
    def _quantity_is_not_patched(cls, value: Any) -> Any:
        raise ValueError("a stock quantity never changes by PATCH: use POST /api/stocks/{id}/adjust")


class StockAdjust(Schema):
    quantity_change: Number
    reason_code_id: Id

    @field_validator("quantity_change")
    @classmethod
    def _not_zero(cls, value: Any) -> Any:
        if value == 0:
            raise ValueError("must not be zero")
        return value


def _attributes(*names: str) -> Callable[[Any], dict[str, Any]]:
    """The response attributes of a row: the named columns, plus when it was created and last changed."""
    fields = (*names, "created_at", "updated_at")

    def attributes(row: Any) -> dict[str, Any]:
        return {name: getattr(row, name) for name in fields}

    return attributes


account_attributes = _attributes(
    "code", "name", "is_active", "batch_tracking", "sell_by_tracking", "best_before_tracking"
)
warehouse_attributes = _attributes("code", "name")
location_attributes = _attributes("code", "warehouse_id", "description", "is_active", "last_counted_at")
product_attributes = _attributes("code", "description", "account_id")
reason_code_attributes = _attributes("code", "name", "description", "reason_type", "active")
_stock_columns = _attributes(
    "product_id",
    "location_id",
    "account_id",
    "quantity",
    "batch",
    "sell_by_date",
    "best_before_date",
    "status",
    "storage_unit_reference",
    "fifo_date",
    "last_counted_at",
)


def stock_attributes(stock: Stock) -> dict[str, Any]:
    attributes = _stock_columns(stock)
    attributes["batch"] = stock.batch or None  # stored as '' when there is none; shown as null
    return attributes
