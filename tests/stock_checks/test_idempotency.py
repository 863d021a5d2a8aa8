"""Idempotency-Key on every stock-check POST: a retry replays the first answer and records nothing new."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select, update

from tally.http.models import IdempotencyKey
from tally.oauth.models import OAuthClient
from tests.stock_checks.helpers import (
    attempt_body,
    create_body,
    failed_record,
    ledger,
    open_check,
    put_stock,
    quantity,
    reason_code,
    record_of,
    row_counts,
    view,
)
from tests.support import Api, new_site, unique

Body = dict[str, Any]


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


def same(first: httpx.Response, second: httpx.Response) -> None:
    assert (second.status_code, second.content) == (first.status_code, first.content)


async def client_pk(api: Api) -> int:
    async with api.db.read() as session:
        pk = await session.scalar(
            select(OAuthClient.id).where(
                OAuthClient.tenant_id == api.tenant_id, OAuthClient.client_id == api.client_id
            )
        )
    assert pk is not None
    return int(pk)


async def test_a_replayed_create_answers_the_first_201_and_creates_nothing(api: Api) -> None:
    site = await new_site(api)
    await put_stock(api, site, 5)
    key = unique("k")
    first = await api.post("/api/stock_checks", create_body(site.location_id), headers=keyed(key))
    assert first.status_code == 201, first.text
    before = await row_counts(api)

    again = await api.post("/api/stock_checks", create_body(site.location_id), headers=keyed(key))

    same(first, again)  # 201, where a fresh create for the location would answer 200
    assert await row_counts(api) == before


async def test_a_replayed_attempt_answers_the_first_and_records_no_second_attempt(api: Api) -> None:
    site = await new_site(api)
    await put_stock(api, site, 5)
    check_id, _ = await open_check(api, site.location_id)
    path = f"/api/stock_checks/{check_id}/record_attempt"
    key = unique("k")
    first = await api.post(path, attempt_body(site.product_id, 4), headers=keyed(key))
    assert first.status_code == 201, first.text
    assert first.json() == {"attempt_result": "failure", "attempt_number": 1}
    before = await row_counts(api)

    again = await api.post(path, attempt_body(site.product_id, 4), headers=keyed(key))

    same(first, again)
    assert await row_counts(api) == before
    assert len(record_of(await view(api, check_id), site.product_id)["attempts"]) == 1
    # A new key is a new attempt.
    fresh = await api.post(path, attempt_body(site.product_id, 5), headers=keyed(unique("k")))
    assert fresh.json() == {"attempt_result": "success", "attempt_number": 2}


async def test_the_same_body_in_another_key_order_is_the_same_request(api: Api) -> None:
    site = await new_site(api)
    await put_stock(api, site, 5)
    check_id, _ = await open_check(api, site.location_id)
    path = f"/api/stock_checks/{check_id}/record_attempt"
    key = unique("k")
    first = await api.post(
        path,
        {"data": {"attributes": {"product_id": site.product_id, "physical_count": 5}}},
        headers=keyed(key),
    )
    before = await row_counts(api)

    again = await api.post(
        path,
        {"data": {"attributes": {"physical_count": 5, "product_id": site.product_id}}},
        headers=keyed(key),
    )

    same(first, again)
    assert await row_counts(api) == before


async def test_a_replayed_complete_answers_the_first_200_not_422(api: Api) -> None:
    site = await new_site(api)
    await put_stock(api, site, 5)
    check_id, _ = await open_check(api, site.location_id)
    key = unique("k")
    first = await api.post(f"/api/stock_checks/{check_id}/complete", headers=keyed(key))
    assert first.status_code == 200, first.text
    assert first.json() == {"status": "failed"}
    before = await row_counts(api)

    again = await api.post(f"/api/stock_checks/{check_id}/complete", headers=keyed(key))

    same(first, again)
    assert await row_counts(api) == before


async def test_a_replayed_cancel_answers_the_first_200_not_422(api: Api) -> None:
    site = await new_site(api)
    check_id, _ = await open_check(api, site.location_id)
    key = unique("k")
    first = await api.post(f"/api/stock_checks/{check_id}/cancel", headers=keyed(key))
    assert first.status_code == 200, first.text

    again = await api.post(f"/api/stock_checks/{check_id}/cancel", headers=keyed(key))

    same(first, again)
    assert again.json() == {"status": "cancelled"}


async def test_a_replayed_resolve_answers_204_and_posts_no_second_adjustment(api: Api) -> None:
    site = await new_site(api)
    stock_id = await put_stock(api, site, 5)
    _, check_id, record_id = await failed_record(api, site, stock=None, counted_as=8)
    body = {"stock_check_record_ids": [record_id], "reason_code_id": await reason_code(api)}
    key = unique("k")
    first = await api.post("/api/stock_checks/resolve", body, headers=keyed(key))
    assert first.status_code == 204, first.text
    before = await row_counts(api)

    again = await api.post("/api/stock_checks/resolve", body, headers=keyed(key))

    same(first, again)
    assert await row_counts(api) == before
    assert await quantity(api, stock_id) == 8
    assert len(await ledger(api)) == 1
    assert (await view(api, check_id))["status"] == "resolved"


async def test_a_refusal_is_replayed_too(api: Api) -> None:
    site = await new_site(api)
    check_id, _ = await open_check(api, site.location_id)
    path = f"/api/stock_checks/{check_id}/record_attempt"
    key = unique("k")
    first = await api.post(path, attempt_body(site.product_id, -1), headers=keyed(key))
    assert first.status_code == 422, first.text

    again = await api.post(path, attempt_body(site.product_id, -1), headers=keyed(key))

    same(first, again)


async def test_the_same_key_with_another_body_is_422_and_records_nothing(api: Api) -> None:
    site = await new_site(api)
    await put_stock(api, site, 5)
    check_id, _ = await open_check(api, site.location_id)
    path = f"/api/stock_checks/{check_id}/record_attempt"
    key = unique("k")
    first = await api.post(path, attempt_body(site.product_id, 4), headers=keyed(key))
    assert first.status_code == 201, first.text
    before = await row_counts(api)

    other = await api.post(path, attempt_body(site.product_id, 5), headers=keyed(key))

    assert other.status_code == 422, other.text
    assert isinstance(other.json()["error"], str) and other.json()["error"]
    assert await row_counts(api) == before
    assert len(record_of(await view(api, check_id), site.product_id)["attempts"]) == 1


async def test_the_same_key_on_another_endpoint_is_422(api: Api) -> None:
    site = await new_site(api)
    check_id, _ = await open_check(api, site.location_id)
    key = unique("k")
    first = await api.post(f"/api/stock_checks/{check_id}/cancel", headers=keyed(key))
    assert first.status_code == 200, first.text
    second_site = await new_site(api)
    before = await row_counts(api)

    other = await api.post("/api/stock_checks", create_body(second_site.location_id), headers=keyed(key))

    assert other.status_code == 422, other.text
    assert "error" in other.json()
    assert await row_counts(api) == before


async def test_a_create_for_another_location_under_a_used_key_is_422(api: Api) -> None:
    site = await new_site(api)
    second = await new_site(api)
    key = unique("k")
    first = await api.post("/api/stock_checks", create_body(site.location_id), headers=keyed(key))
    assert first.status_code == 201, first.text
    before = await row_counts(api)

    other = await api.post("/api/stock_checks", create_body(second.location_id), headers=keyed(key))

    assert other.status_code == 422, other.text
    assert await row_counts(api) == before


async def test_a_duplicate_while_the_first_is_in_flight_is_409_and_records_nothing(api: Api) -> None:
    site = await new_site(api)
    await put_stock(api, site, 5)
    check_id, _ = await open_check(api, site.location_id)
    path = f"/api/stock_checks/{check_id}/record_attempt"
    done = unique("k")
    first = await api.post(path, attempt_body(site.product_id, 4), headers=keyed(done))
    assert first.status_code == 201, first.text
    # Another key claimed by the same request, still running: a claim row without a response yet.
    in_flight = unique("k")
    pk = await client_pk(api)
    async with api.db.write() as session:
        fingerprint = await session.scalar(
            select(IdempotencyKey.fingerprint).where(
                IdempotencyKey.tenant_id == api.tenant_id,
                IdempotencyKey.client_pk == pk,
                IdempotencyKey.key == done,
            )
        )
        assert fingerprint is not None
        session.add(
            IdempotencyKey(
                tenant_id=api.tenant_id,
                client_pk=pk,
                key=in_flight,
                fingerprint=fingerprint,
                response_status=None,
                response_body=None,
            )
        )
    before = await row_counts(api)

    duplicate = await api.post(path, attempt_body(site.product_id, 4), headers=keyed(in_flight))

    assert duplicate.status_code == 409, duplicate.text
    assert isinstance(duplicate.json()["error"], str) and duplicate.json()["error"]
    assert await row_counts(api) == before
    assert len(record_of(await view(api, check_id), site.product_id)["attempts"]) == 1


async def test_a_create_retried_while_in_flight_is_409(api: Api) -> None:
    site = await new_site(api)
    key = unique("k")
    first = await api.post("/api/stock_checks", create_body(site.location_id), headers=keyed(key))
    assert first.status_code == 201, first.text
    async with api.db.write() as session:
        await session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.tenant_id == api.tenant_id, IdempotencyKey.key == key)
            .values(response_status=None, response_body=None)
        )
    before = await row_counts(api)

    again = await api.post("/api/stock_checks", create_body(site.location_id), headers=keyed(key))

    assert again.status_code == 409, again.text
    assert "error" in again.json()
    assert await row_counts(api) == before


async def test_keys_belong_to_one_client(api: Api) -> None:
    site = await new_site(api)
    key = unique("k")
    first = await api.post("/api/stock_checks", create_body(site.location_id), headers=keyed(key))
    assert first.status_code == 201, first.text
    check_id = first.json()["stock_check_id"]
    assert (await api.post(f"/api/stock_checks/{check_id}/cancel")).status_code == 200
    colleague = await api.with_scopes("stock_checks:manage")

    theirs = await colleague.post("/api/stock_checks", create_body(site.location_id), headers=keyed(key))

    # Not a replay of the first client's answer: a new check for the location.
    assert theirs.status_code == 201, theirs.text
    assert theirs.json()["stock_check_id"] != check_id


async def test_keys_belong_to_one_tenant(api: Api, other_api: Api) -> None:
    mine = await new_site(api)
    theirs = await new_site(other_api)
    key = unique("k")
    first = await api.post("/api/stock_checks", create_body(mine.location_id), headers=keyed(key))
    assert first.status_code == 201, first.text

    other = await other_api.post("/api/stock_checks", create_body(theirs.location_id), headers=keyed(key))

    assert other.status_code == 201, other.text
    assert other.json() != first.json()
    assert (await row_counts(other_api))["stock_checks"] == 1
