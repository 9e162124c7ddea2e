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

from sqlalchemy import Table, func, insert, select, text, update

from bench.insight import BENCH_KEYS
from bot.demo.history import seed_history
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import PaymentMethod
from domain.shared.paging import Page
from storage.db import Database
from storage.explain import capture, explain
from storage.migrate import upgrade
from storage.tables.catalog import CategoryRow, ProductRow
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
    # Tables as a live shop has them: PostgreSQL's autovacuum vacuums and analyzes after
    # inserts (statistics, and the visibility map index-only scans need); the bot never runs
    # ANALYZE on SQLite, so a SQLite shop plans without sqlite_stat1.
    if db.engine.dialect.name == "postgresql":
        async with db.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
    else:
        async with db.engine.connect() as conn:
            await conn.execute(text("DROP TABLE IF EXISTS sqlite_stat1"))
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


async def checkout_journeys(db: Database, product_id: int, runs: int, base: int) -> list[float]:
    """Milliseconds of a customer's whole checkout as its use cases run it (8 transactions:
    the customer, the cart, the checkout's steps, placing the order with its admin alert and
    rollups), each journey by a new customer."""
    from domain.checkout.shop import Shop
    from domain.checkout.shop_base import ShopConfig
    from domain.orders.model import PaymentMethod
    from domain.reactions import ORDER_FLOW
    from domain.shared.clock import SystemClock
    from domain.shared.money import Money

    shop = Shop(
        cast(Any, db),
        SystemClock(),
        ShopConfig(currency="USD", shipping_fee=Money(500, "USD"), admin_chat_id=ADMIN_CHAT),
        flow=ORDER_FLOW,
    )
    timings = []
    for i in range(runs):
        customer = base + i
        started = time.perf_counter()
        await shop.touch_customer(customer, f"Customer {customer}", None, "en")
        await shop.add_to_cart(customer, product_id, 1)
        view = await shop.start_checkout(customer)
        await shop.give_recipient(customer, f"Recipient {customer}")
        await shop.give_phone(customer, "+14155552671", from_contact=False)
        await shop.give_address(customer, f"{customer} Main Street, Springfield")
        await shop.choose_payment(
            customer, view.checkout.token, PaymentMethod.CASH_ON_DELIVERY.value
        )
        await shop.place_order(customer, view.checkout.token)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


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


async def _stocked_product(db: Database, blank: bool = False) -> int:
    """A product with stock to sell: the last one (in a blank shop, one made for the bench)."""
    async with db.uow() as uow:
        s = uow.session
        if blank and not await s.scalar(select(func.count()).select_from(ProductRow)):
            category = await s.scalar(
                insert(CategoryRow).values(name="Bench", position=1).returning(CategoryRow.id)
            )
            await s.execute(
                insert(ProductRow).values(
                    sku="BENCH-1",
                    name="Bench product",
                    category_id=category,
                    description="",
                    price_minor=1500,
                    currency="USD",
                    stock=0,
                    reserved=0,
                    low_stock_threshold=0,
                    active=True,
                    created_at=NOW,
                    updated_at=NOW,
                )
            )
        pid = int(await s.scalar(select(func.max(ProductRow.id))) or 0)
        await s.execute(
            update(ProductRow)
            .where(ProductRow.id == pid)
            .values(stock=ProductRow.reserved + 1_000_000)
        )
        await uow.commit()
    return pid


async def main(
    orders: int, url: str | None, runs: int, show_plans: bool, empty: str | None = None
) -> None:
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
    print("\ncheckout: a whole journey, p50 / p95 ms, beside the same on an empty database")
    empty_url = empty or "sqlite+aiosqlite:////tmp/orderbot_bench_scale_empty.db"
    await upgrade(empty_url)
    blank = Database(empty_url, keys=BENCH_KEYS)
    try:
        shops = {"empty": (blank, await _stocked_product(blank, blank=True))}
        shops["history"] = (db, await _stocked_product(db))
        journeys: dict[str, list[float]] = {name: [] for name in shops}
        base = 8_900_000_000 + int(time.time()) % 100_000 * 1000
        for name, (where, pid) in shops.items():  # warm up: caches, connections
            await checkout_journeys(where, pid, 2, base - 10 - len(name))
        for round_ in range(4):  # alternating, so the machine's noise hits both alike
            for name, (where, pid) in shops.items():
                journeys[name] += await checkout_journeys(
                    where, pid, max(1, runs // 4), base + round_ * 100 + len(journeys[name])
                )
        for name, timings in journeys.items():
            p50 = statistics.median(timings)
            p95 = sorted(timings)[max(0, round(0.95 * len(timings)) - 1)]
            print(f"  {name:<10} {p50:9.1f} / {p95:9.1f}")
        ratio = statistics.median(journeys["empty"]) / statistics.median(journeys["history"])
        print(f"  with the history: {100 * ratio:.0f} % of the empty shop's rate (target >= 90 %)")
    finally:
        await blank.dispose()

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
    parser.add_argument(
        "--empty-url",
        help="an empty database for the checkout's comparison (default: a SQLite file)",
    )
    args = parser.parse_args()
    asyncio.run(main(args.orders, args.url, args.runs, args.plans, args.empty_url))


if __name__ == "__main__":
    cli()
