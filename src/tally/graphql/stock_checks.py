"""Stock checks, their records (one per stock group) and attempts.

Blind counting, as in REST: expected quantities and system counts are null unless the token holds
stock_checks:manage.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from tally.graphql.context import Context, Info, resolver
from tally.graphql.filters import (
    Condition,
    DatetimeInput,
    IdInput,
    datetime_conditions,
    enum_conditions,
    id_conditions,
)
from tally.graphql.inventory import LocationNode, ProductNode, load_one
from tally.graphql.pagination import Connection, paginate
from tally.stock_checks import rules
from tally.stock_checks.models import StockCheck, StockCheckAttempt, StockCheckRecord

if TYPE_CHECKING:
    from tally.graphql.tasks import TaskNode


@strawberry.enum(name="StockCheckStatus")
class StockCheckStatus(Enum):
    pending = "pending"
    passed = "passed"
    failed = "failed"
    resolved = "resolved"
    cancelled = "cancelled"


@strawberry.input(name="StockCheckStatusInputType")
class StockCheckStatusInput:
    eq: StockCheckStatus | None = None
    in_: list[StockCheckStatus] | None = strawberry.field(default=None, name="in")


@strawberry.type(name="StockCheckAttempt")
class AttemptNode:
    attempt_number: int
    physical_count: Decimal
    system_count: Decimal | None = strawberry.field(description="Null without stock_checks:manage.")
    attempt_result: str = strawberry.field(description="success or failure.")
    recorded_at: datetime

    @classmethod
    def of(cls, row: StockCheckAttempt, context: Context) -> AttemptNode:
        return cls(
            attempt_number=row.attempt_number,
            physical_count=row.physical_count,
            system_count=row.system_count if context.sees_system_counts else None,
            attempt_result=row.attempt_result,
            recorded_at=row.recorded_at,
        )


@strawberry.type(name="StockCheckRecord", description="One stock group within a check.")
class RecordNode:
    id: strawberry.ID
    batch: str | None
    sell_by_date: date | None
    best_before_date: date | None
    status: str = strawberry.field(description="uncounted, passed, failed or resolved.")
    reason_code_id: strawberry.ID | None
    resolved_at: datetime | None
    product_id: strawberry.Private[int]

    @classmethod
    def of(cls, row: StockCheckRecord) -> RecordNode:
        return cls(
            id=strawberry.ID(str(row.id)),
            batch=row.batch or None,
            sell_by_date=row.sell_by_date,
            best_before_date=row.best_before_date,
            status=rules.record_status(row.attempt_count, row.last_result, row.resolved_at is not None),
            reason_code_id=strawberry.ID(str(row.reason_code_id)) if row.reason_code_id is not None else None,
            resolved_at=row.resolved_at,
            product_id=row.product_id,
        )

    @strawberry.field
    async def product(self, info: Info) -> ProductNode:
        return ProductNode.of(await load_one(info.context.loaders.product, self.product_id, "product"))

    @resolver(description="The group's stock at the check's location now; null without stock_checks:manage.")
    async def expected_quantity(self, info: Info) -> Decimal | None:
        if not info.context.sees_system_counts:
            return None
        quantity: Decimal = await info.context.loaders.expected_quantity.load(int(self.id))
        return quantity

    @strawberry.field
    async def attempts(self, info: Info) -> list[AttemptNode]:
        rows = await info.context.loaders.attempts_by_record.load(int(self.id))
        return [AttemptNode.of(row, info.context) for row in rows]


@strawberry.type(name="StockCheck")
class StockCheckNode:
    id: strawberry.ID
    status: str = strawberry.field(description="pending, passed, failed, resolved or cancelled.")
    expected_completion_date: datetime
    created_at: datetime
    completed_at: datetime | None
    location_id: strawberry.Private[int]
    task_id: strawberry.Private[int]

    @classmethod
    def of(cls, row: StockCheck) -> StockCheckNode:
        return cls(
            id=strawberry.ID(str(row.id)),
            status=row.status,
            expected_completion_date=row.expected_completion_date,
            created_at=row.created_at,
            completed_at=row.completed_at,
            location_id=row.location_id,
            task_id=row.task_id,
        )

    @strawberry.field
    async def location(self, info: Info) -> LocationNode:
        return LocationNode.of(await load_one(info.context.loaders.location, self.location_id, "location"))

    @strawberry.field
    async def task(self, info: Info) -> Annotated[TaskNode, strawberry.lazy("tally.graphql.tasks")]:
        from tally.graphql.tasks import TaskNode

        return TaskNode.of(await load_one(info.context.loaders.task, self.task_id, "task"))

    @resolver(description="One per stock group, in id order.")
    async def records(self, info: Info) -> list[RecordNode]:
        rows = await info.context.loaders.records_by_check.load(int(self.id))
        return [RecordNode.of(row) for row in rows]


@strawberry.input(name="StockCheckFilterType")
class StockCheckFilter:
    id: IdInput | None = None
    status: StockCheckStatusInput | None = None
    location_id: IdInput | None = None
    created_at: DatetimeInput | None = None
    completed_at: DatetimeInput | None = None

    def conditions(self, _context: Context) -> list[Condition]:
        return [
            *id_conditions(StockCheck.id, self.id),
            *enum_conditions(StockCheck.status, self.status),
            *id_conditions(StockCheck.location_id, self.location_id),
            *datetime_conditions(StockCheck.created_at, self.created_at),
            *datetime_conditions(StockCheck.completed_at, self.completed_at),
        ]


@strawberry.type(name="StockChecksQuery")
class StockChecksQuery:
    @resolver(description="first: at most 500, 100 when left out; after: an endCursor.")
    async def all(
        self,
        info: Info,
        filter: StockCheckFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[StockCheckNode]:
        conditions = filter.conditions(info.context) if filter else []
        return await paginate(info, StockCheck, conditions, first, after, StockCheckNode.of)
