"""Insight benchmarks: figures printed beside their targets; they never fail on time.

    .venv/bin/python -m bench.insight forecast [--products 1000]
    .venv/bin/python -m bench.insight queries [--orders 1000000] [--url URL]

`forecast` fits 1,000 dense daily series of 180 days (the generator's weekly and yearly shape,
so every one gets Holt-Winters, the slow path) with a 14-day horizon and a 3-origin backtest,
on one BLAS thread. Target: under 60 s on 2 cores.

`queries` seeds a history of about `--orders` orders (bot/demo/history.py; a file database under
/tmp unless --url names one; an existing seed is reused) and times `/report month` and
`/customers` as the bot runs them. Targets: 2 s and 5 s with 1,000,000 orders."""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import random
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from domain.insight.forecast import forecast_series, holt_winters_available
from storage.crypto import DataKeys

# A key for benchmark databases only (never a shop's): the history's names are made up.
BENCH_KEYS = DataKeys(["YmVuY2gta2V5LW9mLW9yZGVyYm90LWluc2lnaHQtMDA="])


def bench_forecast(products: int, days: int = 180, horizon: int = 14) -> None:
    rng = random.Random(7)
    series = []
    for p in range(products):
        level = rng.uniform(3, 40)
        series.append(
            [
                max(
                    0.0,
                    round(
                        level
                        * (1 + 0.3 * (d % 7 in (4, 5, 6)))
                        * (1 + 0.2 * math.sin(2 * math.pi * (d + p) / 365))
                        + rng.gauss(0, math.sqrt(level))
                    ),
                )
                for d in range(days)
            ]
        )
    started = time.perf_counter()
    methods: dict[str, int] = {}
    beats = 0
    for history in series:
        result = forecast_series(history, horizon)
        methods[result.method] = methods.get(result.method, 0) + 1
        beats += bool(result.beats_baseline)
    took = time.perf_counter() - started
    print(f"statsmodels available: {holt_winters_available()}")
    print(f"forecast {products} products × {days} days, horizon {horizon}, 3-origin backtest")
    print(f"  methods: {methods}; beat seasonal naive: {beats}/{products}")
    print(f"  {took:.1f} s   (target < 60 s)")
    # the restock job's daily fits for the EOQ's D: the forecast alone, no backtest
    started = time.perf_counter()
    for history in series:
        forecast_series(history, horizon, origins=0)
    took = time.perf_counter() - started
    print(f"  EOQ demand (no backtest, the restock job's daily fits): {took:.1f} s")


async def bench_queries(orders: int, url: str | None) -> None:
    from bot.demo.history import seed_history
    from domain.insight.service import Insight
    from domain.shared.clock import FixedClock
    from storage.db import Database
    from storage.migrate import upgrade

    url = url or f"sqlite+aiosqlite:////tmp/orderbot_bench_insight_{orders}.db"
    await upgrade(url)
    # Personal data is encrypted at rest: DATA_KEYS if set, else the bench's own key (a SQLite
    # file keeps its development key beside it).
    keys = os.environ.get("DATA_KEYS")
    db = Database(url, keys=DataKeys(keys.split(",")) if keys else BENCH_KEYS)
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)
    days = 180
    started = time.perf_counter()
    stats = await seed_history(
        db,
        days=days,
        customers=max(300, orders // 50),
        seed=1,
        now=now,
        orders_per_day=orders / days,
        products=200,
    )
    print(
        f"seed: {stats.orders} orders ({'written' if stats.created else 'reused'}) "
        f"in {time.perf_counter() - started:.1f} s  [{db.engine.dialect.name}]"
    )
    insight = Insight(db, FixedClock(now), ZoneInfo("UTC"))
    for name, target, run in (
        ("/report month", 2.0, lambda: insight.report(["month"])),
        ("/customers", 5.0, insight.customers),
    ):
        timings = []
        for _ in range(3):
            t = time.perf_counter()
            await run()
            timings.append(time.perf_counter() - t)
        print(
            f"  {name}: best {min(timings):.2f} s, worst {max(timings):.2f} s  "
            f"(target < {target:.0f} s)"
        )
    await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("forecast", "queries"))
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--url")
    args = parser.parse_args()
    if args.what == "forecast":
        bench_forecast(args.products)
    else:
        asyncio.run(bench_queries(args.orders, args.url))


if __name__ == "__main__":
    main()
