"""What a sync page of `GET /api/v1/orders?changed_since=` costs (issue 17): ChannelOrders'
`changed_since` reads a keyset page on ix_orders_updated (updated_at, id), so a page deep in
the order book costs what the first one costs; the OFFSET page it replaces is printed beside
it. The orders are written straight into the table (no lines), spread over a year.

    .venv/bin/python bench/channel_sync.py --orders 300000
    .venv/bin/python bench/channel_sync.py --orders 300000 \
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/<a scratch database>
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import delete, func, insert, select

from storage.crypto import DataKeys
from storage.db import Database
from storage.migrate import upgrade
from storage.tables.customers import CustomerRow
from storage.tables.orders import OrderRow

START = datetime(2025, 1, 1, tzinfo=UTC)
CUSTOMER = 424_242  # the bench's customer, removed at the end with its orders
PREFIX = "SYNC"


async def seed(db: Database, orders: int) -> None:
    async with db.uow() as uow:
        s = uow.session
        await s.execute(delete(OrderRow).where(OrderRow.number.like(f"{PREFIX}%")))
        await s.execute(delete(CustomerRow).where(CustomerRow.id == CUSTOMER))
        await s.execute(
            insert(CustomerRow).values(
                id=CUSTOMER,
                first_name="bench",
                reachable=False,
                optional_messages=False,
                created_at=START,
                updated_at=START,
            )
        )
        step = timedelta(days=365) / orders
        batch = []
        for n in range(orders):
            at = START + step * n
            batch.append(
                {
                    "number": f"{PREFIX}{n:08d}",
                    "customer_id": CUSTOMER,
                    "status": "paid",
                    "currency": "USD",
                    "subtotal_minor": 1000,
                    "shipping_minor": 500,
                    "total_minor": 1500,
                    "payment_method": "bank",
                    "recipient": "R",
                    "phone": "+14155552671",
                    "address_text": "1 Main St",
                    "created_at": at,
                    # a few later changes, so updated_at is not in id order
                    "updated_at": at + timedelta(days=n % 7),
                }
            )
            if len(batch) == 5000:
                await s.execute(insert(OrderRow), batch)
                batch = []
        if batch:
            await s.execute(insert(OrderRow), batch)
        await uow.commit()
    if db.engine.dialect.name == "postgresql":
        async with db.engine.connect() as conn:
            await conn.exec_driver_sql("ANALYZE orders")
            await conn.commit()


async def best(run, rounds: int = 9) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await run()
        times.append(time.perf_counter() - started)
    return min(times) * 1000


async def main(url: str, orders: int, page: int) -> None:
    await upgrade(url)
    db = Database(url, keys=DataKeys([DataKeys.generate()]))
    try:
        await seed(db, orders)
        since = START - timedelta(days=1)
        async with db.uow(readonly=True) as uow:
            keys = (
                await uow.session.execute(
                    select(OrderRow.updated_at, OrderRow.id)
                    .where(OrderRow.updated_at >= since)
                    .order_by(OrderRow.updated_at, OrderRow.id)
                )
            ).all()
            total = await uow.session.scalar(select(func.count()).select_from(OrderRow))
        print(f"{total} orders, pages of {page}, {db.engine.dialect.name}")
        print(f"{'position':>10} {'keyset ms':>10} {'OFFSET ms':>10}")
        for fraction in (0.0, 0.5, 0.99):
            at = int(len(keys) * fraction)
            after = (keys[at - 1][0], keys[at - 1][1]) if at else None

            async def keyset(after: tuple[datetime, int] | None = after, at: int = at) -> None:
                async with db.uow(readonly=True) as uow:
                    found = await uow.channels.changed_since(since, after, page)
                    assert len(found) == min(page, len(keys) - at)

            async def offset(at: int = at) -> None:
                async with db.uow(readonly=True) as uow:
                    rows = await uow.session.scalars(
                        select(OrderRow)
                        .where(OrderRow.updated_at >= since)
                        .order_by(OrderRow.updated_at, OrderRow.id)
                        .offset(at)
                        .limit(page)
                    )
                    rows.all()

            print(f"{at:>10} {await best(keyset):>10.1f} {await best(offset):>10.1f}")
    finally:
        async with db.uow() as uow:
            await uow.session.execute(delete(OrderRow).where(OrderRow.customer_id == CUSTOMER))
            await uow.session.execute(delete(CustomerRow).where(CustomerRow.id == CUSTOMER))
            await uow.commit()
        await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--page", type=int, default=100)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    if args.database_url:
        asyncio.run(main(args.database_url, args.orders, args.page))
    else:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{tmp}/sync.db"
            asyncio.run(main(url, args.orders, args.page))
