"""Master data and stock use cases. Every function takes the tenant explicitly; every stock change writes
its ledger row in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import and_, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from tally.db import Database
from tally.db.base import Base
from tally.db.types import MAX_QUANTITY
from tally.errors import FieldError, InvalidInput, NotFound, RuleViolation
from tally.inventory import rules
from tally.inventory.models import (
    Account,
    LedgerTransaction,
    Location,
    Product,
    ReasonCode,
    Stock,
    Warehouse,
)

M = TypeVar("M", bound=Base)

SUBTYPE_CREATE = "CREATE"
SUBTYPE_ADJUST = "ADJUST"
SUBTYPE_STOCK_CHECK = "STOCK_CHECK"


@dataclass(frozen=True)
class Resource:
    """How one master-data resource is stored: its table, the attributes that must be unique within the
    tenant (with the attribute the error points at), and the attributes that name another resource."""

    plural: str
    label: str
    model: type[Base]
    unique: tuple[str, ...] = ("code",)
    references: dict[str, tuple[type[Base], str]] = field(default_factory=dict)
    # The attribute naming the account a row belongs to, for resources a client-role user sees only its
    # own account's rows of; None for shared ones (warehouses, locations, reason codes).
    owner: str | None = None


ACCOUNTS = Resource("accounts", "account", Account, owner="id")
WAREHOUSES = Resource("warehouses", "warehouse", Warehouse)
LOCATIONS = Resource(
    "locations", "location", Location, ("warehouse_id", "code"), {"warehouse_id": (Warehouse, "warehouse")}
)
PRODUCTS = Resource(
    "products", "product", Product, references={"account_id": (Account, "account")}, owner="account_id"
)
REASON_CODES = Resource("reason_codes", "reason code", ReasonCode)
STOCKS = Resource("stocks", "stock", Stock, unique=(), owner="account_id")


async def get_owned(session: AsyncSession, model: type[M], tenant_id: int, id_: int, label: str) -> M:
    """A tenant's row by id; another tenant's row is as absent as a missing one."""
    row = await session.get(model, (tenant_id, id_))
    if row is None:
        raise NotFound(f"No {label} with id {id_}.")
    return row


async def _lock_owned(session: AsyncSession, model: type[M], tenant_id: int, id_: int, label: str) -> M:
    table: Any = model
    row = await session.scalar(
        select(model).where(table.tenant_id == tenant_id, table.id == id_).with_for_update()
    )
    if row is None:
        raise NotFound(f"No {label} with id {id_}.")
    return row


def _pointer(name: str) -> str:
    return f"/data/attributes/{name}"


async def _check_references(
    session: AsyncSession, resource: Resource, tenant_id: int, values: dict[str, Any]
) -> None:
    for attribute, (model, label) in resource.references.items():
        if attribute in values and await session.get(model, (tenant_id, values[attribute])) is None:
            raise InvalidInput(
                f"{attribute} {values[attribute]} does not name a {label} of this tenant.",
                [FieldError(_pointer(attribute), f"No {label} with id {values[attribute]}.", "not_found")],
            )


async def _check_unique(
    session: AsyncSession, resource: Resource, tenant_id: int, row_values: dict[str, Any], own_id: int | None
) -> None:
    if not resource.unique:
        return
    table: Any = resource.model
    conditions = [table.tenant_id == tenant_id] + [
        getattr(table, c) == row_values[c] for c in resource.unique
    ]
    if own_id is not None:
        conditions.append(table.id != own_id)
    if await session.scalar(select(exists().where(and_(*conditions)))):
        raise _duplicate(resource, row_values)


def _duplicate(resource: Resource, row_values: dict[str, Any]) -> InvalidInput:
    last = resource.unique[-1]
    scope = " in this warehouse" if "warehouse_id" in resource.unique else ""
    return InvalidInput(
        f"A {resource.label} with {last} {row_values.get(last)!r} already exists{scope}.",
        [FieldError(_pointer(last), f"{last} has already been taken.", "taken")],
    )


def _refuse_nulls(resource: Resource, changes: dict[str, Any]) -> None:
    table: Any = resource.model
    nulls = [k for k, v in changes.items() if v is None and not getattr(table, k).nullable]
    if nulls:
        raise InvalidInput(
            "These attributes may not be null: " + ", ".join(nulls) + ".",
            [FieldError(_pointer(k), f"{k} may not be null.", "null") for k in nulls],
        )


async def create(db: Database, resource: Resource, tenant_id: int, values: dict[str, Any]) -> Any:
    """Create a master-data row after checking its references and uniqueness within the tenant."""

    async def work(session: AsyncSession) -> Any:
        await _check_references(session, resource, tenant_id, values)
        await _check_unique(session, resource, tenant_id, values, None)
        model: Any = resource.model
        row = model(tenant_id=tenant_id, **values)
        session.add(row)
        await session.flush()
        return row

    try:
        return await db.transaction(work)
    except IntegrityError:
        # Two creates raced past the uniqueness check; the constraint decided.
        raise _duplicate(resource, values) from None


async def get(
    db: Database, resource: Resource, tenant_id: int, id_: int, visible_account: int | None = None
) -> Any:
    """A row of the tenant. With `visible_account` set (a client-role caller), a row of an owned resource
    that belongs to another account is as absent as a missing one."""
    async with db.read() as session:
        row = await get_owned(session, resource.model, tenant_id, id_, resource.label)
    if visible_account is not None and resource.owner and getattr(row, resource.owner) != visible_account:
        raise NotFound(f"No {resource.label} with id {id_}.")
    return row


async def update(db: Database, resource: Resource, tenant_id: int, id_: int, changes: dict[str, Any]) -> Any:
    """Change the attributes sent (and only those) on a master-data row."""
    _refuse_nulls(resource, changes)

    async def work(session: AsyncSession) -> Any:
        row: Any = await _lock_owned(session, resource.model, tenant_id, id_, resource.label)
        await _check_references(session, resource, tenant_id, changes)
        merged = {c: changes.get(c, getattr(row, c)) for c in resource.unique}
        await _check_unique(session, resource, tenant_id, merged, id_)
        if resource is PRODUCTS and changes.get("account_id", row.account_id) != row.account_id:
            has_stock = await session.scalar(
                select(exists().where(Stock.tenant_id == tenant_id, Stock.product_id == id_))
            )
            if has_stock:
                raise RuleViolation(
                    "The product's account cannot change while it has stock: the stock belongs to its owner."
                )
        for key, value in changes.items():
            setattr(row, key, value)
        await session.flush()
        return row

    try:
        return await db.transaction(work)
    except IntegrityError:
        raise _duplicate(resource, changes) from None


def _tracking(account: Account) -> rules.Tracking:
    return rules.Tracking(account.batch_tracking, account.sell_by_tracking, account.best_before_tracking)


def _check_tracking(account: Account, batch: str, sell_by: Any, best_before: Any) -> None:
    fields = rules.untracked_fields(_tracking(account), batch, sell_by, best_before)
    if fields:
        raise RuleViolation(
            " ".join(rules.untracked_message(f) for f in fields),
            [FieldError(_pointer(f), rules.untracked_message(f), "untracked") for f in fields],
        )


def ledger_row(
    stock: Stock,
    change: Decimal,
    subtype: str,
    *,
    client_id: int | None,
    user_id: int | None = None,
    reason_code_id: int | None = None,
    stock_check_id: int | None = None,
    stock_check_record_id: int | None = None,
) -> LedgerTransaction:
    """The ledger entry for a change just applied to `stock`."""
    return LedgerTransaction(
        tenant_id=stock.tenant_id,
        stock_id=stock.id,
        product_id=stock.product_id,
        location_id=stock.location_id,
        quantity_change=change,
        resulting_quantity=stock.quantity,
        subtype=subtype,
        reason_code_id=reason_code_id,
        client_id=client_id,
        user_id=user_id,
        stock_check_id=stock_check_id,
        stock_check_record_id=stock_check_record_id,
    )


async def create_stock(
    db: Database, tenant_id: int, client_id: int, values: dict[str, Any], user_id: int | None = None
) -> Stock:
    """Put stock of a product at a location; its account is the product's. Writes the opening ledger row."""

    async def work(session: AsyncSession) -> Stock:
        await _check_references(
            session,
            Resource("stocks", "stock", Stock, (), {"location_id": (Location, "location")}),
            tenant_id,
            values,
        )
        product = await session.get(Product, (tenant_id, values["product_id"]))
        if product is None:
            raise InvalidInput(
                f"product_id {values['product_id']} does not name a product of this tenant.",
                [FieldError(_pointer("product_id"), "No such product.", "not_found")],
            )
        account = await get_owned(session, Account, tenant_id, product.account_id, "account")
        _check_tracking(account, values["batch"], values["sell_by_date"], values["best_before_date"])
        stock = Stock(tenant_id=tenant_id, account_id=account.id, **values)
        session.add(stock)
        await session.flush()
        session.add(ledger_row(stock, stock.quantity, SUBTYPE_CREATE, client_id=client_id, user_id=user_id))
        return stock

    return await db.transaction(work)


async def update_stock(db: Database, tenant_id: int, id_: int, changes: dict[str, Any]) -> Stock:
    """Change a stock row's group fields, status or storage unit; never its quantity."""
    _refuse_nulls(STOCKS, {k: v for k, v in changes.items() if k == "status"})

    async def work(session: AsyncSession) -> Stock:
        stock = await _lock_owned(session, Stock, tenant_id, id_, "stock")
        account = await get_owned(session, Account, tenant_id, stock.account_id, "account")
        # Only what this request sets must be tracked: stock that kept a batch or date from before its
        # account stopped tracking it can still be held, released or relabelled.
        _check_tracking(
            account, changes.get("batch", ""), changes.get("sell_by_date"), changes.get("best_before_date")
        )
        for key, value in changes.items():
            setattr(stock, key, value)
        await session.flush()
        return stock

    return await db.transaction(work)


async def usable_reason_code(
    session: AsyncSession, tenant_id: int, reason_code_id: int, reason_type: str, pointer: str
) -> ReasonCode:
    """An active reason code of this tenant with the given type, else a 422 naming what is wrong."""
    code = await session.get(ReasonCode, (tenant_id, reason_code_id))
    problem = None
    if code is None:
        problem = f"reason_code_id {reason_code_id} does not name a reason code of this tenant."
    elif not code.active:
        problem = f"Reason code {code.code!r} is inactive."
    elif code.reason_type != reason_type:
        problem = f"Reason code {code.code!r} is of type {code.reason_type!r}; this needs {reason_type!r}."
    if code is None or problem is not None:
        message = problem or "invalid reason code"
        raise RuleViolation(message, [FieldError(pointer, message, "invalid_reason_code")])
    return code


async def adjust_stock(
    db: Database,
    tenant_id: int,
    client_id: int,
    id_: int,
    change: Decimal,
    reason_code_id: int,
    user_id: int | None = None,
) -> Stock:
    """Add `change` (≠ 0) to a stock row with a matching adjustment reason code; never below zero."""

    async def work(session: AsyncSession) -> Stock:
        stock = await _lock_owned(session, Stock, tenant_id, id_, "stock")
        await usable_reason_code(
            session,
            tenant_id,
            reason_code_id,
            rules.adjustment_reason_type(change),
            _pointer("reason_code_id"),
        )
        result = rules.adjusted_quantity(stock.quantity, change)
        if result is None:
            raise RuleViolation(
                f"The adjustment would take the stock below zero (it holds {stock.quantity.normalize():f}).",
                [
                    FieldError(
                        _pointer("quantity_change"), "Would take the quantity below zero.", "below_zero"
                    )
                ],
            )
        if not rules.storable_quantity(result):
            raise RuleViolation(
                f"The adjustment would take the stock past the largest quantity, {MAX_QUANTITY:f}.",
                [FieldError(_pointer("quantity_change"), "Would exceed the largest quantity.", "too_large")],
            )
        stock.quantity = result
        await session.flush()
        session.add(
            ledger_row(
                stock,
                change,
                SUBTYPE_ADJUST,
                client_id=client_id,
                user_id=user_id,
                reason_code_id=reason_code_id,
            )
        )
        return stock

    return await db.transaction(work)
