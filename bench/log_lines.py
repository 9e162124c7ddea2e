"""How readable the log is: the INFO lines one customer journey and one idle minute write, with
three logging setups side by side, on the real bot against the local Bot API server.

- `libraries`: every logger at INFO, as a process without our setup (tests, a bare import);
- `before`: the command line's setup before issue 14 (httpx, alembic and APScheduler at WARNING);
- `now`: bot/logs.py (the setup of every `python -m bot` command).

The journey: a cash-on-delivery order placed, shipped by the admin, delivered (/track), received
by the customer; a bank-transfer order placed and cancelled. Then the bot idles with its jobs on
their default intervals. Lines are counted by source: business events (domain/), job runs
(jobs/), the libraries, the rest. Targets: one business line per event (the journey has 9: two
orders placed, one confirmed, shipped, delivered, its payment recorded, paid, completed, and one
cancelled), no library line at INFO, no idle line.

    .venv/bin/python bench/log_lines.py [--idle-seconds 60]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import io
import logging
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.logs import CHATTY, QUIET_UNLESS_ERROR, configure_logging
from tests.e2e.admin_kit import place_order
from tests.e2e.harness import TOKEN
from tests.e2e.jobs_kit import jobs_world, ship

LIBRARIES = ("apscheduler", "transitions", "httpx", "httpcore", "telegram", "alembic", "aiosqlite")
SETUPS = ("libraries", "before", "now")


class Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def setup(name: str) -> None:
    """Put the loggers as `name` had them."""
    for logger in CHATTY + QUIET_UNLESS_ERROR:
        logging.getLogger(logger).setLevel(logging.NOTSET)
    if name == "now":
        configure_logging("INFO", "text", [TOKEN], stream=io.StringIO())
        return
    logging.getLogger().setLevel(logging.INFO)
    if name == "before":  # bot/cli.py main() before issue 14
        for logger in ("httpx", "alembic", "apscheduler"):
            logging.getLogger(logger).setLevel(logging.WARNING)


def source(record: logging.LogRecord) -> str:
    top = record.name.split(".")[0]
    if top in LIBRARIES:
        return "libraries"
    if top == "domain":
        return "business events"
    if record.name == "jobs.runs":
        return "job runs"
    return "other"


async def journey(tmp: Path) -> tuple[collections.Counter[str], collections.Counter[str], float]:
    """INFO lines of the journey by source, INFO+WARNING lines of the idle time by source, and
    the idle time's length in minutes."""
    counter = Count()
    root = logging.getLogger()
    root.addHandler(counter)
    try:
        # The settings' default intervals (the test harness slows the outbox to 30 s).
        async with jobs_world(tmp, outbox_poll_seconds=5) as world:
            bot, alice, ann = world.bot, world.alice, world.ann
            start = len(counter.records)
            number = await place_order(alice)
            await ship(ann, number)
            await ann.say(f"/track {number} delivered")
            await bot.outbox_drained()
            await alice.tap("Received", await alice.tap(number, await alice.say("/orders")))
            other = await place_order(alice, "Bank transfer")
            await alice.tap(other, await alice.say("/orders"))
            await alice.tap("Cancel order")
            await alice.tap("Yes, cancel it")
            await bot.outbox_drained()
            busy = collections.Counter(source(r) for r in counter.records[start:])
            start = len(counter.records)
            await asyncio.sleep(ARGS.idle_seconds)
            idle = collections.Counter(source(r) for r in counter.records[start:])
    finally:
        root.removeHandler(counter)
    return busy, idle, ARGS.idle_seconds / 60


async def main() -> None:
    results = {}
    for name in SETUPS:
        setup(name)
        with tempfile.TemporaryDirectory() as tmp:
            results[name] = await journey(Path(tmp))
    print(f"one journey (9 business events) and {ARGS.idle_seconds:.0f} s idle, INFO lines:")
    print(f"{'':22}" + "".join(f"{name:>12}" for name in SETUPS))
    for kind in ("business events", "job runs", "libraries", "other"):
        row = "".join(f"{results[name][0][kind]:>12}" for name in SETUPS)
        print(f"{'journey: ' + kind:22}{row}")
    for kind in ("job runs", "libraries", "other"):
        row = "".join(f"{results[name][1][kind] / results[name][2]:>12.1f}" for name in SETUPS)
        print(f"{'idle/min: ' + kind:22}{row}")
    print("targets: 9 business lines, 0 library lines, 0 idle lines per minute")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    ARGS = parser.parse_args()
    asyncio.run(main())
