"""The few statements whose spelling differs between PostgreSQL and SQLite."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_name(session: AsyncSession) -> str:
    bind = session.bind
    assert bind is not None, "Tally's sessions are always bound to an engine"
    name: str = bind.dialect.name
    return name


def insert(session: AsyncSession, table: Any) -> Any:
    """An INSERT that knows ON CONFLICT on the session's engine (both engines spell it the same way)."""
    if dialect_name(session) == "sqlite":
        return sqlite.insert(table)
    return postgresql.insert(table)
