"""Flash sale: many buyers confirm their orders for a few units at once (issue 13).

The real bot (bench/bot_child.py: the application `python -m bot` builds, in a process of its
own) polls the local Bot API server. --buyers customers (default 1,000) each have one unit of a
product with --units in stock (default 100) in their cart and a checkout waiting on its review
screen (written straight to the database, so that the sale, not 10,000 steps of typing,
is what is measured); each one taps "Confirm order" once. Two ways of arriving, each on a
fresh database:

- spread: one buyer every 1/--rate seconds (default 100 a second: 1,000 buyers over 10 s);
- burst: every buyer at once.

Printed beside the targets: orders placed (exactly --units), units oversold (0), buyers who
got no answer (0), the time from a buyer's tap to the bot having handled it (its answer
sent) as p50 / p95 / p99 (spread: p99 < 1 s), and for the burst the Confirms handled per
second from the first tap to the last answer (>= 150). The bot's CPU time per Confirm is
read from /proc beside them. On PostgreSQL, --pg-waits samples pg_stat_activity every 10 ms
during the sale and prints what the bot's connections were doing, as the mean number of them
in each state (waiting for a row lock, in a transaction waiting for the bot, ...) with the
statement, e.g. how many orders queue on the product's row and which statement they wait in.

    .venv/bin/python bench/flash_sale.py
    .venv/bin/python bench/flash_sale.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/flash_sale_bench
    .venv/bin/python bench/flash_sale.py --buyers 300 --units 30 --rate 100   # a short run
    .venv/bin/python bench/flash_sale.py --database-url ... --mode spread --timeline --pg-waits
    # before/after in one run (each on its own fresh database), as bench/checkout_vs_echo.py
    .venv/bin/python bench/flash_sale.py --before /tmp/before --before-without-sniffio
    # medians of 3 interleaved rounds (a shared machine's noise is +-30 % on one run)
    .venv/bin/python bench/flash_sale.py --before /tmp/before --rounds 3 --buyers 600 --units 60

A PostgreSQL database named in --database-url is dropped and created again for each run.
Figures, never pass/fail; tests/integration/test_concurrency.py holds the race's invariants.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, os.environ.get("BENCH_TREE") or str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from bot.botapi.server import FakeBotApi
from bot.catalog.csv_import import read_catalog_csv
from domain.checkout.flow import Checkout, CheckoutDraft, CheckoutStep
from domain.checkout.shop import Shop
from domain.checkout.shop_base import ShopConfig
from domain.orders.model import PaymentMethod
from domain.reactions import ORDER_FLOW
from domain.shared.clock import SystemClock
from domain.shared.customers import Customer
from domain.shared.money import Money
from storage.crypto import DataKeys
from storage.db import Database
from storage.migrate import upgrade
from storage.tables.catalog import ProductRow
from tests.dbsetup import TEST_DATA_KEY
from tests.e2e.harness import ADMIN_CHAT, DEMO_CATALOG, TOKEN

SCRIPT = str(Path(__file__).resolve())
SKU = "TEA-BLACK-100"
FIRST_BUYER = 70_000_000
TARGET_P99_S = 1.0
TARGET_RATE = 150.0


@dataclass
class Sale:
    mode: str
    buyers: int
    units: int
    latencies: list[float] = field(default_factory=list)
    arrivals: list[tuple[float, float]] = field(default_factory=list)  # (tap's offset, latency)
    unanswered: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    orders: int = 0
    sold: int = 0
    oversold: int = 0
    # --pg-waits: (state | wait event | statement) -> times seen, over `samples` samples
    waits: collections.Counter[str] = field(default_factory=collections.Counter)
    samples: int = 0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]


async def fresh_database(url: str, tmp: str, name: str) -> str:
    """A new SQLite file, or the PostgreSQL database of the URL dropped and made again."""
    if url is None:
        return f"sqlite+aiosqlite:///{tmp}/{name}.db"
    import asyncpg  # only for PostgreSQL

    parsed = make_url(url)
    admin = await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database="postgres",
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await admin.close()
    return url


async def prepare(
    url: str, api: FakeBotApi, buyers: int, units: int, tree: Path | None
) -> dict[int, object]:
    """The shop with `units` in stock, and every buyer on the review screen with one unit in
    the cart; returns each buyer's message carrying the Confirm button. With `tree`, the
    database is written by that checkout's own code (its schema may differ)."""
    if tree is None:
        await seed(url, buyers, units)
    else:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            SCRIPT,
            "--seed-only",
            "--database-url",
            url,
            "--buyers",
            str(buyers),
            "--units",
            str(units),
            cwd=tree,
            env={**os.environ, "PYTHONPATH": str(tree), "BENCH_TREE": str(tree)},
        )
        if await child.wait() != 0:
            raise RuntimeError("seeding with the other tree failed")
    screens: dict[int, object] = {}
    for i in range(buyers):
        uid = FIRST_BUYER + i
        user = api.users.get(uid) or api.add_user(uid, f"Buyer {i}")
        screens[uid] = api.new_bot_message(
            user.chat,
            "text",
            text="Review your order",
            reply_markup={
                "inline_keyboard": [[{"text": "Confirm order", "callback_data": f"ky:fs{i:08d}"}]]
            },
            reply_markup_kind="inline_keyboard",
        )
    return screens


def keys_for(url: str) -> DataKeys | None:
    """PostgreSQL's personal data keys: the documented test key, which the bot gets through
    DATA_KEYS (main() sets it); a SQLite file keeps its development key beside it."""
    return DataKeys([TEST_DATA_KEY]) if url.startswith("postgresql") else None


async def seed(url: str, buyers: int, units: int) -> None:
    """The catalog, and the buyers' carts and checkouts on the review screen."""
    await upgrade(url)
    drafts = [
        replace(d, stock=units if d.sku == SKU else d.stock)
        for d in read_catalog_csv(DEMO_CATALOG, "USD")
    ]
    db = Database(url, keys=keys_for(url))
    try:
        await Shop(
            db, SystemClock(), ShopConfig("USD", Money(500, "USD")), flow=ORDER_FLOW
        ).import_catalog(drafts, actor="seed", reason="demo catalog")
    finally:
        await db.dispose()
    db = Database(url, keys=keys_for(url))
    try:
        async with db.uow() as uow:
            product = (
                await uow.session.execute(select(ProductRow).where(ProductRow.sku == SKU))
            ).scalar_one()
            now = datetime.now(UTC)
            for i in range(buyers):
                uid = FIRST_BUYER + i
                await uow.customers.upsert(Customer(uid, f"Buyer {i}", None, "en"))
                await uow.carts.set_quantity(uid, product.id, 1)
                await uow.checkouts.save(
                    Checkout(
                        customer_id=uid,
                        token=f"fs{i:08d}",
                        step=CheckoutStep.REVIEW,
                        draft=CheckoutDraft(
                            recipient=f"Buyer {i}",
                            phone="+12025550143",
                            address_text="1 Main Street, Springfield, IL 62701",
                            payment_method=PaymentMethod.CASH_ON_DELIVERY,
                            new_address=True,
                            quoted_subtotal=product.price_minor,
                        ),
                        updated_at=now,
                    )
                )
            await uow.commit()
    finally:
        await db.dispose()


async def count(url: str, sale: Sale) -> None:
    """Orders and units sold, in plain SQL (the --before tree's schema may differ)."""
    db = Database(url, keys=keys_for(url))
    try:
        async with db.uow(readonly=True) as uow:
            s = uow.session
            product_id, stock, reserved = (
                await s.execute(
                    text("SELECT id, stock, reserved FROM products WHERE sku = :sku"), {"sku": SKU}
                )
            ).one()
            sale.orders = int(await s.scalar(text("SELECT count(*) FROM orders")) or 0)
            sale.sold = int(
                await s.scalar(
                    text(
                        "SELECT coalesce(sum(quantity), 0) FROM order_lines WHERE product_id = :p"
                    ),
                    {"p": product_id},
                )
                or 0
            )
            sale.oversold = max(0, sale.sold - sale.units) + max(0, -stock, reserved - stock)
    finally:
        await db.dispose()


WAITS_SQL = """
SELECT state, coalesce(wait_event_type || ':' || wait_event, '-'),
       left(regexp_replace(query, '\\s+', ' ', 'g'), 64)
FROM pg_stat_activity
WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'
  AND state <> 'idle'
"""


async def sample_waits(url: str, sale: Sale, stop: asyncio.Event) -> None:
    """What the sale database's other connections are doing, every 10 ms until `stop`."""
    import asyncpg  # only for PostgreSQL

    parsed = make_url(url)
    conn = await asyncpg.connect(
        host=parsed.host or "127.0.0.1",
        port=parsed.port or 5432,
        user=parsed.username or "postgres",
        password=parsed.password,
        database=parsed.database,
    )
    try:
        while not stop.is_set():
            for state, wait, query in await conn.fetch(WAITS_SQL, parsed.database):
                sale.waits[f"{state:19s} {wait:22s} {query}"] += 1
            sale.samples += 1
            await asyncio.sleep(0.01)
    finally:
        await conn.close()


async def run(url: str, mode: str, args: argparse.Namespace, tree: Path | None = None) -> Sale:
    from bench.bot_child import ChildBot  # not in --seed-only's tree, which may be older

    sale = Sale(mode, args.buyers, args.units)
    api = FakeBotApi(token=TOKEN)
    await api.start()
    api.add_group(ADMIN_CHAT, "Shop admins")
    try:
        screens = await prepare(url, api, args.buyers, args.units, tree)
        bot = ChildBot(
            "shop",
            api.url,
            url,
            concurrency=args.concurrency,
            tree=tree,
            hide_sniffio=tree is not None and args.before_without_sniffio,
        )
        await bot.start()
        try:

            async def buyer(uid: int, delay: float, t0: float) -> None:
                await asyncio.sleep(max(0.0, t0 + delay - time.perf_counter()))
                started = time.perf_counter()
                update = await api.users[uid].tap(screens[uid], "Confirm order")  # type: ignore[arg-type]
                try:
                    await bot.handled(update)
                except TimeoutError:
                    sale.unanswered += 1
                    return
                sale.latencies.append(time.perf_counter() - started)
                sale.arrivals.append((started - t0, sale.latencies[-1]))

            gap = 0.0 if mode == "burst" else 1.0 / args.rate
            stop = asyncio.Event()
            sampler = (
                asyncio.create_task(sample_waits(url, sale, stop))
                if args.pg_waits and url.startswith("postgresql")
                else None
            )
            cpu, t0 = bot.cpu(), time.perf_counter() + 0.2
            await asyncio.gather(*(buyer(uid, i * gap, t0) for i, uid in enumerate(screens)))
            sale.seconds = time.perf_counter() - t0
            sale.cpu = bot.cpu() - cpu
            stop.set()
            if sampler is not None:
                await sampler
        finally:
            await bot.stop()
    finally:
        await api.stop()
    await count(url, sale)
    return sale


def report(sale: Sale, backend: str, rate: float, label: str, timeline: bool = False) -> None:
    arrive = "all at once" if sale.mode == "burst" else f"{rate:.0f}/s"
    print(f"\n{label}{backend}, {sale.buyers} buyers for {sale.units} units, arriving {arrive}:")
    print(f"  orders placed        {sale.orders:8d}   (target exactly {sale.units})")
    print(f"  units oversold       {sale.oversold:8d}   (target 0)")
    print(f"  buyers unanswered    {sale.unanswered:8d}   (target 0)")
    target = f"p99 < {TARGET_P99_S:.0f} s" if sale.mode == "spread" else "-"
    print(
        f"  tap -> answer        p50 {sale.pct(50):6.3f} s  p95 {sale.pct(95):6.3f} s  "
        f"p99 {sale.pct(99):6.3f} s  max {max(sale.latencies, default=0):6.3f} s   "
        f"(target {target})"
    )
    handled = len(sale.latencies)
    rate_s = handled / sale.seconds if sale.seconds else 0.0
    target_rate = f">= {TARGET_RATE:.0f}" if sale.mode == "burst" else "-"
    print(
        f"  Confirms handled/s   {rate_s:8.1f}   (target {target_rate}; "
        f"{handled} in {sale.seconds:.2f} s)"
    )
    if handled:
        print(f"  bot CPU per Confirm  {1000 * sale.cpu / handled:8.2f} ms")
        print(f"  mean tap -> answer   {statistics.mean(sale.latencies):8.3f} s")
    if sale.samples:
        print(f"  the bot's connections, mean over {sale.samples} samples of pg_stat_activity:")
        for what, seen in sale.waits.most_common(8):
            print(f"    {seen / sale.samples:6.2f}  {what}")
    if timeline and sale.mode == "spread" and sale.arrivals:
        # Where the slow answers are: the taps of each second of the sale.
        by_second: dict[int, list[float]] = {}
        for offset, latency in sale.arrivals:
            by_second.setdefault(int(offset), []).append(latency)
        for second, latencies in sorted(by_second.items()):
            latencies.sort()
            print(
                f"    taps in second {second:3d}: {len(latencies):4d}, answer p50 "
                f"{latencies[len(latencies) // 2]:6.3f} s, max {latencies[-1]:6.3f} s"
            )


async def main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    modes = ["spread", "burst"] if args.mode == "both" else [args.mode]
    if args.database_url:
        os.environ["DATA_KEYS"] = TEST_DATA_KEY  # the bot's (bench/bot_child.py inherits it)
    if args.seed_only:
        await seed(args.database_url, args.buyers, args.units)
        return
    trees: list[tuple[str, Path | None]] = [("", None)]
    if args.before is not None:
        trees.append(("BEFORE (" + str(args.before) + "): ", args.before))
    sales: dict[tuple[str, str], list[Sale]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for round_ in range(args.rounds):
            for mode in modes:
                # interleaved, the order turned round every round: the machine's noise (other
                # processes on 2 cores) falls on both trees alike
                for label, tree in trees if round_ % 2 == 0 else trees[::-1]:
                    url = await fresh_database(args.database_url, tmp, mode + str(len(label)))
                    sale = await run(url, mode, args, tree)
                    sales.setdefault((mode, label), []).append(sale)
                    report(sale, backend, args.rate, label, args.timeline)
    if args.rounds > 1:
        summary(sales, backend, args)


def summary(
    sales: dict[tuple[str, str], list[Sale]], backend: str, args: argparse.Namespace
) -> None:
    """Medians over the rounds, each tree beside the other."""
    print(
        f"\n{backend}, {args.buyers} buyers for {args.units} units, "
        f"medians of {args.rounds} rounds:"
    )
    for (mode, label), runs in sales.items():
        median = statistics.median
        handled = [len(s.latencies) for s in runs]
        arrive = "all at once" if mode == "burst" else f"{args.rate:.0f}/s"
        print(
            f"  {label or 'this tree: '}{arrive:11s} p50 {median(s.pct(50) for s in runs):6.3f} s"
            f"  p95 {median(s.pct(95) for s in runs):6.3f} s  p99 "
            f"{median(s.pct(99) for s in runs):6.3f} s  "
            f"{median(h / s.seconds for h, s in zip(handled, runs, strict=True)):6.1f} Confirms/s  "
            f"{median(1000 * s.cpu / max(h, 1) for h, s in zip(handled, runs, strict=True)):5.2f} "
            f"ms CPU/Confirm  orders {sorted({s.orders for s in runs})} oversold "
            f"{max(s.oversold for s in runs)} unanswered {max(s.unanswered for s in runs)}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buyers", type=int, default=1000)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--rate", type=float, default=100.0, help="spread: buyers per second")
    parser.add_argument("--mode", choices=["spread", "burst", "both"], default="both")
    parser.add_argument("--concurrency", type=int, default=16, help="CONCURRENT_UPDATES")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each, interleaved")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--before", type=Path, default=None, help="another checkout to compare")
    parser.add_argument(
        "--before-without-sniffio",
        action="store_true",
        help="hide sniffio from the --before bot, as the environment was before issue 13",
    )
    parser.add_argument(
        "--timeline", action="store_true", help="spread: the answers of each second's taps"
    )
    parser.add_argument(
        "--pg-waits",
        action="store_true",
        help="PostgreSQL: sample what the bot's connections wait for during the sale",
    )
    parser.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)
    asyncio.run(main(parser.parse_args()))
