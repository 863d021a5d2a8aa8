"""Every endpoint under /api: the tenant header, the bearer token of that tenant, the scope it needs, and
other tenants' ids (polar's anonymous / wrong scope / other tenant / right client, for each route)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.inventory.resources import ALL
from tests.support import Api, new_site, unique


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # {id} is filled with a row of the tenant
    resource: str
    writes: bool

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


ENDPOINTS = [
    endpoint
    for spec in ALL
    for endpoint in (
        Endpoint("POST", f"/api/{spec.plural}", spec.plural, True),
        Endpoint("GET", f"/api/{spec.plural}/{{id}}", spec.plural, False),
        Endpoint("PATCH", f"/api/{spec.plural}/{{id}}", spec.plural, True),
    )
] + [Endpoint("POST", "/api/stocks/{id}/adjust", "stocks", True)]
WITH_IDS = [e for e in ENDPOINTS if "{id}" in e.path]
UPDATES = {spec.plural: spec.update for spec in ALL}

endpoints = pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)


async def seed(api: Api) -> dict[str, int]:
    """One row of each resource in the tenant, by plural, plus an adjustment reason code."""
    site = await new_site(api)
    stock = await api.create("stocks", product_id=site.product_id, location_id=site.location_id, quantity=5)
    reason = await api.create(
        "reason_codes",
        code=unique("RC"),
        name="Found",
        description="Found",
        reason_type="positive_adjustment",
    )
    return {
        "accounts": site.account_id,
        "warehouses": site.warehouse_id,
        "locations": site.location_id,
        "products": site.product_id,
        "reason_codes": reason["id"],
        "stocks": stock["id"],
    }


def request_body(endpoint: Endpoint, ids: dict[str, int]) -> dict[str, Any]:
    if endpoint.path.endswith("/adjust"):
        return {"data": {"attributes": {"quantity_change": 1, "reason_code_id": ids["reason_codes"]}}}
    if endpoint.method == "PATCH":
        return {"data": {"type": endpoint.resource, "attributes": UPDATES[endpoint.resource]}}
    return {"data": {"type": endpoint.resource, "attributes": {}}}


async def call(
    http: httpx.AsyncClient, endpoint: Endpoint, ids: dict[str, int], headers: dict[str, str]
) -> httpx.Response:
    path = endpoint.path.format(id=ids[endpoint.resource])
    body = None if endpoint.method == "GET" else request_body(endpoint, ids)
    return await http.request(endpoint.method, path, json=body, headers=headers)


def assert_unauthenticated(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]
    assert "data" not in response.json()


@endpoints
async def test_missing_tenant_header_answers_400(api: Api, endpoint: Endpoint) -> None:
    ids = await seed(api)
    for headers in ({"Authorization": f"Bearer {api.token}"}, {}, {"X-Clarus-Subdomain": "  "}):
        response = await call(api.http, endpoint, ids, headers)
        assert response.status_code == 400, response.text
        assert "X-Clarus-Subdomain" in response.json()["error"]


@endpoints
async def test_missing_or_unusable_tokens_answer_401(api: Api, endpoint: Endpoint) -> None:
    ids = await seed(api)
    basic = base64.b64encode(f"{api.client_id}:{api.client_secret}".encode()).decode()
    for authorization in (None, "Bearer", "Bearer  ", "Bearer not-a-token", f"Basic {basic}", api.token):
        headers = {"X-Clarus-Subdomain": api.subdomain}
        if authorization is not None:
            headers["Authorization"] = authorization
        assert_unauthenticated(await call(api.http, endpoint, ids, headers))


@endpoints
async def test_a_token_of_another_tenant_answers_401_like_an_unknown_tenant(
    api: Api, other_api: Api, endpoint: Endpoint
) -> None:
    ids = await seed(api)
    their_token = {"X-Clarus-Subdomain": api.subdomain, "Authorization": f"Bearer {other_api.token}"}
    named_other = {"X-Clarus-Subdomain": other_api.subdomain, "Authorization": f"Bearer {api.token}"}
    unknown = {"X-Clarus-Subdomain": unique("nobody"), "Authorization": f"Bearer {api.token}"}

    answers = [
        await call(api.http, endpoint, ids, headers) for headers in (their_token, named_other, unknown)
    ]

    for response in answers:
        assert_unauthenticated(response)
    assert answers[0].json() == answers[1].json() == answers[2].json()


@pytest.mark.parametrize("endpoint", WITH_IDS, ids=str)
async def test_another_tenants_ids_answer_404(api: Api, other_api: Api, endpoint: Endpoint) -> None:
    mine = await seed(api)
    theirs = await seed(other_api)
    # My ids of the right kinds, except the one in the path, which is theirs.
    path = endpoint.path.format(id=theirs[endpoint.resource])
    body = None if endpoint.method == "GET" else request_body(endpoint, mine)

    response = await api.http.request(endpoint.method, path, json=body, headers=api.headers())

    assert response.status_code == 404, response.text
    assert "data" not in response.json()
    stock = await other_api.get(f"/api/stocks/{theirs['stocks']}")
    assert stock.json()["data"]["attributes"]["quantity"] == 5


@endpoints
@pytest.mark.parametrize(
    "scopes",
    [("stock_checks:count", "stock_checks:manage"), ("inventory:read",)],
    ids=["stock-check scopes", "read only"],
)
async def test_tokens_without_the_needed_scope_answer_403(
    api: Api, endpoint: Endpoint, scopes: tuple[str, ...]
) -> None:
    ids = await seed(api)
    limited = await api.with_scopes(*scopes)
    allowed = "inventory:read" in scopes and not endpoint.writes

    response = await call(api.http, endpoint, ids, limited.headers())

    if allowed:
        assert response.status_code == 200, response.text
        return
    assert response.status_code == 403, response.text
    assert "inventory:write" in response.json()["error"]
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    stock = await api.get(f"/api/stocks/{ids['stocks']}")
    assert stock.json()["data"]["attributes"]["quantity"] == 5
    assert stock.json()["data"]["attributes"]["status"] == "available"


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if not e.writes], ids=str)
async def test_inventory_write_alone_may_read(api: Api, endpoint: Endpoint) -> None:
    ids = await seed(api)
    writer = await api.with_scopes("inventory:write")
    response = await call(api.http, endpoint, ids, writer.headers())
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("endpoint", [e for e in ENDPOINTS if e.writes], ids=str)
async def test_inventory_write_may_write(api: Api, endpoint: Endpoint) -> None:
    ids = await seed(api)
    writer = await api.with_scopes("inventory:write")
    response = await call(api.http, endpoint, ids, writer.headers())
    # The empty create body is refused for what it lacks (422), not for who sent it (403).
    creates = "{id}" not in endpoint.path
    assert response.status_code == (422 if creates else 200), response.text


async def test_the_tenant_header_is_read_case_insensitively(api: Api) -> None:
    ids = await seed(api)
    response = await api.get(
        f"/api/warehouses/{ids['warehouses']}", headers={"X-Clarus-Subdomain": api.subdomain.upper()}
    )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("subdomain", ["bad\x00tenant", "not a subdomain!", "x" * 300])
async def test_impossible_tenant_names_answer_401(api: Api, subdomain: str) -> None:
    ids = await seed(api)
    response = await api.get(
        f"/api/warehouses/{ids['warehouses']}", headers={"X-Clarus-Subdomain": subdomain}
    )
    assert_unauthenticated(response)
