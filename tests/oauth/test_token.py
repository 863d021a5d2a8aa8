"""POST /oauth/token (RFC 6749 client credentials, errors per §5.2) and POST /oauth/revoke (RFC 7009)."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select, update

from tally.app import create_app
from tally.config import Settings
from tally.db import Database
from tally.db.types import utcnow
from tally.errors import InvalidInput, NotFound
from tally.oauth.models import OAuthClient, OAuthToken
from tally.oauth.rules import ALL_SCOPES
from tally.oauth.service import create_client
from tests.support import Api, unique

GRANT = {"grant_type": "client_credentials"}


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


async def token_request(
    http: httpx.AsyncClient,
    data: dict[str, str],
    auth: tuple[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return await http.post("/oauth/token", data=data, auth=auth, headers=headers or {})


def assert_oauth_error(response: httpx.Response, status: int, error: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert body.get("error_description")
    assert "access_token" not in body


async def assert_token_works(http: httpx.AsyncClient, subdomain: str, token: str) -> None:
    response = await http.get(
        "/api/warehouses/999999999",
        headers={"Authorization": f"Bearer {token}", "X-Clarus-Subdomain": subdomain},
    )
    assert response.status_code == 404, response.text  # authenticated, and the row does not exist


async def assert_token_refused(http: httpx.AsyncClient, subdomain: str, token: str) -> None:
    response = await http.get(
        "/api/warehouses/999999999",
        headers={"Authorization": f"Bearer {token}", "X-Clarus-Subdomain": subdomain},
    )
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_basic_authentication_issues_a_bearer_token(api: Api) -> None:
    response = await token_request(api.http, GRANT, auth=(api.client_id, api.client_secret))

    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"].split() == list(ALL_SCOPES)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Type"].startswith("application/json")
    await assert_token_works(api.http, api.subdomain, body["access_token"])


async def test_form_fields_authenticate_the_client(api: Api) -> None:
    response = await token_request(
        api.http, {**GRANT, "client_id": api.client_id, "client_secret": api.client_secret}
    )
    assert response.status_code == 200, response.text
    await assert_token_works(api.http, api.subdomain, response.json()["access_token"])


async def test_each_request_issues_a_new_token(api: Api) -> None:
    first = await token_request(api.http, GRANT, auth=(api.client_id, api.client_secret))
    second = await token_request(api.http, GRANT, auth=(api.client_id, api.client_secret))
    assert first.json()["access_token"] != second.json()["access_token"]
    await assert_token_works(api.http, api.subdomain, first.json()["access_token"])


async def test_the_tenant_header_may_name_the_clients_tenant(api: Api) -> None:
    response = await token_request(
        api.http,
        GRANT,
        auth=(api.client_id, api.client_secret),
        headers={"X-Clarus-Subdomain": api.subdomain},
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("which", ["another tenant", "an unknown tenant"])
async def test_the_tenant_header_naming_another_tenant_is_refused(
    api: Api, other_api: Api, which: str
) -> None:
    subdomain = other_api.subdomain if which == "another tenant" else unique("nobody")
    response = await token_request(
        api.http, GRANT, auth=(api.client_id, api.client_secret), headers={"X-Clarus-Subdomain": subdomain}
    )
    assert_oauth_error(response, 401, "invalid_client")


async def test_a_requested_subset_of_scopes_is_granted_and_enforced(api: Api) -> None:
    response = await token_request(
        api.http, {**GRANT, "scope": "inventory:read"}, auth=(api.client_id, api.client_secret)
    )
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "inventory:read"
    headers = {
        "Authorization": f"Bearer {response.json()['access_token']}",
        "X-Clarus-Subdomain": api.subdomain,
    }
    created = await api.http.post(
        "/api/warehouses", json={"data": {"attributes": {"code": "W", "name": "W"}}}, headers=headers
    )
    assert created.status_code == 403, created.text


@pytest.mark.parametrize(
    "scope", ["inventory:write", "inventory:read inventory:write", "admin", "inventory:read admin"]
)
async def test_scopes_the_client_does_not_hold_are_refused(api: Api, scope: str) -> None:
    reader = await api.with_scopes("inventory:read")
    response = await token_request(
        api.http, {**GRANT, "scope": scope}, auth=(reader.client_id, reader.client_secret)
    )
    assert_oauth_error(response, 400, "invalid_scope")


async def test_a_client_created_without_scopes_gets_all_four(api: Api, db: Database) -> None:
    client = await create_client(db, api.subdomain, "no scopes named")
    assert client.scopes == list(ALL_SCOPES)
    response = await token_request(api.http, GRANT, auth=(client.client_id, client.client_secret))
    assert response.json()["scope"].split() == list(ALL_SCOPES)


async def test_a_client_with_an_unknown_scope_is_not_created(api: Api, db: Database) -> None:
    with pytest.raises(InvalidInput, match="inventory:delete"):
        await create_client(db, api.subdomain, unique("c"), "inventory:read inventory:delete")
    async with db.read() as session:
        names = await session.scalars(select(OAuthClient.name).where(OAuthClient.tenant_id == api.tenant_id))
        assert list(names) == ["tests"]


async def test_a_client_for_an_unknown_tenant_is_not_created(db: Database) -> None:
    with pytest.raises(NotFound):
        await create_client(db, unique("nobody"), "erp")


@pytest.mark.parametrize(
    "credentials",
    ["wrong secret", "unknown client", "another client's secret", "NUL in client_id", "nothing"],
)
async def test_bad_client_credentials_answer_invalid_client(
    api: Api, other_api: Api, credentials: str
) -> None:
    auth = {
        "wrong secret": (api.client_id, api.client_secret + "x"),
        "unknown client": (unique("c"), api.client_secret),
        "another client's secret": (api.client_id, other_api.client_secret),
        "NUL in client_id": (api.client_id + "\x00", api.client_secret),
        "nothing": None,
    }[credentials]
    response = await token_request(api.http, GRANT, auth=auth)
    assert_oauth_error(response, 401, "invalid_client")
    assert response.headers.get("WWW-Authenticate")


async def test_bad_form_credentials_answer_invalid_client(api: Api) -> None:
    response = await token_request(api.http, {**GRANT, "client_id": api.client_id, "client_secret": "wrong"})
    assert_oauth_error(response, 401, "invalid_client")


@pytest.mark.parametrize(
    "data,error",
    [
        ({}, "invalid_request"),
        ({"grant_type": "password", "username": "u", "password": "p"}, "unsupported_grant_type"),
        ({"grant_type": "urn:example:magic"}, "unsupported_grant_type"),
    ],
    ids=["no grant_type", "password", "unknown grant"],
)
async def test_other_grants_are_refused(api: Api, data: dict[str, str], error: str) -> None:
    response = await token_request(api.http, data, auth=(api.client_id, api.client_secret))
    assert_oauth_error(response, 400, error)


async def test_two_authentication_methods_at_once_are_refused(api: Api) -> None:
    response = await token_request(
        api.http,
        {**GRANT, "client_id": api.client_id, "client_secret": api.client_secret},
        auth=(api.client_id, api.client_secret),
    )
    assert_oauth_error(response, 400, "invalid_request")


async def test_repeated_parameters_are_refused(api: Api) -> None:
    response = await api.http.post(
        "/oauth/token",
        content=b"grant_type=client_credentials&grant_type=client_credentials",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=(api.client_id, api.client_secret),
    )
    assert_oauth_error(response, 400, "invalid_request")


async def test_a_json_body_is_refused(api: Api) -> None:
    response = await api.http.post(
        "/oauth/token", json={"grant_type": "client_credentials"}, auth=(api.client_id, api.client_secret)
    )
    assert_oauth_error(response, 400, "invalid_request")


async def test_tokens_and_secrets_are_stored_only_as_hashes(api: Api, db: Database) -> None:
    async with db.read() as session:
        client = await session.scalar(select(OAuthClient).where(OAuthClient.client_id == api.client_id))
        token = await session.scalar(
            select(OAuthToken).where(
                OAuthToken.tenant_id == api.tenant_id, OAuthToken.token_hash == sha256(api.token)
            )
        )
    assert client is not None and token is not None
    assert client.secret_hash == sha256(api.client_secret)
    stored = [
        str(getattr(row, column.key)) for row in (client, token) for column in type(row).__table__.columns
    ]
    assert not any(api.client_secret in value or api.token in value for value in stored)


async def test_an_expired_token_answers_401(api: Api, db: Database) -> None:
    await assert_token_works(api.http, api.subdomain, api.token)
    async with db.write() as session:
        await session.execute(
            update(OAuthToken)
            .where(OAuthToken.tenant_id == api.tenant_id, OAuthToken.token_hash == sha256(api.token))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    await assert_token_refused(api.http, api.subdomain, api.token)


async def test_the_token_lifetime_is_configurable(
    api: Api, db: Database, backend_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TALLY_TOKEN_LIFETIME_SECONDS", "120")
    app = create_app(Settings(database_url=backend_url), database=db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://tally.test"
    ) as http:
        response = await token_request(http, GRANT, auth=(api.client_id, api.client_secret))

    assert response.json()["expires_in"] == 120
    async with db.read() as session:
        expires_at = await session.scalar(
            select(OAuthToken.expires_at).where(
                OAuthToken.tenant_id == api.tenant_id,
                OAuthToken.token_hash == sha256(response.json()["access_token"]),
            )
        )
    assert expires_at is not None
    assert timedelta(seconds=110) < expires_at - utcnow() <= timedelta(seconds=120)


async def test_revoked_tokens_answer_401(api: Api) -> None:
    await assert_token_works(api.http, api.subdomain, api.token)

    response = await api.http.post(
        "/oauth/revoke", data={"token": api.token}, auth=(api.client_id, api.client_secret)
    )

    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"] == "no-store"
    await assert_token_refused(api.http, api.subdomain, api.token)


async def test_revocation_accepts_form_credentials_and_a_type_hint(api: Api) -> None:
    response = await api.http.post(
        "/oauth/revoke",
        data={
            "token": api.token,
            "token_type_hint": "access_token",
            "client_id": api.client_id,
            "client_secret": api.client_secret,
        },
    )
    assert response.status_code == 200, response.text
    await assert_token_refused(api.http, api.subdomain, api.token)


async def test_revoking_an_unknown_token_is_not_an_error(api: Api) -> None:
    response = await api.http.post(
        "/oauth/revoke", data={"token": "never-issued"}, auth=(api.client_id, api.client_secret)
    )
    assert response.status_code == 200, response.text
    await assert_token_works(api.http, api.subdomain, api.token)


@pytest.mark.parametrize("revoker", ["another client of the tenant", "a client of another tenant"])
async def test_a_client_cannot_revoke_another_clients_token(api: Api, other_api: Api, revoker: str) -> None:
    other = await api.with_scopes("inventory:read") if revoker.startswith("another client") else other_api
    await api.http.post(
        "/oauth/revoke", data={"token": api.token}, auth=(other.client_id, other.client_secret)
    )
    await assert_token_works(api.http, api.subdomain, api.token)


async def test_revocation_needs_client_authentication(api: Api) -> None:
    anonymous = await api.http.post("/oauth/revoke", data={"token": api.token})
    wrong = await api.http.post("/oauth/revoke", data={"token": api.token}, auth=(api.client_id, "wrong"))
    assert_oauth_error(anonymous, 401, "invalid_client")
    assert_oauth_error(wrong, 401, "invalid_client")
    await assert_token_works(api.http, api.subdomain, api.token)


async def test_revocation_needs_the_token(api: Api) -> None:
    response = await api.http.post("/oauth/revoke", data={}, auth=(api.client_id, api.client_secret))
    assert_oauth_error(response, 400, "invalid_request")


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/revoke"])
@pytest.mark.parametrize(
    "credentials",
    [
        b"!!!",
        base64.b64encode(b"no-colon"),
        base64.b64encode(b"\xff\xfe:secret"),
        base64.b64encode(b"a%00:b"),
        b"",
    ],
    ids=["not base64", "no colon", "not UTF-8", "escaped NUL", "empty"],
)
async def test_malformed_basic_credentials_answer_invalid_client(
    api: Api, path: str, credentials: bytes
) -> None:
    response = await api.http.post(
        path,
        data={**GRANT, "token": api.token},
        headers={"Authorization": "Basic " + credentials.decode()},
    )
    assert_oauth_error(response, 401, "invalid_client")
    await assert_token_works(api.http, api.subdomain, api.token)
