from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKeyConstraint,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tally.db.base import Base, TenantOwned
from tally.db.types import Quantity, UTCDateTime, utcnow


def _fk(columns: list[str], table: str, ondelete: str | None = None) -> ForeignKeyConstraint:
    """A composite foreign key that carries tenant_id, as Citus co-location needs."""
    return ForeignKeyConstraint(
        ["tenant_id", *columns], [f"{table}.tenant_id", f"{table}.id"], ondelete=ondelete
    )


class Account(TenantOwned, Base):
    """A stock owner, and which parts of a stock group it tracks."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(150))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    batch_tracking: Mapped[bool] = mapped_column(Boolean, default=False)
    sell_by_tracking: Mapped[bool] = mapped_column(Boolean, default=False)
    best_before_tracking: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Warehouse(TenantOwned, Base):
    __tablename__ = "warehouses"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(50))
    name: Mapped[str] = mapped_column(String(150))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Location(TenantOwned, Base):
    __tablename__ = "locations"
    __table_args__ = (
        UniqueConstraint("tenant_id", "warehouse_id", "code"),
        _fk(["warehouse_id"], "warehouses"),
    )

    warehouse_id: Mapped[int] = mapped_column(BigInteger)
    code: Mapped[str] = mapped_column(String(60))
    description: Mapped[str | None] = mapped_column(String(150), nullable=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Product(TenantOwned, Base):
    __tablename__ = "products"
    __table_args__ = (
        UniqueConstraint("tenant_id", "code"),
        _fk(["account_id"], "accounts"),
    )

    code: Mapped[str] = mapped_column(String(50))
    description: Mapped[str] = mapped_column(String(150))
    account_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ReasonCode(TenantOwned, Base):
    __tablename__ = "reason_codes"
    __table_args__ = (UniqueConstraint("tenant_id", "code"),)

    code: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(50))
    description: Mapped[str] = mapped_column(String(150))
    reason_type: Mapped[str] = mapped_column(String(30))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Stock(TenantOwned, Base):
    """A quantity of one stock group at one location. `batch` is '' when there is none."""

    __tablename__ = "stocks"
    __table_args__ = (
        _fk(["product_id"], "products"),
        _fk(["location_id"], "locations"),
        _fk(["account_id"], "accounts"),
        # System counts and stock checks read a location's stock by product.
        Index("ix_stocks_location_product", "tenant_id", "location_id", "product_id"),
    )

    product_id: Mapped[int] = mapped_column(BigInteger)
    location_id: Mapped[int] = mapped_column(BigInteger)
    account_id: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    batch: Mapped[str] = mapped_column(String(100), default="", server_default="")
    sell_by_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    best_before_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="available")
    storage_unit_reference: Mapped[str | None] = mapped_column(String(100), nullable=True)
    fifo_date: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_counted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class LedgerTransaction(TenantOwned, Base):
    """One immutable row per change of a stock quantity (database triggers refuse UPDATE and DELETE)."""

    __tablename__ = "transactions"
    __table_args__ = (
        _fk(["stock_id"], "stocks"),
        _fk(["product_id"], "products"),
        _fk(["location_id"], "locations"),
        _fk(["reason_code_id"], "reason_codes"),
        Index("ix_transactions_stock", "tenant_id", "stock_id"),
    )

    stock_id: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(BigInteger)
    location_id: Mapped[int] = mapped_column(BigInteger)
    quantity_change: Mapped[Decimal] = mapped_column(Quantity)
    resulting_quantity: Mapped[Decimal] = mapped_column(Quantity)
    subtype: Mapped[str] = mapped_column(String(20))
    reason_code_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    client_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    stock_check_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    stock_check_record_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
