"""CPU of one outbox wake-up that delivers one notification (issue 13).

Every order queues the admin's alert, and the outbox job then wakes to send it: claim, send,
mark sent, look again, with the job's lease and the run's record around it. This measures that
per wake-up, in process, on SQLite: queue one row, run the dispatcher once with a sender that
answers at once (no Telegram, no HTTP), and read the process's CPU time around it. Half the
runs go through GuardedRun, as the scheduler runs the job (the lease, kept between runs as
bot/app.py keeps it, and the run's record); the other half call run_once alone.

    .venv/bin/python bench/outbox_wake.py --runs 400
    # another commit side by side: each round runs both trees, in processes of their own
    git worktree add /tmp/before <commit>
    .venv/bin/python bench/outbox_wake.py --before /tmp/before --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TREE = Path(__file__).resolve().parents[1]


async def measure(runs: int) -> dict[str, float]:
    """In this process (this tree, or the one on PYTHONPATH): medians in microseconds."""
    from domain.shared.clock import SystemClock
    from domain.shared.notifications import Notification
    from jobs.outbox import OutboxDispatcher, Sent
    from jobs.pacing import Limits, SendPacer
    from jobs.runs import GuardedRun
    from storage.db import Database
    from storage.jobs import JobLocks, SqlJobRuns
    from tests.e2e.harness import seed_demo_catalog

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/outbox.db"
        await seed_demo_catalog(url, {"TEA-BLACK-100": 100})
        db = Database(url)
        clock = SystemClock()

        async def send(_notification: Notification) -> Sent:
            return Sent()

        outbox = OutboxDispatcher(
            db,
            send,
            clock,
            pacer=SendPacer(Limits.telegram(30, 1, 20)),
            record_uow=db.urgent_uow,
            exclusive=True,
        )
        try:  # as bot/app.py builds it: the outbox job keeps its lease between runs
            locks = JobLocks(db, keep=("outbox",))
        except TypeError:  # a tree from before kept leases (the --before side)
            locks = JobLocks(db)
        guarded = GuardedRun(
            "outbox", outbox.run_once, lock=locks, runs=SqlJobRuns(db), runner=locks.holder
        )
        used: dict[str, list[float]] = {"queue one": [], "run_once": [], "guarded run": []}
        try:
            for i in range(runs):
                started = time.process_time()
                async with db.uow() as uow:  # a group chat of its own: no pacing between runs
                    chat = -1_001_000_000 - i
                    await uow.outbox.add(
                        Notification(chat_id=chat, template="admin.new_order", params={"n": i}),
                        clock.now(),
                    )
                    await uow.commit()
                used["queue one"].append(time.process_time() - started)
                started = time.process_time()
                await (guarded() if i % 2 else outbox.run_once())
                used["guarded run" if i % 2 else "run_once"].append(time.process_time() - started)
        finally:
            if hasattr(locks, "give_back_kept"):
                await locks.give_back_kept()
            await db.dispose()
    return {name: statistics.median(v[10:]) * 1e6 for name, v in used.items()}


def child(tree: Path, runs: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(runs)],  # this script, the tree's code
        env=env,
        cwd=tree,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=400, help="wake-ups per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--before", type=Path, default=None, help="another checkout to compare")
    parser.add_argument("--child", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        sys.path.insert(0, os.getcwd())
        print(json.dumps(asyncio.run(measure(args.child))))
        return
    trees = [("this tree", TREE)] + ([("before", args.before)] if args.before else [])
    found: dict[str, list[dict[str, float]]] = {name: [] for name, _ in trees}
    for r in range(args.rounds):
        for name, tree in trees:
            found[name].append(child(tree, args.runs))
            figures = "  ".join(f"{k} {v:7.0f} us" for k, v in found[name][-1].items())
            print(f"round {r + 1} {name:<10} {figures}", flush=True)
    print(f"\nmedians of {args.rounds} rounds, CPU per call, one notification per wake-up:")
    for name, _ in trees:
        rounds = found[name]
        figures = "  ".join(
            f"{k} {statistics.median(x[k] for x in rounds):7.0f} us" for k in rounds[0]
        )
        print(f"  {name:<10} {figures}")


if __name__ == "__main__":
    main()
