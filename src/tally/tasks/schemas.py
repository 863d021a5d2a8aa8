"""The wire shape of the task endpoints. Bodies are bare JSON (not the data/attributes envelope), as
ClarusWMS documents allocate and unallocate."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tally.http.fields import Id, Schema
from tally.tasks.models import Task

MAX_BULK = 1000


class AllocateOne(Schema):
    """POST /api/tasks/{id}/allocate: the user to allocate to, by default the caller's user."""

    user_id: Id | None = None


class AllocateMany(Schema):
    ids: list[Id] = Field(min_length=1, max_length=MAX_BULK)
    user_id: Id | None = None


class UnallocateMany(Schema):
    ids: list[Id] = Field(min_length=1, max_length=MAX_BULK)


class NoBody(Schema):
    """unallocate, enter and exit of one task take no body; an empty object is accepted too."""


def task_attributes(task: Task, stock_check_id: int | None) -> dict[str, Any]:
    return {
        "status": task.status,
        "task_type": task.task_type,
        "location_from_id": task.location_from_id,
        "stock_check_id": stock_check_id,
        "user_id": task.user_id,
        "assigned_at": task.assigned_at,
        "start_at": task.start_at,
        "last_accessed_at": task.last_accessed_at,
        "created_at": task.created_at,
        "completed_at": task.completed_at,
    }
