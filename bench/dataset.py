"""The bench's databases and its tenant.

Each engine gets a fresh database: on PostgreSQL `tally_bench_<random>` (created from
TALLY_BENCH_POSTGRES_URL, default postgresql://postgres@127.0.0.1:5432/postgres, dropped at the end), on
SQLite a file in a temporary directory. `tally serve` migrates it.

The tenant is made the way an operator makes one: `tally tenants create` and `tally clients create` (the CLI,
as subprocesses), a token from POST /oauth/token, and the account, warehouse, locations and stock checks over
REST. Only the bulk — products, stock rows and the records of the record_attempt check — is loaded with SQL
(COPY on PostgreSQL, executemany on SQLite), in the shapes the ORM writes (on SQLite, quantities as integer
ten-thousandths and timestamps as naive UTC text). On PostgreSQL the load runs with
session_replication_role = replica so that a million foreign-key trigger checks do not dominate the setup; the
rows are consistent by construction. Stock rows get no ledger rows: nothing measured here reads the ledger.
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from bench.load import HttpConnection
from bench.server import ROOT

ADMIN_URL = os.environ.get("TALLY_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SUBDOMAIN = "bench"
# The count every record_attempt sends; most stock rows hold exactly this, as most real counts agree.
PHYSICAL_COUNT = 5


def _plain_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class BenchDatabase:
    """A fresh database of one engine, and a connection for bulk loads and lookups."""

    def __init__(self, engine: str) -> None:
        self.engine = engine
        self.url = ""
        self._pg: asyncpg.Connection | None = None
        self._sqlite: sqlite3.Connection | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._pg_name = ""

    @property
    def is_postgres(self) -> bool:
        return self.engine == "postgresql"

    async def create(self) -> None:
        if self.is_postgres:
            self._pg_name = f"tally_bench_{uuid.uuid4().hex[:10]}"
            admin = await asyncpg.connect(_plain_dsn(ADMIN_URL), timeout=5)
            try:
                await admin.execute(f'CREATE DATABASE "{self._pg_name}"')
            finally:
                await admin.close()
            self.url = make_url(_plain_dsn(ADMIN_URL)).set(database=self._pg_name).render_as_string(False)
        else:
            self._tmp = tempfile.TemporaryDirectory(prefix="tally_bench_")
            self.url = f"sqlite:///{Path(self._tmp.name) / 'tally.db'}"

    @property
    def pg_name(self) -> str:
        return self._pg_name

    @property
    def sqlite_path(self) -> str:
        return str(make_url(self.url).database)

    @property
    def dsn(self) -> str:
        return _plain_dsn(self.url)

    async def connect(self) -> None:
        """Open the loader's connection (after the server has migrated the schema)."""
        if self.is_postgres:
            self._pg = await asyncpg.connect(self.dsn)
            await self._pg.execute("SET session_replication_role = replica")
        else:
            self._sqlite = sqlite3.connect(self.sqlite_path, isolation_level=None)
            self._sqlite.execute("PRAGMA busy_timeout=30000")

    async def drop(self) -> None:
        if self._pg is not None:
            await self._pg.close()
            self._pg = None
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
        if self.is_postgres and self._pg_name:
            admin = await asyncpg.connect(_plain_dsn(ADMIN_URL), timeout=5)
            try:
                await admin.execute(f'DROP DATABASE IF EXISTS "{self._pg_name}" WITH (FORCE)')
            finally:
                await admin.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    # -- values as each engine stores them -------------------------------------------------------------------

    def quantity(self, value: int | Decimal) -> Any:
        return Decimal(value) if self.is_postgres else int(Decimal(value) * 10_000)

    def timestamp(self, moment: datetime) -> Any:
        if self.is_postgres:
            return moment
        return moment.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")

    # -- SQL -------------------------------------------------------------------------------------------------

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        """Rows of a query written with $n placeholders (rewritten to ? for SQLite)."""
        if self._pg is not None:
            return [tuple(r) for r in await self._pg.fetch(sql, *args)]
        assert self._sqlite is not None
        return list(self._sqlite.execute(re.sub(r"\$\d+", "?", sql), args).fetchall())

    async def insert_rows(self, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        if self._pg is not None:
            await self._pg.copy_records_to_table(table, records=rows, columns=columns)
            return
        assert self._sqlite is not None
        marks = ", ".join("?" for _ in columns)
        self._sqlite.execute("BEGIN IMMEDIATE")
        self._sqlite.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
        self._sqlite.execute("COMMIT")

    async def analyze(self) -> None:
        """Fresh planner statistics, as autovacuum would have by the time a tenant is this big."""
        if self._pg is not None:
            await self._pg.execute("ANALYZE")


@dataclass
class BenchTenant:
    subdomain: str
    tenant_id: int
    client_pk: int
    client_id: str
    client_secret: str
    token: str
    host: str
    port: int
    account_id: int = 0
    warehouse_id: int = 0
    products: list[int] = field(default_factory=list)
    locations: dict[str, int] = field(default_factory=dict)

    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "X-Clarus-Subdomain": self.subdomain,
            "Content-Type": "application/json",
        }


class ApiError(RuntimeError):
    """A setup or measured call answered something other than 2xx."""


async def api_request(
    conn: HttpConnection, tenant: BenchTenant, method: str, path: str, payload: Any = None
) -> tuple[int, Any]:
    """(status, parsed body) of one call; anything but 2xx raises ApiError."""
    body = json.dumps(payload).encode() if payload is not None else b""
    status, reply = await conn.request(method, path, tenant.headers(), body)
    if not 200 <= status < 300:
        raise ApiError(f"{method} {path} answered {status}: {reply[:300]!r}")
    return status, json.loads(reply) if reply else None


async def api_call(
    conn: HttpConnection, tenant: BenchTenant, method: str, path: str, payload: Any = None
) -> Any:
    return (await api_request(conn, tenant, method, path, payload))[1]


def _cli(database_url: str, *args: str) -> dict[str, Any]:
    env = {**os.environ, "TALLY_DATABASE_URL": database_url}
    done = subprocess.run(
        [sys.executable, "-m", "tally.cli", *args], env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise ApiError(f"tally {' '.join(args)} failed: {done.stderr.strip()[-500:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def bootstrap(db: BenchDatabase, host: str, port: int) -> BenchTenant:
    """The tenant, its client and token, and its master data (all but the bulk)."""
    _cli(db.url, "tenants", "create", SUBDOMAIN, "--name", "Bench 3PL")
    creds = _cli(db.url, "clients", "create", "--tenant", SUBDOMAIN, "--name", "bench")
    conn = HttpConnection(host, port)
    try:
        basic = base64.b64encode(f"{creds['client_id']}:{creds['client_secret']}".encode()).decode()
        status, reply = await conn.request(
            "POST",
            "/oauth/token",
            {"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
            b"grant_type=client_credentials",
        )
        if status != 200:
            raise ApiError(f"POST /oauth/token answered {status}: {reply[:300]!r}")
        token = json.loads(reply)["access_token"]
        await db.connect()
        (tenant_id,) = (await db.fetch("SELECT id FROM tenants WHERE subdomain = $1", SUBDOMAIN))[0]
        (client_pk,) = (
            await db.fetch("SELECT id FROM oauth_clients WHERE client_id = $1", creds["client_id"])
        )[0]
        tenant = BenchTenant(
            SUBDOMAIN, tenant_id, client_pk, creds["client_id"], creds["client_secret"], token, host, port
        )
        account = await api_call(
            conn, tenant, "POST", "/api/accounts", _envelope("accounts", code="ACME", name="Acme Foods")
        )
        tenant.account_id = account["data"]["id"]
        warehouse = await api_call(
            conn, tenant, "POST", "/api/warehouses", _envelope("warehouses", code="WH1", name="Main DC")
        )
        tenant.warehouse_id = warehouse["data"]["id"]
    finally:
        await conn.close()
    return tenant


def _envelope(kind: str, **attributes: Any) -> dict[str, Any]:
    return {"data": {"type": kind, "attributes": attributes}}


async def add_location(tenant: BenchTenant, code: str) -> int:
    conn = HttpConnection(tenant.host, tenant.port)
    try:
        reply = await api_call(
            conn,
            tenant,
            "POST",
            "/api/locations",
            _envelope("locations", code=code, warehouse_id=tenant.warehouse_id, description=f"Bench {code}"),
        )
    finally:
        await conn.close()
    location_id: int = reply["data"]["id"]
    tenant.locations[code] = location_id
    return location_id


async def open_check(conn: HttpConnection, tenant: BenchTenant, location_id: int) -> int:
    """POST /api/stock_checks, which must open a new check (201); returns its id."""
    due = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    status, reply = await api_request(
        conn,
        tenant,
        "POST",
        "/api/stock_checks",
        _envelope("stock_checks", location_id=location_id, expected_completion_date=due),
    )
    if status != 201:
        raise ApiError(f"POST /api/stock_checks answered {status}, not 201: the location had a pending check")
    check_id: int = reply["stock_check_id"]
    return check_id


async def load_products(db: BenchDatabase, tenant: BenchTenant, count: int) -> None:
    """Products P0000001… owned by the tenant's account; their ids in code order go to tenant.products."""
    have = len(tenant.products)
    if count <= have:
        return
    now = db.timestamp(datetime.now(UTC))
    rows = [
        (tenant.tenant_id, f"P{n:07d}", f"Bench product {n}", tenant.account_id, now, now)
        for n in range(have, count)
    ]
    await db.insert_rows(
        "products", ["tenant_id", "code", "description", "account_id", "created_at", "updated_at"], rows
    )
    found = await db.fetch(
        "SELECT id FROM products WHERE tenant_id = $1 AND code >= $2 ORDER BY code",
        tenant.tenant_id,
        f"P{have:07d}",
    )
    tenant.products.extend(r[0] for r in found)


STOCK_COLUMNS = [
    "tenant_id",
    "product_id",
    "location_id",
    "account_id",
    "quantity",
    "batch",
    "status",
    "fifo_date",
    "created_at",
    "updated_at",
]


async def load_stock(
    db: BenchDatabase, tenant: BenchTenant, location_id: int, product_ids: list[int], seed: int = 0
) -> None:
    """One stock row per product at the location: one stock group each. 95 % hold PHYSICAL_COUNT."""
    rng = random.Random(seed)
    now = db.timestamp(datetime.now(UTC))
    usual, other = db.quantity(PHYSICAL_COUNT), db.quantity(PHYSICAL_COUNT + 1)
    batch = 50_000
    for start in range(0, len(product_ids), batch):
        rows = [
            (
                tenant.tenant_id,
                pid,
                location_id,
                tenant.account_id,
                usual if rng.random() < 0.95 else other,
                "",
                "available",
                now,
                now,
                now,
            )
            for pid in product_ids[start : start + batch]
        ]
        await db.insert_rows("stocks", STOCK_COLUMNS, rows)


async def load_records(db: BenchDatabase, tenant: BenchTenant, check_id: int, product_ids: list[int]) -> None:
    """The records create_stock_check would have made for these groups (no batch, no dates)."""
    now = db.timestamp(datetime.now(UTC))
    rows = [(tenant.tenant_id, check_id, pid, "", f"{pid}|||", 0, now) for pid in product_ids]
    await db.insert_rows(
        "stock_check_records",
        ["tenant_id", "stock_check_id", "product_id", "batch", "group_key", "attempt_count", "created_at"],
        rows,
    )


async def fill_stock(db: BenchDatabase, tenant: BenchTenant, location_ids: list[int], rows: int) -> None:
    """`rows` more stock rows spread over the locations, generated inside PostgreSQL (reads only need many
    rows, not particular ones; INSERT … SELECT avoids shipping a million rows through the driver)."""
    assert db.is_postgres, "the read tenant is built on PostgreSQL only"
    per_location = -(-rows // len(location_ids))
    await db.fetch(
        """
        INSERT INTO stocks (tenant_id, product_id, location_id, account_id, quantity, batch, status,
                            fifo_date, created_at, updated_at)
        SELECT $1, p.id, l.id, $2, 1 + (p.id % 20), '', 'available', now(), now(), now()
        FROM unnest($3::bigint[]) AS l(id)
        CROSS JOIN LATERAL (
            SELECT id FROM products WHERE tenant_id = $1 ORDER BY id LIMIT $4
        ) AS p
        LIMIT $5
        """,
        tenant.tenant_id,
        tenant.account_id,
        location_ids,
        per_location,
        rows,
    )


async def stock_rows(db: BenchDatabase, tenant: BenchTenant) -> int:
    (count,) = (await db.fetch("SELECT count(*) FROM stocks WHERE tenant_id = $1", tenant.tenant_id))[0]
    return int(count)


async def nth_stock_id(db: BenchDatabase, tenant: BenchTenant, n: int) -> int:
    """The id of the tenant's n-th stock row in id order (1-based), as a keyset page would reach it."""
    (row_id,) = (
        await db.fetch(
            "SELECT id FROM stocks WHERE tenant_id = $1 ORDER BY id OFFSET $2 LIMIT 1",
            tenant.tenant_id,
            n - 1,
        )
    )[0]
    return int(row_id)


class GroupAllocator:
    """Hands out the stock groups of the record_attempt check, each at most twice (attempt 1, then 2).

    The first pass gives every group its first attempt; only when all are used does a second pass give
    second attempts. Both are valid; a third would be refused (422), so the allocator stops instead.
    """

    def __init__(self, product_ids: list[int], passes: int = 2) -> None:
        self.product_ids = product_ids
        self.passes = passes
        self.used = 0

    def next(self) -> int | None:
        if self.used >= len(self.product_ids) * self.passes:
            return None
        pid = self.product_ids[self.used % len(self.product_ids)]
        self.used += 1
        return pid

    @property
    def remaining(self) -> int:
        return len(self.product_ids) * self.passes - self.used
