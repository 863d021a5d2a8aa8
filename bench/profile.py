"""`python -m bench.profile [--engine postgresql] [--seconds 20] [--size 100000] [--out DIR]`

Where the server's time goes: the bench's setup, then py-spy attached to `tally serve` during record_attempt
at 64 clients and during the complete of a large check. py-spy is not a dependency of Tally; install it into
the virtualenv first (`.venv/bin/pip install py-spy`). Writes the folded stacks (for flamegraph.pl or
speedscope) under --out and prints the heaviest functions, self and inclusive, as shares of the samples.

py-spy samples a thread whenever it is not idle, so on a machine where the server waits for a CPU the
shares are shares of wanted CPU, which is what matters here. SQLAlchemy runs the ORM in greenlets, whose
stacks py-spy shows without their parent; the inclusive shares count a function wherever it appears.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from bench.run import FULL, Bench, Config, Progress
from bench.server import Server

FRAME_LINE = re.compile(r":\d+\)$")


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(found).exists():
        raise SystemExit("py-spy is not installed: .venv/bin/pip install py-spy")
    return found


class Profiler:
    """Starts py-spy on the server for each profiled section; one folded file per section."""

    def __init__(self, out: Path, rate: int) -> None:
        self.out = out
        self.rate = rate
        self.proc: subprocess.Popen[bytes] | None = None
        self.files: list[Path] = []

    def start(self, server: Server, label: str) -> None:
        path = self.out / f"{label}.folded"
        self.files.append(path)
        self.proc = subprocess.Popen(
            [
                *(py_spy(), "record", "--pid", str(server.pid), "--rate", str(self.rate)),
                *("--format", "raw", "--nonblocking", "--output", str(path)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(60)
            self.proc = None


def summarise(path: Path, top: int = 25) -> str:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        frames = [FRAME_LINE.sub(")", f) for f in stack.split(";") if f]
        if frames and frames[-1].startswith("Condition.wait"):
            continue  # an idle worker thread py-spy could not tell was idle
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1] if frames else "(native)"] += count
    lines = [f"== {path.name}: {total} samples", "-- self"]
    lines += [f"{100 * n / total:5.1f}%  {f}" for f, n in own.most_common(top)]
    lines.append("-- inclusive (tally and the main library entry points)")
    wanted = ("tally/", "sqlalchemy/orm/session.py", "asyncpg/", "structlog", "pydantic", "fastapi/routing")
    shown = [(f, n) for f, n in inclusive.most_common() if any(w in f for w in wanted)]
    lines += [f"{100 * n / total:5.1f}%  {f}" for f, n in shown[:top]]
    return "\n".join(lines)


async def profile(engine: str, seconds: float, size: int, out: Path, rate: int) -> None:
    cfg = Config(**asdict(FULL))
    cfg.engines, cfg.levels, cfg.runs, cfg.large_runs = [engine], [64], 1, 1
    cfg.duration, cfg.warmup, cfg.large_sizes, cfg.quiet_wait = seconds, 2.0, [size], 30.0
    cfg.phases = ["attempts", "large"]
    cfg.groups = 100_000
    profiler = Profiler(out, rate)
    bench = Bench(cfg, Progress(120), out)
    bench.profiler = profiler
    await bench.engine(engine)
    for path in profiler.files:
        print(summarise(path))


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine", default="postgresql", choices=["postgresql", "sqlite"])
    parser.add_argument("--seconds", type=float, default=20.0, help="profiled seconds of the 64-client load")
    parser.add_argument("--size", type=int, default=100_000, help="stock groups of the profiled check")
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument("--out", type=Path, default=Path("/tmp/tally_profile"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    py_spy()
    asyncio.run(profile(args.engine, args.seconds, args.size, args.out, args.rate))


if __name__ == "__main__":
    main()
