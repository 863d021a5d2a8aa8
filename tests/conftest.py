"""Fixtures: every API test runs on SQLite and on PostgreSQL, each in a fresh database made for the run.

PostgreSQL comes from TALLY_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres, used
only to create and drop the run's database). When it is unreachable the PostgreSQL half is skipped, loudly,
unless TALLY_REQUIRE_POSTGRES=1, which makes it fail instead (CI sets it).
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy.engine import make_url

from tally.app import create_app
from tally.config import Settings
from tally.db import Database
from tally.db.migrate import migrate
from tests.support import Api, new_tenant

POSTGRES_URL = os.environ.get("TALLY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REQUIRE_POSTGRES = os.environ.get("TALLY_REQUIRE_POSTGRES", "") not in ("", "0", "false")
BACKENDS = ["sqlite", "postgresql"]

_postgres_problem: str | None = None


def _admin_dsn() -> str:
    return make_url(POSTGRES_URL).set(drivername="postgresql").render_as_string(hide_password=False)


async def _pg_execute(sql: str) -> None:
    conn = await asyncpg.connect(_admin_dsn(), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _postgres_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        asyncio.run(_pg_execute("SELECT 1"))
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def pytest_configure(config: pytest.Config) -> None:
    global _postgres_problem
    _postgres_problem = _postgres_available()
    if _postgres_problem and REQUIRE_POSTGRES:
        raise pytest.UsageError(
            f"TALLY_REQUIRE_POSTGRES is set but PostgreSQL at {POSTGRES_URL} is unreachable: "
            f"{_postgres_problem}"
        )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _postgres_problem:
        terminalreporter.write_sep("!", "PostgreSQL tests were SKIPPED", red=True, bold=True)
        terminalreporter.write_line(f"{POSTGRES_URL} is unreachable: {_postgres_problem}")
        terminalreporter.write_line("Start PostgreSQL or set TALLY_TEST_POSTGRES_URL to run them.")


class Backend:
    """A fresh database of one engine for this test run."""

    def __init__(self, name: str, url: str) -> None:
        self.name = name
        self.url = url
        self.db = Database(url)


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("sqlite") / "tally.db"
    url = f"sqlite:///{path}"
    migrate(url)
    return url


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    if _postgres_problem:
        pytest.skip(f"PostgreSQL unreachable: {_postgres_problem}")
    name = f"tally_test_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_execute(f'CREATE DATABASE "{name}"'))
    url = (
        make_url(POSTGRES_URL)
        .set(drivername="postgresql", database=name)
        .render_as_string(hide_password=False)
    )
    migrate(url)
    yield url
    asyncio.run(_pg_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session", params=BACKENDS)
def backend_url(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param}_url")
    return url


@pytest.fixture(scope="session")
async def db(backend_url: str) -> AsyncIterator[Database]:
    database = Database(backend_url)
    yield database
    await database.dispose()


@pytest.fixture(scope="session")
async def http(db: Database, backend_url: str) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(database_url=backend_url), database=db)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://tally.test") as client:
        yield client


@pytest.fixture
async def api(http: httpx.AsyncClient, db: Database) -> Api:
    """A fresh tenant (so tests never see each other's data) with an all-scopes client."""
    return await new_tenant(http, db)


@pytest.fixture
async def other_api(http: httpx.AsyncClient, db: Database) -> Api:
    """A second tenant, for isolation tests."""
    return await new_tenant(http, db)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class LiveServer:
    def __init__(self, base_url: str, db_url: str) -> None:
        self.base_url = base_url
        self.db_url = db_url


@pytest.fixture(scope="session")
def live_server(backend_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A real `tally serve` process on the backend's database, as users run it."""
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = {**os.environ, "TALLY_DATABASE_URL": backend_url}
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tally.cli", "serve", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).parent.parent,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        raise RuntimeError(f"tally serve did not start: {log.read_text()}")
    yield LiveServer(base, backend_url)
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
