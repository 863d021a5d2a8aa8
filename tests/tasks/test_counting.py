"""Allocation binds counting: a user counts only an unallocated task's check or their own; client
credentials (integrations) are not bound. And attribution: every attempt, completion, resolution and
STOCK_CHECK ledger row records the user behind the token as well as the client."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tally.inventory.models import LedgerTransaction
from tally.oauth.models import OAuthClient
from tally.stock_checks.models import StockCheck, StockCheckAttempt, StockCheckRecord
from tests.stock_checks.helpers import (
    count,
    counted,
    failed_record,
    put_stock,
    reason_code,
    record_of,
    resolve,
    row_counts,
    view,
)
from tests.support import Api, new_site
from tests.tasks.helpers import (
    OPERATIVE,
    SUPERVISOR,
    as_new_user,
    enter,
    exit_,
    no_content,
    open_task,
    refused,
    task_view,
    unallocate,
)


async def client_pk(api: Api) -> int:
    async with api.db.read() as session:
        pk = await session.scalar(
            select(OAuthClient.id).where(
                OAuthClient.tenant_id == api.tenant_id, OAuthClient.client_id == api.client_id
            )
        )
    assert pk is not None
    return pk


async def attempts_of(api: Api, check_id: int) -> list[StockCheckAttempt]:
    async with api.db.read() as session:
        rows = await session.scalars(
            select(StockCheckAttempt)
            .join(
                StockCheckRecord,
                (StockCheckRecord.tenant_id == StockCheckAttempt.tenant_id)
                & (StockCheckRecord.id == StockCheckAttempt.record_id),
            )
            .where(StockCheckAttempt.tenant_id == api.tenant_id, StockCheckRecord.stock_check_id == check_id)
            .order_by(StockCheckAttempt.id)
        )
        return list(rows.all())


async def check_row(api: Api, check_id: int) -> StockCheck:
    async with api.db.read() as session:
        check = await session.get(StockCheck, (api.tenant_id, check_id))
    assert check is not None
    return check


# --- allocation and record_attempt ---


async def test_a_user_cannot_count_a_check_whose_task_is_allocated_to_someone_else(api: Api) -> None:
    site, check_id, task_id = await open_task(api)
    owner, _ = await as_new_user(api, OPERATIVE)
    intruder, _ = await as_new_user(api, OPERATIVE)
    no_content(await enter(owner, task_id))
    before = await row_counts(api)

    refused(await count(intruder, check_id, site.product_id, 5), "allocated to another user")

    assert await row_counts(api) == before
    assert record_of(await view(api, check_id), site.product_id)["attempts"] == []


async def test_the_tasks_holder_counts_it(api: Api) -> None:
    site, check_id, task_id = await open_task(api)
    owner, owner_id = await as_new_user(api, OPERATIVE)
    no_content(await enter(owner, task_id))

    assert await counted(owner, check_id, site.product_id, 5) == {
        "attempt_result": "success",
        "attempt_number": 1,
    }
    assert [a.user_id for a in await attempts_of(api, check_id)] == [owner_id]


async def test_client_credentials_are_not_bound_by_allocation(api: Api) -> None:
    site, check_id, task_id = await open_task(api)
    owner, _ = await as_new_user(api, OPERATIVE)
    no_content(await enter(owner, task_id))
    integration = await api.with_scopes("stock_checks:count")

    await counted(integration, check_id, site.product_id, 5)

    assert [a.user_id for a in await attempts_of(api, check_id)] == [None]


async def test_anyone_with_the_scope_counts_an_unallocated_tasks_check_without_claiming_it(api: Api) -> None:
    site, check_id, task_id = await open_task(api)
    first, first_id = await as_new_user(api, OPERATIVE)
    second, second_id = await as_new_user(api, OPERATIVE)

    await counted(first, check_id, site.product_id, 4)
    await counted(second, check_id, site.product_id, 5)

    assert [a.user_id for a in await attempts_of(api, check_id)] == [first_id, second_id]
    assert (await task_view(api, task_id))["status"] == "AVAILABLE"


@pytest.mark.parametrize("release", ["exit", "unallocate"])
async def test_a_released_task_can_be_counted_by_another_user(api: Api, release: str) -> None:
    site, check_id, task_id = await open_task(api)
    owner, _ = await as_new_user(api, OPERATIVE)
    other, other_id = await as_new_user(api, OPERATIVE)
    no_content(await enter(owner, task_id))
    refused(await count(other, check_id, site.product_id, 5), "allocated to another user")

    no_content(await (exit_(owner, task_id) if release == "exit" else unallocate(api, task_id)))

    await counted(other, check_id, site.product_id, 5)
    assert [a.user_id for a in await attempts_of(api, check_id)] == [other_id]


# --- attribution ---


async def test_a_user_token_is_recorded_on_every_step_of_a_check(api: Api) -> None:
    user, user_id = await as_new_user(api, SUPERVISOR)
    client = await client_pk(api)
    site = await new_site(api)
    counted_stock = await put_stock(api, site, 5, batch="B1")
    await put_stock(api, site, 2, batch="B2")  # never counted: complete counts it as zero
    response = await user.post(
        "/api/stock_checks",
        {
            "data": {
                "type": "stock_checks",
                "attributes": {
                    "location_id": site.location_id,
                    "expected_completion_date": "2026-05-25T17:00:00Z",
                },
            }
        },
    )
    assert response.status_code == 201, response.text
    check_id = response.json()["stock_check_id"]
    await counted(user, check_id, site.product_id, 3, batch="B1")
    complete = await user.post(f"/api/stock_checks/{check_id}/complete")
    assert complete.json() == {"status": "failed"}, complete.text
    records = (await view(api, check_id))["records"]
    code = await reason_code(api)

    assert (await resolve(user, [r["id"] for r in records], code)).status_code == 204

    check = await check_row(api, check_id)
    assert (check.created_by_client_id, check.created_by_user_id) == (client, user_id)
    assert (check.completed_by_client_id, check.completed_by_user_id) == (client, user_id)
    attempts = await attempts_of(api, check_id)
    assert len(attempts) == 2  # the count, and complete's zero count of B2
    assert {(a.client_id, a.user_id) for a in attempts} == {(client, user_id)}
    async with api.db.read() as session:
        stored = (
            await session.scalars(
                select(StockCheckRecord).where(
                    StockCheckRecord.tenant_id == api.tenant_id, StockCheckRecord.stock_check_id == check_id
                )
            )
        ).all()
        ledger = (
            await session.scalars(
                select(LedgerTransaction).where(
                    LedgerTransaction.tenant_id == api.tenant_id, LedgerTransaction.stock_check_id == check_id
                )
            )
        ).all()
    assert {(r.resolved_by_client_id, r.resolved_by_user_id) for r in stored} == {(client, user_id)}
    assert len(ledger) == 2 and {(t.client_id, t.user_id) for t in ledger} == {(client, user_id)}
    assert counted_stock in {t.stock_id for t in ledger}

    shown = await view(api, check_id)
    assert shown["completed_by_user_id"] == user_id
    assert {r["resolved_by_user_id"] for r in shown["records"]} == {user_id}
    assert [a["user_id"] for r in shown["records"] for a in r["attempts"]] == [user_id, user_id]


async def test_client_credentials_record_the_client_and_no_user(api: Api) -> None:
    client = await client_pk(api)
    _, check_id, record_id = await failed_record(api)
    assert (await resolve(api, [record_id], await reason_code(api))).status_code == 204

    check = await check_row(api, check_id)
    assert (check.created_by_client_id, check.created_by_user_id) == (client, None)
    assert (check.completed_by_client_id, check.completed_by_user_id) == (client, None)
    assert {(a.client_id, a.user_id) for a in await attempts_of(api, check_id)} == {(client, None)}
    async with api.db.read() as session:
        record = await session.get(StockCheckRecord, (api.tenant_id, record_id))
        ledger = (
            await session.scalars(
                select(LedgerTransaction).where(
                    LedgerTransaction.tenant_id == api.tenant_id, LedgerTransaction.stock_check_id == check_id
                )
            )
        ).all()
    assert record is not None and (record.resolved_by_client_id, record.resolved_by_user_id) == (client, None)
    assert len(ledger) == 1 and (ledger[0].client_id, ledger[0].user_id) == (client, None)

    shown = await view(api, check_id)
    assert shown["completed_by_user_id"] is None
    assert shown["records"][0]["resolved_by_user_id"] is None
    assert shown["records"][0]["attempts"][0]["user_id"] is None


async def test_a_blind_counter_sees_who_counted_but_still_no_system_counts(api: Api) -> None:
    site, check_id, _ = await open_task(api)
    operative, operative_id = await as_new_user(api, OPERATIVE)
    await counted(operative, check_id, site.product_id, 4)

    record = record_of(await view(operative, check_id), site.product_id)

    assert "expected_quantity" not in record
    assert [set(a) for a in record["attempts"]] == [
        {"attempt_number", "physical_count", "attempt_result", "recorded_at", "user_id"}
    ]
    assert record["attempts"][0]["user_id"] == operative_id
    assert record["resolved_by_user_id"] is None
