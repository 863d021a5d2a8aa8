"""POST /api/stock_checks/resolve: all or nothing, variances posted to stock and the ledger, check status."""

from __future__ import annotations

from decimal import Decimal
from decimal import Decimal as D
from typing import Any

import pytest
from sqlalchemy import select

from tally.oauth.models import OAuthClient
from tally.stock_checks.models import StockCheckRecord
from tests.stock_checks.helpers import (
    adjust,
    completed,
    counted,
    failed_record,
    ledger,
    open_check,
    put_stock,
    quantity,
    reason_code,
    record_of,
    resolve,
    row_counts,
    set_adjust_stock_on_resolve,
    stock,
    stock_rows,
    view,
)
from tests.support import Api, new_site

Body = dict[str, Any]


async def test_resolve_answers_204_and_resolves_the_record_and_the_check(api: Api) -> None:
    _, check_id, record_id = await failed_record(api)
    code = await reason_code(api)

    response = await resolve(api, [record_id], code)

    assert response.status_code == 204, response.text
    assert response.content == b""
    attributes = await view(api, check_id)
    assert attributes["status"] == "resolved"
    [record] = attributes["records"]
    assert record["status"] == "resolved"
    assert record["reason_code_id"] == code
    assert isinstance(record["resolved_at"], str)
    async with api.db.read() as session:
        resolver = await session.scalar(
            select(StockCheckRecord.resolved_by_client_id).where(
                StockCheckRecord.tenant_id == api.tenant_id, StockCheckRecord.id == record_id
            )
        )
        client = await session.scalar(
            select(OAuthClient.id).where(
                OAuthClient.tenant_id == api.tenant_id, OAuthClient.client_id == api.client_id
            )
        )
    assert resolver is not None and resolver == client


async def test_a_record_named_twice_is_adjusted_once(api: Api) -> None:
    site = await new_site(api)
    stock_id = await put_stock(api, site, 5)
    _, check_id, record_id = await failed_record(api, site, stock=None, counted_as=8)

    response = await resolve(api, [record_id, record_id], await reason_code(api))

    assert response.status_code == 204, response.text
    assert await quantity(api, stock_id) == 8
    assert len(await ledger(api)) == 1
    assert (await view(api, check_id))["status"] == "resolved"


async def test_a_positive_variance_goes_to_the_groups_oldest_stock_row(api: Api) -> None:
    site = await new_site(api)
    oldest = await put_stock(api, site, 2)
    newer = await put_stock(api, site, 3)
    other_group = await put_stock(api, site, 7, batch="OTHER")
    _, check_id, record_id = await failed_record(api, site, stock=None, counted_as=8)
    code = await reason_code(api)

    response = await resolve(api, [record_id], code)

    assert response.status_code == 204, response.text
    assert await quantity(api, oldest) == 5
    assert await quantity(api, newer) == 3
    assert await quantity(api, other_group) == 7
    [row] = await ledger(api)
    assert (row.stock_id, row.quantity_change, row.resulting_quantity) == (oldest, D(3), D(5))
    assert (row.subtype, row.reason_code_id, row.stock_check_id, row.stock_check_record_id) == (
        "STOCK_CHECK",
        code,
        check_id,
        record_id,
    )
    assert (row.product_id, row.location_id) == (site.product_id, site.location_id)


async def test_a_negative_variance_is_taken_from_the_oldest_rows_first(api: Api) -> None:
    site = await new_site(api)
    oldest = await put_stock(api, site, 2)
    newer = await put_stock(api, site, 3)
    newest = await put_stock(api, site, 4)
    _, check_id, record_id = await failed_record(api, site, stock=None, counted_as=3)  # 9 expected: -6
    code = await reason_code(api)

    response = await resolve(api, [record_id], code)

    assert response.status_code == 204, response.text
    assert [await quantity(api, s) for s in (oldest, newer, newest)] == [0, 0, 3]
    rows = await ledger(api)
    assert sorted((r.stock_id, r.quantity_change, r.resulting_quantity) for r in rows) == [
        (oldest, D(-2), D(0)),
        (newer, D(-3), D(0)),
        (newest, D(-1), D(3)),
    ]
    for row in rows:
        assert (row.subtype, row.reason_code_id, row.stock_check_id, row.stock_check_record_id) == (
            "STOCK_CHECK",
            code,
            check_id,
            record_id,
        )


async def test_a_negative_variance_never_takes_stock_below_zero(api: Api) -> None:
    site = await new_site(api)
    oldest = await put_stock(api, site, 2)
    newer = await put_stock(api, site, 3)
    _, _, record_id = await failed_record(api, site, stock=None, counted_as=0)  # variance -5
    await adjust(api, newer, -3)  # only 2 left when the variance is posted
    code = await reason_code(api)

    response = await resolve(api, [record_id], code)

    assert response.status_code == 204, response.text
    assert await quantity(api, oldest) == 0
    assert await quantity(api, newer) == 0
    rows = await ledger(api)
    assert [(r.stock_id, r.quantity_change, r.resulting_quantity) for r in rows] == [(oldest, D(-2), D(0))]


async def test_only_the_checks_location_is_adjusted(api: Api) -> None:
    site = await new_site(api)
    elsewhere = await api.create("locations", code="ELSEWHERE", warehouse_id=site.warehouse_id)
    far = await put_stock(api, site, 9, location_id=elsewhere["id"])  # older, same group, other location
    here = await put_stock(api, site, 4)
    _, _, record_id = await failed_record(api, site, stock=None, counted_as=1)

    assert (await resolve(api, [record_id], await reason_code(api))).status_code == 204

    assert await quantity(api, here) == 1
    assert await quantity(api, far) == 9
    assert [(r.stock_id, r.quantity_change) for r in await ledger(api)] == [(here, D(-3))]


async def test_a_positive_variance_without_stock_makes_a_new_available_row(api: Api) -> None:
    site = await new_site(api)
    group = {"batch": "FOUND", "sell_by_date": "2026-06-01", "best_before_date": "2026-12-01"}
    _, check_id, record_id = await failed_record(api, site, stock=None, counted_as=4, **group)
    code = await reason_code(api)

    response = await resolve(api, [record_id], code)

    assert response.status_code == 204, response.text
    [made] = await stock_rows(api, site.location_id)
    attributes = await stock(api, made.id)
    assert attributes["product_id"] == site.product_id
    assert attributes["account_id"] == site.account_id
    assert (attributes["batch"], attributes["sell_by_date"], attributes["best_before_date"]) == (
        "FOUND",
        "2026-06-01",
        "2026-12-01",
    )
    assert attributes["quantity"] == 4
    assert attributes["status"] == "available"
    [row] = await ledger(api)
    assert (row.stock_id, row.quantity_change, row.resulting_quantity) == (made.id, D(4), D(4))
    assert (row.reason_code_id, row.stock_check_id, row.stock_check_record_id) == (code, check_id, record_id)


async def test_a_new_row_for_a_group_without_batch_or_dates_has_none(api: Api) -> None:
    site = await new_site(api)
    _, _, record_id = await failed_record(api, site, stock=None, counted_as=Decimal("1.5"))

    assert (await resolve(api, [record_id], await reason_code(api))).status_code == 204

    [made] = await stock_rows(api, site.location_id)
    attributes = await stock(api, made.id)
    assert (attributes["batch"], attributes["sell_by_date"], attributes["best_before_date"]) == (
        None,
        None,
        None,
    )
    assert attributes["quantity"] == Decimal("1.5")


async def test_the_variance_is_the_latest_attempt_against_its_own_system_count(api: Api) -> None:
    site = await new_site(api)
    stock_id = await put_stock(api, site, 5)
    check_id, _ = await open_check(api, site.location_id)
    await counted(api, check_id, site.product_id, 9)
    await put_stock(api, site, 1, batch="OTHER")
    await adjust(api, stock_id, 1)  # system count 6 at the second attempt
    await counted(api, check_id, site.product_id, Decimal("7.25"))
    assert await completed(api, check_id) == "failed"
    record = record_of(await view(api, check_id), site.product_id)

    response = await resolve(api, [record["id"]], await reason_code(api))

    assert response.status_code == 204, response.text
    assert await quantity(api, stock_id) == Decimal("7.25")  # 6 + (7.25 - 6)
    [row] = await ledger(api)
    assert row.quantity_change == Decimal("1.25")


async def test_a_zero_count_of_an_uncounted_group_writes_its_stock_off(api: Api) -> None:
    site = await new_site(api)
    stock_id = await put_stock(api, site, 5)
    check_id, _ = await open_check(api, site.location_id)
    assert await completed(api, check_id) == "failed"  # never counted: counted as zero
    record = record_of(await view(api, check_id), site.product_id)

    assert (await resolve(api, [record["id"]], await reason_code(api))).status_code == 204

    assert await quantity(api, stock_id) == 0
    [row] = await ledger(api)
    assert (row.stock_id, row.quantity_change, row.resulting_quantity) == (stock_id, D(-5), D(0))


async def test_adjust_stock_on_resolve_off_resolves_without_touching_stock(api: Api) -> None:
    site = await new_site(api)
    stock_id = await put_stock(api, site, 5)
    _, check_id, record_id = await failed_record(api, site, stock=None, counted_as=2)
    _, _, found_id = await failed_record(
        api, await new_site(api), stock=None, counted_as=3
    )  # a group with no stock
    await set_adjust_stock_on_resolve(api, False)
    code = await reason_code(api)
    counts = await row_counts(api)

    response = await resolve(api, [record_id, found_id], code)

    assert response.status_code == 204, response.text
    assert await quantity(api, stock_id) == 5
    assert await ledger(api) == []
    assert await row_counts(api) == counts
    attributes = await view(api, check_id)
    assert attributes["status"] == "resolved"
    assert attributes["records"][0]["status"] == "resolved"
    assert attributes["records"][0]["reason_code_id"] == code


async def test_the_check_is_resolved_only_once_every_failed_record_is(api: Api) -> None:
    site = await new_site(api)
    await put_stock(api, site, 5, batch="A")
    await put_stock(api, site, 5, batch="B")
    await put_stock(api, site, 5, batch="GOOD")
    check_id, _ = await open_check(api, site.location_id)
    await counted(api, check_id, site.product_id, 1, batch="A")
    await counted(api, check_id, site.product_id, 2, batch="B")
    await counted(api, check_id, site.product_id, 5, batch="GOOD")
    assert await completed(api, check_id) == "failed"
    attributes = await view(api, check_id)
    first, second = (record_of(attributes, site.product_id, b)["id"] for b in ("A", "B"))
    code = await reason_code(api)

    assert (await resolve(api, [first], code)).status_code == 204
    attributes = await view(api, check_id)
    assert attributes["status"] == "failed"
    assert record_of(attributes, site.product_id, "A")["status"] == "resolved"
    assert record_of(attributes, site.product_id, "B")["status"] == "failed"
    assert record_of(attributes, site.product_id, "GOOD")["status"] == "passed"

    assert (await resolve(api, [second], code)).status_code == 204
    assert (await view(api, check_id))["status"] == "resolved"


async def test_one_call_may_resolve_records_of_several_checks(api: Api) -> None:
    _, first_check, first = await failed_record(api)
    _, second_check, second = await failed_record(api)

    response = await resolve(api, [first, second], await reason_code(api))

    assert response.status_code == 204, response.text
    assert (await view(api, first_check))["status"] == "resolved"
    assert (await view(api, second_check))["status"] == "resolved"
    assert len(await ledger(api)) == 2


# --- refusals: 422 and nothing changed ---


class Scene:
    """One resolvable record and, around it, every kind of record or reason code resolve must refuse."""

    def __init__(self, api: Api, other_api: Api) -> None:
        self.api = api
        self.other_api = other_api
        self.values: dict[str, Any] = {}

    async def build(self) -> None:
        api = self.api
        site = await new_site(api)
        self.good_stock = await put_stock(api, site, 5)
        await put_stock(api, site, 5, batch="PASSED")
        check_id, _ = await open_check(api, site.location_id)
        await counted(api, check_id, site.product_id, 3)
        await counted(api, check_id, site.product_id, 5, batch="PASSED")
        assert await completed(api, check_id) == "failed"
        self.check_id = check_id
        attributes = await view(api, check_id)
        self.values["good"] = record_of(attributes, site.product_id)["id"]
        self.values["latest-is-success"] = record_of(attributes, site.product_id, "PASSED")["id"]

        # A record that failed once then passed, on a failed check.
        site2 = await new_site(api)
        await put_stock(api, site2, 5)
        await put_stock(api, site2, 5, batch="X")
        check2, _ = await open_check(api, site2.location_id)
        await counted(api, check2, site2.product_id, 4)
        await counted(api, check2, site2.product_id, 5)
        await counted(api, check2, site2.product_id, 1, batch="X")
        assert await completed(api, check2) == "failed"
        self.values["failed-then-passed"] = record_of(await view(api, check2), site2.product_id)["id"]

        # A failed record already resolved.
        _, _, resolved = await failed_record(api)
        assert (await resolve(api, [resolved], await reason_code(api))).status_code == 204
        self.values["already-resolved"] = resolved

        # A failed record of a check still pending.
        site3 = await new_site(api)
        pending, _ = await open_check(api, site3.location_id)
        await counted(api, pending, site3.product_id, 2)
        self.values["check-pending"] = record_of(await view(api, pending), site3.product_id)["id"]

        # A failed record of a cancelled check.
        site4 = await new_site(api)
        cancelled, _ = await open_check(api, site4.location_id)
        await counted(api, cancelled, site4.product_id, 2)
        assert (await api.post(f"/api/stock_checks/{cancelled}/cancel")).status_code == 200
        self.values["check-cancelled"] = record_of(await view(api, cancelled), site4.product_id)["id"]

        # Another tenant's failed record.
        _, _, theirs = await failed_record(self.other_api)
        self.values["other-tenants-record"] = theirs

        self.values["code"] = await reason_code(api)
        self.values["inactive-code"] = await reason_code(api, active=False)
        self.values["wrong-type-code"] = await reason_code(api, "negative_adjustment")
        self.values["other-tenants-code"] = await reason_code(self.other_api)

    async def state(self) -> Any:
        """Everything a refused resolve must leave as it was."""
        api = self.api
        attributes = await view(api, self.check_id)
        return (
            attributes["status"],
            [(r["id"], r["status"], r["reason_code_id"], r["resolved_at"]) for r in attributes["records"]],
            await quantity(api, self.good_stock),
            await row_counts(api),
            [(r.id, r.stock_id, r.quantity_change) for r in await ledger(api)],
            [(s.id, s.quantity) for s in await stock_rows(api, attributes["location_id"])],
        )


BAD_BODIES: dict[str, Body] = {
    "ids-missing": {"reason_code_id": "code"},
    "ids-empty": {"stock_check_record_ids": [], "reason_code_id": "code"},
    "ids-not-a-list": {"stock_check_record_ids": "good", "reason_code_id": "code"},
    "id-a-string": {"stock_check_record_ids": ["good", "1"], "reason_code_id": "code"},
    "id-a-float": {"stock_check_record_ids": ["good", 1.5], "reason_code_id": "code"},
    "id-a-boolean": {"stock_check_record_ids": ["good", True], "reason_code_id": "code"},
    "id-null": {"stock_check_record_ids": ["good", None], "reason_code_id": "code"},
    "id-zero": {"stock_check_record_ids": ["good", 0], "reason_code_id": "code"},
    "id-unknown": {"stock_check_record_ids": ["good", 999_999_999], "reason_code_id": "code"},
    "id-other-tenants": {
        "stock_check_record_ids": ["good", "other-tenants-record"],
        "reason_code_id": "code",
    },
    "record-already-resolved": {
        "stock_check_record_ids": ["good", "already-resolved"],
        "reason_code_id": "code",
    },
    "record-latest-success": {
        "stock_check_record_ids": ["good", "latest-is-success"],
        "reason_code_id": "code",
    },
    "record-failed-then-passed": {
        "stock_check_record_ids": ["good", "failed-then-passed"],
        "reason_code_id": "code",
    },
    "check-pending": {"stock_check_record_ids": ["good", "check-pending"], "reason_code_id": "code"},
    "check-cancelled": {"stock_check_record_ids": ["good", "check-cancelled"], "reason_code_id": "code"},
    "code-missing": {"stock_check_record_ids": ["good"]},
    "code-null": {"stock_check_record_ids": ["good"], "reason_code_id": None},
    "code-a-string": {"stock_check_record_ids": ["good"], "reason_code_id": "code-as-text"},
    "code-unknown": {"stock_check_record_ids": ["good"], "reason_code_id": 999_999_999},
    "code-other-tenants": {"stock_check_record_ids": ["good"], "reason_code_id": "other-tenants-code"},
    "code-inactive": {"stock_check_record_ids": ["good"], "reason_code_id": "inactive-code"},
    "code-wrong-type": {"stock_check_record_ids": ["good"], "reason_code_id": "wrong-type-code"},
    "unknown-member": {"stock_check_record_ids": ["good"], "reason_code_id": "code", "note": "x"},
    "enveloped": {"data": {"attributes": {"stock_check_record_ids": ["good"], "reason_code_id": "code"}}},
}


def fill(value: Any, values: dict[str, Any]) -> Any:
    if isinstance(value, list):
        return [fill(v, values) for v in value]
    if isinstance(value, dict):
        return {k: fill(v, values) for k, v in value.items()}
    if value == "code-as-text":
        return str(values["code"])
    if isinstance(value, str) and value in values:
        return values[value]
    return value


@pytest.mark.parametrize("case", BAD_BODIES, ids=str)
async def test_resolve_refuses_with_422_and_changes_nothing(api: Api, other_api: Api, case: str) -> None:
    scene = Scene(api, other_api)
    await scene.build()
    before = await scene.state()
    theirs_before = await row_counts(other_api)

    response = await api.post("/api/stock_checks/resolve", fill(BAD_BODIES[case], scene.values))

    assert response.status_code == 422, response.text
    body = response.json()
    assert isinstance(body["error"], str) and body["error"]
    for error in body.get("errors", []):
        assert error["status"] == "422" and error["code"] and error["detail"]
        assert isinstance(error["source"]["pointer"], str)
    assert await scene.state() == before
    assert await row_counts(other_api) == theirs_before


async def test_the_scene_itself_resolves_when_the_body_is_good(api: Api, other_api: Api) -> None:
    """The refusals above fail for the reason they name: the same scene with a good body resolves."""
    scene = Scene(api, other_api)
    await scene.build()

    response = await resolve(api, [scene.values["good"]], scene.values["code"])

    assert response.status_code == 204, response.text
    assert await quantity(api, scene.good_stock) == 3


async def test_a_refused_resolve_can_be_followed_by_a_good_one(api: Api) -> None:
    _, check_id, record_id = await failed_record(api)
    code = await reason_code(api)

    assert (await resolve(api, [record_id, 999_999_999], code)).status_code == 422
    assert (await resolve(api, [record_id], code)).status_code == 204
    assert (await resolve(api, [record_id], code)).status_code == 422  # now already resolved
    assert (await view(api, check_id))["status"] == "resolved"
    assert len(await ledger(api)) == 1


async def test_resolve_validation_errors_point_at_the_field(api: Api) -> None:
    _, _, record_id = await failed_record(api)

    empty = await resolve(api, [], await reason_code(api))
    no_code = await api.post("/api/stock_checks/resolve", {"stock_check_record_ids": [record_id]})

    assert empty.status_code == 422, empty.text
    assert "/stock_check_record_ids" in [e["source"]["pointer"] for e in empty.json()["errors"]]
    assert no_code.status_code == 422, no_code.text
    assert "/reason_code_id" in [e["source"]["pointer"] for e in no_code.json()["errors"]]


async def test_a_counter_cannot_resolve(api: Api) -> None:
    _, check_id, record_id = await failed_record(api)
    counter = await api.with_scopes("stock_checks:count")

    response = await resolve(counter, [record_id], await reason_code(api))

    assert response.status_code == 403, response.text
    assert "error" in response.json()
    assert (await view(api, check_id))["status"] == "failed"
