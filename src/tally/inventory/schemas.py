"""The wire shape of master data and stock: request bodies and response attributes."""

from __future__ import annotations

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
from tally.inventory.models import Account, Location, Product, ReasonCode, Stock, Warehouse

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


def account_attributes(a: Account) -> dict[str, Any]:
    return {
        "code": a.code,
        "name": a.name,
        "is_active": a.is_active,
        "batch_tracking": a.batch_tracking,
        "sell_by_tracking": a.sell_by_tracking,
        "best_before_tracking": a.best_before_tracking,
        "created_at": a.created_at,
        "updated_at": a.updated_at,
    }


def warehouse_attributes(w: Warehouse) -> dict[str, Any]:
    return {"code": w.code, "name": w.name, "created_at": w.created_at, "updated_at": w.updated_at}


def location_attributes(loc: Location) -> dict[str, Any]:
    return {
        "code": loc.code,
        "warehouse_id": loc.warehouse_id,
        "description": loc.description,
        "is_active": loc.is_active,
        "last_counted_at": loc.last_counted_at,
        "created_at": loc.created_at,
        "updated_at": loc.updated_at,
    }


def product_attributes(p: Product) -> dict[str, Any]:
    return {
        "code": p.code,
        "description": p.description,
        "account_id": p.account_id,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
    }


def reason_code_attributes(r: ReasonCode) -> dict[str, Any]:
    return {
        "code": r.code,
        "name": r.name,
        "description": r.description,
        "reason_type": r.reason_type,
        "active": r.active,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
    }


def stock_attributes(s: Stock) -> dict[str, Any]:
    return {
        "product_id": s.product_id,
        "location_id": s.location_id,
        "account_id": s.account_id,
        "quantity": s.quantity,
        "batch": s.batch or None,
        "sell_by_date": s.sell_by_date,
        "best_before_date": s.best_before_date,
        "status": s.status,
        "storage_unit_reference": s.storage_unit_reference,
        "fifo_date": s.fifo_date,
        "last_counted_at": s.last_counted_at,
        "created_at": s.created_at,
        "updated_at": s.updated_at,
    }
