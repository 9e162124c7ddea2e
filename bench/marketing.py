"""What bringing customers back costs (issue 16), on a fresh database:

- the fan-out of one broadcast to N customers (batches of 200, one transaction each): seconds,
  messages queued per second, the longest batch (the longest a writer waits behind it);
- the back-in-stock hook on the paths that put units back on sale: a release with nobody waiting
  (every cancelled or expired order line now pays it) and with K customers waiting (K messages
  queued in the caller's transaction).

    .venv/bin/python bench/marketing.py --customers 20000 --waiting 1000
    .venv/bin/python bench/marketing.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/bench_marketing

On PostgreSQL give it an empty database of its own (it adds customers and products and leaves
them), not the tests' database.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from domain.catalog.back_in_stock import queue_back_in_stock
from domain.marketing.broadcasts import Broadcasts
from domain.shared.clock import SystemClock
from domain.shared.customers import Language
from storage.crypto import DataKeys
from storage.db import Database
from storage.migrate import upgrade
from storage.tables.catalog import CategoryRow, ProductRow
from storage.tables.customers import CustomerRow
from storage.tables.marketing import BackInStockRow

ADMIN_CHAT = -100
BASE = 7_000_000_000  # customer ids of the bench


async def seed(db: Database, customers: int, waiting: int) -> tuple[int, int]:
    """Customers, two sold-out products (one nobody waits for, one `waiting` customers wait
    for); returns their ids."""
    now = datetime.now(UTC)
    async with db.uow() as uow:
        rows = [
            {
                "id": BASE + n,
                "first_name": f"Bench {n}",
                "language_code": "en",
                "reachable": True,
                "optional_messages": n % 10 != 0,  # one in ten opted out
                "created_at": now,
                "updated_at": now,
            }
            for n in range(customers)
        ]
        for start in range(0, len(rows), 2000):
            await uow.session.execute(insert(CustomerRow), rows[start : start + 2000])
        category = CategoryRow(name="Bench", position=0)
        uow.session.add(category)
        await uow.session.flush()
        ids = []
        for sku in ("BENCH-LONELY", "BENCH-WANTED"):
            product = ProductRow(
                sku=sku,
                name=sku,
                category_id=category.id,
                price_minor=1000,
                currency="USD",
                stock=1,
                reserved=1,
                created_at=now,
                updated_at=now,
            )
            uow.session.add(product)
            await uow.session.flush()
            ids.append(product.id)
        await uow.session.execute(
            insert(BackInStockRow),
            [
                {"customer_id": BASE + n, "product_id": ids[1], "created_at": now}
                for n in range(waiting)
            ],
        )
        await uow.commit()
    return ids[0], ids[1]


async def hook(
    db: Database, product_id: int, rounds: int, *, with_hook: bool = True
) -> list[float]:
    """Seconds of a release (plus the hook), in one transaction (rolled back but the last)."""
    times = []
    for n in range(rounds):
        started = time.perf_counter()
        async with db.uow() as uow:
            await uow.products.release(product_id, 1)
            if with_hook:
                await queue_back_in_stock(uow, [product_id], datetime.now(UTC))
            if n == rounds - 1 and with_hook:
                await uow.commit()
        times.append(time.perf_counter() - started)
    return times


async def main(url: str, customers: int, waiting: int) -> None:
    await upgrade(url)
    db = Database(url, keys=DataKeys([DataKeys.generate()]))
    try:
        lonely, wanted = await seed(db, customers, waiting)
        for _ in range(3):  # alternate, so machine noise hits both alike
            bare = await hook(db, lonely, 50, with_hook=False)
            quiet = await hook(db, lonely, 50)
        print(
            f"release alone:                median {statistics.median(bare) * 1000:.2f} ms "
            f"(min {min(bare) * 1000:.2f})"
        )
        print(
            f"release + hook, nobody waiting: median {statistics.median(quiet) * 1000:.2f} ms "
            f"(min {min(quiet) * 1000:.2f})"
        )
        [loud] = await hook(db, wanted, 1)
        print(
            f"release + hook, {waiting} waiting: {loud * 1000:.0f} ms ({waiting} messages queued)"
        )

        broadcasts = Broadcasts(db, SystemClock(), currency="USD", admin_chat_id=ADMIN_CHAT)
        await broadcasts.start(ADMIN_CHAT, 1, "all")
        await broadcasts.give_message(ADMIN_CHAT, 1, "Spring sale", 11, None)
        async with db.uow(readonly=True) as uow:
            dialog = await uow.dialogs.get(ADMIN_CHAT, 1)
        assert dialog is not None
        await broadcasts.skip_product(ADMIN_CHAT, 1, dialog.token)
        await broadcasts.send(ADMIN_CHAT, 1, dialog.token, Language.EN)
        batches: list[float] = []
        original = broadcasts._batch

        async def timed(*args: object) -> bool:
            started = time.perf_counter()
            try:
                return await original(*args)  # type: ignore[arg-type]
            finally:
                batches.append(time.perf_counter() - started)

        broadcasts._batch = timed  # type: ignore[method-assign]
        started = time.perf_counter()
        stats = await broadcasts.fan_out()
        took = time.perf_counter() - started
        print(
            f"fan-out to {customers} customers: {took:.2f} s, {stats.queued} queued "
            f"({stats.queued / took:.0f}/s), {stats.skipped} skipped, {stats.batches} batches "
            f"of {broadcasts.batch_size}: median {statistics.median(batches) * 1000:.0f} ms, "
            f"longest {max(batches) * 1000:.0f} ms"
        )
    finally:
        await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--waiting", type=int, default=1_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{folder}/bench.db"
        asyncio.run(main(url, args.customers, args.waiting))
