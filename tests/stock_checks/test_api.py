"""The stock-check API over HTTP (issue #3): create, record_attempt, complete, cancel, and the reads."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from tests.stock_checks.helpers import (
    EXPECTED,
    adjust,
    complete,
    completed,
    count,
    counted,
    create_body,
    exact,
    open_check,
    put_stock,
    record_of,
    row_counts,
    view,
)
from tests.support import Api, new_site

Body = dict[str, Any]


def assert_invalid(response: httpx.Response, pointer: str | None = None, status: int = 422) -> Body:
    """A refusal with one sentence in "error", and, where a field is named, a field error pointing at it."""
    assert response.status_code == status, response.text
    body: Body = response.json()
    assert isinstance(body.get("error"), str) and body["error"], body
    if pointer is not None:
        assert [e["source"]["pointer"] for e in body["errors"]] == [pointer], body
        for error in body["errors"]:
            assert error["status"] == str(status)
            assert error["code"] and error["detail"]
    return body


async def post_raw(api: Api, path: str, text: str) -> httpx.Response:
    """POST a JSON text as written, so a number keeps its spelling (5.0000, 4.99999, NaN)."""
    return await api.post(path, content=text.encode(), headers={"Content-Type": "application/json"})


def attempt_text(product_id: int, physical_count: str) -> str:
    """A record_attempt body as JSON text, the count spelled exactly as given (no "type", as Clarus shows)."""
    return (
        '{"data":{"attributes":{"product_id":'
        + str(product_id)
        + ',"physical_count":'
        + physical_count
        + "}}}"
    )


# --- create ---


async def test_create_answers_201_with_the_ids_of_a_pending_check_and_its_check_task(api: Api) -> None:
    site = await new_site(api)

    response = await api.post("/api/stock_checks", create_body(site.location_id))

    assert response.status_code == 201, response.text
    body = response.json()
    assert set(body) == {"stock_check_id", "task_id"}
    check_id, task_id = body["stock_check_id"], body["task_id"]
    assert type(check_id) is int and type(task_id) is int

    check = await view(api, check_id)
    assert check["status"] == "pending"
    assert check["location_id"] == site.location_id
    assert check["task_id"] == task_id
    assert check["expected_completion_date"] == EXPECTED
    assert isinstance(check["created_at"], str)
    assert check["completed_at"] is None

    task = await api.get(f"/api/tasks/{task_id}")
    assert task.status_code == 200, task.text
    data = task.json()["data"]
    assert data["id"] == task_id and data["type"] == "tasks"
    attributes = data["attributes"]
    assert set(attributes) == {
        "status",
        "task_type",
        "location_from_id",
        "stock_check_id",
        "created_at",
        "completed_at",
        "user_id",
        "assigned_at",
        "start_at",
        "last_accessed_at",
    }
    assert attributes["status"] == "AVAILABLE"
    assert attributes["task_type"] == "CHECK"
    assert attributes["location_from_id"] == site.location_id
    assert attributes["stock_check_id"] == check_id
    assert isinstance(attributes["created_at"], str)
    assert attributes["completed_at"] is None


async def test_create_returns_the_locations_pending_check_with_200_and_creates_nothing(api: Api) -> None:
    site = await new_site(api)
    await put_stock(api, site, 5)
    check_id, task_id = await open_check(api, site.location_id)
    before = await row_counts(api)

    again = await api.post("/api/stock_checks", create_body(site.location_id, "2027-01-01T00:00:00Z"))

    assert again.status_code == 200, again.text
    assert again.json() == {"stock_check_id": check_id, "task_id": task_id}
    assert await row_counts(api) == before


async def test_create_on_another_location_opens_another_check(api: Api) -> None:
    site = await new_site(api)
    other = await api.create("locations", code="B-02", warehouse_id=site.warehouse_id)

    first = await open_check(api, site.location_id)
    second = await open_check(api, other["id"])

    assert first[0] != second[0] and first[1] != second[1]


async def test_create_makes_one_uncounted_record_per_stock_group_at_the_location(api: Api) -> None:
    site = await new_site(api)
    await put_stock(api, site, 2)
    await put_stock(api, site, 3)  # same group (no batch, no dates) as the row above
    await put_stock(api, site, 4, batch="B1")
    await put_stock(api, site, 1, batch="B1", sell_by_date="2026-06-01", best_before_date="2026-12-01")
    elsewhere = await api.create("locations", code="ELSEWHERE", warehouse_id=site.warehouse_id)
    await put_stock(api, site, 9, location_id=elsewhere["id"], batch="FAR")

    check_id, _ = await open_check(api, site.location_id)

    records = (await view(api, check_id))["records"]
    groups = sorted(
        (r["product_id"], r["batch"] or "", r["sell_by_date"] or "", r["best_before_date"] or "")
        for r in records
    )
    assert groups == [
        (site.product_id, "", "", ""),
        (site.product_id, "B1", "", ""),
        (site.product_id, "B1", "2026-06-01", "2026-12-01"),
    ]
    for record in records:
        assert record["status"] == "uncounted"
        assert record["attempts"] == []
        assert record["reason_code_id"] is None and record["resolved_at"] is None
    assert record_of(await view(api, check_id), site.product_id)["expected_quantity"] == 5


@pytest.mark.parametrize(
    "attributes,pointer",
    [
        ({"expected_completion_date": EXPECTED}, "/data/attributes/location_id"),
        ({"location_id": "LOCATION"}, "/data/attributes/expected_completion_date"),
        (
            {"location_id": "LOCATION", "expected_completion_date": None},
            "/data/attributes/expected_completion_date",
        ),
        (
            {"location_id": "LOCATION", "expected_completion_date": "tomorrow"},
            "/data/attributes/expected_completion_date",
        ),
        (
            {"location_id": "LOCATION", "expected_completion_date": 1779728400},
            "/data/attributes/expected_completion_date",
        ),
        (
            {"location_id": "LOCATION", "expected_completion_date": "2026-13-01T00:00:00Z"},
            "/data/attributes/expected_completion_date",
        ),
        (
            {"location_id": "LOCATION_AS_TEXT", "expected_completion_date": EXPECTED},
            "/data/attributes/location_id",
        ),
        ({"location_id": None, "expected_completion_date": EXPECTED}, "/data/attributes/location_id"),
    ],
    ids=[
        "no-location",
        "no-date",
        "null-date",
        "date-not-a-datetime",
        "date-a-number",
        "date-month-13",
        "location-a-string",
        "location-null",
    ],
)
async def test_create_refuses_invalid_attributes(api: Api, attributes: Body, pointer: str) -> None:
    site = await new_site(api)
    substitutes = {"LOCATION": site.location_id, "LOCATION_AS_TEXT": str(site.location_id)}
    attributes = {k: substitutes.get(v, v) if isinstance(v, str) else v for k, v in attributes.items()}

    response = await api.post(
        "/api/stock_checks", {"data": {"type": "stock_checks", "attributes": attributes}}
    )

    assert_invalid(response, pointer)
    assert (await row_counts(api))["stock_checks"] == 0


async def test_create_refuses_unknown_inactive_and_other_tenants_locations(api: Api, other_api: Api) -> None:
    site = await new_site(api)
    theirs = await new_site(other_api)
    inactive = await api.create("locations", code="SHUT", warehouse_id=site.warehouse_id)
    patched = await api.patch(
        f"/api/locations/{inactive['id']}",
        {"data": {"type": "locations", "attributes": {"is_active": False}}},
    )
    assert patched.status_code == 200, patched.text

    for location_id in (999_999_999, theirs.location_id, inactive["id"]):
        response = await api.post("/api/stock_checks", create_body(location_id))
        assert_invalid(response, "/data/attributes/location_id")
    assert (await row_counts(api))["stock_checks"] == 0
    assert (await row_counts(other_api))["stock_checks"] == 0


# --- record_attempt: the Clarus example, outcomes and attempt numbers ---


async def test_record_attempt_with_the_clarus_example_body(api: Api) -> None:
    site = await new_site(api)
    group: Body = {"batch": "BATCH_A", "sell_by_date": "2026-06-01", "best_before_date": "2026-12-01"}
    await put_stock(api, site, 5, **group)
    check_id, _ = await open_check(api, site.location_id)
    path = f"/api/stock_checks/{check_id}/record_attempt"

    # The structure sample: 5.0 and no "type" in the envelope.
    structure = await post_raw(
        api,
        path,
        attempt_text(
            site.product_id,
            '5.0,"batch":"BATCH_A","sell_by_date":"2026-06-01","best_before_date":"2026-12-01"',
        ),
    )
    assert structure.status_code == 201, structure.text
    assert structure.json() == {"attempt_result": "success", "attempt_number": 1}

    # The curl sample sends 5.
    curl = await count(api, check_id, site.product_id, 5, **group)
    assert curl.status_code == 201, curl.text
    assert curl.json() == {"attempt_result": "success", "attempt_number": 2}


async def test_a_count_that_differs_fails_and_the_second_attempt_is_numbered_2(api: Api) -> None:
    site = await new_site(api)
    await put_stock(api, site, 5)
    check_id, _ = await open_check(api, site.location_id)

    assert await counted(api, check_id, site.product_id, 4) == {
        "attempt_result": "failure",
        "attempt_number": 1,
    }
    assert await counted(api, check_id, site.product_id, 6) == {
        "attempt_result": "failure",
        "attempt_number": 2,
    }

    record = record_of(await view(api, check_id), site.product_id)
    assert record["status"] == "failed"
    assert [(a["attempt_number"], a["physical_count"], a["attempt_result"]) for a in record["attempts"]] == [
        (1, 4, "failure"),
        (2, 6, "failure"),
    ]
    assert [a["system_count"] for a in record["attempts"]] == [5, 5]


async def test_a_failure_then_a_success_leaves_the_record_passed(api: Api) -> None:
    site = await new_site(api)
    await put_stock(api, site, 5)
    check_id, _ = await open_check(api, site.location_id)

    await counted(api, check_id, site.product_id, 4)
    assert await counted(api, check_id, site.product_id, 5) == {
        "attempt_result": "success",
        "attempt_number": 2,
    }

    assert record_of(await view(api, check_id), site.product_id)["status"] == "passed"


@pytest.mark.parametrize("first,second", [(4, 6), (5, 5)], ids=["after-two-failures", "after-two-successes"])
async def test_a_third_attempt_is_refused_and_points_at_resolve(api: Api, first: int, second: int) -> None:
    site = await new_site(api)
    await put_stock(api, site, 5)
    check_id, _ = await open_check(api, site.location_id)
    await counted(api, check_id, site.product_id, first)
    await counted(api, check_id, site.product_id, second)
    before = await row_counts(api)

    third = await count(api, check_id, site.product_id, 5)

    body = assert_invalid(third)
    assert "POST /api/stock_checks/resolve" in body["error"]
    assert await row_counts(api) == before
    record = record_of(await view(api, check_id), site.product_id)
    assert [a["physical_count"] for a in record["attempts"]] == [first, second]


# --- record_attempt: the decimal rule ---


@pytest.mark.parametrize("spelled", ["5", "5.0", "5.0000", "5.00", "5e0", "0.5e1"])
async def test_a_count_equal_as_a_decimal_succeeds_however_it_is_spelled(api: Api, spelled: str) -> None:
    site = await new_site(api)
    await put_stock(api, site, 5)
    check_id, _ = await open_check(api, site.location_id)

    response = await post_raw(
        api,
        f"/api/stock_checks/{check_id}/record_attempt",
        attempt_text(site.product_id, spelled),
    )

    assert response.status_code == 201, response.text
    assert response.json() == {"attempt_result": "success", "attempt_number": 1}


async def test_decimal_counts_compare_exactly(api: Api) -> None:
    site = await new_site(api)
    await put_stock(api, site, 0.1, batch="TENTHS")
    await put_stock(api, site, 0.2, batch="TENTHS")  # 0.1 + 0.2 is 0.3 exactly, unlike in binary floats
    await put_stock(api, site, 2.5, batch="HALF")
    await put_stock(api, site, 1.2345, batch="FOUR")
    check_id, _ = await open_check(api, site.location_id)

    ok = "success", 1
    assert tuple((await counted(api, check_id, site.product_id, 0.3, batch="TENTHS")).values()) == ok
    assert tuple((await counted(api, check_id, site.product_id, 2.5, batch="HALF")).values()) == ok
    assert tuple((await counted(api, check_id, site.product_id, 1.2345, batch="FOUR")).values()) == ok
    # One ten-thousandth off is a different count.
    miss = await counted(api, check_id, site.product_id, 1.2344, batch="FOUR")
    assert miss == {"attempt_result": "failure", "attempt_number": 2}

    record = record_of(await view(api, check_id), site.product_id, batch="TENTHS")
    assert record["attempts"][0]["system_count"] == Decimal("0.3")
    assert record["attempts"][0]["physical_count"] == Decimal("0.3")


@pytest.mark.parametrize(
    "spelled",
    ["4.99999", "0.00001", '"5"', "-1", "-0.5", "true", "null", "100000000000000", "[5]", '{"value":5}'],
    ids=[
        "five-places",
        "tiny-five-places",
        "string",
        "negative",
        "negative-decimal",
        "boolean",
        "null",
        "too-large",
        "array",
        "object",
    ],
)
async def test_an_invalid_physical_count_is_refused_and_nothing_recorded(api: Api, spelled: str) -> None:
    site = await new_site(api)
    await put_stock(api, site, 5)
    check_id, _ = await open_check(api, site.location_id)
    before = await row_counts(api)

    response = await post_raw(
        api,
        f"/api/stock_checks/{check_id}/record_attempt",
        attempt_text(site.product_id, spelled),
    )

    assert_invalid(response, "/data/attributes/physical_count")
    assert await row_counts(api) == before
    assert record_of(await view(api, check_id), site.product_id)["attempts"] == []


@pytest.mark.parametrize("spelled", ["NaN", "Infinity", "-Infinity"])
async def test_nan_and_infinity_are_not_json_and_are_refused(api: Api, spelled: str) -> None:
    site = await new_site(api)
    check_id, _ = await open_check(api, site.location_id)
    before = await row_counts(api)

    response = await post_raw(
        api,
        f"/api/stock_checks/{check_id}/record_attempt",
        attempt_text(site.product_id, spelled),
    )

    assert_invalid(response, status=400)
    assert await row_counts(api) == before


async def test_an_unknown_attribute_is_refused_and_named(api: Api) -> None:
    site = await new_site(api)
    check_id, _ = await open_check(api, site.location_id)

    response = await count(api, check_id, site.product_id, 1, system_count=1)

    body = assert_invalid(response, "/data/attributes/system_count")
    assert "system_count" in body["error"]
    assert (await row_counts(api))["stock_check_attempts"] == 0


async def test_physical_count_is_required(api: Api) -> None:
    site = await new_site(api)
    check_id, _ = await open_check(api, site.location_id)

    response = await api.post(
        f"/api/stock_checks/{check_id}/record_attempt",
        {"data": {"attributes": {"product_id": site.product_id}}},
    )

    assert_invalid(response, "/data/attributes/physical_count")
    assert (await row_counts(api))["stock_check_attempts"] == 0


# --- record_attempt: the product and the stock group ---


@pytest.mark.parametrize(
    "product",
    ["missing", "as-text", "as-float", "zero", "unknown", "other-tenants", "boolean"],
)
async def test_an_invalid_product_id_is_refused(api: Api, other_api: Api, product: str) -> None:
    site = await new_site(api)
    theirs = await new_site(other_api)
    check_id, _ = await open_check(api, site.location_id)
    values = {
        "as-text": str(site.product_id),
        "as-float": float(site.product_id),
        "zero": 0,
        "unknown": 999_999_999,
        "other-tenants": theirs.product_id,
        "boolean": True,
    }
    attributes: Body = {"physical_count": 1}
    if product != "missing":
        attributes["product_id"] = values[product]

    response = await api.post(
        f"/api/stock_checks/{check_id}/record_attempt", {"data": {"attributes": attributes}}
    )

    assert_invalid(response, "/data/attributes/product_id")
    assert (await row_counts(api))["stock_check_attempts"] == 0


@pytest.mark.parametrize("field", ["sell_by_date", "best_before_date"])
@pytest.mark.parametrize(
    "value", ["2026-6-1", "01/06/2026", "2026-06-01T00:00:00", "2026-02-30", 20260601, "", "2026-06-01 "]
)
async def test_a_date_that_is_not_yyyy_mm_dd_is_refused(api: Api, field: str, value: Any) -> None:
    site = await new_site(api)
    check_id, _ = await open_check(api, site.location_id)

    response = await count(api, check_id, site.product_id, 1, **{field: value})

    assert_invalid(response, f"/data/attributes/{field}")
    assert (await row_counts(api))["stock_check_records"] == 0


@pytest.mark.parametrize(
    "field,value,tracking",
    [
        ("batch", "B1", {"batch": False}),
        ("sell_by_date", "2026-06-01", {"sell_by": False}),
        ("best_before_date", "2026-12-01", {"best_before": False}),
    ],
)
async def test_a_group_field_the_account_does_not_track_is_refused(
    api: Api, field: str, value: str, tracking: dict[str, bool]
) -> None:
    site = await new_site(api, **tracking)
    check_id, _ = await open_check(api, site.location_id)

    response = await count(api, check_id, site.product_id, 1, **{field: value})

    assert_invalid(response, f"/data/attributes/{field}")
    assert (await row_counts(api))["stock_check_records"] == 0


async def test_no_batch_and_no_dates_are_fine_for_an_account_that_tracks_nothing(api: Api) -> None:
    site = await new_site(api, batch=False, sell_by=False, best_before=False)
    await put_stock(api, site, 3)
    check_id, _ = await open_check(api, site.location_id)

    first = await count(api, check_id, site.product_id, 3, batch="", sell_by_date=None, best_before_date=None)
    second = await count(api, check_id, site.product_id, 3, batch=None)

    assert first.status_code == 201, first.text
    assert first.json() == {"attempt_result": "success", "attempt_number": 1}
    assert second.status_code == 201, second.text
    assert second.json() == {"attempt_result": "success", "attempt_number": 2}


ABSENT = object()


def group_fields(**fields: Any) -> Body:
    return {k: v for k, v in fields.items() if v is not ABSENT}


@pytest.mark.parametrize(
    "first,second",
    [(ABSENT, None), (ABSENT, ""), (None, ""), ("", ABSENT)],
    ids=["absent-null", "absent-empty", "null-empty", "empty-absent"],
)
async def test_absent_null_and_empty_batch_are_one_group(api: Api, first: Any, second: Any) -> None:
    site = await new_site(api)
    await put_stock(api, site, 3)
    check_id, _ = await open_check(api, site.location_id)

    one = await counted(api, check_id, site.product_id, 3, **group_fields(batch=first))
    two = await counted(api, check_id, site.product_id, 3, **group_fields(batch=second))

    assert one == {"attempt_result": "success", "attempt_number": 1}
    assert two == {"attempt_result": "success", "attempt_number": 2}
    [record] = (await view(api, check_id))["records"]
    assert record["batch"] is None


async def test_stock_stored_with_a_null_batch_is_the_no_batch_group(api: Api) -> None:
    site = await new_site(api)
    await put_stock(api, site, 2, batch=None)
    await put_stock(api, site, 1, batch="")
    check_id, _ = await open_check(api, site.location_id)

    assert await counted(api, check_id, site.product_id, 3) == {
        "attempt_result": "success",
        "attempt_number": 1,
    }
    assert len((await view(api, check_id))["records"]) == 1


@pytest.mark.parametrize("field", ["sell_by_date", "best_before_date"])
@pytest.mark.parametrize("first,second", [(ABSENT, None), (None, ABSENT)], ids=["absent-null", "null-absent"])
async def test_absent_and_null_dates_are_one_group(api: Api, field: str, first: Any, second: Any) -> None:
    site = await new_site(api)
    await put_stock(api, site, 3, batch="B1")
    check_id, _ = await open_check(api, site.location_id)

    one = await counted(api, check_id, site.product_id, 3, batch="B1", **group_fields(**{field: first}))
    two = await counted(api, check_id, site.product_id, 3, batch="B1", **group_fields(**{field: second}))

    assert one == {"attempt_result": "success", "attempt_number": 1}
    assert two == {"attempt_result": "success", "attempt_number": 2}
    [record] = (await view(api, check_id))["records"]
    assert record[field] is None


async def test_batch_and_each_date_separate_stock_groups(api: Api) -> None:
    site = await new_site(api)
    group: Body = {"batch": "B1", "sell_by_date": "2026-06-01", "best_before_date": "2026-12-01"}
    await put_stock(api, site, 5, **group)
    check_id, _ = await open_check(api, site.location_id)

    neighbours: list[Body] = [
        {**group, "batch": "B2"},
        {**group, "sell_by_date": "2026-06-02"},
        {**group, "best_before_date": "2026-12-02"},
        {**group, "batch": None},
        {**group, "sell_by_date": None},
        {**group, "best_before_date": None},
        {},
    ]
    for neighbour in neighbours:
        # Same product and count, another group: no stock there, so 5 is wrong, and it is its first attempt.
        result = await counted(api, check_id, site.product_id, 5, **neighbour)
        assert result == {"attempt_result": "failure", "attempt_number": 1}, neighbour
    assert await counted(api, check_id, site.product_id, 5, **group) == {
        "attempt_result": "success",
        "attempt_number": 1,
    }

    attributes = await view(api, check_id)
    assert len(attributes["records"]) == len(neighbours) + 1
    assert record_of(attributes, site.product_id, **group)["attempts"][0]["system_count"] == 5
    assert (
        record_of(attributes, site.product_id, "B2", "2026-06-01", "2026-12-01")["attempts"][0][
            "system_count"
        ]
        == 0
    )


async def test_different_products_are_different_groups(api: Api) -> None:
    site = await new_site(api)
    other = await api.create("products", code="OTHER", description="Peas", account_id=site.account_id)
    await put_stock(api, site, 5)
    check_id, _ = await open_check(api, site.location_id)

    assert (await counted(api, check_id, other["id"], 5))["attempt_result"] == "failure"
    assert (await counted(api, check_id, site.product_id, 5))["attempt_result"] == "success"


async def test_the_system_count_is_all_of_the_groups_stock_here_in_any_status_read_at_the_attempt(
    api: Api,
) -> None:
    site = await new_site(api)
    await put_stock(api, site, 2)
    await put_stock(api, site, 3, status="held")
    elsewhere = await api.create("locations", code="ELSEWHERE", warehouse_id=site.warehouse_id)
    await put_stock(api, site, 10, location_id=elsewhere["id"])
    check_id, _ = await open_check(api, site.location_id)

    assert (await counted(api, check_id, site.product_id, 5))["attempt_result"] == "success"
    # Stock arriving after the check was opened is part of the next attempt's system count.
    await put_stock(api, site, 1)
    assert (await counted(api, check_id, site.product_id, 6))["attempt_result"] == "success"

    record = record_of(await view(api, check_id), site.product_id)
    assert [a["system_count"] for a in record["attempts"]] == [5, 6]
    assert [a["physical_count"] for a in record["attempts"]] == [5, 6]


async def test_counting_a_group_with_no_stock_succeeds_at_zero_and_fails_above(api: Api) -> None:
    site = await new_site(api)
    check_id, _ = await open_check(api, site.location_id)
    assert (await view(api, check_id))["records"] == []

    assert await counted(api, check_id, site.product_id, 0, batch="NONE") == {
        "attempt_result": "success",
        "attempt_number": 1,
    }
    assert await counted(api, check_id, site.product_id, 2, batch="SOME") == {
        "attempt_result": "failure",
        "attempt_number": 1,
    }

    attributes = await view(api, check_id)
    assert record_of(attributes, site.product_id, "NONE")["status"] == "passed"
    failed = record_of(attributes, site.product_id, "SOME")
    assert failed["status"] == "failed"
    assert failed["attempts"][0]["system_count"] == 0
    assert failed["expected_quantity"] == 0


async def test_record_attempt_on_an_unknown_check_is_404(api: Api) -> None:
    site = await new_site(api)

    response = await count(api, 999_999_999, site.product_id, 1)

    assert_invalid(response, status=404)


# --- complete ---


async def test_complete_passes_when_every_latest_attempt_succeeded_and_closes_everything(api: Api) -> None:
    site = await new_site(api)
    here = await put_stock(api, site, 5)
    also_here = await put_stock(api, site, 0, batch="EMPTY")
    elsewhere = await api.create("locations", code="ELSEWHERE", warehouse_id=site.warehouse_id)
    there = await put_stock(api, site, 1, location_id=elsewhere["id"])
    check_id, task_id = await open_check(api, site.location_id)
    await counted(api, check_id, site.product_id, 4)
    await counted(api, check_id, site.product_id, 5)
    await counted(api, check_id, site.product_id, 0, batch="EMPTY")

    response = await complete(api, check_id)

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "passed"}
    check = await view(api, check_id)
    assert check["status"] == "passed"
    assert isinstance(check["completed_at"], str)
    task = (await api.get(f"/api/tasks/{task_id}")).json()["data"]["attributes"]
    assert task["status"] == "COMPLETED"
    assert isinstance(task["completed_at"], str)
    location = (await api.get(f"/api/locations/{site.location_id}")).json()["data"]["attributes"]
    assert isinstance(location["last_counted_at"], str)
    for stock_id in (here, also_here):
        stock = (await api.get(f"/api/stocks/{stock_id}")).json()["data"]["attributes"]
        assert isinstance(stock["last_counted_at"], str), stock
    assert (await api.get(f"/api/stocks/{there}")).json()["data"]["attributes"]["last_counted_at"] is None
    untouched = (await api.get(f"/api/locations/{elsewhere['id']}")).json()["data"]["attributes"]
    assert untouched["last_counted_at"] is None


async def test_complete_fails_when_a_latest_attempt_failed(api: Api) -> None:
    site = await new_site(api)
    await put_stock(api, site, 5)
    await put_stock(api, site, 2, batch="B1")
    check_id, _ = await open_check(api, site.location_id)
    await counted(api, check_id, site.product_id, 5)
    await counted(api, check_id, site.product_id, 2, batch="B1")
    await counted(api, check_id, site.product_id, 3, batch="B1")

    response = await complete(api, check_id)

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "failed"}
    assert (await view(api, check_id))["status"] == "failed"


async def test_complete_counts_every_uncounted_record_as_zero(api: Api) -> None:
    site = await new_site(api)
    await put_stock(api, site, 5)
    await put_stock(api, site, 4, batch="UNCOUNTED")
    check_id, _ = await open_check(api, site.location_id)
    await counted(api, check_id, site.product_id, 5)

    assert await completed(api, check_id) == "failed"

    attributes = await view(api, check_id)
    assert record_of(attributes, site.product_id)["status"] == "passed"
    uncounted = record_of(attributes, site.product_id, "UNCOUNTED")
    assert uncounted["status"] == "failed"
    assert len(uncounted["attempts"]) == 1
    zero = uncounted["attempts"][0]
    assert (zero["attempt_number"], zero["physical_count"], zero["system_count"], zero["attempt_result"]) == (
        1,
        0,
        4,
        "failure",
    )
    assert isinstance(zero["recorded_at"], str)


async def test_complete_counts_an_uncounted_record_whose_stock_is_gone_as_a_successful_zero(api: Api) -> None:
    site = await new_site(api)
    stock_id = await put_stock(api, site, 5)
    check_id, _ = await open_check(api, site.location_id)
    await adjust(api, stock_id, -5)

    assert await completed(api, check_id) == "passed"

    record = record_of(await view(api, check_id), site.product_id)
    assert record["status"] == "passed"
    assert [(a["physical_count"], a["system_count"], a["attempt_result"]) for a in record["attempts"]] == [
        (0, 0, "success")
    ]


async def test_complete_picks_up_stock_that_arrived_after_the_check_was_opened(api: Api) -> None:
    site = await new_site(api)
    await put_stock(api, site, 5)
    check_id, _ = await open_check(api, site.location_id)
    await counted(api, check_id, site.product_id, 5)
    await put_stock(api, site, 4, batch="LATE", best_before_date="2026-12-01")
    await put_stock(api, site, 0, batch="EMPTY")  # no stock in the group: nothing to count

    assert await completed(api, check_id) == "failed"

    attributes = await view(api, check_id)
    assert len(attributes["records"]) == 2
    late = record_of(attributes, site.product_id, "LATE", best_before_date="2026-12-01")
    assert late["status"] == "failed"
    assert [
        (a["attempt_number"], a["physical_count"], a["system_count"], a["attempt_result"])
        for a in late["attempts"]
    ] == [(1, 0, 4, "failure")]


async def test_complete_picks_up_several_new_groups_with_and_without_dates(api: Api) -> None:
    site = await new_site(api)
    check_id, _ = await open_check(api, site.location_id)
    await put_stock(api, site, 1, batch="LATE")
    await put_stock(api, site, 2, batch="LATE", sell_by_date="2026-06-01")
    await put_stock(api, site, 3, batch="LATE", best_before_date="2026-12-01")

    response = await complete(api, check_id)

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "failed"}
    attributes = await view(api, check_id)
    expected = {("", ""): 1, ("2026-06-01", ""): 2, ("", "2026-12-01"): 3}
    found = {
        (r["sell_by_date"] or "", r["best_before_date"] or ""): r["attempts"][0]["system_count"]
        for r in attributes["records"]
    }
    assert found == expected


async def test_create_makes_records_for_groups_with_and_without_dates_of_one_batch(api: Api) -> None:
    site = await new_site(api)
    await put_stock(api, site, 1, batch="B1")
    await put_stock(api, site, 2, batch="B1", sell_by_date="2026-06-01")
    await put_stock(api, site, 3, batch="B1", best_before_date="2026-12-01")

    response = await api.post("/api/stock_checks", create_body(site.location_id))

    assert response.status_code == 201, response.text
    records = (await view(api, response.json()["stock_check_id"]))["records"]
    assert sorted(r["expected_quantity"] for r in records) == [1, 2, 3]


async def test_complete_with_no_stock_and_no_counts_passes(api: Api) -> None:
    site = await new_site(api)
    check_id, _ = await open_check(api, site.location_id)

    assert await completed(api, check_id) == "passed"
    assert (await view(api, check_id))["records"] == []


async def test_complete_refuses_a_check_that_is_not_pending(api: Api) -> None:
    site = await new_site(api)
    await put_stock(api, site, 5)
    check_id, _ = await open_check(api, site.location_id)
    await completed(api, check_id)
    before = await row_counts(api)

    assert_invalid(await complete(api, check_id))

    assert await row_counts(api) == before
    assert (await view(api, check_id))["status"] == "failed"


async def test_record_attempt_refuses_a_completed_check(api: Api) -> None:
    site = await new_site(api)
    await put_stock(api, site, 5)
    check_id, _ = await open_check(api, site.location_id)
    await counted(api, check_id, site.product_id, 5)
    await completed(api, check_id)
    before = await row_counts(api)

    assert_invalid(await count(api, check_id, site.product_id, 5, batch="NEW"))
    assert_invalid(await count(api, check_id, site.product_id, 5))

    assert await row_counts(api) == before


async def test_complete_on_an_unknown_check_is_404(api: Api) -> None:
    assert_invalid(await complete(api, 999_999_999), status=404)


async def test_after_complete_a_new_check_can_be_opened_on_the_location(api: Api) -> None:
    site = await new_site(api)
    check_id, task_id = await open_check(api, site.location_id)
    await completed(api, check_id)

    again = await open_check(api, site.location_id)

    assert again[0] != check_id and again[1] != task_id


# --- cancel ---


async def test_cancel_cancels_the_check_and_its_task(api: Api) -> None:
    site = await new_site(api)
    await put_stock(api, site, 5)
    check_id, task_id = await open_check(api, site.location_id)

    response = await api.post(f"/api/stock_checks/{check_id}/cancel")

    assert response.status_code == 200, response.text
    assert response.json() == {"status": "cancelled"}
    assert (await view(api, check_id))["status"] == "cancelled"
    task = (await api.get(f"/api/tasks/{task_id}")).json()["data"]["attributes"]
    assert task["status"] == "CANCELLED"


async def test_a_cancelled_check_takes_no_attempts_no_complete_and_no_second_cancel(api: Api) -> None:
    site = await new_site(api)
    await put_stock(api, site, 5)
    check_id, _ = await open_check(api, site.location_id)
    cancelled = await api.post(f"/api/stock_checks/{check_id}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    before = await row_counts(api)

    assert_invalid(await count(api, check_id, site.product_id, 5))
    assert_invalid(await complete(api, check_id))
    assert_invalid(await api.post(f"/api/stock_checks/{check_id}/cancel"))

    assert await row_counts(api) == before
    assert (await view(api, check_id))["status"] == "cancelled"


async def test_cancel_refuses_a_completed_check(api: Api) -> None:
    site = await new_site(api)
    check_id, task_id = await open_check(api, site.location_id)
    await completed(api, check_id)

    assert_invalid(await api.post(f"/api/stock_checks/{check_id}/cancel"))

    assert (await view(api, check_id))["status"] == "passed"
    assert (await api.get(f"/api/tasks/{task_id}")).json()["data"]["attributes"]["status"] == "COMPLETED"


async def test_after_cancel_create_opens_a_new_check(api: Api) -> None:
    site = await new_site(api)
    check_id, task_id = await open_check(api, site.location_id)
    await api.post(f"/api/stock_checks/{check_id}/cancel")

    response = await api.post("/api/stock_checks", create_body(site.location_id))

    assert response.status_code == 201, response.text
    assert response.json()["stock_check_id"] != check_id
    assert response.json()["task_id"] != task_id


async def test_cancel_on_an_unknown_check_is_404(api: Api) -> None:
    assert_invalid(await api.post("/api/stock_checks/999999999/cancel"), status=404)


# --- reads ---

RECORD_KEYS = {
    "id",
    "product_id",
    "batch",
    "sell_by_date",
    "best_before_date",
    "status",
    "attempts",
    "reason_code_id",
    "resolved_at",
    "resolved_by_user_id",
}
ATTEMPT_KEYS = {"attempt_number", "physical_count", "attempt_result", "recorded_at", "user_id"}


async def test_a_manager_reads_the_check_with_expected_quantities_and_system_counts(api: Api) -> None:
    site = await new_site(api)
    group: Body = {"batch": "B1", "sell_by_date": "2026-06-01", "best_before_date": "2026-12-01"}
    await put_stock(api, site, 5, **group)
    check_id, task_id = await open_check(api, site.location_id)
    await counted(api, check_id, site.product_id, 4.5, **group)
    manager = await api.with_scopes("stock_checks:manage")

    response = await manager.get(f"/api/stock_checks/{check_id}")

    assert response.status_code == 200, response.text
    document = exact(response)
    assert set(document) == {"data"}
    assert document["data"]["id"] == check_id
    assert document["data"]["type"] == "stock_checks"
    attributes = document["data"]["attributes"]
    assert set(attributes) == {
        "status",
        "location_id",
        "task_id",
        "expected_completion_date",
        "created_at",
        "completed_at",
        "completed_by_user_id",
        "records",
    }
    assert attributes["task_id"] == task_id
    [record] = attributes["records"]
    assert set(record) == RECORD_KEYS | {"expected_quantity"}
    assert (record["product_id"], record["batch"], record["sell_by_date"], record["best_before_date"]) == (
        site.product_id,
        "B1",
        "2026-06-01",
        "2026-12-01",
    )
    assert record["status"] == "failed"
    assert record["expected_quantity"] == 5
    [attempt] = record["attempts"]
    assert set(attempt) == ATTEMPT_KEYS | {"system_count"}
    assert (attempt["attempt_number"], attempt["physical_count"], attempt["attempt_result"]) == (
        1,
        Decimal("4.5"),
        "failure",
    )
    assert attempt["system_count"] == 5
    assert isinstance(attempt["recorded_at"], str)


@pytest.mark.parametrize("status", ["pending", "failed"])
async def test_a_counter_reads_the_check_blind(api: Api, status: str) -> None:
    site = await new_site(api)
    await put_stock(api, site, 5)
    await put_stock(api, site, 7, batch="UNCOUNTED")
    check_id, _ = await open_check(api, site.location_id)
    counter = await api.with_scopes("stock_checks:count")
    attempt = await count(counter, check_id, site.product_id, 4)
    assert attempt.status_code == 201, attempt.text
    assert set(attempt.json()) == {"attempt_result", "attempt_number"}
    if status == "failed":
        await completed(api, check_id)

    response = await counter.get(f"/api/stock_checks/{check_id}")

    assert response.status_code == 200, response.text
    assert "system_count" not in response.text and "expected_quantity" not in response.text
    attributes = response.json()["data"]["attributes"]
    assert attributes["status"] == status
    for record in attributes["records"]:
        assert set(record) == RECORD_KEYS
        for each in record["attempts"]:
            assert set(each) == ATTEMPT_KEYS
    assert record_of(attributes, site.product_id)["attempts"][0]["physical_count"] == 4


async def test_a_token_with_count_and_manage_sees_system_counts(api: Api) -> None:
    site = await new_site(api)
    await put_stock(api, site, 5)
    check_id, _ = await open_check(api, site.location_id)
    both = await api.with_scopes("stock_checks:count", "stock_checks:manage")
    await counted(both, check_id, site.product_id, 5)

    record = record_of(await view(both, check_id), site.product_id)

    assert record["expected_quantity"] == 5
    assert record["attempts"][0]["system_count"] == 5


async def test_a_counter_cannot_read_stock_quantities_either(api: Api) -> None:
    site = await new_site(api)
    stock_id = await put_stock(api, site, 5)
    counter = await api.with_scopes("stock_checks:count")

    response = await counter.get(f"/api/stocks/{stock_id}")

    assert response.status_code == 403, response.text
    assert "error" in response.json()


async def test_reading_an_unknown_check_or_task_is_404(api: Api) -> None:
    assert_invalid(await api.get("/api/stock_checks/999999999"), status=404)
    assert_invalid(await api.get("/api/tasks/999999999"), status=404)


@pytest.mark.parametrize("check_id", ["0", "-1", "abc", "99999999999999999999"])
@pytest.mark.parametrize("action", ["record_attempt", "complete", "cancel", "read"])
async def test_a_path_id_that_names_no_check_is_404(api: Api, check_id: str, action: str) -> None:
    site = await new_site(api)
    if action == "read":
        response = await api.get(f"/api/stock_checks/{check_id}")
    elif action == "record_attempt":
        response = await count(api, check_id, site.product_id, 1)  # type: ignore[arg-type]
    else:
        response = await api.post(f"/api/stock_checks/{check_id}/{action}")

    assert_invalid(response, status=404)


async def test_create_refuses_a_location_deactivated_while_its_check_is_pending(api: Api) -> None:
    site = await new_site(api)
    await open_check(api, site.location_id)
    patched = await api.patch(
        f"/api/locations/{site.location_id}",
        {"data": {"type": "locations", "attributes": {"is_active": False}}},
    )
    assert patched.status_code == 200, patched.text

    response = await api.post("/api/stock_checks", create_body(site.location_id))

    assert_invalid(response, "/data/attributes/location_id")
