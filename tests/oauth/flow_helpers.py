"""The authorization code flow driven as a browser would: a tenant, a registered client and a user, and the
sign-in and consent forms posted with their hidden fields and the CSRF cookie."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi import FastAPI
from sqlalchemy import update

from tally.app import create_app
from tally.config import Settings
from tally.db import Database
from tally.oauth.models import OAuthClient
from tally.oauth.service import create_client
from tally.tenants.service import create_tenant
from tally.users.models import User
from tally.users.service import create_user
from tests.support import unique

PASSWORD = "correct horse battery"
REDIRECT_URI = "https://app.example/callback"

_apps: dict[int, FastAPI] = {}


def app_for(db: Database) -> FastAPI:
    """One app per test database, as the `http` fixture has, but reachable from any client address."""
    if id(db) not in _apps:
        _apps[id(db)] = create_app(Settings(), database=db)
    return _apps[id(db)]


def browser(db: Database, address: str | None = None) -> httpx.AsyncClient:
    """A client that keeps cookies and does not follow redirects, from its own client address, so sign-in
    failures counted against one test's address never throttle another's."""
    address = address or f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"
    transport = httpx.ASGITransport(app=app_for(db), client=(address, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://tally.test")


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass
class Setup:
    """A tenant with a client registered for the code grant and one user of a role."""

    db: Database
    subdomain: str
    tenant_id: int
    client_id: str
    client_secret: str
    client_scopes: str
    redirect_uri: str
    email: str
    user_id: int
    is_public: bool

    @property
    def client_auth(self) -> dict[str, str]:
        """Client authentication as form fields: the secret, or for a public client its id alone."""
        if self.is_public:
            return {"client_id": self.client_id}
        return {"client_id": self.client_id, "client_secret": self.client_secret}


async def new_setup(
    db: Database,
    *,
    role: str = "standard",
    client_scopes: str = "inventory:read inventory:write stock_checks:count stock_checks:manage",
    redirect_uris: str | None = None,
    is_public: bool = False,
    subdomain: str | None = None,
) -> Setup:
    if subdomain is None:
        subdomain = unique("t")
        await create_tenant(db, subdomain)
    client = await create_client(db, subdomain, unique("app"), client_scopes)
    async with db.write() as session:
        await session.execute(
            update(OAuthClient)
            .where(OAuthClient.client_id == client.client_id)
            .values(
                redirect_uris=redirect_uris or f"{REDIRECT_URI} https://app.example/other",
                is_public=is_public,
            )
        )
    email = f"{unique('u')}@example.com"
    account_id = None
    user = await create_user(db, subdomain, email, "Pat", role, PASSWORD, account_id=account_id)
    return Setup(
        db,
        subdomain,
        user.tenant_id,
        client.client_id,
        client.client_secret,
        client_scopes,
        (redirect_uris or REDIRECT_URI).split()[0],
        email,
        user.id,
        is_public,
    )


async def deactivate_user(db: Database, setup: Setup) -> None:
    async with db.write() as session:
        await session.execute(
            update(User)
            .where(User.tenant_id == setup.tenant_id, User.id == setup.user_id)
            .values(is_active=False)
        )


def authorize_params(setup: Setup, challenge: str, **overrides: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": setup.client_id,
        "redirect_uri": setup.redirect_uri,
        "scope": "inventory:read stock_checks:count",
        "state": "xyz-" + secrets.token_hex(4),
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **overrides,
    }
    return {key: value for key, value in params.items() if value is not None}


def hidden(page: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    assert match, f"no hidden field {name!r} in {page[:2000]}"
    return html.unescape(match.group(1))


def redirect_query(response: httpx.Response) -> dict[str, str]:
    """The query of a redirect response's Location, one value per parameter."""
    assert response.status_code in (302, 303), response.text
    location = response.headers["location"]
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def redirect_base(response: httpx.Response) -> str:
    parts = urlsplit(response.headers["location"])
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


async def open_sign_in(client: httpx.AsyncClient, params: dict[str, str]) -> httpx.Response:
    response = await client.get("/oauth/authorize", params=params)
    assert response.status_code == 200, response.text
    return response


async def post_sign_in(
    client: httpx.AsyncClient,
    page: httpx.Response,
    subdomain: str,
    email: str,
    password: str = PASSWORD,
    **overrides: Any,
) -> httpx.Response:
    data = {
        "request": hidden(page.text, "request"),
        "csrf_token": hidden(page.text, "csrf_token"),
        "subdomain": subdomain,
        "email": email,
        "password": password,
        **overrides,
    }
    return await client.post("/oauth/authorize/sign-in", data=data)


async def post_consent(
    client: httpx.AsyncClient, page: httpx.Response, decision: str = "approve", **overrides: Any
) -> httpx.Response:
    data = {
        "consent": hidden(page.text, "consent"),
        "csrf_token": hidden(page.text, "csrf_token"),
        "decision": decision,
        **overrides,
    }
    return await client.post("/oauth/authorize/consent", data=data)


async def authorize(
    db: Database, setup: Setup, challenge: str, **overrides: str | None
) -> tuple[dict[str, str], dict[str, str]]:
    """Run the pages to the end with Allow; (the redirect's query parameters, the request's parameters)."""
    params = authorize_params(setup, challenge, **overrides)
    async with browser(db) as client:
        page = await open_sign_in(client, params)
        consent = await post_sign_in(client, page, setup.subdomain, setup.email)
        assert consent.status_code == 200, consent.text
        response = await post_consent(client, consent)
    return redirect_query(response), params


async def new_code(db: Database, setup: Setup, **overrides: str | None) -> tuple[str, str]:
    """A fresh authorization code and its PKCE verifier."""
    verifier, challenge = pkce_pair()
    query, _ = await authorize(db, setup, challenge, **overrides)
    return query["code"], verifier


async def exchange(
    http: httpx.AsyncClient, setup: Setup, code: str, verifier: str | None, **overrides: str | None
) -> httpx.Response:
    data: dict[str, str | None] = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": setup.redirect_uri,
        "code_verifier": verifier,
        **setup.client_auth,
        **overrides,
    }
    return await http.post("/oauth/token", data={k: v for k, v in data.items() if v is not None})


async def tokens(
    http: httpx.AsyncClient, db: Database, setup: Setup, **overrides: str | None
) -> dict[str, Any]:
    """Access and refresh token of a completed flow."""
    code, verifier = await new_code(db, setup, **overrides)
    response = await exchange(http, setup, code, verifier)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def api_status(http: httpx.AsyncClient, subdomain: str, token: str) -> int:
    """The status of a read needing inventory:read: 404 (authenticated, no such row), 401 or 403."""
    response = await http.get(
        "/api/warehouses/999999999",
        headers={"Authorization": f"Bearer {token}", "X-Clarus-Subdomain": subdomain},
    )
    return response.status_code
