"""Tally's benchmark harness (issue #5): `make bench` writes BENCHMARKS.md and bench/results.json.

Modules:
- run.py      the entry point and the plan of phases (`python -m bench.run [--smoke] …`)
- server.py   a real `tally serve` subprocess, its memory (/proc) and CPU
- dataset.py  the bench tenant: CLI-made tenant and client, REST-made master data, SQL bulk loads
- load.py     the closed-loop runner and the raw asyncio HTTP/1.1 client used as load generator
- limit.py    record_attempt's database work straight through asyncpg / aiosqlite: the limit
- report.py   results.json and BENCHMARKS.md
"""
