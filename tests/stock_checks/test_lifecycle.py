"""A Hypothesis state machine drives the check lifecycle over HTTP and compares every answer with a model.

Each example gets a fresh tenant on the engine under test, one location holding four stock groups (one of
them empty), and its own event loop and engine (Hypothesis's stateful runner is synchronous).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tally.app import create_app
from tally.config import Settings
from tally.db import Database
from tests.support import Api, new_site, new_tenant

T = TypeVar("T")

# (batch, quantity at creation); batch "" is the no-batch group, "EMPTY" has no stock row at all.
GROUPS: list[tuple[str, Decimal | None]] = [
    ("A", Decimal("5")),
    ("B", Decimal("2.5")),
    ("", Decimal("0")),
    ("EMPTY", None),
]
counts = st.sampled_from([Decimal(0), Decimal("2.5"), Decimal(5), Decimal(6)])


@dataclass
class ModelRecord:
    attempts: list[tuple[Decimal, Decimal]] = field(default_factory=list)  # (physical, system)
    resolved: bool = False

    @property
    def latest_success(self) -> bool:
        physical, system = self.attempts[-1]
        return physical == system


@dataclass
class ModelCheck:
    id: int
    status: str = "pending"
    records: dict[str, ModelRecord] = field(default_factory=dict)


class Lifecycle(RuleBasedStateMachine):
    url: str = ""

    def __init__(self) -> None:
        super().__init__()
        self.runner = asyncio.Runner()
        self.db = Database(self.url)
        self.http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(Settings(database_url=self.url), database=self.db)),
            base_url="http://tally.test",
        )
        self.api: Api = self.run(new_tenant(self.http, self.db))
        self.run(self._setup())
        self.check: ModelCheck | None = None

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.runner.run(coroutine)

    async def _setup(self) -> None:
        site = await new_site(self.api, batch=True, sell_by=False, best_before=False)
        self.location_id = site.location_id
        self.product_id = site.product_id
        self.stock: dict[str, Decimal] = {}
        self.stock_ids: dict[str, int] = {}
        for batch, quantity in GROUPS:
            if quantity is not None:
                row = await self.api.create(
                    "stocks",
                    product_id=site.product_id,
                    location_id=site.location_id,
                    quantity=quantity,
                    batch=batch,
                )
                self.stock[batch] = quantity
                self.stock_ids[batch] = row["id"]
        for code, reason_type in [
            ("SC", "stock_check"),
            ("UP", "positive_adjustment"),
            ("DOWN", "negative_adjustment"),
        ]:
            reason = await self.api.create(
                "reason_codes", code=code, name=code, description=code, reason_type=reason_type
            )
            setattr(self, f"reason_{code.lower()}", reason["id"])

    def teardown(self) -> None:
        self.run(self.http.aclose())
        self.run(self.db.dispose())
        self.runner.close()

    def system(self, batch: str) -> Decimal:
        return self.stock.get(batch, Decimal(0))

    @initialize()
    def first_check(self) -> None:
        self.open_check()

    @rule()
    def open_check(self) -> None:
        response = self.run(
            self.api.post(
                "/api/stock_checks",
                {
                    "data": {
                        "type": "stock_checks",
                        "attributes": {
                            "location_id": self.location_id,
                            "expected_completion_date": "2030-01-01T00:00:00Z",
                        },
                    }
                },
            )
        )
        if self.check is not None and self.check.status == "pending":
            assert response.status_code == 200
            assert response.json()["stock_check_id"] == self.check.id
            return
        assert response.status_code == 201, response.text
        self.check = ModelCheck(response.json()["stock_check_id"])
        self.check.records = {batch: ModelRecord() for batch in self.stock}

    @precondition(lambda self: self.check is not None)
    @rule(group=st.sampled_from([g for g, _ in GROUPS]), count=counts)
    def record_attempt(self, group: str, count: Decimal) -> None:
        assert self.check is not None
        response = self.run(
            self.api.post(
                f"/api/stock_checks/{self.check.id}/record_attempt",
                {
                    "data": {
                        "attributes": {"product_id": self.product_id, "physical_count": count, "batch": group}
                    }
                },
            )
        )
        record = self.check.records.get(group)
        if self.check.status != "pending" or (record is not None and len(record.attempts) == 2):
            assert response.status_code == 422, response.text
            return
        record = self.check.records.setdefault(group, ModelRecord())
        record.attempts.append((count, self.system(group)))
        assert response.status_code == 201, response.text
        assert response.json() == {
            "attempt_result": "success" if count == self.system(group) else "failure",
            "attempt_number": len(record.attempts),
        }

    @precondition(lambda self: self.check is not None and self.check.status == "pending")
    @rule(group=st.sampled_from(["A", "EMPTY"]), count=counts)
    def recount(self, group: str, count: Decimal) -> None:
        """Counting the same groups again and again, so third attempts and failures come up often."""
        self.record_attempt(group, count)

    @precondition(lambda self: self.check is not None)
    @rule()
    def complete(self) -> None:
        assert self.check is not None
        response = self.run(self.api.post(f"/api/stock_checks/{self.check.id}/complete"))
        if self.check.status != "pending":
            assert response.status_code == 422
            return
        for batch, quantity in self.stock.items():
            if batch not in self.check.records and quantity != 0:
                self.check.records[batch] = ModelRecord()
        for batch, record in self.check.records.items():
            if not record.attempts:
                record.attempts.append((Decimal(0), self.system(batch)))
        passed = all(r.latest_success for r in self.check.records.values())
        self.check.status = "passed" if passed else "failed"
        assert response.status_code == 200
        assert response.json() == {"status": self.check.status}

    @precondition(lambda self: self.check is not None)
    @rule()
    def cancel(self) -> None:
        assert self.check is not None
        response = self.run(self.api.post(f"/api/stock_checks/{self.check.id}/cancel"))
        if self.check.status != "pending":
            assert response.status_code == 422
            return
        self.check.status = "cancelled"
        assert response.status_code == 200
        assert response.json() == {"status": "cancelled"}

    @precondition(lambda self: self.check is not None)
    @rule(groups=st.sets(st.sampled_from([g for g, _ in GROUPS]), min_size=1))
    def resolve(self, groups: set[str]) -> None:
        assert self.check is not None
        ids = self.record_ids()
        chosen = [g for g in groups if g in ids]
        if not chosen:
            return
        response = self.run(
            self.api.post(
                "/api/stock_checks/resolve",
                {"stock_check_record_ids": [ids[g] for g in chosen], "reason_code_id": self.reason_sc},
            )
        )
        resolvable = self.check.status == "failed" and all(
            not self.check.records[g].resolved and not self.check.records[g].latest_success for g in chosen
        )
        if not resolvable:
            assert response.status_code == 422, response.text
            return
        assert response.status_code == 204, response.text
        for g in chosen:
            record = self.check.records[g]
            record.resolved = True
            physical, system = record.attempts[-1]
            self.stock[g] = max(self.system(g) + physical - system, Decimal(0))
        if all(r.resolved or r.latest_success for r in self.check.records.values()):
            self.check.status = "resolved"

    @rule(group=st.sampled_from(["A", "B", ""]), change=st.sampled_from([Decimal(1), Decimal("-0.5")]))
    def adjust_stock(self, group: str, change: Decimal) -> None:
        if group not in self.stock_ids:
            return
        response = self.run(
            self.api.post(
                f"/api/stocks/{self.stock_ids[group]}/adjust",
                {
                    "data": {
                        "attributes": {
                            "quantity_change": change,
                            "reason_code_id": self.reason_up if change > 0 else self.reason_down,
                        }
                    }
                },
            )
        )
        if self.stock[group] + change < 0:
            assert response.status_code == 422
            return
        assert response.status_code == 200, response.text
        self.stock[group] += change

    def resolvable(self) -> list[str]:
        if self.check is None or self.check.status != "failed":
            return []
        return sorted(g for g, r in self.check.records.items() if not r.resolved and not r.latest_success)

    @precondition(lambda self: bool(self.resolvable()))
    @rule(data=st.data())
    def resolve_failures(self, data: st.DataObject) -> None:
        """Resolving only what may be resolved, so that variances are posted often."""
        self.resolve(set(data.draw(st.lists(st.sampled_from(self.resolvable()), min_size=1, unique=True))))

    def record_ids(self) -> dict[str, int]:
        assert self.check is not None
        body = self.run(self.api.get(f"/api/stock_checks/{self.check.id}")).json()
        return {r["batch"] or "": r["id"] for r in body["data"]["attributes"]["records"]}

    @invariant()
    def server_agrees_with_model(self) -> None:
        if self.check is None:
            return
        body = self.run(self.api.get(f"/api/stock_checks/{self.check.id}")).json()["data"]["attributes"]
        assert body["status"] == self.check.status
        records = {r["batch"] or "": r for r in body["records"]}
        assert set(records) == set(self.check.records)
        for batch, model in self.check.records.items():
            served = records[batch]
            assert [
                (Decimal(str(a["physical_count"])), Decimal(str(a["system_count"])))
                for a in served["attempts"]
            ] == [(p, s) for p, s in model.attempts]
            assert served["expected_quantity"] == pytest.approx(float(self.system(batch)))
            if model.resolved:
                assert served["status"] == "resolved"
        for batch, stock_id in self.stock_ids.items():
            served_stock = self.run(self.api.get(f"/api/stocks/{stock_id}")).json()["data"]["attributes"]
            if batch in self.stock:
                assert Decimal(str(served_stock["quantity"])) == self.stock[batch]


def test_stock_check_lifecycle_matches_the_model(backend_url: str) -> None:
    Lifecycle.url = backend_url
    run_state_machine_as_test(
        Lifecycle,
        settings=settings(
            max_examples=20,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
