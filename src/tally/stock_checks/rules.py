"""The counting domain's decisions, as pure functions over plain values."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final, Literal

MAX_ATTEMPTS = 2

PENDING = "pending"
PASSED: Final = "passed"
FAILED: Final = "failed"
RESOLVED = "resolved"
CANCELLED = "cancelled"

SUCCESS: Final = "success"
FAILURE: Final = "failure"

Outcome = Literal["success", "failure"]
RecordStatus = Literal["uncounted", "passed", "failed", "resolved"]


@dataclass(frozen=True)
class StockGroup:
    """What identifies stock within a check: product + batch + sell-by + best-before. No batch is ''."""

    product_id: int
    batch: str = ""
    sell_by_date: date | None = None
    best_before_date: date | None = None

    @property
    def key(self) -> str:
        """A stable text key, unique per group, for the (check, group) unique constraint."""
        return "|".join(
            [
                str(self.product_id),
                self.batch,
                self.sell_by_date.isoformat() if self.sell_by_date else "",
                self.best_before_date.isoformat() if self.best_before_date else "",
            ]
        )


def normal_batch(batch: str | None) -> str:
    """Clarus: absent, null and "" all mean no batch."""
    return (batch or "").strip()


def attempt_outcome(physical_count: Decimal, system_count: Decimal) -> Outcome:
    """Success only when the count equals the system count exactly (as decimals: 5 == 5.0)."""
    return SUCCESS if physical_count == system_count else FAILURE


def next_attempt_number(attempts_so_far: int) -> int | None:
    """The number of the next attempt of a group, or None when both attempts are used."""
    return attempts_so_far + 1 if attempts_so_far < MAX_ATTEMPTS else None


def record_status(attempt_count: int, last_result: str | None, resolved: bool) -> RecordStatus:
    if resolved:
        return "resolved"
    if attempt_count == 0 or last_result is None:
        return "uncounted"
    return "passed" if last_result == SUCCESS else "failed"


def check_outcome(latest_results: Iterable[str]) -> Literal["passed", "failed"]:
    """A completed check passes when the latest attempt of every record succeeded."""
    return PASSED if all(result == SUCCESS for result in latest_results) else FAILED


def variance(physical_count: Decimal, system_count: Decimal) -> Decimal:
    return physical_count - system_count


@dataclass(frozen=True)
class StockRow:
    id: int
    quantity: Decimal


def spread_variance(rows: Sequence[StockRow], change: Decimal) -> list[tuple[int | None, Decimal]]:
    """How a group's variance is applied to its stock rows, oldest first.

    A positive variance goes whole to the oldest row, or to a new row (id None) when the group has none.
    A negative one is taken from the rows oldest first, never taking a row below zero; what the rows cannot
    give is not taken (stock never goes negative). Returns (row id, change) pairs with non-zero changes.
    """
    if change == 0:
        return []
    if change > 0:
        return [(rows[0].id if rows else None, change)]
    remaining = -change
    taken: list[tuple[int | None, Decimal]] = []
    for row in rows:
        if remaining == 0:
            break
        take = min(row.quantity, remaining)
        if take > 0:
            taken.append((row.id, -take))
            remaining -= take
    return taken


def status_after_resolution(unresolved_failures: int) -> str:
    """A failed check becomes resolved once none of its failed records is left unresolved."""
    return RESOLVED if unresolved_failures == 0 else FAILED
