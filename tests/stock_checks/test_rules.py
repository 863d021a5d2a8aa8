"""Property tests of the counting rules: pure functions, no database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from tally.stock_checks import rules
from tally.stock_checks.rules import StockGroup, StockRow

quantities = st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False)
changes = st.decimals(min_value=-(10**6), max_value=10**6, places=4, allow_nan=False, allow_infinity=False)
rows = st.lists(quantities, max_size=6).map(lambda qs: [StockRow(i + 1, q) for i, q in enumerate(qs)])
dates = st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1))
groups = st.builds(
    StockGroup, st.integers(1, 10**9), st.text(max_size=20).filter(lambda s: "|" not in s), dates, dates
)


@given(quantities, quantities)
def test_an_attempt_succeeds_exactly_when_the_counts_are_equal(physical: Decimal, system: Decimal) -> None:
    assert (rules.attempt_outcome(physical, system) == "success") == (physical == system)


def test_decimal_equality_ignores_trailing_zeros() -> None:
    assert rules.attempt_outcome(Decimal("5"), Decimal("5.0000")) == "success"
    assert rules.attempt_outcome(Decimal("5.0001"), Decimal("5")) == "failure"


@given(st.integers(0, 10))
def test_a_group_has_two_attempts_numbered_one_and_two(so_far: int) -> None:
    expected = so_far + 1 if so_far < 2 else None
    assert rules.next_attempt_number(so_far) == expected


@given(groups, groups)
def test_group_keys_identify_groups(a: StockGroup, b: StockGroup) -> None:
    assert (a.key == b.key) == (a == b)


def test_no_batch_is_one_group_whatever_it_is_called() -> None:
    assert rules.normal_batch(None) == rules.normal_batch("") == rules.normal_batch("  ") == ""
    assert StockGroup(1, rules.normal_batch(None)).key == StockGroup(1, "").key


@given(st.lists(st.sampled_from(["success", "failure"]), max_size=8))
def test_a_check_passes_only_when_every_latest_attempt_succeeded(latest: list[str]) -> None:
    assert (rules.check_outcome(latest) == "passed") == ("failure" not in latest)


@given(st.integers(0, 3), st.sampled_from([None, "success", "failure"]), st.booleans())
def test_record_status(attempts: int, last: str | None, resolved: bool) -> None:
    status = rules.record_status(attempts, last, resolved)
    if resolved:
        assert status == "resolved"
    elif attempts == 0 or last is None:
        assert status == "uncounted"
    else:
        assert status == ("passed" if last == "success" else "failed")


@given(rows, changes)
def test_spreading_a_variance_never_takes_a_row_below_zero(stock: list[StockRow], change: Decimal) -> None:
    plan = rules.spread_variance(stock, change)
    by_id = {r.id: r.quantity for r in stock}
    for row_id, delta in plan:
        assert delta != 0
        if row_id is not None:
            assert by_id[row_id] + delta >= 0
    assert len({row_id for row_id, _ in plan}) == len(plan)


@given(rows, changes)
def test_a_variance_is_applied_whole_unless_the_stock_runs_out(
    stock: list[StockRow], change: Decimal
) -> None:
    applied = sum((delta for _, delta in rules.spread_variance(stock, change)), Decimal(0))
    total = sum((r.quantity for r in stock), Decimal(0))
    if change >= 0:
        assert applied == change
    else:
        assert applied == max(change, -total)


@given(rows, changes.filter(lambda c: c > 0))
def test_a_gain_goes_to_the_oldest_row_or_a_new_one(stock: list[StockRow], change: Decimal) -> None:
    assert rules.spread_variance(stock, change) == [(stock[0].id if stock else None, change)]


@given(rows, changes.filter(lambda c: c < 0))
def test_a_loss_is_taken_oldest_first(stock: list[StockRow], change: Decimal) -> None:
    plan = rules.spread_variance(stock, change)
    touched = [row_id for row_id, _ in plan]
    positive = [r.id for r in stock if r.quantity > 0]
    # The rows touched are a prefix of the non-empty rows, and all but the last are emptied.
    assert touched == positive[: len(touched)]
    by_id = {r.id: r.quantity for r in stock}
    for row_id, delta in plan[:-1]:
        assert by_id[row_id] + delta == 0


@given(st.integers(0, 5))
def test_a_failed_check_is_resolved_when_no_failure_is_left(unresolved: int) -> None:
    assert rules.status_after_resolution(unresolved) == ("resolved" if unresolved == 0 else "failed")
