"""Inventory decisions as pure functions: tracking, adjustments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tally.db.types import MAX_QUANTITY

POSITIVE_ADJUSTMENT = "positive_adjustment"
NEGATIVE_ADJUSTMENT = "negative_adjustment"


@dataclass(frozen=True)
class Tracking:
    """Which parts of a stock group an account tracks."""

    batch: bool
    sell_by: bool
    best_before: bool


def untracked_fields(
    tracking: Tracking, batch: str, sell_by_date: date | None, best_before_date: date | None
) -> list[str]:
    """The stock-group fields given for an account that does not track them (each is a 422)."""
    fields = []
    if batch and not tracking.batch:
        fields.append("batch")
    if sell_by_date is not None and not tracking.sell_by:
        fields.append("sell_by_date")
    if best_before_date is not None and not tracking.best_before:
        fields.append("best_before_date")
    return fields


def untracked_message(field: str) -> str:
    kind = {"batch": "batch", "sell_by_date": "sell-by", "best_before_date": "best-before"}[field]
    return f"{field} was given, but the product's account does not use {kind} tracking."


def adjustment_reason_type(quantity_change: Decimal) -> str:
    """Increases need a positive_adjustment reason code, decreases a negative_adjustment one."""
    return POSITIVE_ADJUSTMENT if quantity_change > 0 else NEGATIVE_ADJUSTMENT


def adjusted_quantity(quantity: Decimal, change: Decimal) -> Decimal | None:
    """The quantity after a change, or None where it would go below zero."""
    result = quantity + change
    return result if result >= 0 else None


def storable_quantity(quantity: Decimal) -> bool:
    """Whether a quantity fits the column (NUMERIC(18, 4)); past it PostgreSQL fails the write outright."""
    return quantity <= MAX_QUANTITY
