"""POST /oauth/introspect (RFC 7662): for an authenticated confidential client, what a token of its tenant
is; {"active": false} for anything unknown, expired, revoked, spent or of another tenant."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from tally.db import Database
from tally.db.types import utcnow
from tally.oauth.models import OAuthToken
from tests.oauth.flow_helpers import Setup, deactivate_user, new_setup, tokens
from tests.oauth.test_token import assert_oauth_error
from tests.support import Api


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


async def introspect(http: httpx.AsyncClient, setup: Setup, token: str, **extra: str) -> dict[str, Any]:
    response = await http.post(
        "/oauth/introspect", data={"token": token, **extra}, auth=(setup.client_id, setup.client_secret)
    )
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    body: dict[str, Any] = response.json()
    return body


async def test_a_users_access_token_is_described(http: httpx.AsyncClient, db: Database) -> None:
    setup = await new_setup(db)
    issued = await tokens(http, db, setup)
    now = int(utcnow().timestamp())

    body = await introspect(http, setup, issued["access_token"], token_type_hint="access_token")

    assert body == {
        "active": True,
        "scope": "inventory:read stock_checks:count",
        "client_id": setup.client_id,
        "token_type": "Bearer",
        "exp": body["exp"],
        "iat": body["iat"],
        "sub": str(setup.user_id),
        "username": setup.email,
        "tenant": setup.subdomain,
    }
    assert now - 60 <= body["iat"] <= now + 5
    assert body["exp"] - body["iat"] in range(3599, 3602)


async def test_a_resource_server_of_the_tenant_may_introspect_other_clients_tokens(
    http: httpx.AsyncClient, db: Database
) -> None:
    setup = await new_setup(db)
    resource_server = await new_setup(db, subdomain=setup.subdomain)
    issued = await tokens(http, db, setup)
    body = await introspect(http, resource_server, issued["access_token"])
    assert body["active"] is True and body["client_id"] == setup.client_id


async def test_a_refresh_token_is_described(http: httpx.AsyncClient, db: Database) -> None:
    setup = await new_setup(db)
    issued = await tokens(http, db, setup)
    body = await introspect(http, setup, issued["refresh_token"])
    assert body["active"] is True
    assert body["token_type"] == "refresh_token"
    assert body["sub"] == str(setup.user_id)


async def test_a_client_credentials_token_has_no_user(
    http: httpx.AsyncClient, api: Api, db: Database
) -> None:
    response = await http.post(
        "/oauth/introspect", data={"token": api.token}, auth=(api.client_id, api.client_secret)
    )
    body = response.json()
    assert body["active"] is True
    assert body["client_id"] == api.client_id
    assert body["tenant"] == api.subdomain
    assert "sub" not in body and "username" not in body


@pytest.mark.parametrize(
    "case", ["unknown", "revoked", "expired", "spent refresh", "inactive user", "other tenant"]
)
async def test_unusable_tokens_are_inactive_and_say_nothing_more(
    http: httpx.AsyncClient, db: Database, case: str
) -> None:
    setup = await new_setup(db)
    issued = await tokens(http, db, setup)
    token = issued["access_token"]
    asker = setup
    if case == "unknown":
        token = "never-issued"
    elif case == "revoked":
        await http.post("/oauth/revoke", data={"token": token}, auth=(setup.client_id, setup.client_secret))
    elif case == "expired":
        async with db.write() as session:
            await session.execute(
                update(OAuthToken)
                .where(OAuthToken.token_hash == sha256(token))
                .values(expires_at=utcnow() - timedelta(seconds=1))
            )
    elif case == "spent refresh":
        token = issued["refresh_token"]
        data = {"grant_type": "refresh_token", "refresh_token": token, **setup.client_auth}
        assert (await http.post("/oauth/token", data=data)).status_code == 200
    elif case == "inactive user":
        await deactivate_user(db, setup)
    elif case == "other tenant":
        asker = await new_setup(db)

    assert await introspect(http, asker, token) == {"active": False}


async def test_introspection_needs_a_confidential_client(http: httpx.AsyncClient, db: Database) -> None:
    setup = await new_setup(db)
    public = await new_setup(db, subdomain=setup.subdomain, is_public=True)
    issued = await tokens(http, db, setup)
    anonymous = await http.post("/oauth/introspect", data={"token": issued["access_token"]})
    wrong = await http.post(
        "/oauth/introspect", data={"token": issued["access_token"]}, auth=(setup.client_id, "wrong")
    )
    by_id = await http.post(
        "/oauth/introspect", data={"token": issued["access_token"], "client_id": public.client_id}
    )
    for response in (anonymous, wrong, by_id):
        assert_oauth_error(response, 401, "invalid_client")


async def test_introspection_needs_the_token(http: httpx.AsyncClient, db: Database) -> None:
    setup = await new_setup(db)
    response = await http.post("/oauth/introspect", data={}, auth=(setup.client_id, setup.client_secret))
    assert_oauth_error(response, 400, "invalid_request")
