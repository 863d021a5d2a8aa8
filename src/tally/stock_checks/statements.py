"""Set-based SQL for the counting domain: whole checks are opened and completed in a handful of statements,
however many stock groups the location holds, and an attempt reads all it needs in one."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    select,
    type_coerce,
    update,
)
from sqlalchemy.sql import Select, Subquery

from tally.db.types import Quantity
from tally.inventory.models import Account, Product, Stock
from tally.stock_checks import rules
from tally.stock_checks.models import StockCheck, StockCheckAttempt, StockCheckRecord
from tally.stock_checks.rules import StockGroup
from tally.tasks.models import Task


def group_sums(dialect: str, tenant_id: int, location_id: Any) -> Subquery:
    """Each stock group at a location with the sum of its rows (any status), its system count, and its key."""
    key = group_key(dialect, Stock.product_id, Stock.batch, Stock.sell_by_date, Stock.best_before_date)
    return (
        select(
            Stock.product_id,
            Stock.batch,
            Stock.sell_by_date,
            Stock.best_before_date,
            key.label("group_key"),
            func.sum(Stock.quantity).label("quantity"),
        )
        .where(Stock.tenant_id == tenant_id, Stock.location_id == location_id)
        .group_by(Stock.product_id, Stock.batch, Stock.sell_by_date, Stock.best_before_date)
        .subquery("groups")
    )


def _date_text(dialect: str, column: Any) -> Any:
    # rules.StockGroup.key writes dates as YYYY-MM-DD; SQLite stores them as that text already.
    text = func.to_char(column, "YYYY-MM-DD") if dialect == "postgresql" else column
    return func.coalesce(cast(text, String), "")


def group_key(dialect: str, product_id: Any, batch: Any, sell_by: Any, best_before: Any) -> Any:
    """rules.StockGroup.key, computed in SQL (the two must agree: a test holds them to it)."""
    return (
        cast(product_id, String)
        + "|"
        + batch
        + "|"
        + _date_text(dialect, sell_by)
        + "|"
        + _date_text(dialect, best_before)
    )


def _same_group_as(groups: Subquery, table: Any) -> Any:
    # Column by column, not by the computed key: PostgreSQL cannot estimate a join on an expression and
    # falls back to re-running the grouping per row.
    return and_(
        groups.c.product_id == table.product_id,
        groups.c.batch == table.batch,
        groups.c.sell_by_date.is_not_distinct_from(table.sell_by_date),
        groups.c.best_before_date.is_not_distinct_from(table.best_before_date),
    )


def insert_records_for_stock(
    insert: Any,
    dialect: str,
    tenant_id: int,
    check_id: int,
    location_id: int,
    now: datetime,
    *,
    nonzero: bool,
) -> Any:
    """One record per stock group at the location that the check has no record of yet (INSERT … SELECT).

    At creation every group with stock rows gets one; at completion, every group with non-zero stock.
    """
    groups = group_sums(dialect, tenant_id, location_id)
    # SQLite finds the record through its unique (tenant, check, group_key) index; PostgreSQL plans the
    # column-wise anti-join better than one on a computed key.
    same = (
        StockCheckRecord.group_key == groups.c.group_key
        if dialect == "sqlite"
        else _same_group_as(groups, StockCheckRecord)
    )
    recorded = exists().where(
        StockCheckRecord.tenant_id == tenant_id,
        StockCheckRecord.stock_check_id == check_id,
        same,
    )
    source = select(
        literal(tenant_id),
        literal(check_id),
        groups.c.product_id,
        groups.c.batch,
        groups.c.sell_by_date,
        groups.c.best_before_date,
        groups.c.group_key,
        literal(0, Integer),
        literal(now, StockCheckRecord.created_at.type),
    ).where(~recorded)
    if nonzero:
        source = source.where(groups.c.quantity != 0)
    columns = [
        "tenant_id",
        "stock_check_id",
        "product_id",
        "batch",
        "sell_by_date",
        "best_before_date",
        "group_key",
        "attempt_count",
        "created_at",
    ]
    return insert(StockCheckRecord).from_select(columns, source.order_by(groups.c.product_id))


def insert_zero_counts(
    insert: Any,
    dialect: str,
    tenant_id: int,
    check_id: int,
    location_id: int,
    client_id: int,
    user_id: int | None,
    now: datetime,
) -> Any:
    """A physical count of 0 as attempt 1 of every record without an attempt (uncounted stock counts as zero).

    The outcome mirrors rules.attempt_outcome(0, system count): success only where the system count is 0.
    """
    # PostgreSQL hash-joins the records to the grouped stock by key. SQLite would re-run the grouping for
    # every record there, so it sums each record's group through the (tenant, location, product) index.
    groups = group_sums(dialect, tenant_id, location_id)
    group_quantity = (
        select(func.sum(Stock.quantity))
        .where(
            Stock.tenant_id == StockCheckRecord.tenant_id,
            Stock.location_id == location_id,
            Stock.product_id == StockCheckRecord.product_id,
            Stock.batch == StockCheckRecord.batch,
            Stock.sell_by_date.is_not_distinct_from(StockCheckRecord.sell_by_date),
            Stock.best_before_date.is_not_distinct_from(StockCheckRecord.best_before_date),
        )
        .scalar_subquery()
    )
    joined = dialect == "postgresql"
    system = func.coalesce(groups.c.quantity if joined else group_quantity, type_coerce(0, Quantity))
    source = (
        select(
            StockCheckRecord.tenant_id,
            StockCheckRecord.id,
            literal(1, Integer),
            literal(Decimal(0), Quantity),
            system,
            case((system == 0, rules.SUCCESS), else_=rules.FAILURE),
            literal(client_id),
            literal(user_id),
            literal(now, StockCheckAttempt.recorded_at.type),
        )
        .select_from(StockCheckRecord)
        .where(
            StockCheckRecord.tenant_id == tenant_id,
            StockCheckRecord.stock_check_id == check_id,
            StockCheckRecord.attempt_count == 0,
        )
    )
    if joined:
        source = source.outerjoin(groups, _same_group_as(groups, StockCheckRecord))
    columns = [
        "tenant_id",
        "record_id",
        "attempt_number",
        "physical_count",
        "system_count",
        "attempt_result",
        "client_id",
        "user_id",
        "recorded_at",
    ]
    return insert(StockCheckAttempt).from_select(columns, source)


def mark_zero_counted(tenant_id: int, check_id: int) -> Any:
    """Records that just got their zero count: one attempt, with that attempt's result."""
    first_result = (
        select(StockCheckAttempt.attempt_result)
        .where(
            StockCheckAttempt.tenant_id == StockCheckRecord.tenant_id,
            StockCheckAttempt.record_id == StockCheckRecord.id,
            StockCheckAttempt.attempt_number == 1,
        )
        .scalar_subquery()
    )
    return (
        update(StockCheckRecord)
        .where(
            StockCheckRecord.tenant_id == tenant_id,
            StockCheckRecord.stock_check_id == check_id,
            StockCheckRecord.attempt_count == 0,
        )
        .values(attempt_count=1, last_result=first_result)
        .execution_options(synchronize_session=False)
    )


def latest_results(tenant_id: int, check_id: int) -> Select[Any]:
    """The distinct results of the latest attempts of a check's records (at most two rows)."""
    return (
        select(StockCheckRecord.last_result)
        .where(StockCheckRecord.tenant_id == tenant_id, StockCheckRecord.stock_check_id == check_id)
        .distinct()
    )


def attempt_context(tenant_id: int, check_id: int, group: StockGroup) -> Any:
    """Everything an attempt decides on, in one statement: the check and its task (the check share-locked),
    the product's tracking flags (null when the product is not this tenant's), the group's system count."""
    system = (
        select(func.coalesce(func.sum(Stock.quantity), type_coerce(0, Quantity)))
        .where(
            Stock.tenant_id == tenant_id,
            Stock.location_id == StockCheck.location_id,
            Stock.product_id == group.product_id,
            Stock.batch == group.batch,
            Stock.sell_by_date.is_not_distinct_from(group.sell_by_date),
            Stock.best_before_date.is_not_distinct_from(group.best_before_date),
        )
        .scalar_subquery()
    )
    return (
        select(
            StockCheck.status,
            StockCheck.location_id,
            StockCheck.task_id,
            Task.status.label("task_status"),
            Product.id.label("product_id"),
            Account.batch_tracking,
            Account.sell_by_tracking,
            Account.best_before_tracking,
            system.label("system_count"),
        )
        .select_from(StockCheck)
        .join(Task, and_(Task.tenant_id == StockCheck.tenant_id, Task.id == StockCheck.task_id))
        .outerjoin(Product, and_(Product.tenant_id == StockCheck.tenant_id, Product.id == group.product_id))
        .outerjoin(Account, and_(Account.tenant_id == Product.tenant_id, Account.id == Product.account_id))
        .where(StockCheck.tenant_id == tenant_id, StockCheck.id == check_id)
        .with_for_update(read=True, of=StockCheck)
    )
