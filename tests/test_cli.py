"""The `tally` command, run as users run it: a separate process configured by TALLY_DATABASE_URL."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tally.app import create_app
from tally.config import Settings
from tally.db import Database
from tally.oauth.rules import ALL_SCOPES
from tests.conftest import LiveServer
from tests.support import unique


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


async def tally(database_url: str, *args: str, cwd: Path | None = None) -> Run:
    env = {**os.environ, "TALLY_DATABASE_URL": database_url}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tally.cli",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), err.decode())


@pytest.fixture(scope="module")
async def sqlite_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database file migrated by `tally migrate`, shared by this module's tests."""
    path = tmp_path_factory.mktemp("cli") / "tally.db"
    url = f"sqlite:///{path}"
    run = await tally(url, "migrate")
    assert run.code == 0, run.stderr
    return url


@pytest.fixture
async def app_on(tmp_path: Path) -> AsyncIterator[object]:
    """Open an in-process app on a database URL, as `tally serve` would serve it."""
    databases: list[Database] = []

    def open_app(url: str) -> httpx.AsyncClient:
        database = Database(url)
        databases.append(database)
        app = create_app(Settings(database_url=url), database=database)
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://tally.test")

    yield open_app
    for database in databases:
        await database.dispose()


async def token(http: httpx.AsyncClient, client_id: str, secret: str) -> httpx.Response:
    return await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id, secret)
    )


async def test_migrate_creates_the_schema_and_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "fresh.db"

    first = await tally(f"sqlite:///{path}", "migrate")
    second = await tally(f"sqlite:///{path}", "migrate")

    assert (first.code, second.code) == (0, 0), first.stderr + second.stderr
    with sqlite3.connect(path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        triggers = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")}
    assert {"tenants", "oauth_clients", "oauth_tokens", "accounts", "stocks", "transactions"} <= tables
    assert {"transactions_no_update", "transactions_no_delete"} <= triggers


@pytest.mark.parametrize(
    "args", [["tenants", "create", "acme"], ["clients", "create", "--tenant", "acme", "--name", "erp"]]
)
async def test_an_unmigrated_database_gets_one_line_not_a_traceback(tmp_path: Path, args: list[str]) -> None:
    run = await tally(f"sqlite:///{tmp_path / 'empty.db'}", *args)
    assert run.code == 1
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1
    assert "tally migrate" in run.stderr


async def test_tenants_create_prints_the_tenant(sqlite_file: str) -> None:
    subdomain = unique("acme")

    run = await tally(sqlite_file, "tenants", "create", subdomain, "--name", "Acme 3PL")

    assert run.code == 0, run.stderr
    tenant = json.loads(run.stdout)
    assert (tenant["subdomain"], tenant["name"]) == (subdomain, "Acme 3PL")
    assert isinstance(tenant["id"], int)


async def test_tenants_create_names_the_tenant_after_its_subdomain_by_default(sqlite_file: str) -> None:
    subdomain = unique("acme")
    run = await tally(sqlite_file, "tenants", "create", subdomain)
    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["name"] == subdomain


@pytest.mark.parametrize("subdomain", ["Acme", "acme_3pl", "acme-", "a" * 64])
async def test_tenants_create_refuses_invalid_subdomains(sqlite_file: str, subdomain: str) -> None:
    run = await tally(sqlite_file, "tenants", "create", subdomain)
    assert run.code == 1
    assert run.stdout == ""
    assert "not a valid subdomain" in run.stderr


async def test_tenants_create_refuses_a_taken_subdomain(sqlite_file: str) -> None:
    subdomain = unique("acme")
    assert (await tally(sqlite_file, "tenants", "create", subdomain)).code == 0

    again = await tally(sqlite_file, "tenants", "create", subdomain)

    assert again.code == 1
    assert again.stdout == ""
    assert "already exists" in again.stderr


async def test_clients_create_prints_working_credentials(http: httpx.AsyncClient, backend_url: str) -> None:
    subdomain = unique("acme")
    assert (await tally(backend_url, "tenants", "create", subdomain)).code == 0

    run = await tally(backend_url, "clients", "create", "--tenant", subdomain, "--name", "erp")

    assert run.code == 0, run.stderr
    credentials = json.loads(run.stdout)  # one JSON object and nothing else
    assert set(credentials) == {"client_id", "client_secret"}
    issued = await token(http, credentials["client_id"], credentials["client_secret"])
    assert issued.status_code == 200, issued.text
    assert issued.json()["scope"].split() == list(ALL_SCOPES)
    read = await http.get(
        "/api/warehouses/999999999",
        headers={"Authorization": f"Bearer {issued.json()['access_token']}", "X-Clarus-Subdomain": subdomain},
    )
    assert read.status_code == 404, read.text  # authenticated for this tenant; no such warehouse


async def test_clients_create_limits_scopes(sqlite_file: str, app_on: object) -> None:
    subdomain = unique("acme")
    assert (await tally(sqlite_file, "tenants", "create", subdomain)).code == 0

    run = await tally(
        sqlite_file,
        "clients",
        "create",
        "--tenant",
        subdomain,
        "--name",
        "scanner",
        "--scopes",
        "inventory:read stock_checks:count",
    )

    assert run.code == 0, run.stderr
    credentials = json.loads(run.stdout)
    async with app_on(sqlite_file) as http:  # type: ignore[operator]
        issued = await token(http, credentials["client_id"], credentials["client_secret"])
    assert issued.json()["scope"] == "inventory:read stock_checks:count"


@pytest.mark.parametrize(
    "args,message",
    [
        (["--tenant", "no-such-tenant", "--name", "erp"], "No tenant"),
        (["--name", "erp", "--scopes", "inventory:read inventory:delete"], "inventory:delete"),
    ],
    ids=["unknown tenant", "unknown scope"],
)
async def test_clients_create_refuses_bad_input(sqlite_file: str, args: list[str], message: str) -> None:
    subdomain = unique("acme")
    assert (await tally(sqlite_file, "tenants", "create", subdomain)).code == 0
    if "--tenant" not in args:
        args = ["--tenant", subdomain, *args]

    run = await tally(sqlite_file, "clients", "create", *args)

    assert run.code == 1
    assert run.stdout == ""
    assert message in run.stderr


def demo_credentials(stdout: str) -> tuple[str, str]:
    client_id = re.search(r"client_id:\s+(\S+)", stdout)
    secret = re.search(r"client_secret:\s+(\S+)", stdout)
    assert client_id and secret, stdout
    return client_id.group(1), secret.group(1)


async def test_demo_seeds_once_and_prints_working_credentials(tmp_path: Path, app_on: object) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"

    first = await tally(url, "demo", "--no-serve", cwd=tmp_path)
    second = await tally(url, "demo", "--no-serve", cwd=tmp_path)

    assert (first.code, second.code) == (0, 0), first.stderr + second.stderr
    old_id, old_secret = demo_credentials(first.stdout)
    client_id, secret = demo_credentials(second.stdout)
    assert client_id == old_id
    assert f"curl -s -u '{client_id}:{secret}' -d grant_type=client_credentials" in second.stdout
    assert "X-Clarus-Subdomain: demo" in second.stdout

    async with app_on(url) as http:  # type: ignore[operator]
        issued = await token(http, client_id, secret)
        assert issued.status_code == 200, issued.text
        assert (await token(http, old_id, old_secret)).status_code == 401  # each run gives a fresh secret
        headers = {"Authorization": f"Bearer {issued.json()['access_token']}", "X-Clarus-Subdomain": "demo"}
        location_id = re.search(r"/api/locations/(\d+)", second.stdout)
        assert location_id, second.stdout
        location = await http.get(f"/api/locations/{location_id.group(1)}", headers=headers)
        assert location.status_code == 200, location.text

    with sqlite3.connect(tmp_path / "demo.db") as conn:
        counts = {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in (
                "tenants",
                "oauth_clients",
                "accounts",
                "locations",
                "products",
                "stocks",
                "transactions",
            )
        }
    # Seeded once, though the demo ran twice.
    assert counts == {
        "tenants": 1,
        "oauth_clients": 1,
        "accounts": 2,
        "locations": 3,
        "products": 3,
        "stocks": 5,
        "transactions": 5,
    }


async def test_serve_answers_tokens_and_api_calls(live_server: LiveServer) -> None:
    subdomain = unique("acme")
    assert (await tally(live_server.db_url, "tenants", "create", subdomain)).code == 0
    run = await tally(live_server.db_url, "clients", "create", "--tenant", subdomain, "--name", "erp")
    credentials = json.loads(run.stdout)

    async with httpx.AsyncClient(base_url=live_server.base_url) as http:
        assert (await http.get("/health")).status_code == 200
        issued = await token(http, credentials["client_id"], credentials["client_secret"])
        assert issued.status_code == 200, issued.text
        headers = {
            "Authorization": f"Bearer {issued.json()['access_token']}",
            "X-Clarus-Subdomain": subdomain,
        }
        created = await http.post(
            "/api/warehouses",
            json={"data": {"type": "warehouses", "attributes": {"code": "W1", "name": "Main"}}},
            headers=headers,
        )
        assert created.status_code == 201, created.text
        read = await http.get(f"/api/warehouses/{created.json()['data']['id']}", headers=headers)
        assert read.json() == created.json()
