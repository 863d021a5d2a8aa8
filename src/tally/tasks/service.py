"""Reading tasks."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tally.db import Database
from tally.errors import NotFound
from tally.stock_checks.models import StockCheck
from tally.tasks.models import Task


async def read_task(db: Database, tenant_id: int, task_id: int) -> dict[str, Any]:
    async with db.read() as session:
        task = await session.get(Task, (tenant_id, task_id))
        if task is None:
            raise NotFound(f"No task with id {task_id}.")
        check_id = await session.scalar(
            select(StockCheck.id).where(StockCheck.tenant_id == tenant_id, StockCheck.task_id == task_id)
        )
    return {
        "status": task.status,
        "task_type": task.task_type,
        "location_from_id": task.location_from_id,
        "stock_check_id": check_id,
        "created_at": task.created_at,
        "completed_at": task.completed_at,
    }
