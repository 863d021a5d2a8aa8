"""`tally users create`, run as users run it: a separate process on TALLY_DATABASE_URL, the password typed at
a terminal (hidden, twice) or piped in as one line."""

from __future__ import annotations

import asyncio
import json
import os
import pty
import select
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select as sql_select

from tally.db import Database
from tally.inventory.models import Account
from tally.oauth.models import OAuthClient
from tally.tenants.service import create_tenant, get_tenant
from tally.users.models import User
from tally.users.service import user_by_password
from tests.graphql.helpers import insert
from tests.support import unique
from tests.users.helpers import email


@dataclass(frozen=True)
class Run:
    code: int
    stdout: str
    stderr: str


async def tally(database_url: str, *args: str, stdin: str = "") -> Run:
    env = {**os.environ, "TALLY_DATABASE_URL": database_url}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tally.cli",
        *args,
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(stdin.encode()), timeout=120)
    assert process.returncode is not None
    return Run(process.returncode, out.decode(), err.decode())


async def new_tenant(db: Database) -> str:
    subdomain = unique("acme")
    await create_tenant(db, subdomain)
    return subdomain


def create_args(tenant: str, login: str, role: str, *more: str) -> list[str]:
    return ["users", "create", "--tenant", tenant, "--email", login, "--role", role, *more]


async def test_users_create_reads_the_password_from_stdin(db: Database, backend_url: str) -> None:
    tenant, login = await new_tenant(db), email()

    run = await tally(
        backend_url, *create_args(tenant, login.upper(), "standard", "--name", "Pat"), stdin="s3cret pass\n"
    )

    assert run.code == 0, run.stderr
    printed = json.loads(run.stdout)  # one JSON object and nothing else
    assert set(printed) == {"id", "email", "role"}
    assert (printed["email"], printed["role"]) == (login, "standard")
    user = await user_by_password(db, tenant, login, "s3cret pass")
    assert user is not None and (user.id, user.name) == (printed["id"], "Pat")


async def test_users_create_binds_client_users_to_their_account(db: Database, backend_url: str) -> None:
    tenant = await new_tenant(db)
    tenant_id = (await get_tenant(db, tenant)).id
    (account,) = await insert(db, Account(tenant_id=tenant_id, code="A", name="Acme"))

    run = await tally(
        backend_url,
        *create_args(tenant, email(), "client", "--account-id", str(account.id)),
        stdin="password1\n",
    )

    assert run.code == 0, run.stderr
    async with db.read() as session:
        user = await session.get(User, (tenant_id, json.loads(run.stdout)["id"]))
    assert user is not None and (user.role, user.account_id) == ("client", account.id)


async def test_users_create_without_a_password_makes_a_user_who_cannot_sign_in(
    db: Database, backend_url: str
) -> None:
    tenant, login = await new_tenant(db), email()

    run = await tally(backend_url, *create_args(tenant, login, "rf"), stdin="")

    assert run.code == 0, run.stderr
    assert json.loads(run.stdout)["email"] == login
    assert await user_by_password(db, tenant, login, "") is None


@pytest.mark.parametrize(
    "role,stdin,more,message",
    [
        ("superuser", "password1\n", [], "Unknown role"),
        ("rf", "short\n", [], "at least 8"),
        ("client", "password1\n", [], "account_id"),
        ("standard", "password1\n", ["--account-id", "1"], "account_id"),
        ("client", "password1\n", ["--account-id", "999999"], "does not name an account"),
    ],
    ids=["bad role", "short password", "client without account", "account on standard", "unknown account"],
)
async def test_users_create_refuses_bad_input_in_one_line(
    db: Database, backend_url: str, role: str, stdin: str, more: list[str], message: str
) -> None:
    run = await tally(backend_url, *create_args(await new_tenant(db), email(), role, *more), stdin=stdin)

    assert run.code == 1
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1 and message in run.stderr, run.stderr


async def test_users_create_refuses_a_taken_email_and_an_unknown_tenant(
    db: Database, backend_url: str
) -> None:
    tenant, login = await new_tenant(db), email()
    assert (await tally(backend_url, *create_args(tenant, login, "rf"), stdin="password1\n")).code == 0

    taken = await tally(backend_url, *create_args(tenant, login.upper(), "admin"), stdin="password2\n")
    nowhere = await tally(backend_url, *create_args(unique("nobody"), email(), "rf"), stdin="password1\n")

    assert (taken.code, taken.stdout) == (1, "") and "already exists" in taken.stderr, taken.stderr
    assert (nowhere.code, nowhere.stdout) == (1, "") and "No tenant" in nowhere.stderr, nowhere.stderr


async def test_an_unmigrated_database_gets_one_line_not_a_traceback(tmp_path: Path) -> None:
    run = await tally(
        f"sqlite:///{tmp_path / 'empty.db'}", *create_args("acme", email(), "rf"), stdin="password1\n"
    )
    assert run.code == 1
    assert run.stdout == ""
    assert run.stderr.count("\n") == 1
    assert "tally migrate" in run.stderr


async def test_at_a_terminal_the_password_is_asked_for_twice_and_not_echoed(
    db: Database, backend_url: str
) -> None:
    tenant, login = await new_tenant(db), email()
    controller, terminal = pty.openpty()
    env = {**os.environ, "TALLY_DATABASE_URL": backend_url}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tally.cli",
        *create_args(tenant, login, "rf"),
        env=env,
        stdin=terminal,
        stdout=asyncio.subprocess.PIPE,
        stderr=terminal,
        start_new_session=True,  # no controlling terminal: getpass falls back to the pty on stdin
    )
    os.close(terminal)
    screen = b""

    def read_until(prompt: bytes) -> None:
        nonlocal screen
        deadline = time.monotonic() + 60
        while prompt not in screen and time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 0.5)
            if ready:
                screen += os.read(controller, 1024)
        assert prompt in screen, screen

    try:
        # The trailing space is written once echo is off; typing before it would be flushed away.
        await asyncio.to_thread(read_until, b"Password: ")
        os.write(controller, b"typed secret\n")
        await asyncio.to_thread(read_until, b"Repeat for confirmation: ")
        os.write(controller, b"typed secret\n")
        out, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    finally:
        if process.returncode is None:
            process.kill()
        os.close(controller)

    assert process.returncode == 0, screen
    assert json.loads(out)["email"] == login  # the prompts went to the terminal, not stdout
    assert b"typed secret" not in screen
    assert await user_by_password(db, tenant, login, "typed secret") is not None


async def test_clients_create_registers_admin_clients_when_asked(db: Database, backend_url: str) -> None:
    tenant = await new_tenant(db)

    run = await tally(
        backend_url,
        "clients",
        "create",
        "--tenant",
        tenant,
        "--name",
        "ops",
        "--scopes",
        "admin inventory:read",
    )

    assert run.code == 0, run.stderr
    client_id = json.loads(run.stdout)["client_id"]
    async with db.read() as session:
        scopes = await session.scalar(
            sql_select(OAuthClient.scopes).where(OAuthClient.client_id == client_id)
        )
    assert scopes == "admin inventory:read"
