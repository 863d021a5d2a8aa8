"""`python -m bench.run [--smoke] [--engines postgresql,sqlite] [--only attempts,limit,large,reads]`

One run measures, per engine, against a real `tally serve` subprocess on a fresh database:
- attempts: record_attempt over HTTP at each concurrency level (distinct stock group per request),
- limit:    the same database work through the driver alone, interleaved run by run with `attempts`,
- large:    create + complete of checks over 1,000 / 10,000 / 100,000 stock groups, with peak server RSS,
- reads:    a GraphQL stocks page of 500 at the first row and at row 1,000,000 (PostgreSQL only).

The full run (no --smoke, all engines, all phases) writes BENCHMARKS.md and bench/results.json; other runs
print their figures and write only with --output. Progress goes to stderr. The exit status is 1 when anything
failed: a non-2xx answer, a server that would not start or died, a database error.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import dataset, report
from bench.dataset import ApiError, BenchDatabase, BenchTenant, GroupAllocator
from bench.limit import PostgresLimit, SqliteLimit
from bench.load import HttpConnection, Operation, RunSample, closed_loop, median_of, percentile
from bench.server import ROOT, CpuMeter, Server, ServerFailed, postgres_cpu_seconds, quiet_sample

ENGINES = ("postgresql", "sqlite")
PHASES = ("attempts", "limit", "large", "reads")
GRAPHQL_QUERY = (
    "query Stocks($after: String) { stocks { all(first: 500, after: $after) { "
    "pageInfo { hasNextPage endCursor } "
    "edges { node { id quantity product { id code } location { id code } } } } } }"
)


@dataclass
class Config:
    smoke: bool
    levels: list[int]
    runs: int
    warmup: float
    duration: float
    groups: int
    large_sizes: list[int]
    large_runs: int
    read_rows: int
    read_deep_row: int
    read_requests: int
    quiet_wait: float
    server_workers: int = 1
    engines: list[str] = field(default_factory=lambda: list(ENGINES))
    phases: list[str] = field(default_factory=lambda: list(PHASES))


FULL = Config(
    smoke=False,
    levels=[1, 16, 64],
    runs=3,
    warmup=1.0,
    duration=5.0,
    groups=150_000,
    large_sizes=[1_000, 10_000, 100_000],
    large_runs=3,
    read_rows=1_050_000,
    read_deep_row=1_000_000,
    read_requests=10,
    quiet_wait=60.0,
)
SMOKE = Config(
    smoke=True,
    levels=[1, 4],
    runs=1,
    warmup=0.2,
    duration=1.0,
    groups=10_000,
    large_sizes=[100],
    large_runs=1,
    read_rows=2_000,
    read_deep_row=1_000,
    read_requests=2,
    quiet_wait=0.0,
)
CALL_TIMEOUT = 600.0
# Repeats of a large check stop early once a size has used this long (the 100,000 case on a slow machine).
LARGE_BUDGET_S = 40.0
# Before each measurement, wait (within a budget per run) until other processes use less than this.
QUIET_CORES = 0.25


class Progress:
    """Phase lines on stderr with elapsed time and a rough ETA from the plan's estimates."""

    def __init__(self, estimate: float) -> None:
        self.started = time.monotonic()
        self.remaining = estimate
        self.done_estimate = 0.0

    def step(self, label: str, estimate: float) -> None:
        elapsed = time.monotonic() - self.started
        pace = elapsed / self.done_estimate if self.done_estimate > 5 else 1.0
        left = max(0.0, self.remaining * pace)
        print(f"[{_clock(elapsed)} elapsed, ~{_clock(left)} left] {label}", file=sys.stderr, flush=True)
        self.remaining -= estimate
        self.done_estimate += estimate

    def note(self, message: str) -> None:
        print(f"    {message}", file=sys.stderr, flush=True)


def _clock(seconds: float) -> str:
    return f"{int(seconds) // 60}:{int(seconds) % 60:02d}"


def estimate(cfg: Config) -> dict[str, float]:
    """Rough seconds per phase per engine, for the ETA."""
    load_run = cfg.warmup + cfg.duration + 0.5
    large = {100: 1, 1_000: 2, 10_000: 6, 100_000: 45}
    return {
        "setup": 6 + cfg.groups / 40_000,
        "attempts": load_run * cfg.runs * len(cfg.levels),
        "limit": load_run * cfg.runs * len(cfg.levels),
        "large": sum(large.get(n, n / 2_000) for n in cfg.large_sizes) * cfg.large_runs + 5,
        "reads": 2 + cfg.read_rows / 60_000 + 2 * cfg.runs * cfg.read_requests * 0.15,
    }


class Bench:
    def __init__(self, cfg: Config, progress: Progress, logs: Path) -> None:
        self.cfg = cfg
        self.progress = progress
        self.logs = logs
        self.problems: list[str] = []
        self.quiet_budget = cfg.quiet_wait
        self.quiet_waited = 0.0
        self.db_name: str | None = None
        # bench.profile sets this to attach py-spy to the server during measured sections.
        self.profiler: Any = None

    def settle(self, server: Server | None) -> float:
        """Wait, within the run's budget, for other processes to leave the CPUs; return what they use."""

        def mine() -> float:
            own = time.process_time() + postgres_cpu_seconds(self.db_name)
            return own + (server.cpu_seconds() if server else 0.0)

        while True:
            others = quiet_sample(0.5, mine)
            if others < QUIET_CORES or self.quiet_budget <= 0:
                return others
            self.quiet_budget -= 0.5
            self.quiet_waited += 0.5

    def problem(self, engine: str, message: str) -> None:
        self.problems.append(f"{engine}: {message}")
        self.progress.note(f"ERROR {message}")

    async def engine(self, engine: str) -> dict[str, Any]:
        est = estimate(self.cfg)
        result: dict[str, Any] = {}
        db = BenchDatabase(engine)
        server: Server | None = None
        try:
            self.progress.step(f"{engine}: fresh database, `tally serve`, tenant and bulk data", est["setup"])
            await db.create()
            self.db_name = db.pg_name or "(sqlite: no postgres backends)"
            server = Server(db.url, self.logs / f"{engine}-server.log", workers=self.cfg.server_workers)
            server.start()
            self.progress.note(f"tally serve: pid {server.pid}, {server.base_url}, log {server.log_path}")
            tenant = await dataset.bootstrap(db, "127.0.0.1", server.port)
            result["server_rss_idle_mb"] = round(server.rss_mb(), 1)
            if {"attempts", "limit"} & set(self.cfg.phases):
                result["record_attempt"] = await self.record_attempt(engine, db, server, tenant)
            if "large" in self.cfg.phases:
                result["large_checks"] = await self.large_checks(engine, db, server, tenant)
            if "reads" in self.cfg.phases:
                result["reads"] = await self.reads(engine, db, server, tenant)
            server.require_alive()
        except (ServerFailed, ApiError, OSError) as exc:
            self.problem(engine, str(exc))
            result["error"] = str(exc)
        except Exception as exc:
            self.problem(engine, f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
            result["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            if server is not None:
                server.stop()
                if result.get("error"):
                    self.progress.note(f"server log tail:\n{server.log_tail()}")
            with contextlib.suppress(Exception):
                await db.drop()
        return result

    # -- record_attempt over HTTP and the limit --------------------------------------------------------------

    async def record_attempt(
        self, engine: str, db: BenchDatabase, server: Server, tenant: BenchTenant
    ) -> dict[str, Any]:
        cfg = self.cfg
        location = await dataset.add_location(tenant, "ATTEMPTS")
        conn = HttpConnection(tenant.host, tenant.port)
        # Opened while the location is empty, then given its groups' records as create_stock_check makes them.
        check_id = await dataset.open_check(conn, tenant, location)
        await conn.close()
        await dataset.load_products(db, tenant, cfg.groups)
        products = tenant.products[: cfg.groups]
        await dataset.load_stock(db, tenant, location, products, seed=1)
        await dataset.load_records(db, tenant, check_id, products)
        await db.analyze()
        groups = GroupAllocator(products)
        limit: PostgresLimit | SqliteLimit = (
            PostgresLimit(db.dsn, tenant.tenant_id, tenant.client_pk, check_id, groups)
            if db.is_postgres
            else SqliteLimit(db.sqlite_path, tenant.tenant_id, tenant.client_pk, check_id, groups)
        )
        est = estimate(cfg)
        per_run = est["attempts"] / (cfg.runs * len(cfg.levels))
        levels: dict[str, Any] = {}
        for clients in cfg.levels:
            api_runs: list[dict[str, Any]] = []
            limit_runs: list[dict[str, Any]] = []
            peaks: list[float] = []
            for run in range(1, cfg.runs + 1):
                if "attempts" in cfg.phases:
                    self.progress.step(
                        f"{engine}: record_attempt over HTTP, {clients} clients, run {run}", per_run
                    )
                    server.require_alive()
                    server.reset_peak()
                    sample = await self._measure(
                        server, self._http_operations(tenant, check_id, groups, clients)
                    )
                    sample.cpu["server_peak_rss_mb"] = server.peak_mb()
                    peaks.append(sample.cpu["server_peak_rss_mb"])
                    api_runs.append(self._check_sample(engine, "record_attempt", sample))
                if "limit" in cfg.phases:
                    self.progress.step(
                        f"{engine}: the limit (driver only), {clients} clients, run {run}", per_run
                    )
                    operations = await limit.open(clients)
                    self.settle(server)
                    try:
                        sample = await self._measure(None, operations)
                    finally:
                        await limit.close()
                    limit_runs.append(self._check_sample(engine, "limit", sample))
            level: dict[str, Any] = {}
            if api_runs:
                level["api"] = _combine(api_runs)
                level["api"]["server_peak_rss_mb"] = round(max(peaks), 1)
            if limit_runs:
                level["limit"] = _combine(limit_runs)
            if api_runs and limit_runs and level["limit"]["median"]["throughput"]:
                level["ratio"] = round(
                    level["api"]["median"]["throughput"] / level["limit"]["median"]["throughput"], 3
                )
            levels[str(clients)] = level
        self.progress.note(f"stock groups used: {groups.used:,} of {len(products) * groups.passes:,}")
        return {"check_groups": len(products), "levels": levels}

    def _http_operations(
        self, tenant: BenchTenant, check_id: int, groups: GroupAllocator, clients: int
    ) -> list[Operation]:
        path = f"/api/stock_checks/{check_id}/record_attempt"

        def operation() -> Operation:
            conn = HttpConnection(tenant.host, tenant.port)
            head = conn.head("POST", path, tenant.headers())

            async def attempt() -> str | None:
                product_id = groups.next()
                if product_id is None:
                    return "no stock group left to count"
                body = b'{"data":{"attributes":{"product_id":%d,"physical_count":%d}}}' % (
                    product_id,
                    dataset.PHYSICAL_COUNT,
                )
                status, reply = await conn.send(head, body)
                if status != 201:
                    return f"HTTP {status}: {reply[:200]!r}"
                return None

            attempt.conn = conn  # type: ignore[attr-defined]
            return attempt

        return [operation() for _ in range(clients)]

    async def _measure(
        self, server: Server | None, operations: list[Operation], label: str = ""
    ) -> RunSample:
        meter = CpuMeter(server, self.db_name)
        profiler = self.profiler if server is not None else None

        def window_start() -> None:
            meter.start()
            if profiler:
                profiler.start(server, label)

        def window_end() -> None:
            meter.stop()
            if profiler:
                profiler.stop()

        try:
            sample = await asyncio.wait_for(
                closed_loop(
                    operations,
                    warmup=self.cfg.warmup,
                    duration=self.cfg.duration,
                    on_window_start=window_start,
                    on_window_end=window_end,
                ),
                self.cfg.warmup + self.cfg.duration + CALL_TIMEOUT,
            )
        finally:
            for op in operations:
                conn = getattr(op, "conn", None)
                if conn is not None:
                    await conn.close()
        sample.cpu = dict(meter.result)
        return sample

    def _check_sample(self, engine: str, what: str, sample: RunSample) -> dict[str, Any]:
        summary = sample.summary()
        # CPU per operation barely moves when other work shares the machine; throughput does.
        if sample.completed:
            summary["cpu_ms_per_op"] = {
                k.removesuffix("_cores"): round(v * sample.seconds * 1000 / sample.completed, 3)
                for k, v in sample.cpu.items()
                if k in ("server_cores", "postgres_cores", "generator_cores")
            }
        if sample.errors:
            self.problem(
                engine,
                f"{what} at {sample.clients} clients: {sample.errors} failed: {sample.error_samples[:2]}",
            )
        self.progress.note(
            f"{summary['throughput']:>8.1f}/s  p50 {summary['p50_ms']} ms  p95 {summary['p95_ms']} ms  "
            f"p99 {summary['p99_ms']} ms  cpu {_cpu_text(summary['cpu'])}"
        )
        return summary

    # -- large checks ----------------------------------------------------------------------------------------

    async def large_checks(
        self, engine: str, db: BenchDatabase, server: Server, tenant: BenchTenant
    ) -> dict[str, Any]:
        cfg = self.cfg
        locations = {}
        for size in cfg.large_sizes:
            locations[size] = await dataset.add_location(tenant, f"LARGE-{size}")
            await dataset.load_products(db, tenant, size)
            await dataset.load_stock(db, tenant, locations[size], tenant.products[:size], seed=size)
        await db.analyze()
        sizes: dict[str, Any] = {}
        large_est = {100: 1, 1_000: 2, 10_000: 6, 100_000: 45}
        for size in cfg.large_sizes:
            runs: list[dict[str, Any]] = []
            size_started = time.monotonic()
            for run in range(1, cfg.large_runs + 1):
                spent = time.monotonic() - size_started
                if runs and spent + spent / len(runs) > LARGE_BUDGET_S:
                    self.progress.note(
                        f"{len(runs)} run(s) of {size:,} groups: the next would pass the budget"
                    )
                    break
                self.progress.step(
                    f"{engine}: create + complete a check of {size:,} stock groups, run {run}",
                    large_est.get(size, size / 2_000),
                )
                server.require_alive()
                self.settle(server)
                conn = HttpConnection(tenant.host, tenant.port)
                try:
                    server.reset_peak()
                    rss_before = server.rss_mb()
                    started = time.perf_counter()
                    check_id = await asyncio.wait_for(
                        dataset.open_check(conn, tenant, locations[size]), CALL_TIMEOUT
                    )
                    create_s = time.perf_counter() - started
                    create_peak = server.peak_mb()
                    (records,) = (
                        await db.fetch(
                            "SELECT count(*) FROM stock_check_records WHERE tenant_id = $1 "
                            "AND stock_check_id = $2",
                            tenant.tenant_id,
                            check_id,
                        )
                    )[0]
                    if records != size:
                        raise ApiError(f"the check of {size} groups has {records} records")
                    server.reset_peak()
                    if self.profiler:
                        self.profiler.start(server, f"{engine}-complete-{size}")
                    started = time.perf_counter()
                    reply = await asyncio.wait_for(
                        dataset.api_call(conn, tenant, "POST", f"/api/stock_checks/{check_id}/complete"),
                        CALL_TIMEOUT,
                    )
                    complete_s = time.perf_counter() - started
                    if self.profiler:
                        self.profiler.stop()
                    complete_peak = server.peak_mb()
                finally:
                    await conn.close()
                runs.append(
                    {
                        "create_s": round(create_s, 3),
                        "complete_s": round(complete_s, 3),
                        "rss_before_mb": round(rss_before, 1),
                        "create_peak_rss_mb": round(create_peak, 1),
                        "complete_peak_rss_mb": round(complete_peak, 1),
                        "status": reply["status"],
                    }
                )
                self.progress.note(
                    f"create {create_s:.3f} s, complete {complete_s:.3f} s ({reply['status']}), "
                    f"peak RSS {max(create_peak, complete_peak):.0f} MiB"
                )
            sizes[str(size)] = {
                "runs": runs,
                "create_s": _median(runs, "create_s", 3),
                "complete_s": _median(runs, "complete_s", 3),
                "create_peak_rss_mb": max(r["create_peak_rss_mb"] for r in runs),
                "complete_peak_rss_mb": max(r["complete_peak_rss_mb"] for r in runs),
            }
        return {
            "sizes": sizes,
            "uncounted": "every group uncounted at complete (zero-count attempts for all)",
        }

    # -- GraphQL reads ---------------------------------------------------------------------------------------

    async def reads(
        self, engine: str, db: BenchDatabase, server: Server, tenant: BenchTenant
    ) -> dict[str, Any]:
        cfg = self.cfg
        est = estimate(cfg)["reads"]
        if not db.is_postgres:
            return {"status": "not measured", "why": "deep pages are measured on PostgreSQL only"}
        self.progress.step(f"{engine}: GraphQL stocks pages (tenant of {cfg.read_rows:,}+ stock rows)", est)
        conn = HttpConnection(tenant.host, tenant.port)
        try:
            probe_status, _ = await conn.request(
                "POST", "/graphql", tenant.headers(), json.dumps({"query": GRAPHQL_QUERY}).encode()
            )
            if probe_status in (404, 405):
                self.progress.note("POST /graphql is not there: reads not available")
                return {"status": "not available", "why": f"POST /graphql answered {probe_status}"}
            have = await dataset.stock_rows(db, tenant)
            missing = cfg.read_rows - have
            if missing > 0:
                await dataset.load_products(db, tenant, max(len(tenant.products), 1_000))
                per_location = len(tenant.products)
                locations = [
                    await dataset.add_location(tenant, f"FILL-{n:03d}")
                    for n in range(1, -(-missing // per_location) + 1)
                ]
                await dataset.fill_stock(db, tenant, locations, missing)
                have += missing
            await db.analyze()
            deep_id = await dataset.nth_stock_id(db, tenant, cfg.read_deep_row)
            cursor = _encode_cursor(deep_id)
            pages = {"first": None, "deep": cursor}
            timings: dict[str, list[list[float]]] = {"first": [], "deep": []}
            for _run in range(cfg.runs):
                self.settle(server)
                per_run: dict[str, list[float]] = {"first": [], "deep": []}
                # One warm-up of each, then alternate, so both pages see the same cache state.
                for name, after in pages.items():
                    await self._graphql_page(conn, tenant, after, deep_id if name == "deep" else 0)
                for _ in range(cfg.read_requests):
                    for name, after in pages.items():
                        started = time.perf_counter()
                        await self._graphql_page(conn, tenant, after, deep_id if name == "deep" else 0)
                        per_run[name].append((time.perf_counter() - started) * 1000)
                for name in pages:
                    timings[name].append(per_run[name])
        finally:
            await conn.close()
        result: dict[str, Any] = {
            "status": "ok",
            "stock_rows": have,
            "deep_row": cfg.read_deep_row,
            "page": 500,
        }
        for name in pages:
            medians = [statistics.median(r) for r in timings[name]]
            p95s = [percentile(sorted(r), 95) for r in timings[name]]
            result[f"{name}_page_ms"] = {
                "median": round(statistics.median(medians), 2),
                "p95": round(statistics.median(p95s), 2),
                "runs": [round(m, 2) for m in medians],
            }
        result["ratio"] = round(result["deep_page_ms"]["median"] / result["first_page_ms"]["median"], 3)
        self.progress.note(
            f"first page {result['first_page_ms']['median']} ms, page at row {cfg.read_deep_row:,} "
            f"{result['deep_page_ms']['median']} ms (x{result['ratio']})"
        )
        return result

    async def _graphql_page(
        self, conn: HttpConnection, tenant: BenchTenant, after: str | None, after_id: int
    ) -> None:
        payload = {"query": GRAPHQL_QUERY, "variables": {"after": after}}
        status, reply = await asyncio.wait_for(
            conn.request("POST", "/graphql", tenant.headers(), json.dumps(payload).encode()), CALL_TIMEOUT
        )
        if status != 200:
            raise ApiError(f"POST /graphql answered {status}: {reply[:300]!r}")
        body = json.loads(reply)
        if body.get("errors"):
            raise ApiError(f"POST /graphql answered errors: {str(body['errors'])[:300]}")
        edges = body["data"]["stocks"]["all"]["edges"]
        if len(edges) != 500 or int(edges[0]["node"]["id"]) <= after_id:
            raise ApiError(f"the GraphQL page after row id {after_id} is not the next 500 rows")


def _encode_cursor(row_id: int) -> str:
    """The API's own cursor encoding when it is importable, else its documented form."""
    try:
        from tally.graphql.pagination import encode_cursor

        cursor: str = encode_cursor(row_id)
        return cursor
    except ImportError:
        import base64

        return base64.urlsafe_b64encode(f"id:{row_id}".encode()).decode()


def _median(runs: list[dict[str, Any]], key: str, places: int = 2) -> float:
    return round(statistics.median(r[key] for r in runs), places)


def _combine(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per-run summaries and their medians."""
    median = {k: median_of(runs, k) for k in ("throughput", "p50_ms", "p95_ms", "p99_ms")}
    cpu_keys = runs[0]["cpu"].keys() if runs else []
    median["cpu"] = {
        k: round(statistics.median(r["cpu"][k] for r in runs if k in r["cpu"]), 3) for k in cpu_keys
    }
    per_op_keys = runs[0].get("cpu_ms_per_op", {}).keys() if runs else []
    median["cpu_ms_per_op"] = {
        k: round(statistics.median(r["cpu_ms_per_op"][k] for r in runs if k in r.get("cpu_ms_per_op", {})), 3)
        for k in per_op_keys
    }
    return {"median": median, "runs": runs}


def _cpu_text(cpu: dict[str, float]) -> str:
    parts = []
    for key, label in (("server_cores", "server"), ("postgres_cores", "pg"), ("generator_cores", "gen")):
        if key in cpu:
            parts.append(f"{label} {cpu[key]:.2f}")
    if "other_cores" in cpu:
        parts.append(f"other {cpu['other_cores']:.2f}")
    return " / ".join(parts)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, seconds; for CI (no timing checks)")
    parser.add_argument("--engines", default=",".join(ENGINES), help="comma-separated: postgresql,sqlite")
    parser.add_argument(
        "--only", default=",".join(PHASES), help="comma-separated: attempts,limit,large,reads"
    )
    parser.add_argument("--runs", type=int, help="repeats per measurement (default 3; smoke 1)")
    parser.add_argument("--duration", type=float, help="measured seconds per load run (default 5; smoke 1)")
    parser.add_argument(
        "--quiet-wait", type=float, help="seconds the run may wait for other load to stop (default 90)"
    )
    parser.add_argument("--server-workers", type=int, help="`tally serve --workers N` (default 1)")
    parser.add_argument("--levels", help="comma-separated client counts (default 1,16,64; smoke 1,4)")
    parser.add_argument("--sizes", help="comma-separated large-check sizes (default 1000,10000,100000)")
    parser.add_argument(
        "--output",
        type=Path,
        help="write BENCHMARKS.md and results.json under this directory (default: the repository, "
        "for a full run only)",
    )
    return parser.parse_args(argv)


def configure(args: argparse.Namespace) -> Config:
    base = SMOKE if args.smoke else FULL
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    phases = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = [e for e in engines if e not in ENGINES] + [p for p in phases if p not in PHASES]
    if unknown:
        raise SystemExit(f"unknown engine or phase: {', '.join(unknown)}")
    cfg = Config(**{**asdict(base), "engines": engines, "phases": phases})
    if args.runs:
        cfg.runs = cfg.large_runs = args.runs
    if args.duration:
        cfg.duration = args.duration
    if args.server_workers:
        cfg.server_workers = args.server_workers
    if args.quiet_wait is not None:
        cfg.quiet_wait = args.quiet_wait
    if args.levels:
        cfg.levels = [int(x) for x in args.levels.split(",")]
    if args.sizes:
        cfg.large_sizes = [int(x) for x in args.sizes.split(",")]
    return cfg


async def main_async(cfg: Config, output: Path | None) -> int:
    est = estimate(cfg)
    total = sum(est["setup"] + sum(est[p] for p in cfg.phases if p in est) for _ in cfg.engines)
    progress = Progress(total)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="tally_bench_logs_") as logs:
        bench = Bench(cfg, progress, Path(logs))
        engines: dict[str, Any] = {}
        for engine in cfg.engines:
            engines[engine] = await bench.engine(engine)
        versions = await report.versions()
    results = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "smoke" if cfg.smoke else "full",
        "wall_seconds": round(time.monotonic() - started, 1),
        "machine": report.machine(),
        "versions": versions,
        "config": asdict(cfg),
        "engines": engines,
        "problems": bench.problems,
        "quiet_waited_s": bench.quiet_waited,
    }
    results["targets"] = report.targets(results)
    print(report.summary_text(results))
    if output is not None:
        report.write(results, output)
        print(f"wrote {output / 'BENCHMARKS.md'} and {output / 'bench' / 'results.json'}", file=sys.stderr)
    print(f"done in {_clock(time.monotonic() - started)}", file=sys.stderr)
    if bench.problems:
        print(f"{len(bench.problems)} problem(s):", file=sys.stderr)
        for p in bench.problems:
            print(f"  - {p.splitlines()[0]}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cfg = configure(args)
    complete_run = not cfg.smoke and set(cfg.engines) == set(ENGINES) and set(cfg.phases) == set(PHASES)
    output = args.output or (ROOT if complete_run else None)
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        runner = asyncio.run
    return runner(main_async(cfg, output))


if __name__ == "__main__":
    sys.exit(main())
