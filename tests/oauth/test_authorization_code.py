"""The authorization code grant with PKCE (RFC 6749 §4.1, RFC 7636): GET /oauth/authorize's validation and
error redirects, the code exchange at /oauth/token, and the server metadata (RFC 8414)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from tally.db import Database
from tally.db.types import utcnow
from tally.oauth.models import OAuthAuthorizationCode, OAuthClient, OAuthToken
from tally.oauth.service import create_client
from tests.oauth.flow_helpers import (
    REDIRECT_URI,
    api_status,
    authorize,
    authorize_params,
    browser,
    deactivate_user,
    exchange,
    new_code,
    new_setup,
    open_sign_in,
    pkce_pair,
    post_consent,
    post_sign_in,
    redirect_base,
    redirect_query,
    tokens,
)
from tests.oauth.test_token import assert_oauth_error
from tests.support import unique


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


async def test_sign_in_and_consent_give_a_code_for_tokens_acting_as_the_user(
    http: httpx.AsyncClient, db: Database
) -> None:
    setup = await new_setup(db)
    verifier, challenge = pkce_pair()

    query, params = await authorize(db, setup, challenge)

    assert set(query) == {"code", "state"}
    assert query["state"] == params["state"]
    response = await exchange(http, setup, query["code"], verifier)
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "inventory:read stock_checks:count"
    assert await api_status(http, setup.subdomain, body["access_token"]) == 404
    async with db.read() as session:
        token = await session.scalar(
            select(OAuthToken).where(
                OAuthToken.tenant_id == setup.tenant_id, OAuthToken.token_hash == sha256(body["access_token"])
            )
        )
    assert token is not None and token.user_id == setup.user_id


async def test_the_redirect_goes_to_the_registered_uri_keeping_its_query(db: Database) -> None:
    uri = "https://app.example/cb?tenant=7"
    setup = await new_setup(db, redirect_uris=uri)
    _verifier, challenge = pkce_pair()
    params = authorize_params(setup, challenge)
    async with browser(db) as client:
        page = await open_sign_in(client, params)
        consent = await post_sign_in(client, page, setup.subdomain, setup.email)
        response = await post_consent(client, consent)
    assert response.status_code == 303
    assert response.headers["location"].startswith("https://app.example/cb?tenant=7&code=")


@pytest.mark.parametrize(
    "client_scopes,role,requested,granted",
    [
        (
            "inventory:read stock_checks:count",
            "rf",
            "inventory:read stock_checks:count",
            "stock_checks:count",
        ),
        ("inventory:read inventory:write", "standard", None, "inventory:read"),
        ("inventory:read stock_checks:manage", "admin", "stock_checks:manage", "stock_checks:manage"),
        (
            "inventory:read inventory:write stock_checks:count stock_checks:manage",
            "standard",
            None,
            "inventory:read stock_checks:count stock_checks:manage",
        ),
    ],
    ids=["rf counts only", "no scope named: client's and role's", "narrow request", "standard role"],
)
async def test_granted_scopes_are_those_requested_the_client_and_the_role_hold(
    http: httpx.AsyncClient, db: Database, client_scopes: str, role: str, requested: str | None, granted: str
) -> None:
    setup = await new_setup(db, role=role, client_scopes=client_scopes)
    body = await tokens(http, db, setup, scope=requested)
    assert body["scope"] == granted


async def test_a_counting_users_token_cannot_read_inventory(http: httpx.AsyncClient, db: Database) -> None:
    setup = await new_setup(db, role="rf")
    body = await tokens(http, db, setup)
    assert body["scope"] == "stock_checks:count"
    assert await api_status(http, setup.subdomain, body["access_token"]) == 403


async def test_a_second_use_of_a_code_is_refused_and_revokes_what_it_issued(
    http: httpx.AsyncClient, db: Database
) -> None:
    setup = await new_setup(db)
    code, verifier = await new_code(db, setup)
    first = await exchange(http, setup, code, verifier)
    assert first.status_code == 200, first.text
    issued = first.json()
    assert await api_status(http, setup.subdomain, issued["access_token"]) == 404

    second = await exchange(http, setup, code, verifier)

    assert_oauth_error(second, 400, "invalid_grant")
    assert await api_status(http, setup.subdomain, issued["access_token"]) == 401
    refreshed = await http.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "refresh_token": issued["refresh_token"], **setup.client_auth},
    )
    assert_oauth_error(refreshed, 400, "invalid_grant")


async def test_codes_live_sixty_seconds_and_are_stored_only_as_hashes(db: Database) -> None:
    setup = await new_setup(db)
    code, _verifier = await new_code(db, setup)
    async with db.read() as session:
        row = await session.scalar(
            select(OAuthAuthorizationCode).where(
                OAuthAuthorizationCode.tenant_id == setup.tenant_id,
                OAuthAuthorizationCode.code_hash == sha256(code),
            )
        )
    assert row is not None
    assert row.expires_at - row.created_at == timedelta(seconds=60)
    assert row.user_id == setup.user_id
    assert not any(code in str(getattr(row, c.key)) for c in OAuthAuthorizationCode.__table__.columns)


async def test_an_expired_code_is_refused(http: httpx.AsyncClient, db: Database) -> None:
    setup = await new_setup(db)
    code, verifier = await new_code(db, setup)
    async with db.write() as session:
        await session.execute(
            update(OAuthAuthorizationCode)
            .where(OAuthAuthorizationCode.code_hash == sha256(code))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert_oauth_error(await exchange(http, setup, code, verifier), 400, "invalid_grant")


@pytest.mark.parametrize(
    "verifier,error",
    [
        ("wrong-" + "v" * 50, "invalid_grant"),
        ("short", "invalid_grant"),
        (None, "invalid_request"),
    ],
    ids=["wrong verifier", "malformed verifier", "no verifier"],
)
async def test_the_verifier_must_match_the_challenge(
    http: httpx.AsyncClient, db: Database, verifier: str | None, error: str
) -> None:
    setup = await new_setup(db)
    code, good = await new_code(db, setup)
    assert_oauth_error(await exchange(http, setup, code, verifier), 400, error)
    # The code was not spent by a failed verification: the client holding the verifier still gets tokens.
    assert (await exchange(http, setup, code, good)).status_code == 200


async def test_the_verifier_of_another_flow_is_refused(http: httpx.AsyncClient, db: Database) -> None:
    setup = await new_setup(db)
    code, _ = await new_code(db, setup)
    _other_code, other_verifier = await new_code(db, setup)
    assert_oauth_error(await exchange(http, setup, code, other_verifier), 400, "invalid_grant")


@pytest.mark.parametrize(
    "redirect_uri", ["https://app.example/other", "https://app.example/callback/", None], ids=str
)
async def test_the_token_request_must_repeat_the_redirect_uri(
    http: httpx.AsyncClient, db: Database, redirect_uri: str | None
) -> None:
    setup = await new_setup(db)
    code, verifier = await new_code(db, setup)
    response = await exchange(http, setup, code, verifier, redirect_uri=redirect_uri or "")
    assert_oauth_error(response, 400, "invalid_grant")


async def test_with_one_registered_uri_the_request_may_leave_it_out(
    http: httpx.AsyncClient, db: Database
) -> None:
    setup = await new_setup(db, redirect_uris=REDIRECT_URI)
    code, verifier = await new_code(db, setup, redirect_uri=None)
    named = await exchange(http, setup, code, verifier)
    assert_oauth_error(named, 400, "invalid_grant")  # it was not in the authorization request either
    code, verifier = await new_code(db, setup, redirect_uri=None)
    assert (await exchange(http, setup, code, verifier, redirect_uri=None)).status_code == 200


async def test_a_code_of_another_client_is_refused(http: httpx.AsyncClient, db: Database) -> None:
    setup = await new_setup(db)
    other = await new_setup(db, subdomain=setup.subdomain)
    code, verifier = await new_code(db, setup)
    response = await http.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": setup.redirect_uri,
            "code_verifier": verifier,
            **other.client_auth,
        },
    )
    assert_oauth_error(response, 400, "invalid_grant")
    assert (await exchange(http, setup, code, verifier)).status_code == 200


async def test_a_user_deactivated_before_the_exchange_gets_no_token(
    http: httpx.AsyncClient, db: Database
) -> None:
    setup = await new_setup(db)
    code, verifier = await new_code(db, setup)
    await deactivate_user(db, setup)
    assert_oauth_error(await exchange(http, setup, code, verifier), 400, "invalid_grant")


async def test_an_unknown_code_is_refused(http: httpx.AsyncClient, db: Database) -> None:
    setup = await new_setup(db)
    _verifier, _ = pkce_pair()
    assert_oauth_error(await exchange(http, setup, "never-issued", "v" * 43), 400, "invalid_grant")
    assert_oauth_error(await exchange(http, setup, "", "v" * 43), 400, "invalid_request")


# Client authentication


async def test_a_public_client_exchanges_with_its_id_alone(http: httpx.AsyncClient, db: Database) -> None:
    setup = await new_setup(db, is_public=True)
    body = await tokens(http, db, setup)
    assert await api_status(http, setup.subdomain, body["access_token"]) == 404


async def test_a_confidential_client_must_authenticate(http: httpx.AsyncClient, db: Database) -> None:
    setup = await new_setup(db)
    code, verifier = await new_code(db, setup)
    for auth in ({"client_id": setup.client_id}, {"client_id": setup.client_id, "client_secret": "wrong"}):
        response = await http.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": setup.redirect_uri,
                "code_verifier": verifier,
                **auth,
            },
        )
        assert_oauth_error(response, 401, "invalid_client")
    basic = await http.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": setup.redirect_uri,
            "code_verifier": verifier,
        },
        auth=(setup.client_id, setup.client_secret),
    )
    assert basic.status_code == 200, basic.text


async def test_a_public_client_may_not_use_client_credentials(http: httpx.AsyncClient, db: Database) -> None:
    setup = await new_setup(db, is_public=True)
    by_id = await http.post("/oauth/token", data={"grant_type": "client_credentials", **setup.client_auth})
    assert_oauth_error(by_id, 400, "unauthorized_client")
    with_secret = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(setup.client_id, setup.client_secret),
    )
    assert_oauth_error(with_secret, 400, "unauthorized_client")


# GET /oauth/authorize: errors before the redirect URI is trusted are shown, never redirected


@pytest.mark.parametrize(
    "overrides",
    [
        {"client_id": "no-such-client"},
        {"client_id": None},
        {"redirect_uri": "https://evil.example/callback"},
        {"redirect_uri": "https://app.example/callback?x=1"},
        {"redirect_uri": "https://app.example/callback#frag"},
        {"redirect_uri": None},  # two are registered
    ],
    ids=["unknown client", "no client", "unregistered", "extra query", "fragment", "left out"],
)
async def test_an_untrusted_client_or_redirect_uri_gets_an_error_page(
    db: Database, overrides: dict[str, str | None]
) -> None:
    setup = await new_setup(db)
    _verifier, challenge = pkce_pair()
    async with browser(db) as client:
        response = await client.get(
            "/oauth/authorize", params=authorize_params(setup, challenge, **overrides)
        )
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert 'role="alert"' in response.text
    assert "evil.example" not in response.text


async def test_an_inactive_client_gets_an_error_page(db: Database) -> None:
    setup = await new_setup(db)
    async with db.write() as session:
        await session.execute(
            update(OAuthClient).where(OAuthClient.client_id == setup.client_id).values(is_active=False)
        )
    _verifier, challenge = pkce_pair()
    async with browser(db) as client:
        response = await client.get("/oauth/authorize", params=authorize_params(setup, challenge))
    assert response.status_code == 400 and "location" not in response.headers


async def test_a_repeated_redirect_uri_gets_an_error_page(db: Database) -> None:
    setup = await new_setup(db)
    _verifier, challenge = pkce_pair()
    params = [*authorize_params(setup, challenge).items(), ("redirect_uri", "https://evil.example/")]
    async with browser(db) as client:
        response = await client.get("/oauth/authorize", params=params)
    assert response.status_code == 400 and "location" not in response.headers


@pytest.mark.parametrize(
    "overrides,error",
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": None}, "invalid_request"),
        ({"scope": "inventory:read admin"}, "invalid_scope"),
        ({"scope": "inventory:delete"}, "invalid_scope"),
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": "too-short"}, "invalid_request"),
    ],
    ids=[
        "implicit",
        "no response_type",
        "scope the client lacks",
        "unknown scope",
        "no PKCE challenge",
        "plain PKCE",
        "no PKCE method (plain by default)",
        "malformed challenge",
    ],
)
async def test_invalid_requests_redirect_back_with_the_error_and_state(
    db: Database, overrides: dict[str, str | None], error: str
) -> None:
    setup = await new_setup(db, client_scopes="inventory:read stock_checks:count")
    _verifier, challenge = pkce_pair()
    params = authorize_params(setup, challenge, **overrides)
    async with browser(db) as client:
        response = await client.get("/oauth/authorize", params=params)
    assert response.status_code == 302, response.text
    assert redirect_base(response) == setup.redirect_uri
    query = redirect_query(response)
    assert query["error"] == error
    assert query["error_description"]
    assert query["state"] == params["state"]
    assert "code" not in query


async def test_a_repeated_parameter_redirects_invalid_request(db: Database) -> None:
    setup = await new_setup(db)
    _verifier, challenge = pkce_pair()
    params = [*authorize_params(setup, challenge).items(), ("scope", "inventory:read")]
    async with browser(db) as client:
        response = await client.get("/oauth/authorize", params=params)
    assert redirect_query(response)["error"] == "invalid_request"


# Metadata


async def test_metadata_describes_the_server(http: httpx.AsyncClient) -> None:
    response = await http.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    body = response.json()
    assert body["issuer"] == "http://tally.test"
    assert body["authorization_endpoint"] == "http://tally.test/oauth/authorize"
    assert body["token_endpoint"] == "http://tally.test/oauth/token"
    assert body["introspection_endpoint"] == "http://tally.test/oauth/introspect"
    assert body["revocation_endpoint"] == "http://tally.test/oauth/revoke"
    assert body["code_challenge_methods_supported"] == ["S256"]
    assert body["response_types_supported"] == ["code"]
    assert set(body["grant_types_supported"]) == {"authorization_code", "refresh_token", "client_credentials"}
    assert "none" in body["token_endpoint_auth_methods_supported"]
    assert "inventory:read" in body["scopes_supported"]


async def test_client_credentials_clients_are_unaffected(http: httpx.AsyncClient, db: Database) -> None:
    setup = await new_setup(db)
    client = await create_client(db, setup.subdomain, unique("erp"))
    response = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret),
    )
    assert response.status_code == 200
    assert "refresh_token" not in response.json()
