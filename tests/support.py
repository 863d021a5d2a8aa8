"""Test helpers shared by every suite: a tenant with a client and a token, talking to the app."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select

from tally.db import Database
from tally.db.types import utcnow
from tally.http.json import dumps
from tally.oauth.models import OAuthClient, OAuthToken
from tally.oauth.rules import ALL_SCOPES, digest, new_secret
from tally.oauth.service import create_client
from tally.tenants.service import create_tenant


def unique(prefix: str = "t") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


async def fetch_token(http: httpx.AsyncClient, client_id: str, secret: str, scope: str | None = None) -> str:
    data = {"grant_type": "client_credentials"}
    if scope:
        data["scope"] = scope
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    response = await http.post("/oauth/token", data=data, headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@dataclass
class Api:
    """A client of one tenant: every call carries its bearer token and X-Clarus-Subdomain."""

    http: httpx.AsyncClient
    db: Database
    subdomain: str
    tenant_id: int
    client_id: str
    client_secret: str
    token: str
    scopes: tuple[str, ...]
    extra_headers: dict[str, str] = field(default_factory=dict)

    def headers(self, **extra: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {self.token}",
            "X-Clarus-Subdomain": self.subdomain,
            **self.extra_headers,
            **extra,
        }

    async def get(self, path: str, **kw: Any) -> httpx.Response:
        return await self.http.get(path, headers=self.headers(**kw.pop("headers", {})), **kw)

    async def post(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return await self._send("POST", path, json, **kw)

    async def patch(self, path: str, json: Any = None, **kw: Any) -> httpx.Response:
        return await self._send("PATCH", path, json, **kw)

    async def _send(self, method: str, path: str, json: Any, **kw: Any) -> httpx.Response:
        # Decimals go out as exact JSON numbers, as a careful integration would send them.
        headers = self.headers(**kw.pop("headers", {}))
        if json is not None:
            headers.setdefault("Content-Type", "application/json")
            kw["content"] = dumps(json)
        return await self.http.request(method, path, headers=headers, **kw)

    async def graphql(self, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
        return await self.post("/graphql", {"query": query, "variables": variables or {}})

    async def acting_as(self, user_id: int, scopes: tuple[str, ...]) -> Api:
        """This api's client acting as a user: a bearer token issued to that user with `scopes`, written
        straight to the database as the authorization code grant would."""
        raw = new_secret()
        async with self.db.write() as session:
            client_pk = await session.scalar(
                select(OAuthClient.id).where(
                    OAuthClient.tenant_id == self.tenant_id, OAuthClient.client_id == self.client_id
                )
            )
            assert client_pk is not None
            session.add(
                OAuthToken(
                    tenant_id=self.tenant_id,
                    client_pk=client_pk,
                    user_id=user_id,
                    token_hash=digest(raw),
                    scopes=" ".join(scopes),
                    expires_at=utcnow() + timedelta(hours=1),
                )
            )
        return replace(self, token=raw, scopes=scopes)

    async def with_scopes(self, *scopes: str) -> Api:
        """Another client of the same tenant holding only `scopes`."""
        client = await create_client(self.db, self.subdomain, unique("c"), " ".join(scopes))
        token = await fetch_token(self.http, client.client_id, client.client_secret)
        return Api(
            self.http,
            self.db,
            self.subdomain,
            self.tenant_id,
            client.client_id,
            client.client_secret,
            token,
            tuple(scopes),
        )

    # Master data shortcuts, each asserting the create worked.
    async def create(self, resource: str, **attributes: Any) -> dict[str, Any]:
        response = await self.post(f"/api/{resource}", {"data": {"type": resource, "attributes": attributes}})
        assert response.status_code == 201, response.text
        data: dict[str, Any] = response.json()["data"]
        return data


async def new_tenant(http: httpx.AsyncClient, db: Database, scopes: tuple[str, ...] = ALL_SCOPES) -> Api:
    subdomain = unique("t")
    tenant = await create_tenant(db, subdomain)
    client = await create_client(db, subdomain, "tests", " ".join(scopes))
    token = await fetch_token(http, client.client_id, client.client_secret)
    return Api(http, db, subdomain, tenant.id, client.client_id, client.client_secret, token, scopes)


@dataclass
class Site:
    """A small warehouse: ids of an account, warehouse, location and product ready for stock."""

    account_id: int
    warehouse_id: int
    location_id: int
    product_id: int


async def new_site(api: Api, *, batch: bool = True, sell_by: bool = True, best_before: bool = True) -> Site:
    account = await api.create(
        "accounts",
        code=unique("A"),
        name="Acme",
        batch_tracking=batch,
        sell_by_tracking=sell_by,
        best_before_tracking=best_before,
    )
    warehouse = await api.create("warehouses", code=unique("W"), name="Main")
    location = await api.create("locations", code=unique("L"), warehouse_id=warehouse["id"])
    product = await api.create("products", code=unique("P"), description="Beans", account_id=account["id"])
    return Site(account["id"], warehouse["id"], location["id"], product["id"])
