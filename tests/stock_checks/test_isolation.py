"""Tenancy and scopes on every stock-check endpoint: 400 without a tenant, 401 for a wrong token, 403 for a
missing scope, 404 for another tenant's ids."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.stock_checks.helpers import (
    attempt_body,
    counted,
    create_body,
    failed_record,
    open_check,
    put_stock,
    reason_code,
    record_of,
    row_counts,
    view,
)
from tests.support import Api, new_site

Body = dict[str, Any]


class Target:
    """Ids of one tenant's pending check, a failed record and a reason code, and the body of each endpoint."""

    def __init__(self, api: Api) -> None:
        self.api = api

    async def build(self) -> Target:
        self.site = await new_site(self.api)
        await put_stock(self.api, self.site, 5)
        self.check_id, self.task_id = await open_check(self.api, self.site.location_id)
        _, self.failed_check_id, self.record_id = await failed_record(self.api)
        self.reason_code_id = await reason_code(self.api)
        return self

    def calls(self) -> dict[str, tuple[str, str, Body | None]]:
        return {
            "create": ("POST", "/api/stock_checks", create_body(self.site.location_id)),
            "record_attempt": (
                "POST",
                f"/api/stock_checks/{self.check_id}/record_attempt",
                attempt_body(self.site.product_id, 5),
            ),
            "complete": ("POST", f"/api/stock_checks/{self.check_id}/complete", None),
            "cancel": ("POST", f"/api/stock_checks/{self.check_id}/cancel", None),
            "resolve": (
                "POST",
                "/api/stock_checks/resolve",
                {"stock_check_record_ids": [self.record_id], "reason_code_id": self.reason_code_id},
            ),
            "read": ("GET", f"/api/stock_checks/{self.check_id}", None),
            "read_task": ("GET", f"/api/tasks/{self.task_id}", None),
        }

    async def untouched(self) -> None:
        """The target's check, records and task are as built."""
        attributes = await view(self.api, self.check_id)
        assert attributes["status"] == "pending"
        assert record_of(attributes, self.site.product_id)["attempts"] == []
        assert (await view(self.api, self.failed_check_id))["status"] == "failed"
        task = await self.api.get(f"/api/tasks/{self.task_id}")
        assert task.json()["data"]["attributes"]["status"] == "AVAILABLE"


ENDPOINTS = ["create", "record_attempt", "complete", "cancel", "resolve", "read", "read_task"]


async def call(api: Api, method: str, path: str, body: Body | None, **headers: str) -> httpx.Response:
    if method == "GET":
        return await api.get(path, headers=headers)
    return await api.post(path, body, headers=headers)


def refused(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body["error"], str) and body["error"]


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_without_x_clarus_subdomain_is_400(api: Api, endpoint: str) -> None:
    target = await Target(api).build()
    method, path, body = target.calls()[endpoint]

    response = await api.http.request(
        method, path, json=body, headers={"Authorization": f"Bearer {api.token}"}
    )

    refused(response, 400)
    await target.untouched()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_without_a_token_or_with_a_bad_one_is_401(api: Api, endpoint: str) -> None:
    target = await Target(api).build()
    method, path, body = target.calls()[endpoint]

    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": f"Basic {api.token}"}):
        response = await api.http.request(
            method, path, json=body, headers={"X-Clarus-Subdomain": api.subdomain, **headers}
        )
        refused(response, 401)
    await target.untouched()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_another_tenants_token_is_401(api: Api, other_api: Api, endpoint: str) -> None:
    """Their token naming our tenant, and our token naming theirs."""
    target = await Target(api).build()
    method, path, body = target.calls()[endpoint]

    theirs_on_ours = await call(other_api, method, path, body, **{"X-Clarus-Subdomain": api.subdomain})
    ours_on_theirs = await call(api, method, path, body, **{"X-Clarus-Subdomain": other_api.subdomain})

    refused(theirs_on_ours, 401)
    refused(ours_on_theirs, 401)
    await target.untouched()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_a_tenant_that_does_not_exist_is_401(api: Api, endpoint: str) -> None:
    target = await Target(api).build()
    method, path, body = target.calls()[endpoint]

    response = await call(api, method, path, body, **{"X-Clarus-Subdomain": "no-such-tenant-here"})

    refused(response, 401)
    await target.untouched()


@pytest.mark.parametrize("endpoint", ["record_attempt", "complete", "cancel", "read", "read_task"])
async def test_another_tenants_ids_in_the_path_are_404(api: Api, other_api: Api, endpoint: str) -> None:
    target = await Target(api).build()
    method, path, _ = target.calls()[endpoint]
    # A body that is valid for the other tenant, so only the path id can be wrong.
    theirs = await new_site(other_api)
    body = attempt_body(theirs.product_id, 5) if endpoint == "record_attempt" else None
    before = await row_counts(other_api)

    response = await call(other_api, method, path, body)

    refused(response, 404)
    assert "system_count" not in response.text and "expected_quantity" not in response.text
    await target.untouched()
    assert await row_counts(other_api) == before


async def test_resolving_another_tenants_record_is_422(api: Api, other_api: Api) -> None:
    target = await Target(api).build()
    their_code = await reason_code(other_api)

    response = await other_api.post(
        "/api/stock_checks/resolve",
        {"stock_check_record_ids": [target.record_id], "reason_code_id": their_code},
    )

    refused(response, 422)
    await target.untouched()
    record = (await view(api, target.failed_check_id))["records"][0]
    assert record["status"] == "failed" and record["reason_code_id"] is None


async def test_creating_on_another_tenants_location_is_422(api: Api, other_api: Api) -> None:
    target = await Target(api).build()

    response = await other_api.post("/api/stock_checks", create_body(target.site.location_id))

    refused(response, 422)
    assert (await row_counts(other_api))["stock_checks"] == 0


async def test_counting_another_tenants_product_in_my_check_is_422(api: Api, other_api: Api) -> None:
    target = await Target(api).build()
    mine = await new_site(other_api)
    check_id, _ = await open_check(other_api, mine.location_id)

    response = await other_api.post(
        f"/api/stock_checks/{check_id}/record_attempt", attempt_body(target.site.product_id, 5)
    )

    refused(response, 422)
    assert (await view(other_api, check_id))["records"] == []


@pytest.mark.parametrize("endpoint", ["create", "complete", "cancel", "resolve"])
async def test_a_counter_cannot_manage_checks(api: Api, endpoint: str) -> None:
    target = await Target(api).build()
    method, path, body = target.calls()[endpoint]
    counter = await api.with_scopes("stock_checks:count")
    before = await row_counts(api)

    response = await call(counter, method, path, body)

    refused(response, 403)
    assert await row_counts(api) == before
    await target.untouched()


@pytest.mark.parametrize("scopes", [("stock_checks:count",), ("stock_checks:manage",)])
async def test_counters_and_managers_read_checks_and_tasks(api: Api, scopes: tuple[str, ...]) -> None:
    target = await Target(api).build()
    reader = await api.with_scopes(*scopes)

    check = await reader.get(f"/api/stock_checks/{target.check_id}")
    task = await reader.get(f"/api/tasks/{target.task_id}")

    assert check.status_code == 200, check.text
    assert task.status_code == 200, task.text
    assert task.json()["data"]["attributes"]["stock_check_id"] == target.check_id


async def test_a_counter_records_attempts(api: Api) -> None:
    target = await Target(api).build()
    counter = await api.with_scopes("stock_checks:count")

    assert await counted(counter, target.check_id, target.site.product_id, 5) == {
        "attempt_result": "success",
        "attempt_number": 1,
    }


@pytest.mark.parametrize(
    "scopes",
    [("inventory:read",), ("inventory:read", "inventory:write"), ("stock_checks:manage",)],
    ids=["inventory-read", "inventory-read-write", "manage-only"],
)
async def test_only_a_counter_records_attempts(api: Api, scopes: tuple[str, ...]) -> None:
    target = await Target(api).build()
    other = await api.with_scopes(*scopes)
    method, path, body = target.calls()["record_attempt"]

    response = await call(other, method, path, body)

    refused(response, 403)
    await target.untouched()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
async def test_an_inventory_token_uses_no_stock_check_endpoint(api: Api, endpoint: str) -> None:
    target = await Target(api).build()
    method, path, body = target.calls()[endpoint]
    inventory = await api.with_scopes("inventory:read", "inventory:write")

    response = await call(inventory, method, path, body)

    refused(response, 403)
    await target.untouched()
