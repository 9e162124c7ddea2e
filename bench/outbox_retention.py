"""Outbox retention on SQLite (issue 13): how long each of its transactions holds the write lock
that checkouts wait for, and what the whole run costs, with the job's batches sized by time
(jobs/outbox.py) against fixed batches.

    .venv/bin/python -m bench.outbox_retention --source /tmp/orderbot_bench_scale_200000.db \
        [--fixed 1000,250] [--written-order]

Each variant runs OutboxDispatcher.forget_done, as the jobs runner does, on its own copy of the
scale bench's SQLite file (bench/scale.py seeds it: one sent outbox row per order), so every
variant deletes the same rows. The scale bench's seed writes the outbox rows in no particular
order of time, so the rows due are scattered over the table; --written-order copies them in the
order they were written, as a shop's outbox holds them (ids rise with time). Prints, per
variant: the batches, the write lock's hold per batch (p50, p95, max: wall time, from taking
the lock to handing it over), the wall and CPU time of the whole run per 1,000 rows."""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import jobs.outbox as outbox_job
from bench.insight import BENCH_KEYS
from domain.shared.clock import FixedClock
from jobs.outbox import OutboxDispatcher
from storage.db import Database

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)  # bench/scale.py's NOW
COLUMNS = (
    "chat_id, template, params, language, buttons, dedupe_key, created_at, next_attempt_at, "
    "claimed_until, attempts, last_error, sent_at, failed_at"
)


def copy(source: str, target: str, written_order: bool) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(target + suffix).unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target, isolation_level=None)
    src.backup(dst)
    src.close()
    dst.execute("PRAGMA journal_mode=WAL")
    if written_order:
        dst.execute("BEGIN")
        dst.execute(f"CREATE TEMP TABLE t AS SELECT {COLUMNS} FROM outbox ORDER BY created_at, id")
        dst.execute("DELETE FROM outbox")
        dst.execute(f"INSERT INTO outbox ({COLUMNS}) SELECT {COLUMNS} FROM t")
        dst.execute("COMMIT")
        dst.execute("VACUUM")
    dst.close()


async def run(path: str, fixed: int | None) -> dict[str, Any]:
    db = Database(f"sqlite+aiosqlite:///{path}", keys=BENCH_KEYS)
    lock = db.write_lock
    assert lock is not None
    holds: list[float] = []
    taken: list[float] = []
    acquire, release = lock.acquire, lock.release

    async def timed_acquire(*, urgent: bool = False) -> None:
        await acquire(urgent=urgent)
        taken.append(time.perf_counter())

    def timed_release() -> None:
        holds.append((time.perf_counter() - taken.pop()) * 1000)
        release()

    lock.acquire, lock.release = timed_acquire, timed_release  # type: ignore[method-assign]
    saved = (outbox_job.RETENTION_BATCH, outbox_job.RETENTION_MIN_BATCH)
    saved_max = outbox_job.RETENTION_MAX_BATCH
    if fixed is not None:  # the old job: the same number of rows in every batch
        outbox_job.RETENTION_BATCH = outbox_job.RETENTION_MIN_BATCH = fixed
        outbox_job.RETENTION_MAX_BATCH = fixed
    try:
        dispatcher = OutboxDispatcher(db, None, FixedClock(NOW))  # type: ignore[arg-type]
        wall, cpu = time.perf_counter(), time.process_time()
        rows = await dispatcher.forget_done()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    finally:
        outbox_job.RETENTION_BATCH, outbox_job.RETENTION_MIN_BATCH = saved
        outbox_job.RETENTION_MAX_BATCH = saved_max
        await db.dispose()
    holds.sort()
    return {
        "rows": rows,
        "batches": len(holds),
        "p50": statistics.median(holds),
        "p95": holds[int(len(holds) * 0.95)],
        "max": holds[-1],
        "wall_per_1000": wall * 1000 / max(rows, 1) * 1000,
        "cpu_per_1000": cpu * 1000 / max(rows, 1) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default="/tmp/orderbot_bench_scale_200000.db")
    parser.add_argument("--scratch", default="/tmp/orderbot_bench_retention.db")
    parser.add_argument("--fixed", default="1000", help="fixed batch sizes to compare, or ''")
    parser.add_argument("--written-order", action="store_true")
    args = parser.parse_args()
    variants: list[int | None] = [int(n) for n in args.fixed.split(",") if n] + [None]
    layout = "in written order" if args.written_order else "as the scale bench seeds them"
    print(f"outbox rows {layout}; the write lock's hold per batch, ms (wall)")
    for fixed in variants:
        copy(args.source, args.scratch, args.written_order)
        r = asyncio.run(run(args.scratch, fixed))
        name = (
            f"fixed {fixed:,}" if fixed else f"by time ({outbox_job.RETENTION_HOLD_S * 1000:g} ms)"
        )
        print(
            f"  {name:<18} {r['rows']:>8,} rows in {r['batches']:>5,} batches: hold p50 "
            f"{r['p50']:5.1f} p95 {r['p95']:5.1f} max {r['max']:6.1f}; per 1,000 rows "
            f"wall {r['wall_per_1000']:5.1f} ms, CPU {r['cpu_per_1000']:5.1f} ms",
            flush=True,
        )


if __name__ == "__main__":
    main()
