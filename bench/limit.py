"""The limit: record_attempt's database work straight through the driver, with no HTTP, ORM or framework.

Each operation is one transaction with the statements tally.stock_checks.service.record_attempt sends, in the
same order and as SQLAlchemy renders them (copied from the compiled statements):

1. the check and its task, share-locking the check row (FOR SHARE OF stock_checks; nothing on SQLite, where
   BEGIN IMMEDIATE already serialises writers),
2. the product's account tracking flags (_require_countable),
3. the group's system count (SUM of its stock rows at the check's location),
4. the attempt slot: the conditional upsert on stock_check_records (attempt_count < 2) RETURNING id, count,
5. the attempt row, RETURNING id,

then COMMIT. What the API does on top — HTTP parsing, routing, the bearer-token lookup (its own read
transaction), validation, the ORM, JSON — is the overhead the ratio API ÷ limit measures.

PostgreSQL: asyncpg, one connection per client (its statement cache plays the part of SQLAlchemy's prepared
statements). SQLite: aiosqlite, one connection per client configured as Tally's engine configures them (WAL,
synchronous=NORMAL, busy_timeout, foreign keys), with writers queued on an asyncio lock in the process
rather than on SQLite's busy handler, which sleeps (1, 2, 5 … ms) and would understate what the database can
do: a single writer at a time is SQLite's ceiling, and the lock reaches it without sleeping.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import aiosqlite
import asyncpg

from bench.dataset import PHYSICAL_COUNT, GroupAllocator
from bench.load import Operation

TASK_ACTIVE = ("AVAILABLE", "ALLOCATED")
MAX_ATTEMPTS = 2

_CHECK_COLUMNS = (
    "stock_checks.location_id, stock_checks.task_id, stock_checks.status, "
    "stock_checks.expected_completion_date, stock_checks.created_by_client_id, stock_checks.created_at, "
    "stock_checks.completed_at, stock_checks.tenant_id, stock_checks.id, tasks.task_type, "
    "tasks.status AS status_1, tasks.location_from_id, tasks.created_at AS created_at_1, "
    "tasks.completed_at AS completed_at_1, tasks.tenant_id AS tenant_id_1, tasks.id AS id_1"
)
_CHECK_FROM = (
    "FROM stock_checks JOIN tasks ON tasks.tenant_id = stock_checks.tenant_id "
    "AND tasks.id = stock_checks.task_id"
)
_COUNTABLE = (
    "SELECT accounts.batch_tracking, accounts.sell_by_tracking, accounts.best_before_tracking "
    "FROM accounts JOIN products ON products.tenant_id = accounts.tenant_id "
    "AND products.account_id = accounts.id WHERE products.tenant_id = {0} AND products.id = {1}"
)
_RECORD_COLUMNS = (
    "stock_check_id, product_id, batch, sell_by_date, best_before_date, group_key, attempt_count, "
    "last_result, created_at, tenant_id"
)
_ATTEMPT_COLUMNS = (
    "record_id, attempt_number, physical_count, system_count, attempt_result, client_id, recorded_at, "
    "tenant_id"
)

PG_CHECK = (
    f"SELECT {_CHECK_COLUMNS} {_CHECK_FROM} WHERE stock_checks.tenant_id = $1::BIGINT "
    "AND stock_checks.id = $2::BIGINT FOR SHARE OF stock_checks"
)
PG_COUNTABLE = _COUNTABLE.format("$1::BIGINT", "$2::BIGINT")
PG_SYSTEM_COUNT = (
    "SELECT coalesce(sum(stocks.quantity), $1::INTEGER) AS coalesce_1 FROM stocks "
    "WHERE stocks.tenant_id = $2::BIGINT AND stocks.location_id = $3::BIGINT "
    "AND stocks.product_id = $4::BIGINT AND stocks.batch = $5::VARCHAR "
    "AND stocks.sell_by_date IS NOT DISTINCT FROM NULL AND stocks.best_before_date IS NOT DISTINCT FROM NULL"
)
PG_SLOT = (
    f"INSERT INTO stock_check_records ({_RECORD_COLUMNS}) VALUES ($1::BIGINT, $2::BIGINT, $3::VARCHAR, "
    "$4::DATE, $5::DATE, $6::VARCHAR, $7::INTEGER, $8::VARCHAR, $9::TIMESTAMP WITH TIME ZONE, $10::BIGINT) "
    "ON CONFLICT (tenant_id, stock_check_id, group_key) DO UPDATE SET "
    "attempt_count = (stock_check_records.attempt_count + $11::INTEGER), last_result = $12::VARCHAR "
    "WHERE stock_check_records.attempt_count < $13::INTEGER "
    "RETURNING stock_check_records.id, stock_check_records.attempt_count"
)
PG_ATTEMPT = (
    f"INSERT INTO stock_check_attempts ({_ATTEMPT_COLUMNS}) VALUES ($1::BIGINT, $2::INTEGER, $3, $4, "
    "$5::VARCHAR, $6::BIGINT, $7::TIMESTAMP WITH TIME ZONE, $8::BIGINT) RETURNING stock_check_attempts.id"
)

SQLITE_CHECK = (
    f"SELECT {_CHECK_COLUMNS} {_CHECK_FROM} WHERE stock_checks.tenant_id = ? AND stock_checks.id = ?"
)
SQLITE_COUNTABLE = _COUNTABLE.format("?", "?")
SQLITE_SYSTEM_COUNT = (
    "SELECT coalesce(sum(stocks.quantity), ?) AS coalesce_1 FROM stocks WHERE stocks.tenant_id = ? "
    "AND stocks.location_id = ? AND stocks.product_id = ? AND stocks.batch = ? "
    "AND stocks.sell_by_date IS NULL AND stocks.best_before_date IS NULL"
)
SQLITE_SLOT = (
    f"INSERT INTO stock_check_records ({_RECORD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (tenant_id, stock_check_id, group_key) DO UPDATE SET "
    "attempt_count = (stock_check_records.attempt_count + ?), last_result = ? "
    "WHERE stock_check_records.attempt_count < ? RETURNING id, attempt_count"
)
SQLITE_ATTEMPT = (
    f"INSERT INTO stock_check_attempts ({_ATTEMPT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
)

COUNT = Decimal(PHYSICAL_COUNT)


def _outcome(system_count: Decimal) -> str:
    return "success" if system_count == COUNT else "failure"


def _not_active(status: str, task_status: str) -> str | None:
    if status != "pending" or task_status not in TASK_ACTIVE:
        return f"check is {status} / task {task_status}"
    return None


class PostgresLimit:
    """record_attempt's transaction on asyncpg, one connection per client."""

    def __init__(self, dsn: str, tenant_id: int, client_pk: int, check_id: int, groups: GroupAllocator):
        self.dsn = dsn
        self.tenant_id = tenant_id
        self.client_pk = client_pk
        self.check_id = check_id
        self.groups = groups
        self.connections: list[asyncpg.Connection] = []

    async def open(self, clients: int) -> list[Operation]:
        self.connections = [await asyncpg.connect(self.dsn) for _ in range(clients)]
        return [self._operation(c) for c in self.connections]

    async def close(self) -> None:
        for conn in self.connections:
            await conn.close()
        self.connections = []

    def _operation(self, conn: asyncpg.Connection) -> Operation:
        tenant, check_id, client_pk = self.tenant_id, self.check_id, self.client_pk

        async def attempt() -> str | None:
            product_id = self.groups.next()
            if product_id is None:
                return "no stock group left to count"
            async with conn.transaction():
                check = await conn.fetchrow(PG_CHECK, tenant, check_id)
                if check is None:
                    return "no such check"
                if problem := _not_active(check["status"], check["status_1"]):
                    return problem
                if await conn.fetchrow(PG_COUNTABLE, tenant, product_id) is None:
                    return "no such product"
                system = Decimal(
                    await conn.fetchval(PG_SYSTEM_COUNT, 0, tenant, check["location_id"], product_id, "") or 0
                )
                outcome = _outcome(system)
                now = datetime.now(UTC)
                slot = await conn.fetchrow(
                    PG_SLOT,
                    check_id,
                    product_id,
                    "",
                    None,
                    None,
                    f"{product_id}|||",
                    1,
                    outcome,
                    now,
                    tenant,
                    1,
                    outcome,
                    MAX_ATTEMPTS,
                )
                if slot is None:
                    return "third attempt refused"
                await conn.fetchval(
                    PG_ATTEMPT, slot[0], slot[1], COUNT, system, outcome, client_pk, now, tenant
                )
            return None

        return attempt


class SqliteLimit:
    """record_attempt's transaction on aiosqlite, writers queued on an in-process lock."""

    def __init__(self, path: str, tenant_id: int, client_pk: int, check_id: int, groups: GroupAllocator):
        self.path = path
        self.tenant_id = tenant_id
        self.client_pk = client_pk
        self.check_id = check_id
        self.groups = groups
        self.connections: list[aiosqlite.Connection] = []
        self.lock = asyncio.Lock()

    async def open(self, clients: int) -> list[Operation]:
        self.connections = []
        for _ in range(clients):
            conn = await aiosqlite.connect(self.path, isolation_level=None)
            for pragma in ("journal_mode=WAL", "busy_timeout=30000", "foreign_keys=ON", "synchronous=NORMAL"):
                await conn.execute(f"PRAGMA {pragma}")
            self.connections.append(conn)
        return [self._operation(c) for c in self.connections]

    async def close(self) -> None:
        for conn in self.connections:
            await conn.close()
        self.connections = []

    def _operation(self, conn: aiosqlite.Connection) -> Operation:
        tenant, check_id, client_pk = self.tenant_id, self.check_id, self.client_pk

        async def one(sql: str, params: tuple[Any, ...]) -> Any:
            async with conn.execute(sql, params) as cursor:
                return await cursor.fetchone()

        async def attempt() -> str | None:
            product_id = self.groups.next()
            if product_id is None:
                return "no stock group left to count"
            async with self.lock:
                await conn.execute("BEGIN IMMEDIATE")
                try:
                    problem = await work(product_id)
                except BaseException:
                    await conn.execute("ROLLBACK")
                    raise
                await conn.execute("COMMIT")
            return problem

        async def work(product_id: int) -> str | None:
            check = await one(SQLITE_CHECK, (tenant, check_id))
            if check is None:
                return "no such check"
            if problem := _not_active(check[2], check[10]):
                return problem
            if await one(SQLITE_COUNTABLE, (tenant, product_id)) is None:
                return "no such product"
            (raw,) = await one(SQLITE_SYSTEM_COUNT, (0, tenant, check[0], product_id, ""))
            system = Decimal(int(raw or 0)).scaleb(-4)
            outcome = _outcome(system)
            now = datetime.now(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
            key = f"{product_id}|||"
            params = (check_id, product_id, "", None, None, key, 1, outcome, now, tenant, 1, outcome)
            slot = await one(SQLITE_SLOT, (*params, MAX_ATTEMPTS))
            if slot is None:
                return "third attempt refused"
            await one(
                SQLITE_ATTEMPT,
                (
                    slot[0],
                    slot[1],
                    int(COUNT * 10_000),
                    int(system * 10_000),
                    outcome,
                    client_pk,
                    now,
                    tenant,
                ),
            )
            return None

        return attempt
