from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Identity, String
from sqlalchemy.orm import Mapped, mapped_column

from tally.db.base import Base
from tally.db.types import UTCDateTime, utcnow


class Tenant(Base):
    """The distribution root: a reference table under Citus, everything else hangs off its id."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    subdomain: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(150))
    # Whether resolving a failed stock check record posts the variance to stock.
    adjust_stock_on_resolve: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
