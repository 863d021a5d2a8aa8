"""Tasks: the work item that goes with each stock check."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from tally.graphql.context import Context, Info, resolver
from tally.graphql.filters import (
    Condition,
    DatetimeInput,
    IdInput,
    code_conditions,
    datetime_conditions,
    enum_conditions,
    id_conditions,
)
from tally.graphql.inventory import LocationNode, load_one
from tally.graphql.pagination import Connection, paginate
from tally.graphql.stock_checks import StockCheckNode
from tally.tasks.models import Task


@strawberry.enum(name="TaskStatus")
class TaskStatus(Enum):
    AVAILABLE = "AVAILABLE"
    ALLOCATED = "ALLOCATED"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"


@strawberry.input(name="TaskStatusInputType")
class TaskStatusInput:
    eq: TaskStatus | None = None
    in_: list[TaskStatus] | None = strawberry.field(default=None, name="in")


@strawberry.input(name="TaskTypeInputType", description="eq/in over task type codes, e.g. CHECK.")
class TaskTypeInput:
    eq: str | None = None
    in_: list[str] | None = strawberry.field(default=None, name="in")


@strawberry.type(name="Task")
class TaskNode:
    id: strawberry.ID
    status: str = strawberry.field(description="AVAILABLE, ALLOCATED, COMPLETED or CANCELLED.")
    task_type: str
    created_at: datetime
    completed_at: datetime | None
    user_id: strawberry.ID | None = strawberry.field(description="The user the task is allocated to, if any.")
    assigned_at: datetime | None
    start_at: datetime | None
    last_accessed_at: datetime | None
    location_from_id: strawberry.Private[int]

    @classmethod
    def of(cls, row: Task) -> TaskNode:
        return cls(
            id=strawberry.ID(str(row.id)),
            status=row.status,
            task_type=row.task_type,
            created_at=row.created_at,
            completed_at=row.completed_at,
            user_id=strawberry.ID(str(row.user_id)) if row.user_id is not None else None,
            assigned_at=row.assigned_at,
            start_at=row.start_at,
            last_accessed_at=row.last_accessed_at,
            location_from_id=row.location_from_id,
        )

    @strawberry.field
    async def location_from(self, info: Info) -> LocationNode:
        loader = info.context.loaders.location
        return LocationNode.of(await load_one(loader, self.location_from_id, "location"))

    @resolver(description="The stock check this task carries out, if any.")
    async def stock_check(self, info: Info) -> StockCheckNode | None:
        row = await info.context.loaders.stock_check_by_task.load(int(self.id))
        return StockCheckNode.of(row) if row is not None else None


@strawberry.input(name="TaskFilterType")
class TaskFilter:
    id: IdInput | None = None
    status: TaskStatusInput | None = None
    task_type: TaskTypeInput | None = None
    location_from_id: IdInput | None = None
    created_at: DatetimeInput | None = None

    def conditions(self, _context: Context) -> list[Condition]:
        return [
            *id_conditions(Task.id, self.id),
            *enum_conditions(Task.status, self.status),
            *code_conditions(Task.task_type, self.task_type),
            *id_conditions(Task.location_from_id, self.location_from_id),
            *datetime_conditions(Task.created_at, self.created_at),
        ]


@strawberry.type(name="TasksQuery")
class TasksQuery:
    @resolver(description="first: at most 500, 100 when left out; after: an endCursor.")
    async def all(
        self,
        info: Info,
        filter: TaskFilter | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[TaskNode]:
        conditions = filter.conditions(info.context) if filter else []
        return await paginate(info, Task, conditions, first, after, TaskNode.of)
