"""The wire shape of the stock-check API (ClarusWMS request and response bodies)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tally.http.fields import Batch, Id, IsoDate, IsoDateTime, Quantity, Schema
from tally.stock_checks.models import StockCheck, StockCheckAttempt, StockCheckRecord
from tally.stock_checks.rules import record_status


class StockCheckCreate(Schema):
    location_id: Id
    expected_completion_date: IsoDateTime


class AttemptCreate(Schema):
    product_id: Id
    physical_count: Quantity
    batch: Batch = ""
    sell_by_date: IsoDate | None = None
    best_before_date: IsoDate | None = None


class ResolveRequest(Schema):
    """Bare body, not the data/attributes envelope (as Clarus documents it)."""

    stock_check_record_ids: list[Id] = Field(min_length=1, max_length=10_000)
    reason_code_id: Id


def attempt_view(attempt: StockCheckAttempt, *, manage: bool) -> dict[str, Any]:
    view: dict[str, Any] = {
        "attempt_number": attempt.attempt_number,
        "physical_count": attempt.physical_count,
        "attempt_result": attempt.attempt_result,
        "recorded_at": attempt.recorded_at,
        "user_id": attempt.user_id,
    }
    if manage:
        view["system_count"] = attempt.system_count
    return view


def record_view(
    record: StockCheckRecord,
    attempts: list[StockCheckAttempt],
    *,
    manage: bool,
    expected_quantity: Any,
) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": record.id,
        "product_id": record.product_id,
        "batch": record.batch or None,
        "sell_by_date": record.sell_by_date,
        "best_before_date": record.best_before_date,
        "status": record_status(record.attempt_count, record.last_result, record.resolved_at is not None),
        "attempts": [attempt_view(a, manage=manage) for a in attempts],
        "reason_code_id": record.reason_code_id,
        "resolved_at": record.resolved_at,
        "resolved_by_user_id": record.resolved_by_user_id,
    }
    if manage:
        view["expected_quantity"] = expected_quantity
    return view


def check_attributes(check: StockCheck, records: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "status": check.status,
        "location_id": check.location_id,
        "task_id": check.task_id,
        "expected_completion_date": check.expected_completion_date,
        "created_at": check.created_at,
        "completed_at": check.completed_at,
        "completed_by_user_id": check.completed_by_user_id,
        "records": records,
    }
