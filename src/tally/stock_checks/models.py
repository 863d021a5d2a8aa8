from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tally.db.base import Base, TenantOwned
from tally.db.types import Quantity, UTCDateTime, utcnow


def _fk(columns: list[str], table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["tenant_id", *columns], [f"{table}.tenant_id", f"{table}.id"])


class StockCheck(TenantOwned, Base):
    __tablename__ = "stock_checks"
    __table_args__ = (
        _fk(["location_id"], "locations"),
        _fk(["task_id"], "tasks"),
        UniqueConstraint("tenant_id", "task_id"),
        # Clarus: at most one pending check per location; a concurrent second create finds the first.
        Index(
            "uq_stock_checks_pending_location",
            "tenant_id",
            "location_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
        Index("ix_stock_checks_status", "tenant_id", "status"),
    )

    location_id: Mapped[int] = mapped_column(BigInteger)
    task_id: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    expected_completion_date: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_client_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_by_user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    completed_by_client_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    completed_by_user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class StockCheckRecord(TenantOwned, Base):
    """One stock group within a check. `attempt_count` is the slot counter that caps attempts at two."""

    __tablename__ = "stock_check_records"
    __table_args__ = (
        _fk(["stock_check_id"], "stock_checks"),
        _fk(["product_id"], "products"),
        _fk(["reason_code_id"], "reason_codes"),
        UniqueConstraint("tenant_id", "stock_check_id", "group_key"),
    )

    stock_check_id: Mapped[int] = mapped_column(BigInteger)
    product_id: Mapped[int] = mapped_column(BigInteger)
    batch: Mapped[str] = mapped_column(String(100), default="")
    sell_by_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    best_before_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    group_key: Mapped[str] = mapped_column(String(200))
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    last_result: Mapped[str | None] = mapped_column(String(10), nullable=True)
    reason_code_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    resolved_by_client_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    resolved_by_user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StockCheckAttempt(TenantOwned, Base):
    __tablename__ = "stock_check_attempts"
    __table_args__ = (
        _fk(["record_id"], "stock_check_records"),
        # The backstop against a duplicate or third attempt, whatever the application does.
        UniqueConstraint("tenant_id", "record_id", "attempt_number"),
    )

    record_id: Mapped[int] = mapped_column(BigInteger)
    attempt_number: Mapped[int] = mapped_column(Integer)
    physical_count: Mapped[Decimal] = mapped_column(Quantity)
    system_count: Mapped[Decimal] = mapped_column(Quantity)
    attempt_result: Mapped[str] = mapped_column(String(10))
    client_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
