"""Engines and transactions for PostgreSQL (asyncpg) and the embedded SQLite (aiosqlite).

SQLite serialises writers, so every write transaction starts with BEGIN IMMEDIATE: a writer waits for the
lock up front (busy_timeout) instead of failing half-way with SQLITE_BUSY when it upgrades a read lock.
Reads use a second engine whose transactions stay deferred, so WAL readers never queue behind writers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import structlog
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

log = structlog.get_logger(__name__)

T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 30_000
# PostgreSQL: serialization_failure, deadlock_detected, lock_not_available.
RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}
MAX_TRANSACTION_ATTEMPTS = 5


def async_url(url: str) -> str:
    """Turn a plain database URL into one naming Tally's async driver."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    raise ValueError(f"Unsupported database URL {url!r}: use postgresql://… or sqlite:///…")


def _is_retryable(exc: DBAPIError) -> bool:
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(getattr(orig, "__cause__", None), "sqlstate", None)
    if sqlstate in RETRYABLE_SQLSTATES:
        return True
    message = str(orig).lower()
    return "database is locked" in message or "database is busy" in message


class Database:
    """The engines of one database and the transactions Tally runs on them."""

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        self.url = async_url(url)
        self.dialect = make_url(self.url).get_backend_name()
        if self.dialect == "sqlite":
            self.engine = self._sqlite_engine(immediate=True, echo=echo)
            self.read_engine = self._sqlite_engine(immediate=False, echo=echo)
        else:
            self.engine = create_async_engine(
                self.url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False, echo=echo
            )
            # Reads need no BEGIN/ROLLBACK round trips: under READ COMMITTED every statement takes its own
            # snapshot anyway, so autocommit reads see exactly what a read transaction would.
            self.read_engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        # SQLite has one writer at a time; queueing this process's writers here (rather than in SQLite's
        # busy handler, which sleeps and retries) keeps their latency fair and short.
        self._write_lock = asyncio.Lock() if self.dialect == "sqlite" else None
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False)
        self._read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False, autoflush=False)

    @property
    def is_sqlite(self) -> bool:
        return self.dialect == "sqlite"

    def _sqlite_engine(self, *, immediate: bool, echo: bool) -> AsyncEngine:
        memory = make_url(self.url).database in (None, "", ":memory:")
        kwargs: dict[str, Any] = {"echo": echo}
        if memory:
            kwargs["poolclass"] = NullPool
        engine = create_async_engine(self.url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _configure(dbapi_connection: Any, _record: Any) -> None:
            # Take transaction control away from the driver so that BEGIN is ours to emit.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reads only; its transaction is rolled back at the end."""
        async with self._read_sessions() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A session in one write transaction, committed when the block ends without error."""
        if self._write_lock is None:
            async with self._sessions() as session, session.begin():
                yield session
            return
        async with self._write_lock, self._sessions() as session, session.begin():
            yield session

    async def transaction(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run `work` in one write transaction, retrying it whole on serialization and lock failures."""
        for attempt in range(1, MAX_TRANSACTION_ATTEMPTS + 1):
            try:
                async with self.write() as session:
                    return await work(session)
            except DBAPIError as exc:
                if attempt == MAX_TRANSACTION_ATTEMPTS or not _is_retryable(exc):
                    raise
                log.info("transaction.retry", attempt=attempt, error=str(exc.orig)[:200])
                await asyncio.sleep(0.005 * attempt)
        raise AssertionError("unreachable")

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.is_sqlite:
            await self.read_engine.dispose()
