from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKeyConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from tally.db.base import Base, TenantOwned
from tally.db.types import UTCDateTime, utcnow

TASK_TYPE_CHECK = "CHECK"


class Task(TenantOwned, Base):
    __tablename__ = "tasks"
    __table_args__ = (
        ForeignKeyConstraint(["tenant_id", "location_from_id"], ["locations.tenant_id", "locations.id"]),
    )

    task_type: Mapped[str] = mapped_column(String(20), default=TASK_TYPE_CHECK)
    status: Mapped[str] = mapped_column(String(20), default="AVAILABLE")
    location_from_id: Mapped[int] = mapped_column(BigInteger)
    # Handheld allocation (Clarus: allocate/unallocate/enter/exit).
    user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    start_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_accessed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
