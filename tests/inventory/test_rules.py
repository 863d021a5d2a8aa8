"""Inventory rules, as properties over plain values."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tally.db.types import MAX_QUANTITY
from tally.inventory import rules

quantities = st.decimals(min_value=0, max_value=MAX_QUANTITY, places=4)
changes = st.decimals(min_value=-MAX_QUANTITY, max_value=MAX_QUANTITY, places=4).filter(lambda d: d != 0)
trackings = st.builds(rules.Tracking, st.booleans(), st.booleans(), st.booleans())
batches = st.sampled_from(["", "B-1"])
dates = st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1))


@given(trackings, batches, dates, dates)
def test_only_given_fields_the_account_does_not_track_are_untracked(
    tracking: rules.Tracking, batch: str, sell_by: date | None, best_before: date | None
) -> None:
    expected = [
        name
        for name, given_, tracked in [
            ("batch", batch != "", tracking.batch),
            ("sell_by_date", sell_by is not None, tracking.sell_by),
            ("best_before_date", best_before is not None, tracking.best_before),
        ]
        if given_ and not tracked
    ]
    untracked = rules.untracked_fields(tracking, batch, sell_by, best_before)
    assert untracked == expected
    for name in untracked:
        assert name in rules.untracked_message(name)


@given(changes)
def test_increases_need_positive_and_decreases_negative_reason_codes(change: Decimal) -> None:
    expected = rules.POSITIVE_ADJUSTMENT if change > 0 else rules.NEGATIVE_ADJUSTMENT
    assert rules.adjustment_reason_type(change) == expected


@given(quantities, changes)
def test_an_adjustment_adds_exactly_and_never_goes_below_zero(quantity: Decimal, change: Decimal) -> None:
    result = rules.adjusted_quantity(quantity, change)
    if quantity + change < 0:
        assert result is None
    else:
        assert result == quantity + change


@given(quantities, changes)
def test_only_quantities_that_fit_the_column_are_storable(quantity: Decimal, change: Decimal) -> None:
    total = quantity + change
    assert rules.storable_quantity(total) == (total <= MAX_QUANTITY)
    assert rules.storable_quantity(quantity)
