"""A real `tally serve` subprocess, as users run it, and what /proc says about it and the machine.

Memory: VmHWM (the kernel's peak resident set) of the server process and its children, reset before each
measured phase by writing 5 to /proc/<pid>/clear_refs. Where that reset is refused, a 20 ms sampler of VmRSS
stands in. CPU: utime + stime from /proc/<pid>/stat, for the server, for this harness (the load generator)
and for every `postgres` process, so each run can say who used the two cores.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class ServerFailed(RuntimeError):
    """`tally serve` did not start, or died."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    kids = [int(p) for p in text.split()]
    return kids + [g for k in kids for g in _children(k)]


def _status_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def process_cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the command name: state is field 3; utime and stime are fields 14 and 15 (1-based).
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def postgres_cpu_seconds(database: str | None = None) -> float:
    """CPU of PostgreSQL's processes: the backends of `database` and the shared auxiliary processes
    (WAL writer, checkpointer …). Backends of other databases are left out: they are other people's work."""
    total = 0.0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if Path(f"/proc/{entry.name}/comm").read_text().strip() != "postgres":
                continue
            title = (
                Path(f"/proc/{entry.name}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            )
        except OSError:
            continue
        is_backend = "(" in title and ")" in title  # "postgres: 15/main: user db 127.0.0.1(5432) idle"
        if database is None or not is_backend or f" {database} " in title:
            total += process_cpu_seconds(int(entry.name))
    return total


def machine_busy_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return (total - idle) / CLOCK_TICKS, total / CLOCK_TICKS


class Server:
    """`python -m tally.cli serve --port N` with TALLY_DATABASE_URL, logging to a file."""

    def __init__(
        self,
        database_url: str,
        log_path: Path,
        extra_env: dict[str, str] | None = None,
        workers: int = 1,
    ) -> None:
        self.workers = workers
        self.database_url = database_url
        self.log_path = log_path
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.extra_env = extra_env or {}
        self.proc: subprocess.Popen[bytes] | None = None
        self._sampler: threading.Thread | None = None
        self._sampling = False
        self._sampled_peak_kb = 0
        self.hwm_reset_works = True

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 60) -> None:
        env = {**os.environ, "TALLY_DATABASE_URL": self.database_url, **self.extra_env}
        with open(self.log_path, "ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "tally.cli", "serve", "--port", str(self.port)]
                + (["--workers", str(self.workers)] if self.workers > 1 else []),
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=ROOT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerFailed(f"tally serve exited with {self.proc.returncode}: {self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/health", timeout=1) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise ServerFailed(f"tally serve did not answer /health within {timeout:.0f} s: {self.log_tail()}")

    def require_alive(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            code = None if self.proc is None else self.proc.returncode
            raise ServerFailed(f"tally serve died (exit {code}): {self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        self._sampling = False
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def pids(self) -> list[int]:
        return [self.pid, *_children(self.pid)]

    def rss_mb(self) -> float:
        return sum(_status_kb(p, "VmRSS") for p in self.pids()) / 1024

    def cpu_seconds(self) -> float:
        return sum(process_cpu_seconds(p) for p in self.pids())

    def reset_peak(self) -> None:
        """Start a new peak-memory window."""
        for pid in self.pids():
            try:
                Path(f"/proc/{pid}/clear_refs").write_text("5")
            except OSError:
                self.hwm_reset_works = False
        self._sampled_peak_kb = 0
        if not self.hwm_reset_works and self._sampler is None:
            self._sampling = True
            self._sampler = threading.Thread(target=self._sample, daemon=True)
            self._sampler.start()

    def _sample(self) -> None:
        while self._sampling:
            kb = sum(_status_kb(p, "VmRSS") for p in self.pids())
            self._sampled_peak_kb = max(self._sampled_peak_kb, kb)
            time.sleep(0.02)

    def peak_mb(self) -> float:
        """The peak resident set since the last reset_peak(), in MiB (summed over worker processes)."""
        if self.hwm_reset_works:
            return sum(_status_kb(p, "VmHWM") for p in self.pids()) / 1024
        return self._sampled_peak_kb / 1024


class CpuMeter:
    """CPU used by the server, this harness and PostgreSQL between start() and stop()."""

    def __init__(self, server: Server | None, database: str | None = None) -> None:
        self.server = server
        self.database = database
        self._start: tuple[float, ...] = ()
        self.result: dict[str, float] = {}

    def _read(self) -> tuple[float, ...]:
        busy, total = machine_busy_seconds()
        server = self.server.cpu_seconds() if self.server else 0.0
        return (
            time.perf_counter(),
            server,
            time.process_time(),
            postgres_cpu_seconds(self.database),
            busy,
            total,
        )

    def start(self) -> None:
        self._start = self._read()

    def stop(self) -> None:
        end = self._read()
        wall = end[0] - self._start[0]
        if wall <= 0:
            return
        d = [e - s for e, s in zip(end, self._start, strict=True)]
        cores = (os.cpu_count() or 1) * d[4] / d[5] if d[5] else 0.0
        self.result = {
            "server_cores": d[1] / wall,
            "generator_cores": d[2] / wall,
            "postgres_cores": d[3] / wall,
            "machine_busy_pct": 100 * d[4] / d[5] if d[5] else 0.0,
            # Everything else on the machine (other people's work): noise in this run's figures.
            "other_cores": max(0.0, cores - (d[1] + d[2] + d[3]) / wall),
        }


def quiet_sample(interval: float, mine: Callable[[], float]) -> float:
    """Cores used over `interval` seconds by processes other than the bench's own (`mine()` CPU-seconds)."""
    busy0, total0 = machine_busy_seconds()
    mine0 = mine()
    time.sleep(interval)
    busy1, total1 = machine_busy_seconds()
    mine1 = mine()
    if total1 <= total0:
        return 0.0
    cores = (os.cpu_count() or 1) * (busy1 - busy0) / (total1 - total0)
    return max(0.0, cores - (mine1 - mine0) / interval)
