"""Refresh tokens (RFC 6749 §6) with rotation: each is spent on use, and a spent one presented again revokes
its whole family, the refresh tokens and the access tokens issued from them (RFC 9700 §4.14.2)."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from tally.db import Database
from tally.db.types import utcnow
from tally.oauth.models import OAuthRefreshToken
from tests.oauth.flow_helpers import Setup, api_status, deactivate_user, new_setup, tokens
from tests.oauth.test_token import assert_oauth_error


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


async def refresh(
    http: httpx.AsyncClient, setup: Setup, refresh_token: str, scope: str | None = None
) -> httpx.Response:
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token, **setup.client_auth}
    if scope is not None:
        data["scope"] = scope
    return await http.post("/oauth/token", data=data)


async def refreshed(http: httpx.AsyncClient, setup: Setup, refresh_token: str, **kw: Any) -> dict[str, Any]:
    response = await refresh(http, setup, refresh_token, **kw)
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("is_public", [False, True], ids=["confidential", "public"])
async def test_a_refresh_rotates_the_refresh_token(
    http: httpx.AsyncClient, db: Database, is_public: bool
) -> None:
    setup = await new_setup(db, is_public=is_public)
    first = await tokens(http, db, setup)

    second = await refreshed(http, setup, first["refresh_token"])

    assert set(second) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["scope"] == first["scope"]
    assert await api_status(http, setup.subdomain, second["access_token"]) == 404
    # Rotation alone revokes nothing: the first access token lives out its lifetime.
    assert await api_status(http, setup.subdomain, first["access_token"]) == 404
    third = await refreshed(http, setup, second["refresh_token"])
    assert await api_status(http, setup.subdomain, third["access_token"]) == 404


async def test_a_reused_refresh_token_revokes_its_whole_family(http: httpx.AsyncClient, db: Database) -> None:
    setup = await new_setup(db)
    first = await tokens(http, db, setup)
    second = await refreshed(http, setup, first["refresh_token"])
    unrelated = await tokens(http, db, setup)  # another grant of the same user and client

    replay = await refresh(http, setup, first["refresh_token"])

    assert_oauth_error(replay, 400, "invalid_grant")
    for access in (first["access_token"], second["access_token"]):
        assert await api_status(http, setup.subdomain, access) == 401
    assert_oauth_error(await refresh(http, setup, second["refresh_token"]), 400, "invalid_grant")
    assert await api_status(http, setup.subdomain, unrelated["access_token"]) == 404
    assert (await refresh(http, setup, unrelated["refresh_token"])).status_code == 200


async def test_a_refresh_may_narrow_the_scope_but_the_grant_keeps_its_own(
    http: httpx.AsyncClient, db: Database
) -> None:
    setup = await new_setup(db)
    first = await tokens(http, db, setup, scope="inventory:read stock_checks:count")

    narrow = await refreshed(http, setup, first["refresh_token"], scope="stock_checks:count")
    assert narrow["scope"] == "stock_checks:count"
    assert await api_status(http, setup.subdomain, narrow["access_token"]) == 403

    full = await refreshed(http, setup, narrow["refresh_token"])
    assert full["scope"] == "inventory:read stock_checks:count"


@pytest.mark.parametrize("scope", ["inventory:write", "stock_checks:count admin"])
async def test_a_refresh_may_not_widen_the_scope(http: httpx.AsyncClient, db: Database, scope: str) -> None:
    setup = await new_setup(db)
    first = await tokens(http, db, setup, scope="inventory:read stock_checks:count")
    assert_oauth_error(await refresh(http, setup, first["refresh_token"], scope=scope), 400, "invalid_scope")
    # The refused request did not spend the token.
    assert (await refresh(http, setup, first["refresh_token"])).status_code == 200


async def test_another_clients_refresh_token_is_refused_and_left_alone(
    http: httpx.AsyncClient, db: Database
) -> None:
    setup = await new_setup(db)
    thief = await new_setup(db, subdomain=setup.subdomain)
    other_tenant = await new_setup(db)
    first = await tokens(http, db, setup)

    assert_oauth_error(await refresh(http, thief, first["refresh_token"]), 400, "invalid_grant")
    assert_oauth_error(await refresh(http, other_tenant, first["refresh_token"]), 400, "invalid_grant")

    assert await api_status(http, setup.subdomain, first["access_token"]) == 404
    assert (await refresh(http, setup, first["refresh_token"])).status_code == 200


async def test_an_expired_refresh_token_is_refused(http: httpx.AsyncClient, db: Database) -> None:
    setup = await new_setup(db)
    first = await tokens(http, db, setup)
    async with db.write() as session:
        await session.execute(
            update(OAuthRefreshToken)
            .where(OAuthRefreshToken.token_hash == sha256(first["refresh_token"]))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert_oauth_error(await refresh(http, setup, first["refresh_token"]), 400, "invalid_grant")


async def test_refresh_tokens_last_the_configured_lifetime_and_are_stored_as_hashes(
    http: httpx.AsyncClient, db: Database
) -> None:
    setup = await new_setup(db)
    first = await tokens(http, db, setup)
    async with db.read() as session:
        row = await session.scalar(
            select(OAuthRefreshToken).where(OAuthRefreshToken.token_hash == sha256(first["refresh_token"]))
        )
    assert row is not None and row.user_id == setup.user_id
    assert timedelta(days=29, hours=23) < row.expires_at - utcnow() <= timedelta(days=30)
    assert not any(
        first["refresh_token"] in str(getattr(row, c.key)) for c in OAuthRefreshToken.__table__.columns
    )


async def test_an_inactive_users_refresh_token_is_refused(http: httpx.AsyncClient, db: Database) -> None:
    setup = await new_setup(db)
    first = await tokens(http, db, setup)
    await deactivate_user(db, setup)
    assert_oauth_error(await refresh(http, setup, first["refresh_token"]), 400, "invalid_grant")


async def test_revoking_a_refresh_token_revokes_its_grant(http: httpx.AsyncClient, db: Database) -> None:
    setup = await new_setup(db)
    first = await tokens(http, db, setup)

    response = await http.post("/oauth/revoke", data={"token": first["refresh_token"], **setup.client_auth})

    assert response.status_code == 200, response.text
    assert await api_status(http, setup.subdomain, first["access_token"]) == 401
    assert_oauth_error(await refresh(http, setup, first["refresh_token"]), 400, "invalid_grant")


async def test_the_refresh_grant_needs_the_token(http: httpx.AsyncClient, db: Database) -> None:
    setup = await new_setup(db)
    response = await http.post("/oauth/token", data={"grant_type": "refresh_token", **setup.client_auth})
    assert_oauth_error(response, 400, "invalid_request")
    unknown = await refresh(http, setup, "never-issued")
    assert_oauth_error(unknown, 400, "invalid_grant")
