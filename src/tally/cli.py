"""The `tally` command: thin Typer commands that call services."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Annotated

import typer
from sqlalchemy.exc import DBAPIError

from tally.config import get_settings
from tally.db import Database
from tally.db.migrate import migrate as run_migrations
from tally.errors import TallyError

app = typer.Typer(
    help="Tally: warehouse stock checks, compatible with the ClarusWMS API.", no_args_is_help=True
)
tenants_app = typer.Typer(help="Manage tenants.", no_args_is_help=True)
clients_app = typer.Typer(help="Manage OAuth 2.0 clients.", no_args_is_help=True)
app.add_typer(tenants_app, name="tenants")
users_app = typer.Typer(help="Manage users.", no_args_is_help=True)
app.add_typer(clients_app, name="clients")
app.add_typer(users_app, name="users")


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _database_problem(exc: DBAPIError) -> str:
    # One line instead of a driver traceback; the usual cause is a database never migrated.
    first_line = str(exc.orig).splitlines()[0] if str(exc.orig) else type(exc.orig).__name__
    return f"the database refused the command ({first_line}). Has `tally migrate` been run?"


def _database() -> Database:
    return Database(get_settings().database_url)


@app.command()
def migrate() -> None:
    """Apply database migrations (TALLY_DATABASE_URL, default sqlite:///tally.db)."""
    run_migrations(get_settings().database_url)
    typer.echo("Database is up to date.", err=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Apply migrations, then serve the HTTP API."""
    import uvicorn

    run_migrations(get_settings().database_url)
    uvicorn.run(
        "tally.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        log_level="warning",
    )


@tenants_app.command("create")
def tenants_create(
    subdomain: Annotated[str, typer.Argument(help="The X-Clarus-Subdomain value, e.g. acme.")],
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
) -> None:
    """Create a tenant."""
    from tally.tenants.service import create_tenant

    async def run() -> None:
        db = _database()
        try:
            tenant = await create_tenant(db, subdomain, name)
        finally:
            await db.dispose()
        typer.echo(json.dumps({"id": tenant.id, "subdomain": tenant.subdomain, "name": tenant.name}))

    try:
        asyncio.run(run())
    except TallyError as exc:
        _fail(exc.message)
    except DBAPIError as exc:
        _fail(_database_problem(exc))


@clients_app.command("create")
def clients_create(
    tenant: Annotated[str, typer.Option(help="The tenant's subdomain.")],
    name: Annotated[str, typer.Option(help="A name for the client, e.g. the integration.")],
    scopes: Annotated[
        str | None,
        typer.Option(
            help='Space-separated scopes, e.g. "inventory:read stock_checks:count"; all if omitted.'
        ),
    ] = None,
) -> None:
    """Create an OAuth 2.0 client; prints {"client_id", "client_secret"} once."""
    from tally.oauth.service import create_client

    async def run() -> None:
        db = _database()
        try:
            client = await create_client(db, tenant, name, scopes)
        finally:
            await db.dispose()
        typer.echo(json.dumps({"client_id": client.client_id, "client_secret": client.client_secret}))

    try:
        asyncio.run(run())
    except TallyError as exc:
        _fail(exc.message)
    except DBAPIError as exc:
        _fail(_database_problem(exc))


def _read_password() -> str | None:
    """Prompted for (hidden, twice) at a terminal; else the first line of stdin, where an empty line or no
    input at all means no password (the user cannot sign in until one is set)."""
    if sys.stdin.isatty():
        # Prompts go to stderr: stdout carries the JSON answer alone.
        password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
        return password
    line = sys.stdin.readline().rstrip("\r\n")
    return line or None


@users_app.command("create")
def users_create(
    tenant: Annotated[str, typer.Option(help="The tenant's subdomain.")],
    email: Annotated[str, typer.Option(help="The login, unique within the tenant.")],
    role: Annotated[str, typer.Option(help="admin, standard, client or rf.")],
    name: Annotated[str | None, typer.Option(help="Display name; the email if omitted.")] = None,
    account_id: Annotated[
        int | None, typer.Option("--account-id", help="The account a client-role user belongs to.")
    ] = None,
) -> None:
    """Create a user; the password is prompted for, or read as one line from stdin. Prints {"id", "email",
    "role"}."""
    from tally.users.service import check_new_user, create_user

    try:
        check_new_user(email, name or email, role, None, account_id)
    except TallyError as exc:
        _fail(exc.message)
    password = _read_password()

    async def run() -> None:
        db = _database()
        try:
            user = await create_user(db, tenant, email, name or email, role, password, account_id)
        finally:
            await db.dispose()
        typer.echo(json.dumps({"id": user.id, "email": user.email, "role": user.role}))

    try:
        asyncio.run(run())
    except TallyError as exc:
        _fail(exc.message)
    except DBAPIError as exc:
        _fail(_database_problem(exc))


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    serve_api: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve after seeding.")] = True,
) -> None:
    """Migrate, seed a `demo` tenant with sample data and a client, print how to call it, then serve."""
    from tally.demo import seed_demo

    settings = get_settings()
    run_migrations(settings.database_url)
    credentials = asyncio.run(seed_demo(settings.database_url))
    base = f"http://{host}:{port}"
    typer.echo(
        "\nTally demo tenant 'demo' is ready.\n"
        f"client_id:     {credentials.client_id}\n"
        f"client_secret: {credentials.client_secret}\n\n"
        "Fetch a token:\n"
        f"  curl -s -u '{credentials.client_id}:{credentials.client_secret}' "
        f"-d grant_type=client_credentials {base}/oauth/token\n\n"
        "Then call the API, e.g.:\n"
        f"  curl -s -H 'Authorization: Bearer <access_token>' -H 'X-Clarus-Subdomain: demo' "
        f"{base}/api/locations/{credentials.location_id}\n"
    )
    sys.stdout.flush()
    if serve_api:
        serve(host=host, port=port, workers=1)


if __name__ == "__main__":
    app()
