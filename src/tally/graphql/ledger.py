"""The ledger: one immutable transaction per change of a stock quantity; read-only here as everywhere."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry
from sqlalchemy import select

from tally.graphql.context import Context, Info, resolver
from tally.graphql.filters import (
    Condition,
    DatetimeInput,
    IdInput,
    code_conditions,
    datetime_conditions,
    id_conditions,
)
from tally.graphql.inventory import (
    LocationNode,
    ProductNode,
    ReasonCodeNode,
    StockNode,
    load_one,
    own_account,
)
from tally.graphql.pagination import Connection, paginate
from tally.inventory.models import LedgerTransaction, Product


def _id(value: int | None) -> strawberry.ID | None:
    return strawberry.ID(str(value)) if value is not None else None


@strawberry.input(name="SubtypeInputType", description="eq/in over subtypes, e.g. CREATE, ADJUST.")
class SubtypeInput:
    eq: str | None = None
    in_: list[str] | None = strawberry.field(default=None, name="in")


@strawberry.type(name="Transaction", description="One change of one stock's quantity.")
class TransactionNode:
    id: strawberry.ID
    subtype: str = strawberry.field(description="CREATE, ADJUST, STOCK_CHECK, …")
    quantity_change: Decimal
    resulting_quantity: Decimal
    created_at: datetime
    stock_check_id: strawberry.ID | None
    stock_check_record_id: strawberry.ID | None
    product_id: strawberry.Private[int]
    location_id: strawberry.Private[int]
    stock_id: strawberry.Private[int]
    reason_code_id: strawberry.Private[int | None]

    @classmethod
    def of(cls, row: LedgerTransaction) -> TransactionNode:
        return cls(
            id=strawberry.ID(str(row.id)),
            subtype=row.subtype,
            quantity_change=row.quantity_change,
            resulting_quantity=row.resulting_quantity,
            created_at=row.created_at,
            stock_check_id=_id(row.stock_check_id),
            stock_check_record_id=_id(row.stock_check_record_id),
            product_id=row.product_id,
            location_id=row.location_id,
            stock_id=row.stock_id,
            reason_code_id=row.reason_code_id,
        )

    @strawberry.field
    async def product(self, info: Info) -> ProductNode:
        return ProductNode.of(await load_one(info.context.loaders.product, self.product_id, "product"))

    @strawberry.field
    async def location(self, info: Info) -> LocationNode:
        return LocationNode.of(await load_one(info.context.loaders.location, self.location_id, "location"))

    @strawberry.field
    async def stock(self, info: Info) -> StockNode:
        return StockNode.of(await load_one(info.context.loaders.stock, self.stock_id, "stock"))

    @strawberry.field
    async def reason_code(self, info: Info) -> ReasonCodeNode | None:
        if self.reason_code_id is None:
            return None
        loader = info.context.loaders.reason_code
        return ReasonCodeNode.of(await load_one(loader, self.reason_code_id, "reason code"))


@strawberry.input(name="TransactionFilterType")
class TransactionFilter:
    id: IdInput | None = None
    subtype: SubtypeInput | None = None
    product_id: IdInput | None = None
    location_id: IdInput | None = None
    stock_id: IdInput | None = None
    reason_code_id: IdInput | None = None
    stock_check_id: IdInput | None = strawberry.field(
        default=None, description="filled: true gives the adjustments posted by stock checks."
    )
    created_at: DatetimeInput | None = None

    def conditions(self, _context: Context) -> list[Condition]:
        return [
            *id_conditions(LedgerTransaction.id, self.id),
            *code_conditions(LedgerTransaction.subtype, self.subtype),
            *id_conditions(LedgerTransaction.product_id, self.product_id),
            *id_conditions(LedgerTransaction.location_id, self.location_id),
            *id_conditions(LedgerTransaction.stock_id, self.stock_id),
            *id_conditions(LedgerTransaction.reason_code_id, self.reason_code_id),
            *id_conditions(LedgerTransaction.stock_check_id, self.stock_check_id),
            *datetime_conditions(LedgerTransaction.created_at, self.created_at),
        ]


@strawberry.type(name="TransactionsQuery")
class TransactionsQuery:
    @resolver(description="first: at most 500, 100 when left out; after: an endCursor.")
    async def all(
        self,
        info: Info,
        filter: TransactionFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[TransactionNode]:
        context = info.context
        conditions = filter.conditions(context) if filter else []
        if context.visible_account is not None:
            # A client-role caller sees the ledger of its own account's products only.
            owned = select(Product.id).where(Product.tenant_id == context.tenant_id)
            conditions.append(
                LedgerTransaction.product_id.in_(owned.where(*own_account(context, Product.account_id)))
            )
        return await paginate(info, LedgerTransaction, conditions, first, after, TransactionNode.of)
