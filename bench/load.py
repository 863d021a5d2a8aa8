"""The load generator: a closed-loop runner and a raw HTTP/1.1 keep-alive client on asyncio streams.

Why not wrk or an HTTP library: the two cores are shared by the server, PostgreSQL and the generator, so the
generator must cost little, and each request needs its own body (a distinct stock group). A request here is
one prebuilt header block plus a small body written to a kept-alive socket, and the reply is read by
Content-Length; under uvloop that is a few tens of microseconds of CPU per request. The harness measures its
own CPU during every run and reports it beside the server's, so the generator's share is visible.

The model is closed-loop, like wrk: each of N clients sends its next request when the previous answer arrives.
Throughput counts requests completed inside the measurement window (after a warm-up); latencies are those
requests' send-to-last-byte times.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

IDLE_RECONNECT_S = 2.0


class HttpError(Exception):
    """The connection broke or the reply was not HTTP/1.1 as expected."""


class HttpConnection:
    """One kept-alive HTTP/1.1 connection; requests on it are sequential."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._last_used = 0.0

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        # uvicorn closes a keep-alive connection idle for 5 s; never send on one that may be closing.
        if self._writer is not None and time.monotonic() - self._last_used > IDLE_RECONNECT_S:
            await self.close()
        if self._reader is None or self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        return self._reader, self._writer

    async def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            with contextlib.suppress(OSError):
                await self._writer.wait_closed()
        self._reader = self._writer = None

    def head(self, method: str, path: str, headers: dict[str, str]) -> bytes:
        """The request line and headers, without Content-Length (added per request)."""
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        return ("\r\n".join(lines) + "\r\n").encode("latin-1")

    async def send(self, head: bytes, body: bytes = b"") -> tuple[int, bytes]:
        """Send one request (head from `head()`), return (status, body)."""
        reader, writer = await self._connect()
        writer.write(head + b"Content-Length: %d\r\n\r\n" % len(body) + body)
        try:
            status_and_headers = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            await self.close()
            raise HttpError(f"connection lost: {exc}") from exc
        lines = status_and_headers.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            await self.close()
            raise HttpError(f"not an HTTP/1.1 status line: {lines[0]!r}")
        status = int(parts[1])
        length = -1
        chunked = close = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
            elif name == b"connection" and b"close" in value.lower():
                close = True
        if chunked:
            payload = await self._read_chunked(reader)
        elif length >= 0:
            payload = await reader.readexactly(length)
        else:
            payload = await reader.read()
            close = True
        if close:
            await self.close()
        self._last_used = time.monotonic()
        return status, payload

    @staticmethod
    async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
        out = bytearray()
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return bytes(out)
            out += await reader.readexactly(size)
            await reader.readexactly(2)

    async def request(
        self, method: str, path: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, bytes]:
        return await self.send(self.head(method, path, headers), body)


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, round(q / 100 * len(sorted_values) + 0.5 - 1e-9))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass
class RunSample:
    """One timed run at one concurrency level."""

    clients: int
    seconds: float
    completed: int
    errors: int
    latencies_ms: list[float] = field(repr=False)
    statuses: Counter[str] = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def throughput(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)
        return {
            "clients": self.clients,
            "seconds": round(self.seconds, 3),
            "completed": self.completed,
            "errors": self.errors,
            "throughput": round(self.throughput, 1),
            "p50_ms": round(percentile(lat, 50), 2),
            "p95_ms": round(percentile(lat, 95), 2),
            "p99_ms": round(percentile(lat, 99), 2),
            "max_ms": round(lat[-1], 2) if lat else None,
            "statuses": dict(self.statuses),
            "error_samples": self.error_samples[:3],
            "cpu": {k: round(v, 3) for k, v in self.cpu.items()},
        }


# An operation returns None on success or a short description of what went wrong.
Operation = Callable[[], Awaitable[str | None]]


async def closed_loop(
    operations: list[Operation],
    *,
    warmup: float,
    duration: float,
    on_window_start: Callable[[], None] | None = None,
    on_window_end: Callable[[], None] | None = None,
) -> RunSample:
    """Run each operation in its own loop for warmup + duration seconds; measure the last `duration`."""
    start = time.perf_counter()
    window_start = start + warmup
    window_end = window_start + duration
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    samples: list[str] = []
    errors = 0

    async def client(operation: Operation) -> None:
        nonlocal errors
        while True:
            sent = time.perf_counter()
            if sent >= window_end:
                return
            try:
                problem = await operation()
            except Exception as exc:  # a broken connection is a failed request, not a crashed harness
                problem = f"{type(exc).__name__}: {exc}"
            done = time.perf_counter()
            if problem is not None:
                errors += 1
                if len(samples) < 5:
                    samples.append(problem[:300])
            if window_start <= done <= window_end:
                latencies.append((done - sent) * 1000)
                statuses["ok" if problem is None else "failed"] += 1

    async def clock() -> None:
        await asyncio.sleep(max(0.0, window_start - time.perf_counter()))
        if on_window_start:
            on_window_start()
        await asyncio.sleep(max(0.0, window_end - time.perf_counter()))
        if on_window_end:
            on_window_end()

    await asyncio.gather(clock(), *(client(op) for op in operations))
    return RunSample(
        clients=len(operations),
        seconds=duration,
        completed=len(latencies),
        errors=errors,
        latencies_ms=latencies,
        statuses=statuses,
        error_samples=samples,
    )


def median_of(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [r[key] for r in runs if r.get(key) is not None]
    return round(statistics.median(values), 2) if values else None
