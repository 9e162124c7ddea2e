"""Scale bench (issue 13): every screen and every sweep with a large order history.

    .venv/bin/python -m bench.scale --orders 200000 [--url postgresql+asyncpg://...] [--plans]

Seeds (once per database) `--orders` orders over 180 days with `--orders / 10` customers,
their lines, events, payments, refunds and blind-index terms (bot/demo/history.py, Core
executemany in chunks), plus one outbox row per order, already sent, half of them to the
admin chat (what a shop's outbox holds after that many orders; INSERT ... SELECT), and a few
rows still owed. Then it times, as the repositories run them for the bot:

- the customer's screens (product card, category page, My orders, /order N, cart) and the
  admin's (/orders all, page 500, the orders to ship, an order, /find by phone): p50 and p95
  beside the target (< 20 ms);
- every sweep the jobs table runs over the history (auto-complete, payment expiry and
  reminders, outbox claim and retention, the low-stock report, tracking claim, forgetting
  handled updates): p50 beside the target (O(due rows): a few ms);
- `/report month` and `/customers` (targets 2 s and 5 s, issue 18).

With `--plans` it prints the plan of every statement each of them sent (storage/explain.py)
and names the history tables read in full. A SQLite file under /tmp is used unless --url
names a database; an existing seed is reused. Checkout throughput on this database: run
bench/checkout_vs_echo.py with --database-url set to the same URL."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Table, func, insert, select, text

from bench.insight import BENCH_KEYS
from bot.demo.history import seed_history
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import PaymentMethod
from domain.shared.paging import Page
from storage.db import Database
from storage.explain import capture, explain
from storage.migrate import upgrade
from storage.tables.orders import OrderLineRow, OrderRow
from storage.tables.outbox import OutboxRow

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
ADMIN_CHAT = -1001000
SCREEN_TARGET_MS = 20.0
SWEEP_TARGET_MS = 20.0

Call = Callable[[Any], Awaitable[object]]


async def seed(db: Database, orders: int) -> None:
    started = time.perf_counter()
    stats = await seed_history(
        db,
        days=180,
        customers=max(300, orders // 10),
        seed=1,
        now=NOW,
        orders_per_day=orders / 180,
        products=200,
    )
    async with db.uow() as uow:
        s = uow.session
        if not await s.scalar(select(func.count()).select_from(text("outbox"))):
            token = BENCH_KEYS.encrypt("{}")
            chat = f"CASE WHEN id % 2 = 0 THEN {ADMIN_CHAT} ELSE customer_id END"
            await s.execute(
                text(
                    "INSERT INTO outbox (chat_id, template, params, language, buttons, "
                    "dedupe_key, created_at, next_attempt_at, attempts, sent_at) "
                    f"SELECT {chat}, 'bench', :token, NULL, '[]', 'bench:' || id, created_at, "
                    "created_at, 1, created_at FROM orders"
                ),
                {"token": token},
            )
            # a few rows still owed: the admin chat's and ten customers'
            owed = [ADMIN_CHAT] * 5 + [8_001_000_000 + i for i in range(10)]
            connection = await s.connection()
            await connection.execute(
                insert(cast(Table, OutboxRow.__table__)),
                [
                    {
                        "chat_id": chat_id,
                        "template": "bench",
                        "params": {},
                        "buttons": [],
                        "dedupe_key": f"owed:{n}",
                        "created_at": NOW,
                        "next_attempt_at": NOW,
                        "attempts": 0,
                    }
                    for n, chat_id in enumerate(owed)
                ],
            )
            await uow.commit()
    async with db.engine.connect() as conn:  # planner statistics, as a live shop has them
        await conn.execute(text("ANALYZE"))
        await conn.commit()
    print(
        f"seed: {stats.orders} orders ({'written' if stats.created else 'reused'}) "
        f"in {time.perf_counter() - started:.1f} s  [{db.engine.dialect.name}]",
        flush=True,
    )


async def facts(db: Database) -> dict[str, Any]:
    """Ids the screens look at: the best-selling product, the busiest customer, an order.
    Ten products are brought below their low-stock mark, so the daily report has work."""
    async with db.uow() as uow:
        await uow.session.execute(
            text("UPDATE products SET stock = reserved + 2, low_stock_threshold = 5 WHERE id <= 10")
        )
        await uow.commit()
    async with db.uow(readonly=True) as uow:
        s = uow.session
        product = await s.scalar(
            select(OrderLineRow.product_id)
            .group_by(OrderLineRow.product_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        customer = await s.scalar(
            select(OrderRow.customer_id)
            .group_by(OrderRow.customer_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        order = (
            await s.execute(
                select(OrderRow.id, OrderRow.number, OrderRow.phone)
                .where(OrderRow.customer_id == customer)
                .order_by(OrderRow.id.desc())
                .limit(1)
            )
        ).one()
        category = await s.scalar(text(f"SELECT category_id FROM products WHERE id = {product}"))
        total = await s.scalar(select(func.count()).select_from(OrderRow))
    return {
        "product": product,
        "customer": customer,
        "order_id": order[0],
        "number": order[1],
        "phone": order[2],
        "category": category,
        "orders": total,
    }


def screens(f: dict[str, Any]) -> list[tuple[str, Call]]:
    to_ship = [OrderStatus.PAID, OrderStatus.CONFIRMED]

    async def order_screen(uow: Any) -> None:
        order = await uow.orders.get_by_number(f["number"])
        await uow.orders.events(order.id)

    async def admin_order(uow: Any) -> None:
        order = await uow.orders.get_by_number(f["number"])
        await uow.orders.events(order.id)
        await uow.customers.get(order.customer_id)
        await uow.payments.for_order(order.id)

    return [
        ("customer: product card", lambda uow: uow.products.get(f["product"])),
        (
            "customer: category page",
            lambda uow: uow.products.in_category(f["category"], Page(0, 8)),
        ),
        (
            "customer: My orders (busiest customer)",
            lambda uow: uow.orders.list_for_customer(f["customer"], Page(0, 5)),
        ),
        ("customer: /order N", order_screen),
        ("customer: cart", lambda uow: uow.carts.get(f["customer"])),
        (
            "admin: /orders all",
            lambda uow: uow.backoffice.orders(None, Page(0, 10), oldest_first=False),
        ),
        (
            "admin: /orders all, page 500",
            lambda uow: uow.backoffice.orders(None, Page(499, 10), oldest_first=False),
        ),
        (
            "admin: orders to ship",
            lambda uow: uow.backoffice.orders(to_ship, Page(0, 10), oldest_first=True),
        ),
        ("admin: an order", admin_order),
        ("admin: /find by phone", lambda uow: uow.search.orders(f["phone"], 20)),
    ]


def sweeps() -> list[tuple[str, Call]]:
    from storage.updates import forget_handled_before

    unpaid = [PaymentMethod.CARD, PaymentMethod.BANK_TRANSFER]
    result: list[tuple[str, Call]] = [
        (
            "auto-complete: due orders",
            lambda uow: uow.sweeps.due_for_completion(NOW - timedelta(days=7), 50),
        ),
        (
            "payments: due for expiry",
            lambda uow: uow.payments.due_for_expiry(unpaid, NOW - timedelta(hours=24), 50),
        ),
        (
            "payments: due for a reminder",
            lambda uow: uow.payments.due_for_reminder(unpaid, NOW - timedelta(hours=12), 50),
        ),
        ("outbox: claim", lambda uow: uow.outbox.claim_due(NOW, 50, 120.0)),
        ("low-stock report", lambda uow: uow.sweeps.low_stock(NOW - timedelta(days=30), 20)),
        ("tracking: claim", lambda uow: uow.tracking.claim_due(NOW, 50, 60.0)),
        (
            "handled updates: forget",
            lambda uow: forget_handled_before(uow.session, NOW - timedelta(days=2)),
        ),
    ]
    if hasattr(sys.modules["storage.outbox"].SqlOutboxRepository, "forget_done"):
        result.append(
            (
                "outbox: retention (a batch of 5,000)",
                lambda uow: uow.outbox.forget_done(
                    NOW - timedelta(days=14), NOW - timedelta(days=30), 5_000
                ),
            )
        )
    return result


async def timed(db: Database, call: Call, runs: int) -> list[float]:
    """Milliseconds of each run, each in a unit of work that is rolled back (nothing sticks)."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        async with db.uow() as uow:
            await call(uow)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def plans_of(db: Database, call: Call) -> list[Any]:
    with capture(db.engine) as captured:
        async with db.uow() as uow:
            await call(uow)
    return await explain(db.engine, captured)


async def main(orders: int, url: str | None, runs: int, show_plans: bool) -> None:
    url = url or f"sqlite+aiosqlite:////tmp/orderbot_bench_scale_{orders}.db"
    await upgrade(url)
    db = Database(url, keys=BENCH_KEYS)
    await seed(db, orders)
    f = await facts(db)
    print(f"{f['orders']} orders in the database; screens and sweeps, {runs} runs each")
    groups = (("screens", screens(f), SCREEN_TARGET_MS), ("sweeps", sweeps(), SWEEP_TARGET_MS))
    for title, calls, target in groups:
        print(f"\n{title}: p50 / p95 ms (target < {target:.0f} ms)")
        for name, call in calls:
            timings = await timed(db, call, runs)
            p50 = statistics.median(timings)
            p95 = sorted(timings)[max(0, round(0.95 * len(timings)) - 1)]
            mark = "ok " if p95 < target else "SLOW"
            line = f"  {mark} {name:<40} {p50:9.1f} / {p95:9.1f}"
            if show_plans or p95 >= target:
                plans = await plans_of(db, call)
                scans = sorted({t for p in plans for t in p.full_scans})
                line += f"   full scans: {', '.join(scans) or 'none'}"
                print(line, flush=True)
                if show_plans:
                    for plan in plans:
                        print("      " + " ".join(plan.statement.split())[:160])
                        for step in plan.lines:
                            print("        " + step)
            else:
                print(line, flush=True)
    from domain.insight.service import Insight
    from domain.shared.clock import FixedClock

    insight = Insight(db, FixedClock(NOW), ZoneInfo("UTC"))
    print("\ninsight (issue 18): best / worst of 3, s")
    for name, target_s, run in (
        ("/report month", 2.0, lambda: insight.report(["month"])),
        ("/customers", 5.0, insight.customers),
    ):
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            await run()
            timings.append(time.perf_counter() - started)
        print(
            f"  {name:<16} {min(timings):6.2f} / {max(timings):6.2f}   (target < {target_s:.0f} s)"
        )
    await db.dispose()


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--url")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--plans", action="store_true", help="print every statement's plan")
    args = parser.parse_args()
    asyncio.run(main(args.orders, args.url, args.runs, args.plans))


if __name__ == "__main__":
    cli()
