"""OAuth client administration: secrets shown once and stored as digests, rotation, public clients,
deactivation and narrowed scopes taking effect on tokens already issued."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from tally.db import Database
from tally.errors import InvalidInput
from tally.oauth.models import OAuthClient
from tally.oauth.rules import ADMIN, DEFAULT_SCOPES
from tally.oauth.service import create_client
from tests.support import Api, fetch_token, unique
from tests.users.helpers import WAREHOUSE_PROBE, envelope

GRANT = {"grant_type": "client_credentials"}
Body = dict[str, Any]


async def register(admin: Api, **attributes: Any) -> Body:
    body = {"name": unique("erp"), **attributes}
    response = await admin.post("/api/oauth_clients", envelope("oauth_clients", body))
    assert response.status_code == 201, response.text
    assert response.headers["Cache-Control"] == "no-store"
    data: Body = response.json()["data"]
    return data


async def token_request(http: httpx.AsyncClient, client_id: str, secret: str) -> httpx.Response:
    return await http.post("/oauth/token", data=GRANT, auth=(client_id, secret))


async def stored(db: Database, tenant_id: int, id_: int) -> OAuthClient:
    async with db.read() as session:
        client = await session.scalar(
            select(OAuthClient).where(OAuthClient.tenant_id == tenant_id, OAuthClient.id == id_)
        )
    assert client is not None
    return client


def bearer(admin: Api, token: str) -> Api:
    return replace(admin, token=token)


async def test_the_secret_is_shown_once_and_stored_as_a_digest(admin: Api, db: Database) -> None:
    created = await register(admin, scopes=["inventory:read"])
    attributes = created["attributes"]
    secret = attributes["client_secret"]

    row = await stored(db, admin.tenant_id, created["id"])
    read = (await admin.get(f"/api/oauth_clients/{created['id']}")).json()["data"]["attributes"]
    listed = (await admin.get("/api/oauth_clients?limit=500")).json()

    assert isinstance(secret, str) and len(secret) >= 40
    assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(read) and secret not in str(listed)
    assert "client_secret" not in read
    issued = await token_request(admin.http, attributes["client_id"], secret)
    assert issued.status_code == 200, issued.text
    assert issued.json()["scope"] == "inventory:read"


async def test_a_client_registered_without_scopes_gets_the_four_defaults_not_admin(admin: Api) -> None:
    created = await register(admin)
    assert created["attributes"]["scopes"] == list(DEFAULT_SCOPES)
    issued = await token_request(
        admin.http, created["attributes"]["client_id"], created["attributes"]["client_secret"]
    )
    token = bearer(admin, issued.json()["access_token"])
    assert (await token.get("/api/users")).status_code == 403


async def test_admin_must_be_named_to_be_held(admin: Api) -> None:
    created = await register(admin, scopes=[ADMIN])
    attributes = created["attributes"]
    token = bearer(admin, await fetch_token(admin.http, attributes["client_id"], attributes["client_secret"]))

    assert (await token.get("/api/users")).status_code == 200
    assert (await token.get(WAREHOUSE_PROBE)).status_code == 403  # admin alone reads no inventory


async def test_rotation_replaces_the_secret_at_once(admin: Api, db: Database) -> None:
    created = await register(admin)
    client_id, old = created["attributes"]["client_id"], created["attributes"]["client_secret"]
    old_token = bearer(admin, await fetch_token(admin.http, client_id, old))

    rotated = await admin.post(f"/api/oauth_clients/{created['id']}/rotate_secret")

    assert rotated.status_code == 200, rotated.text
    assert rotated.headers["Cache-Control"] == "no-store"
    data = rotated.json()["data"]
    new = data["attributes"]["client_secret"]
    assert (data["id"], data["type"], data["attributes"]["client_id"]) == (
        created["id"],
        "oauth_clients",
        client_id,
    )
    assert new and new != old
    assert (await stored(db, admin.tenant_id, created["id"])).secret_hash == hashlib.sha256(
        new.encode()
    ).hexdigest()
    refused = await token_request(admin.http, client_id, old)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client", refused.text
    assert (await token_request(admin.http, client_id, new)).status_code == 200
    # Tokens issued before the rotation run to their expiry; deactivation is what cuts them off.
    assert (await old_token.get(WAREHOUSE_PROBE)).status_code == 404
    assert (
        "client_secret"
        not in (await admin.get(f"/api/oauth_clients/{created['id']}")).json()["data"]["attributes"]
    )


async def test_a_deactivated_client_gets_no_tokens_and_its_tokens_answer_401(admin: Api) -> None:
    created = await register(admin)
    client_id, secret = created["attributes"]["client_id"], created["attributes"]["client_secret"]
    token = bearer(admin, await fetch_token(admin.http, client_id, secret))
    path = f"/api/oauth_clients/{created['id']}"

    off = await admin.patch(path, envelope("oauth_clients", {"is_active": False}))
    assert off.status_code == 200 and off.json()["data"]["attributes"]["is_active"] is False, off.text
    refused = await token_request(admin.http, client_id, secret)
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client", refused.text
    assert (await token.get(WAREHOUSE_PROBE)).status_code == 401
    assert (await token.graphql("{ warehouses { all { totalCount } } }")).status_code == 401

    await admin.patch(path, envelope("oauth_clients", {"is_active": True}))
    assert (await token.get(WAREHOUSE_PROBE)).status_code == 404
    assert (await token_request(admin.http, client_id, secret)).status_code == 200


async def test_a_client_registered_inactive_gets_no_tokens(admin: Api) -> None:
    created = await register(admin, is_active=False)
    attributes = created["attributes"]
    refused = await token_request(admin.http, attributes["client_id"], attributes["client_secret"])
    assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"


async def test_narrowed_scopes_apply_to_tokens_already_issued(admin: Api) -> None:
    created = await register(admin, scopes=["inventory:read", "inventory:write"])
    attributes = created["attributes"]
    token = bearer(admin, await fetch_token(admin.http, attributes["client_id"], attributes["client_secret"]))
    warehouse = {"code": unique("W"), "name": "W"}
    assert (await token.post("/api/warehouses", envelope("warehouses", warehouse))).status_code == 201

    narrowed = await admin.patch(
        f"/api/oauth_clients/{created['id']}", envelope("oauth_clients", {"scopes": ["inventory:read"]})
    )

    assert narrowed.status_code == 200, narrowed.text
    again = {"code": unique("W"), "name": "W"}
    assert (await token.post("/api/warehouses", envelope("warehouses", again))).status_code == 403
    assert (await token.get(WAREHOUSE_PROBE)).status_code == 404


async def test_a_public_client_has_no_secret_and_no_client_credentials(admin: Api, db: Database) -> None:
    created = await register(admin, is_public=True, redirect_uris=["http://127.0.0.1:9000/callback"])
    attributes = created["attributes"]

    assert attributes["client_secret"] is None
    assert attributes["is_public"] is True
    assert (await stored(db, admin.tenant_id, created["id"])).secret_hash == ""
    for guess in ("x", "", hashlib.sha256(b"").hexdigest()):
        refused = await admin.http.post(
            "/oauth/token", data={**GRANT, "client_id": attributes["client_id"], "client_secret": guess}
        )
        # With a secret: none matches. Without one: a public client may not use this grant.
        assert refused.status_code in (400, 401) and refused.json()["error"] in (
            "invalid_client",
            "invalid_request",
            "unauthorized_client",
        ), refused.text
        assert "access_token" not in refused.json()
    rotated = await admin.post(f"/api/oauth_clients/{created['id']}/rotate_secret")
    assert rotated.status_code == 422, rotated.text
    unchanged = await admin.patch(
        f"/api/oauth_clients/{created['id']}", envelope("oauth_clients", {"is_public": True})
    )
    assert unchanged.status_code == 200, unchanged.text


async def test_a_public_client_keeps_at_least_one_redirect_uri(admin: Api) -> None:
    created = await register(admin, is_public=True, redirect_uris=["https://app.example.com/cb"])
    emptied = await admin.patch(
        f"/api/oauth_clients/{created['id']}", envelope("oauth_clients", {"redirect_uris": []})
    )
    assert emptied.status_code == 422, emptied.text
    assert emptied.json()["errors"][0]["source"]["pointer"] == "/data/attributes/redirect_uris"


@pytest.mark.parametrize(
    "uri",
    [
        "https://erp.example.com/oauth/callback?tenant=acme",
        "https://erp.example.com:8443/cb",
        "http://localhost/cb",
        "http://localhost:3000/cb",
        "http://127.0.0.1:53100/",
        "http://[::1]:8080/cb",
    ],
)
async def test_redirect_uris_that_may_be_registered(admin: Api, uri: str) -> None:
    created = await register(admin, redirect_uris=[uri, uri])
    assert created["attributes"]["redirect_uris"] == [uri]  # repeated once


async def test_redirect_uris_may_not_exceed_what_is_stored(admin: Api) -> None:
    uris = [f"https://erp{n}.example.com/" + "c" * 400 for n in range(6)]
    response = await admin.post(
        "/api/oauth_clients", envelope("oauth_clients", {"name": "erp", "redirect_uris": uris})
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["source"]["pointer"] == "/data/attributes/redirect_uris"


async def test_the_command_line_may_register_admin_clients(admin: Api, db: Database) -> None:
    # What `tally clients create --scopes "admin ..."` calls.
    client = await create_client(db, admin.subdomain, "ops", "admin inventory:read")
    token = bearer(admin, await fetch_token(admin.http, client.client_id, client.client_secret))

    assert client.scopes == ["admin", "inventory:read"]
    assert (await token.get("/api/oauth_clients")).status_code == 200
    with pytest.raises(InvalidInput, match=r"Known scopes: .*admin"):
        await create_client(db, admin.subdomain, "ops", "admin root")
