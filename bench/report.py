"""results.json and BENCHMARKS.md from one run's results, and the targets of issue #5 judged against them."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import asyncpg

from bench.dataset import ADMIN_URL, _plain_dsn
from bench.server import ROOT

PACKAGES = (
    "tally",
    "fastapi",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "sqlalchemy",
    "asyncpg",
    "aiosqlite",
    "pydantic",
    "strawberry-graphql",
)
ANALYSIS = Path(__file__).resolve().parent / "ANALYSIS.md"


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kb = 0
    os_name = ""
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "os": os_name,
    }


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", "--no-optional-locks", *args], cwd=ROOT, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip()


async def versions() -> dict[str, Any]:
    found: dict[str, Any] = {"python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    try:
        conn = await asyncpg.connect(_plain_dsn(ADMIN_URL), timeout=5)
        try:
            found["postgresql"] = await conn.fetchval("SHOW server_version")
            settings = await conn.fetch(
                "SELECT name, setting, unit FROM pg_settings WHERE name = ANY($1::text[])",
                ["shared_buffers", "max_connections", "synchronous_commit", "fsync", "work_mem"],
            )
            found["postgresql_settings"] = {
                r["name"]: f"{r['setting']}{' * ' + r['unit'] if r['unit'] else ''}" for r in settings
            }
        finally:
            await conn.close()
    except (OSError, asyncpg.PostgresError) as exc:
        found["postgresql"] = f"unreachable ({exc})"
    for name in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[name] = metadata.version(name)
    commit = _git("rev-parse", "--short", "HEAD")
    dirty = _git("status", "--porcelain", "--untracked-files=no", "src")
    found["tally_commit"] = f"{commit}{' + uncommitted changes in src/' if dirty else ''}"
    return found


# -- targets ------------------------------------------------------------------------------------------


def _judge(
    name: str, engine: str, figure: float | None, bound: float, kind: str, unit: str, shown: str | None = None
) -> dict[str, Any]:
    if figure is None:
        return {
            "target": name,
            "engine": engine,
            "figure": None,
            "bound": bound,
            "met": None,
            "margin": "not measured",
        }
    if kind == ">=":
        met = figure >= bound
        if unit == "%":
            margin = f"{(figure - bound) * 100:+.1f} points; " + (
                f"needs x{bound / figure:.2f} the throughput"
                if not met
                else f"{figure / bound:.2f}x the target"
            )
        else:
            margin = f"{figure - bound:+.3g}"
    else:
        met = figure <= bound
        margin = (
            f"{(1 - figure / bound) * 100:.0f}% under the bound"
            if met
            else f"{(figure / bound - 1) * 100:.0f}% over the bound (x{figure / bound:.2f})"
        )
    return {
        "target": name,
        "engine": engine,
        "figure": figure,
        "shown": shown,
        "bound": bound,
        "met": met,
        "margin": margin,
    }


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    engines = results.get("engines", {})
    out: list[dict[str, Any]] = []
    pg = engines.get("postgresql", {})
    at64 = pg.get("record_attempt", {}).get("levels", {}).get("64", {})
    ratio = at64.get("ratio")
    out.append(
        _judge(
            "record_attempt at 64 clients: throughput >= 40% of the limit's",
            "postgresql",
            ratio,
            0.40,
            ">=",
            "%",
            f"{ratio * 100:.1f}%" if ratio is not None else None,
        )
    )
    p99 = at64.get("api", {}).get("median", {}).get("p99_ms")
    out.append(
        _judge("record_attempt at 64 clients: p99 <= 100 ms", "postgresql", p99, 100, "<=", "ms", f"{p99} ms")
    )
    for engine, data in engines.items():
        sizes = data.get("large_checks", {}).get("sizes", {})
        c10k = sizes.get("10000", {}).get("complete_s")
        c100k = sizes.get("100000", {}).get("complete_s")
        out.append(
            _judge("complete of a 10,000-group check <= 2 s", engine, c10k, 2.0, "<=", "s", f"{c10k} s")
        )
        growth = round(c100k / c10k, 2) if c10k and c100k else None
        out.append(
            _judge(
                "complete of 100,000 groups <= 12x the 10,000 figure",
                engine,
                growth,
                12.0,
                "<=",
                "x",
                f"x{growth} ({c100k} s)" if growth else None,
            )
        )
        levels = data.get("record_attempt", {}).get("levels", {})
        top = max((int(k) for k in levels if "api" in levels[k]), default=None)
        rss = levels[str(top)]["api"].get("server_peak_rss_mb") if top else None
        out.append(
            _judge(
                f"server RSS <= 300 MB under load ({top} clients)",
                engine,
                rss,
                300 * 1_000_000 / 2**20,
                "<=",
                "MiB",
                f"{rss} MiB" if rss is not None else None,
            )
        )
    reads = pg.get("reads", {})
    deep = reads.get("ratio") if reads.get("status") == "ok" else None
    out.append(
        _judge(
            "GraphQL page at row 1,000,000 within 1.5x of the first page",
            "postgresql",
            deep,
            1.5,
            "<=",
            "x",
            f"x{deep}" if deep is not None else reads.get("status"),
        )
    )
    return out


# -- text ------------------------------------------------------------------------------------------


def _median_other(results: dict[str, Any]) -> float:
    values = [
        run["cpu"]["other_cores"]
        for data in results["engines"].values()
        for level in data.get("record_attempt", {}).get("levels", {}).values()
        for kind in ("api", "limit")
        for run in level.get(kind, {}).get("runs", [])
        if "other_cores" in run.get("cpu", {})
    ]
    return statistics.median(values) if values else 0.0


def _v(value: Any, fmt: str = "{}") -> str:
    return "-" if value is None else fmt.format(value)


def _met(t: dict[str, Any]) -> str:
    return {True: "**met**", False: "**missed**", None: "not measured"}[t["met"]]


def attempts_table(data: dict[str, Any]) -> list[str]:
    levels = data.get("record_attempt", {}).get("levels", {})
    if not levels:
        return ["Not measured."]
    lines = [
        "| clients | API req/s | API p50 / p95 / p99 ms | limit tx/s | limit p50 / p95 / p99 ms "
        "| API ÷ limit | server peak RSS |",
        "|---:|---:|---|---:|---|---:|---:|",
    ]
    for clients, level in levels.items():
        api = level.get("api", {}).get("median", {})
        lim = level.get("limit", {}).get("median", {})
        ratio = level.get("ratio")
        lines.append(
            f"| {clients} | {_v(api.get('throughput'), '{:,.0f}')} | "
            f"{_v(api.get('p50_ms'))} / {_v(api.get('p95_ms'))} / {_v(api.get('p99_ms'))} | "
            f"{_v(lim.get('throughput'), '{:,.0f}')} | "
            f"{_v(lim.get('p50_ms'))} / {_v(lim.get('p95_ms'))} / {_v(lim.get('p99_ms'))} | "
            f"{_v(ratio * 100 if ratio is not None else None, '{:.1f}%')} | "
            f"{_v(level.get('api', {}).get('server_peak_rss_mb'), '{} MiB')} |"
        )
    lines += [
        "",
        "Where the CPU went during the measured windows (medians). *Cores*: server / database / load "
        "generator / every other process on the machine. *CPU ms per request*: server / database / generator "
        "— the figure that other load on the machine disturbs least.",
        "",
        "| clients | API: cores | API: CPU ms per request | limit: cores | limit: CPU ms per transaction |",
        "|---:|---|---|---|---|",
    ]

    def cores(cpu: dict[str, float]) -> str:
        if not cpu:
            return "-"
        keys = ("server_cores", "postgres_cores", "generator_cores", "other_cores")
        return " / ".join(f"{cpu.get(k, 0):.2f}" for k in keys)

    def per_op(cpu: dict[str, float]) -> str:
        if not cpu:
            return "-"
        return " / ".join(f"{cpu.get(k, 0):.2f}" for k in ("server", "postgres", "generator"))

    for clients, level in levels.items():
        api = level.get("api", {}).get("median", {})
        lim = level.get("limit", {}).get("median", {})
        lines.append(
            f"| {clients} | {cores(api.get('cpu', {}))} | {per_op(api.get('cpu_ms_per_op', {}))} "
            f"| {cores(lim.get('cpu', {}))} | {per_op(lim.get('cpu_ms_per_op', {}))} |"
        )
    runs = []
    for clients, level in levels.items():
        for kind in ("api", "limit"):
            if kind in level:
                tps = ", ".join(f"{r['throughput']:,.0f}" for r in level[kind]["runs"])
                runs.append(f"{kind} {clients}: {tps}")
    lines += ["", f"Per-run throughput (req/s): {'; '.join(runs)}."]
    return lines


def large_table(data: dict[str, Any]) -> list[str]:
    sizes = data.get("large_checks", {}).get("sizes", {})
    if not sizes:
        return ["Not measured."]
    lines = [
        "| stock groups | create (s) | complete (s) | complete per 1,000 groups "
        "| complete growth vs previous "
        "| peak server RSS: create / complete | runs (create / complete s) |",
        "|---:|---:|---:|---:|---:|---|---|",
    ]
    previous: tuple[int, float] | None = None
    for size_text, s in sizes.items():
        size = int(size_text)
        growth = "-"
        if previous and previous[1]:
            growth = f"x{s['complete_s'] / previous[1]:.1f} for x{size // previous[0]} groups"
        runs = "; ".join(f"{r['create_s']} / {r['complete_s']}" for r in s["runs"])
        lines.append(
            f"| {size:,} | {s['create_s']} | {s['complete_s']} | {s['complete_s'] / size * 1e6:.1f} ms "
            f"| {growth} | {s['create_peak_rss_mb']} / {s['complete_peak_rss_mb']} MiB | {runs} |"
        )
        previous = (size, s["complete_s"])
    return lines


def reads_table(data: dict[str, Any]) -> list[str]:
    reads = data.get("reads")
    if not reads:
        return ["Not measured."]
    if reads.get("status") != "ok":
        return [f"{reads.get('status', '').capitalize()}: {reads.get('why', '')}."]
    lines = [
        f"Tenant with {reads['stock_rows']:,} stock rows; `stocks {{ all(first: 500, after: …) }}` with "
        "product and location of each node.",
        "",
        "| page | median ms | p95 ms | run medians |",
        "|---|---:|---:|---|",
    ]
    for name, label in (("first", "first page"), ("deep", f"after row {reads['deep_row']:,}")):
        p = reads[f"{name}_page_ms"]
        lines.append(f"| {label} | {p['median']} | {p['p95']} | {', '.join(map(str, p['runs']))} |")
    lines += ["", f"Deep page ÷ first page: x{reads['ratio']}."]
    return lines


METHOD = """\
Everything runs on one machine in one `make bench` (`python -m bench.run`), engine after engine:

1. **Server.** A fresh database (PostgreSQL: `tally_bench_<random>`, dropped at the end; SQLite: a temporary
   file) and a real `tally serve` subprocess on it (`python -m tally.cli serve --port N`, one uvicorn worker,
   default settings: pool of 10 + 10 overflow on PostgreSQL, INFO request logging to a file).
2. **Tenant.** `tally tenants create` and `tally clients create` (the CLI), a token from `POST /oauth/token`,
   the account, warehouse and locations over REST. The bulk — products, stock rows (one per stock group, 95 %
   of them holding the counted quantity), and the records of the record_attempt check — is loaded with SQL
   (COPY on PostgreSQL with `session_replication_role = replica`, executemany on SQLite), then `ANALYZE`
   on PostgreSQL.
3. **record_attempt over HTTP.** A closed-loop load generator in the harness process (raw HTTP/1.1 keep-alive
   connections on asyncio streams under uvloop; one connection per client) sends
   `POST /api/stock_checks/{{id}}/record_attempt` with `Authorization`, `X-Clarus-Subdomain` and a JSON body.
   Every request is a valid attempt on a distinct stock group of one pending check of {groups:,} groups (first
   attempts, then second attempts once all groups have one), so each answers 201; anything else counts as an
   error. Levels: {levels} clients; {runs} runs each of {warmup:g} s warm-up + {duration:g} s measured.
   Throughput = answers completed in the measured window ÷ its length; latency = send to last byte.
4. **The limit.** The same database work as `service.record_attempt` — the check and task with the share lock
   on the check row, the product's tracking flags, the group's system count, the conditional upsert that takes
   the attempt slot, the attempt insert, commit — sent through the driver alone (asyncpg; aiosqlite on
   SQLite, writers queued on an in-process lock instead of SQLite's sleeping busy handler), one connection per
   client, same levels and durations. Its runs alternate with the API's, so both see the same database state.
   The ratio API ÷ limit is the share of the database's capacity the API delivers. The API also looks up the
   bearer token (one more read transaction) and pays for HTTP, routing, validation and the ORM; that is the
   overhead the ratio prices.
5. **Large checks.** Locations holding 1,000, 10,000 and 100,000 stock groups; `POST /api/stock_checks`
   then `POST /api/stock_checks/{{id}}/complete`, each timed over HTTP, up to {large_runs} times per size
   (fewer once a size has taken 40 s, so the 100,000 case may run once; each complete closes the check, so
   the next create opens a new one). Nothing is counted in between: complete
   writes a zero-count attempt for every group, the heaviest case. Peak server RSS is the kernel's VmHWM of
   the server process, reset (`/proc/<pid>/clear_refs`) before each call.
6. **Reads** (PostgreSQL only). The tenant is topped up to {read_rows:,} stock rows; a GraphQL `stocks` page
   of 500 (with each node's product and location) is fetched at the first row and after row
   {read_deep_row:,} (keyset cursor built with the API's own encoding), alternately, {read_requests} times
   each per run, {runs} runs.
7. **Memory and CPU.** Server peak RSS under load is VmHWM over each API run (max over runs). During every
   measured window the harness reads from /proc the CPU time of the server, of this harness (the load
   generator), of PostgreSQL (this database's backends and the shared WAL writer, checkpointer …) and of the
   whole machine; the rest is "other processes". Before each measurement the harness waits for other
   processes to use under 0.25 cores, within a budget of {quiet_wait:g} s per run; after that it measures
   anyway and the "other" column shows how much the figures were disturbed.

Figures are medians over runs. The two cores are shared by server, database and generator, as they would be
on a small single-box deployment; other work on the machine during a run shows up in the CPU columns.
"""


def render(results: dict[str, Any]) -> str:
    cfg = results["config"]
    m = results["machine"]
    v = results["versions"]
    pkgs = ", ".join(f"{p} {v[p]}" for p in PACKAGES if p in v)
    pg_settings = ", ".join(f"{k} = {val}" for k, val in v.get("postgresql_settings", {}).items())
    lines = [
        "# Benchmarks",
        "",
        f"Generated by `make bench` (`python -m bench.run`, {results['wall_seconds']:.0f} s) on "
        f"{results['generated_at']}; the figures and bench/results.json are rewritten by every full run. The "
        "analysis at the end is kept by hand in bench/ANALYSIS.md.",
        "",
        f"Run conditions: the harness waited {results.get('quiet_waited_s', 0):g} s for other load to stop; "
        f"other processes used a median of {_median_other(results):.2f} of the {results['machine']['nproc']} "
        "cores during the measured windows (see the *other* column).",
        "",
        "`make bench-smoke` runs the same harness at tiny sizes in seconds (CI: it fails on any error, "
        "never on timings). `python -m bench.run --engines postgresql --only attempts,limit` runs a part.",
        "",
        "## Targets",
        "",
        "| target | engine | figure | met? | by how much |",
        "|---|---|---:|---|---|",
    ]
    for t in results["targets"]:
        shown = t.get("shown") or _v(t["figure"])
        lines.append(f"| {t['target']} | {t['engine']} | {shown} | {_met(t)} | {t['margin']} |")
    if results.get("problems"):
        lines += ["", "**Problems during this run:**", ""] + [
            f"- {p.splitlines()[0]}" for p in results["problems"]
        ]
    for engine, data in results["engines"].items():
        title = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}.get(engine, engine)
        lines += ["", f"## {title}", ""]
        if data.get("error"):
            lines += [f"**The run failed:** {data['error']}", ""]
        lines += [
            f"Server RSS when idle after setup: {_v(data.get('server_rss_idle_mb'), '{} MiB')}.",
            "",
            "### record_attempt over HTTP vs the limit",
            "",
            *attempts_table(data),
            "",
            "### Large checks (create + complete over HTTP)",
            "",
            *large_table(data),
            "",
            "### GraphQL reads",
            "",
            *reads_table(data),
        ]
    lines += [
        "",
        "## Method",
        "",
        METHOD.format(**{**cfg, "levels": ", ".join(map(str, cfg["levels"]))}).rstrip(),
        "",
        "## Machine",
        "",
        f"- {m['nproc']} CPUs ({m['cpu_model']}), {m['memory_gib']} GiB memory, {m['os']}, "
        f"Linux {m['kernel']}",
        f"- Python {v['python']}, PostgreSQL {v.get('postgresql')} ({pg_settings}), SQLite {v['sqlite']}",
        f"- {pkgs}",
        f"- Tally at {v.get('tally_commit') or 'unknown commit'}",
    ]
    if ANALYSIS.exists():
        lines += ["", ANALYSIS.read_text().rstrip()]
    return "\n".join(lines) + "\n"


def summary_text(results: dict[str, Any]) -> str:
    out = []
    for engine, data in results["engines"].items():
        out.append(f"== {engine}")
        for clients, level in data.get("record_attempt", {}).get("levels", {}).items():
            api = level.get("api", {}).get("median", {})
            lim = level.get("limit", {}).get("median", {})
            out.append(
                f"  record_attempt c={clients:>3}: api {_v(api.get('throughput'), '{:,.0f}')}/s "
                f"p99 {_v(api.get('p99_ms'))} ms | limit {_v(lim.get('throughput'), '{:,.0f}')}/s "
                f"p99 {_v(lim.get('p99_ms'))} ms | ratio {_v(level.get('ratio'))} | "
                f"rss {_v(level.get('api', {}).get('server_peak_rss_mb'))} MiB"
            )
        for size, s in data.get("large_checks", {}).get("sizes", {}).items():
            out.append(
                f"  check of {int(size):>7,} groups: create {s['create_s']} s, complete {s['complete_s']} s, "
                f"peak rss {s['complete_peak_rss_mb']} MiB"
            )
        reads = data.get("reads")
        if reads:
            if reads.get("status") == "ok":
                out.append(
                    f"  graphql page: first {reads['first_page_ms']['median']} ms, deep "
                    f"{reads['deep_page_ms']['median']} ms (x{reads['ratio']})"
                )
            else:
                out.append(f"  graphql page: {reads.get('status')}")
        if data.get("error"):
            out.append(f"  ERROR {data['error'].splitlines()[0]}")
    out.append("== targets")
    for t in results.get("targets", []):
        verdict = {True: "met", False: "MISSED", None: "n/a"}[t["met"]]
        out.append(
            f"  [{verdict:>6}] {t['engine']}: {t['target']}: {t.get('shown') or t['figure']} ({t['margin']})"
        )
    return "\n".join(out)


def write(results: dict[str, Any], root: Path) -> None:
    (root / "bench").mkdir(parents=True, exist_ok=True)
    (root / "bench" / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (root / "BENCHMARKS.md").write_text(render(results))


if __name__ == "__main__":  # re-render BENCHMARKS.md from bench/results.json (after editing ANALYSIS.md)
    data = json.loads((ROOT / "bench" / "results.json").read_text())
    (ROOT / "BENCHMARKS.md").write_text(render(data))
    print("rewrote BENCHMARKS.md", file=sys.stderr)
