"""Master data and stock: accounts, warehouses, locations, products, reason codes, stocks."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

import strawberry
from sqlalchemy import select
from strawberry.dataloader import DataLoader

from tally.graphql.context import Context, Info, resolver
from tally.graphql.filters import (
    BooleanInput,
    Condition,
    DateInput,
    DatetimeInput,
    DecimalInput,
    IdInput,
    StringInput,
    boolean_conditions,
    datetime_conditions,
    decimal_conditions,
    enum_conditions,
    id_conditions,
    string_conditions,
)
from tally.graphql.pagination import Connection, paginate
from tally.inventory.models import Account, Location, Product, ReasonCode, Stock, Warehouse

T = TypeVar("T")


async def load_one(loader: DataLoader[int, T | None], key: int, what: str) -> T:
    """A row a foreign key guarantees; its absence would be a broken database, not a user mistake."""
    row = await loader.load(key)
    if row is None:
        raise LookupError(f"{what} {key} is missing")
    return row


@strawberry.enum(name="StockStatus")
class StockStatus(Enum):
    available = "available"
    held = "held"


@strawberry.enum(name="ReasonType")
class ReasonType(Enum):
    negative_adjustment = "negative_adjustment"
    positive_adjustment = "positive_adjustment"
    hold = "hold"
    release = "release"
    short_order_lines = "short_order_lines"
    transfer = "transfer"
    stock_check = "stock_check"


@strawberry.input(name="StockStatusInputType")
class StockStatusInput:
    eq: StockStatus | None = None
    in_: list[StockStatus] | None = strawberry.field(default=None, name="in")


@strawberry.input(name="ReasonTypeInputType")
class ReasonTypeInput:
    eq: ReasonType | None = None
    in_: list[ReasonType] | None = strawberry.field(default=None, name="in")


# Nodes ------------------------------------------------------------------------------------------------


@strawberry.type(name="Account", description="A stock owner (a 3PL client).")
class AccountNode:
    id: strawberry.ID
    code: str
    name: str
    is_active: bool
    batch_tracking: bool
    sell_by_tracking: bool
    best_before_tracking: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Account) -> AccountNode:
        return cls(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            name=row.name,
            is_active=row.is_active,
            batch_tracking=row.batch_tracking,
            sell_by_tracking=row.sell_by_tracking,
            best_before_tracking=row.best_before_tracking,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.type(name="Warehouse")
class WarehouseNode:
    id: strawberry.ID
    code: str
    name: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: Warehouse) -> WarehouseNode:
        return cls(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            name=row.name,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.type(name="Location")
class LocationNode:
    id: strawberry.ID
    code: str
    description: str | None
    is_active: bool
    last_counted_at: datetime | None
    created_at: datetime
    updated_at: datetime
    warehouse_id: strawberry.Private[int]

    @classmethod
    def of(cls, row: Location) -> LocationNode:
        return cls(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            description=row.description,
            is_active=row.is_active,
            last_counted_at=row.last_counted_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            warehouse_id=row.warehouse_id,
        )

    @strawberry.field
    async def warehouse(self, info: Info) -> WarehouseNode:
        return WarehouseNode.of(
            await load_one(info.context.loaders.warehouse, self.warehouse_id, "warehouse")
        )


@strawberry.type(name="Product")
class ProductNode:
    id: strawberry.ID
    code: str
    description: str
    created_at: datetime
    updated_at: datetime
    account_id: strawberry.Private[int]

    @classmethod
    def of(cls, row: Product) -> ProductNode:
        return cls(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            description=row.description,
            created_at=row.created_at,
            updated_at=row.updated_at,
            account_id=row.account_id,
        )

    @resolver(description="The account that owns the product.")
    async def account(self, info: Info) -> AccountNode:
        return AccountNode.of(await load_one(info.context.loaders.account, self.account_id, "account"))


@strawberry.type(name="ReasonCode")
class ReasonCodeNode:
    id: strawberry.ID
    code: str
    name: str
    description: str
    reason_type: str = strawberry.field(description="One of the ReasonType values.")
    active: bool
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: ReasonCode) -> ReasonCodeNode:
        return cls(
            id=strawberry.ID(str(row.id)),
            code=row.code,
            name=row.name,
            description=row.description,
            reason_type=row.reason_type,
            active=row.active,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@strawberry.type(name="Stock", description="A quantity of one stock group at one location.")
class StockNode:
    id: strawberry.ID
    quantity: Decimal
    status: str = strawberry.field(description="available or held.")
    fifo_date: datetime
    batch: str | None
    sell_by_date: date | None
    best_before_date: date | None
    storage_unit_reference: str | None
    last_counted_at: datetime | None
    created_at: datetime
    updated_at: datetime
    product_id: strawberry.Private[int]
    location_id: strawberry.Private[int]
    account_id: strawberry.Private[int]

    @classmethod
    def of(cls, row: Stock) -> StockNode:
        return cls(
            id=strawberry.ID(str(row.id)),
            quantity=row.quantity,
            status=row.status,
            fifo_date=row.fifo_date,
            batch=row.batch or None,
            sell_by_date=row.sell_by_date,
            best_before_date=row.best_before_date,
            storage_unit_reference=row.storage_unit_reference,
            last_counted_at=row.last_counted_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            product_id=row.product_id,
            location_id=row.location_id,
            account_id=row.account_id,
        )

    @strawberry.field
    async def product(self, info: Info) -> ProductNode:
        return ProductNode.of(await load_one(info.context.loaders.product, self.product_id, "product"))

    @strawberry.field
    async def location(self, info: Info) -> LocationNode:
        return LocationNode.of(await load_one(info.context.loaders.location, self.location_id, "location"))

    @resolver(description="The stock owner.")
    async def account(self, info: Info) -> AccountNode:
        return AccountNode.of(await load_one(info.context.loaders.account, self.account_id, "account"))


# Filters ----------------------------------------------------------------------------------------------


def _within(context: Context, column: Any, model: Any, conditions: list[Condition]) -> list[Condition]:
    """`column` names a row of `model` (of the caller's tenant) that meets `conditions`."""
    if not conditions:
        return []
    return [column.in_(select(model.id).where(model.tenant_id == context.tenant_id, *conditions))]


@strawberry.input(name="AccountFilterType")
class AccountFilter:
    id: IdInput | None = None
    code: StringInput | None = None
    name: StringInput | None = None
    is_active: BooleanInput | None = None

    def conditions(self, context: Context) -> list[Condition]:
        return [
            *id_conditions(Account.id, self.id),
            *string_conditions(Account.code, self.code, context.dialect),
            *string_conditions(Account.name, self.name, context.dialect),
            *boolean_conditions(Account.is_active, self.is_active),
        ]


@strawberry.input(name="WarehouseFilterType")
class WarehouseFilter:
    id: IdInput | None = None
    code: StringInput | None = None
    name: StringInput | None = None

    def conditions(self, context: Context) -> list[Condition]:
        return [
            *id_conditions(Warehouse.id, self.id),
            *string_conditions(Warehouse.code, self.code, context.dialect),
            *string_conditions(Warehouse.name, self.name, context.dialect),
        ]


@strawberry.input(name="LocationFilterType")
class LocationFilter:
    id: IdInput | None = None
    code: StringInput | None = None
    description: StringInput | None = None
    warehouse_id: IdInput | None = None
    is_active: BooleanInput | None = None
    last_counted_at: DatetimeInput | None = None

    def conditions(self, context: Context) -> list[Condition]:
        return [
            *id_conditions(Location.id, self.id),
            *string_conditions(Location.code, self.code, context.dialect),
            *string_conditions(Location.description, self.description, context.dialect),
            *id_conditions(Location.warehouse_id, self.warehouse_id),
            *boolean_conditions(Location.is_active, self.is_active),
            *datetime_conditions(Location.last_counted_at, self.last_counted_at),
        ]


@strawberry.input(name="ProductFilterType")
class ProductFilter:
    id: IdInput | None = None
    code: StringInput | None = None
    description: StringInput | None = None
    account_id: IdInput | None = None

    def conditions(self, context: Context) -> list[Condition]:
        return [
            *id_conditions(Product.id, self.id),
            *string_conditions(Product.code, self.code, context.dialect),
            *string_conditions(Product.description, self.description, context.dialect),
            *id_conditions(Product.account_id, self.account_id),
        ]


@strawberry.input(name="ReasonCodeFilterType")
class ReasonCodeFilter:
    id: IdInput | None = None
    code: StringInput | None = None
    name: StringInput | None = None
    reason_type: ReasonTypeInput | None = None
    active: BooleanInput | None = None

    def conditions(self, context: Context) -> list[Condition]:
        return [
            *id_conditions(ReasonCode.id, self.id),
            *string_conditions(ReasonCode.code, self.code, context.dialect),
            *string_conditions(ReasonCode.name, self.name, context.dialect),
            *enum_conditions(ReasonCode.reason_type, self.reason_type),
            *boolean_conditions(ReasonCode.active, self.active),
        ]


@strawberry.input(name="StockFilterType")
class StockFilter:
    id: IdInput | None = None
    product_id: IdInput | None = None
    product_code: StringInput | None = None
    account_id: IdInput | None = strawberry.field(default=None, description="The stock owner.")
    warehouse_id: IdInput | None = None
    location_id: IdInput | None = None
    location_code: StringInput | None = None
    status: StockStatusInput | None = None
    quantity: DecimalInput | None = None
    fifo_date: DatetimeInput | None = None
    batch: StringInput | None = None
    sell_by_date: DateInput | None = None
    best_before_date: DateInput | None = None

    def conditions(self, context: Context) -> list[Condition]:
        return [
            *id_conditions(Stock.id, self.id),
            *id_conditions(Stock.product_id, self.product_id),
            *_within(
                context,
                Stock.product_id,
                Product,
                string_conditions(Product.code, self.product_code, context.dialect),
            ),
            *id_conditions(Stock.account_id, self.account_id),
            *_within(
                context, Stock.location_id, Location, id_conditions(Location.warehouse_id, self.warehouse_id)
            ),
            *id_conditions(Stock.location_id, self.location_id),
            *_within(
                context,
                Stock.location_id,
                Location,
                string_conditions(Location.code, self.location_code, context.dialect),
            ),
            *enum_conditions(Stock.status, self.status),
            *decimal_conditions(Stock.quantity, self.quantity),
            *datetime_conditions(Stock.fifo_date, self.fifo_date),
            *string_conditions(Stock.batch, self.batch, context.dialect),
            *datetime_conditions(Stock.sell_by_date, self.sell_by_date),
            *datetime_conditions(Stock.best_before_date, self.best_before_date),
        ]


# Root fields ------------------------------------------------------------------------------------------

PAGE_ARGS = "first: at most 500, 100 when left out; after: an endCursor from the previous page."


def own_account(context: Context, account_column: Any) -> list[Condition]:
    """For a client-role caller, only rows whose account is its own; nothing for anyone else."""
    account = context.visible_account
    return [] if account is None else [account_column == account]


@strawberry.type(name="AccountsQuery")
class AccountsQuery:
    @resolver(description=PAGE_ARGS)
    async def all(
        self,
        info: Info,
        filter: AccountFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AccountNode]:
        conditions = filter.conditions(info.context) if filter else []
        conditions += own_account(info.context, Account.id)
        return await paginate(info, Account, conditions, first, after, AccountNode.of)


@strawberry.type(name="WarehousesQuery")
class WarehousesQuery:
    @resolver(description=PAGE_ARGS)
    async def all(
        self,
        info: Info,
        filter: WarehouseFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[WarehouseNode]:
        conditions = filter.conditions(info.context) if filter else []
        return await paginate(info, Warehouse, conditions, first, after, WarehouseNode.of)


@strawberry.type(name="LocationsQuery")
class LocationsQuery:
    @resolver(description=PAGE_ARGS)
    async def all(
        self,
        info: Info,
        filter: LocationFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[LocationNode]:
        conditions = filter.conditions(info.context) if filter else []
        return await paginate(info, Location, conditions, first, after, LocationNode.of)


@strawberry.type(name="ProductsQuery")
class ProductsQuery:
    @resolver(description=PAGE_ARGS)
    async def all(
        self,
        info: Info,
        filter: ProductFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ProductNode]:
        conditions = filter.conditions(info.context) if filter else []
        conditions += own_account(info.context, Product.account_id)
        return await paginate(info, Product, conditions, first, after, ProductNode.of)


@strawberry.type(name="ReasonCodesQuery")
class ReasonCodesQuery:
    @resolver(description=PAGE_ARGS)
    async def all(
        self,
        info: Info,
        filter: ReasonCodeFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ReasonCodeNode]:
        conditions = filter.conditions(info.context) if filter else []
        return await paginate(info, ReasonCode, conditions, first, after, ReasonCodeNode.of)


@strawberry.type(name="StocksQuery")
class StocksQuery:
    @resolver(description=PAGE_ARGS)
    async def all(
        self,
        info: Info,
        filter: StockFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[StockNode]:
        conditions = filter.conditions(info.context) if filter else []
        conditions += own_account(info.context, Stock.account_id)
        return await paginate(info, Stock, conditions, first, after, StockNode.of)
