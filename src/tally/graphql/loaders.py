"""Per-request DataLoaders: the nested objects of a page load in one statement per kind, not one per row.

Keys are ids within the caller's tenant; every statement is scoped by tenant_id. Batches are capped so an
IN list stays well inside SQLite's limit on bound parameters.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import func, select
from strawberry.dataloader import DataLoader

from tally.db.base import TenantOwned
from tally.graphql.context import Reader
from tally.inventory.models import Account, Location, Product, ReasonCode, Stock, Warehouse
from tally.stock_checks.models import StockCheck, StockCheckAttempt, StockCheckRecord
from tally.tasks.models import Task

RowT = TypeVar("RowT", bound=TenantOwned)
K = TypeVar("K")
V = TypeVar("V")

MAX_BATCH = 1000


def _loader(load: Callable[[list[K]], Awaitable[Sequence[V]]]) -> DataLoader[K, V]:
    return DataLoader(load_fn=load, max_batch_size=MAX_BATCH)


class Loaders:
    """The loaders of one request."""

    def __init__(self, reader: Reader, tenant_id: int) -> None:
        self.reader = reader
        self.tenant_id = tenant_id
        self.account = self._by_id(Account)
        self.warehouse = self._by_id(Warehouse)
        self.location = self._by_id(Location)
        self.product = self._by_id(Product)
        self.reason_code = self._by_id(ReasonCode)
        self.stock = self._by_id(Stock)
        self.task = self._by_id(Task)
        self.stock_check_by_task: DataLoader[int, StockCheck | None] = _loader(self._stock_checks_by_task)
        self.records_by_check: DataLoader[int, list[StockCheckRecord]] = _loader(self._records_by_check)
        self.attempts_by_record: DataLoader[int, list[StockCheckAttempt]] = _loader(self._attempts_by_record)
        self.expected_quantity: DataLoader[int, Decimal] = _loader(self._expected_quantities)

    def _by_id(self, model: type[RowT]) -> DataLoader[int, RowT | None]:
        async def load(ids: list[int]) -> list[RowT | None]:
            rows: list[RowT] = await self.reader.scalars(
                select(model).where(model.tenant_id == self.tenant_id, model.id.in_(ids))
            )
            found = {row.id: row for row in rows}
            return [found.get(i) for i in ids]

        return _loader(load)

    async def _stock_checks_by_task(self, task_ids: list[int]) -> list[StockCheck | None]:
        rows: list[StockCheck] = await self.reader.scalars(
            select(StockCheck).where(StockCheck.tenant_id == self.tenant_id, StockCheck.task_id.in_(task_ids))
        )
        found = {row.task_id: row for row in rows}
        return [found.get(i) for i in task_ids]

    async def _records_by_check(self, check_ids: list[int]) -> list[list[StockCheckRecord]]:
        rows: list[StockCheckRecord] = await self.reader.scalars(
            select(StockCheckRecord)
            .where(
                StockCheckRecord.tenant_id == self.tenant_id,
                StockCheckRecord.stock_check_id.in_(check_ids),
            )
            .order_by(StockCheckRecord.id)
        )
        grouped: defaultdict[int, list[StockCheckRecord]] = defaultdict(list)
        for row in rows:
            grouped[row.stock_check_id].append(row)
        return [grouped[i] for i in check_ids]

    async def _attempts_by_record(self, record_ids: list[int]) -> list[list[StockCheckAttempt]]:
        rows: list[StockCheckAttempt] = await self.reader.scalars(
            select(StockCheckAttempt)
            .where(
                StockCheckAttempt.tenant_id == self.tenant_id,
                StockCheckAttempt.record_id.in_(record_ids),
            )
            .order_by(StockCheckAttempt.record_id, StockCheckAttempt.attempt_number)
        )
        grouped: defaultdict[int, list[StockCheckAttempt]] = defaultdict(list)
        for row in rows:
            grouped[row.record_id].append(row)
        return [grouped[i] for i in record_ids]

    async def _expected_quantities(self, record_ids: list[int]) -> list[Decimal]:
        """Live: the stock of each record's group at its check's location now, held stock included."""
        record, check, stock = StockCheckRecord, StockCheck, Stock
        statement = (
            select(record.id, func.sum(stock.quantity))
            .join(check, (check.tenant_id == record.tenant_id) & (check.id == record.stock_check_id))
            .join(
                stock,
                (stock.tenant_id == record.tenant_id)
                & (stock.location_id == check.location_id)
                & (stock.product_id == record.product_id)
                & (stock.batch == record.batch)
                & stock.sell_by_date.is_not_distinct_from(record.sell_by_date)
                & stock.best_before_date.is_not_distinct_from(record.best_before_date),
            )
            .where(record.tenant_id == self.tenant_id, record.id.in_(record_ids))
            .group_by(record.id)
        )
        rows: list[Any] = await self.reader.rows(statement)
        sums = {row[0]: row[1] for row in rows}
        return [sums.get(i) or Decimal(0) for i in record_ids]
