"""Each master-data resource declared once — a valid create body, an update, what defaults, what is read-only,
what must be unique, and bodies that must be refused — so one parametrised test set covers them all (the
netbox idea in STYLE.md). A new resource is tested by adding a `ResourceSpec` here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from tally.db.base import Base
from tally.inventory.models import Account, Location, Product, ReasonCode, Stock, Warehouse
from tests.support import Api, new_site, unique

MISSING = object()  # an override that removes the attribute from the body

Body = dict[str, Any]


@dataclass(frozen=True)
class Invalid:
    """A body change that must be refused with 422 and an error pointing at `attribute`."""

    name: str
    changes: Body
    attribute: str

    def apply(self, body: Body) -> Body:
        changed = {**body, **self.changes}
        return {k: v for k, v in changed.items() if v is not MISSING}


@dataclass(frozen=True)
class ResourceSpec:
    plural: str
    model: type[Base]
    # A valid create body, creating whatever it refers to in the tenant first.
    body: Callable[[Api], Awaitable[Body]]
    update: Body
    defaults: Body = field(default_factory=dict)
    read_only: Body = field(default_factory=dict)
    # Attributes that together must be unique within the tenant (empty: nothing is unique).
    unique: tuple[str, ...] = ()
    # Attributes naming another resource of the tenant.
    references: tuple[str, ...] = ()
    invalid_create: tuple[Invalid, ...] = ()
    invalid_update: tuple[Invalid, ...] = ()

    def __str__(self) -> str:
        return self.plural


async def _account(api: Api) -> Body:
    return {"code": unique("A"), "name": "Acme Foods", "batch_tracking": True}


async def _warehouse(api: Api) -> Body:
    return {"code": unique("W"), "name": "Main DC"}


async def _location(api: Api) -> Body:
    warehouse = await api.create("warehouses", code=unique("W"), name="Main DC")
    return {"code": unique("L"), "warehouse_id": warehouse["id"], "description": "Aisle A bay 1"}


async def _product(api: Api) -> Body:
    account = await api.create("accounts", code=unique("A"), name="Acme")
    return {"code": unique("P"), "description": "Baked beans 400g", "account_id": account["id"]}


async def _reason_code(api: Api) -> Body:
    return {
        "code": unique("RC"),
        "name": "Found stock",
        "description": "Stock found during a count",
        "reason_type": "positive_adjustment",
    }


async def _stock(api: Api) -> Body:
    site = await new_site(api)
    return {
        "product_id": site.product_id,
        "location_id": site.location_id,
        "quantity": 12.5,
        "batch": "B-1",
        "best_before_date": "2027-06-01",
    }


NO_SUCH_ID = 2**62

ACCOUNTS = ResourceSpec(
    "accounts",
    Account,
    _account,
    update={"name": "Acme Frozen", "is_active": False, "sell_by_tracking": True},
    defaults={"is_active": True, "sell_by_tracking": False, "best_before_tracking": False},
    unique=("code",),
    invalid_create=(
        Invalid("code missing", {"code": MISSING}, "code"),
        Invalid("code blank", {"code": "   "}, "code"),
        Invalid("code too long", {"code": "C" * 51}, "code"),
        Invalid("code not a string", {"code": 123}, "code"),
        Invalid("name missing", {"name": MISSING}, "name"),
        Invalid("name with NUL", {"name": "Acme\u0000Foods"}, "name"),
        Invalid("is_active not boolean", {"is_active": "yes"}, "is_active"),
        Invalid("batch_tracking is a number", {"batch_tracking": 1}, "batch_tracking"),
    ),
    invalid_update=(
        Invalid("code null", {"code": None}, "code"),
        Invalid("name too long", {"name": "n" * 151}, "name"),
        Invalid(
            "best_before_tracking not boolean", {"best_before_tracking": "false"}, "best_before_tracking"
        ),
    ),
)

WAREHOUSES = ResourceSpec(
    "warehouses",
    Warehouse,
    _warehouse,
    update={"name": "Overflow DC"},
    unique=("code",),
    invalid_create=(
        Invalid("code missing", {"code": MISSING}, "code"),
        Invalid("name null", {"name": None}, "name"),
        Invalid("name too long", {"name": "n" * 151}, "name"),
        Invalid("code with NUL", {"code": "W\u00001"}, "code"),
    ),
    invalid_update=(
        Invalid("name null", {"name": None}, "name"),
        Invalid("code blank", {"code": ""}, "code"),
    ),
)

LOCATIONS = ResourceSpec(
    "locations",
    Location,
    _location,
    update={"description": "Aisle B bay 2", "is_active": False},
    defaults={"is_active": True},
    read_only={"last_counted_at": None},
    unique=("warehouse_id", "code"),
    references=("warehouse_id",),
    invalid_create=(
        Invalid("warehouse_id missing", {"warehouse_id": MISSING}, "warehouse_id"),
        Invalid("warehouse_id unknown", {"warehouse_id": NO_SUCH_ID}, "warehouse_id"),
        Invalid("warehouse_id a string", {"warehouse_id": "1"}, "warehouse_id"),
        Invalid("warehouse_id zero", {"warehouse_id": 0}, "warehouse_id"),
        Invalid("code too long", {"code": "L" * 61}, "code"),
        Invalid("description too long", {"description": "d" * 151}, "description"),
        Invalid("is_active null", {"is_active": None}, "is_active"),
    ),
    invalid_update=(
        Invalid("warehouse_id unknown", {"warehouse_id": NO_SUCH_ID}, "warehouse_id"),
        Invalid("warehouse_id null", {"warehouse_id": None}, "warehouse_id"),
        Invalid("is_active null", {"is_active": None}, "is_active"),
    ),
)

PRODUCTS = ResourceSpec(
    "products",
    Product,
    _product,
    update={"description": "Baked beans 415g"},
    unique=("code",),
    references=("account_id",),
    invalid_create=(
        Invalid("account_id missing", {"account_id": MISSING}, "account_id"),
        Invalid("account_id unknown", {"account_id": NO_SUCH_ID}, "account_id"),
        Invalid("account_id negative", {"account_id": -1}, "account_id"),
        Invalid("description missing", {"description": MISSING}, "description"),
        Invalid("code blank", {"code": ""}, "code"),
    ),
    invalid_update=(
        Invalid("account_id unknown", {"account_id": NO_SUCH_ID}, "account_id"),
        Invalid("description null", {"description": None}, "description"),
    ),
)

REASON_CODES = ResourceSpec(
    "reason_codes",
    ReasonCode,
    _reason_code,
    update={"name": "Found in count", "active": False, "reason_type": "negative_adjustment"},
    defaults={"active": True},
    unique=("code",),
    invalid_create=(
        Invalid("code longer than 30", {"code": "R" * 31}, "code"),
        Invalid("name longer than 50", {"name": "n" * 51}, "name"),
        Invalid("description longer than 150", {"description": "d" * 151}, "description"),
        Invalid("description missing", {"description": MISSING}, "description"),
        Invalid("reason_type unknown", {"reason_type": "sideways"}, "reason_type"),
        Invalid("reason_type missing", {"reason_type": MISSING}, "reason_type"),
        Invalid("active a string", {"active": "true"}, "active"),
    ),
    invalid_update=(
        Invalid("reason_type unknown", {"reason_type": "stocktake"}, "reason_type"),
        Invalid("reason_type null", {"reason_type": None}, "reason_type"),
        Invalid("name longer than 50", {"name": "n" * 51}, "name"),
    ),
)

STOCKS = ResourceSpec(
    "stocks",
    Stock,
    _stock,
    update={"status": "held", "storage_unit_reference": "SU-0001", "batch": "B-2"},
    defaults={"status": "available", "sell_by_date": None, "storage_unit_reference": None},
    read_only={"account_id": 1, "last_counted_at": None},
    references=("product_id", "location_id"),
    invalid_create=(
        Invalid("product_id missing", {"product_id": MISSING}, "product_id"),
        Invalid("product_id unknown", {"product_id": NO_SUCH_ID}, "product_id"),
        Invalid("location_id unknown", {"location_id": NO_SUCH_ID}, "location_id"),
        Invalid("quantity missing", {"quantity": MISSING}, "quantity"),
        Invalid("quantity negative", {"quantity": -1}, "quantity"),
        Invalid("quantity a string", {"quantity": "5"}, "quantity"),
        Invalid("quantity a boolean", {"quantity": True}, "quantity"),
        Invalid("quantity with five places", {"quantity": 1.00001}, "quantity"),
        Invalid("quantity too large", {"quantity": 10**14}, "quantity"),
        Invalid("status unknown", {"status": "lost"}, "status"),
        Invalid("best_before_date impossible", {"best_before_date": "2027-02-30"}, "best_before_date"),
        Invalid("best_before_date not ISO", {"best_before_date": "01/06/2027"}, "best_before_date"),
        Invalid("best_before_date ISO week", {"best_before_date": "2027-W01-1"}, "best_before_date"),
        Invalid("best_before_date a number", {"best_before_date": 20270601}, "best_before_date"),
        Invalid("batch not a string", {"batch": 5}, "batch"),
        Invalid("batch too long", {"batch": "b" * 101}, "batch"),
        Invalid(
            "storage_unit_reference too long", {"storage_unit_reference": "s" * 101}, "storage_unit_reference"
        ),
    ),
    invalid_update=(
        Invalid("quantity by PATCH", {"quantity": 99}, "quantity"),
        Invalid("status null", {"status": None}, "status"),
        Invalid("status unknown", {"status": "quarantined"}, "status"),
        Invalid("best_before_date impossible", {"best_before_date": "2027-13-01"}, "best_before_date"),
    ),
)

ALL: tuple[ResourceSpec, ...] = (ACCOUNTS, WAREHOUSES, LOCATIONS, PRODUCTS, REASON_CODES, STOCKS)
