"""Every sweep reads the rows that are due, not the history (issue 13): the plan of each
statement a sweep sends, on SQLite and PostgreSQL, reads no history table in full. The long
version, with a million orders and timings, is bench/scale.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, update

from bot.demo.history import seed_history
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import PaymentMethod
from domain.shared.notifications import Notification
from domain.shared.paging import Page, Seek, Toward
from storage.db import Database
from storage.explain import capture, explain
from storage.tables.catalog import ProductRow
from storage.tables.marketing import BroadcastRecipientRow, BroadcastRow
from storage.tables.orders import OrderRow
from storage.updates import forget_handled_before

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
ADMIN_CHAT = -1001000
UNPAID = [PaymentMethod.CARD, PaymentMethod.BANK_TRANSFER]
OPEN_KEY = 60  # an order with after-sales open (every 20th order has, in the shop below)

SWEEPS: dict[str, Callable[[Any], Awaitable[object]]] = {
    "auto-complete": lambda uow: uow.sweeps.due_for_completion(NOW - timedelta(days=7), 50),
    "payment expiry": lambda uow: uow.payments.due_for_expiry(UNPAID, NOW, 50),
    "payment reminders": lambda uow: uow.payments.due_for_reminder(UNPAID, NOW, 50),
    "outbox claim": lambda uow: uow.outbox.claim_due(NOW, 50, 120.0),
    "outbox retention": lambda uow: uow.outbox.forget_done(NOW, NOW, 100),
    "low-stock report": lambda uow: uow.sweeps.low_stock(NOW - timedelta(days=30), 20),
    "tracking claim": lambda uow: uow.tracking.claim_due(NOW, 50, 60.0),
    "handled updates": lambda uow: forget_handled_before(uow.session, NOW - timedelta(days=2)),
    "API keys retention": lambda uow: uow.idempotency.forget_before(NOW - timedelta(days=1), 5),
    "API rate windows retention": lambda uow: uow.api_rates.forget_before(
        NOW - timedelta(days=1), 5
    ),
    "broadcasts unfinished": lambda uow: uow.broadcasts.unfinished(),
    "broadcast recipients retention": lambda uow: uow.broadcasts.forget_recipients(
        NOW - timedelta(days=30), 5
    ),
    "back in stock after a restock": lambda uow: uow.stock_watchers.take_waiting([1, 2], NOW),
    # and the screens that used to read the history
    "product card": lambda uow: uow.products.get(1),
    "orders to ship": lambda uow: uow.backoffice.orders(
        [OrderStatus.PAID, OrderStatus.CONFIRMED], Page(0, 10), oldest_first=True
    ),
    # /orders "after": the count and the pages read the partial index of the orders with
    # after-sales open; a page by key (Next, Prev, Back) from a listed order and from one that
    # left the list (order 1 has none open)
    "orders with after-sales open": lambda uow: uow.after_sales.orders_with_open(Page(0, 10)),
    "orders with after-sales open, next page": lambda uow: uow.after_sales.orders_with_open(
        Page(1, 10, Seek(OPEN_KEY, Toward.AFTER))
    ),
    "orders with after-sales open, previous page": lambda uow: uow.after_sales.orders_with_open(
        Page(1, 10, Seek(OPEN_KEY, Toward.BEFORE))
    ),
    "orders with after-sales open, from a closed one": (
        lambda uow: uow.after_sales.orders_with_open(Page(1, 10, Seek(1, Toward.FROM)))
    ),
}


@pytest.fixture
async def shop(db: Database) -> Database:
    """A few weeks of history, an outbox with sent and owed rows, two products running low,
    two finished broadcasts with their recipients, the HTTP API's keys and rate windows."""
    await seed_history(db, days=30, customers=40, seed=13, now=NOW, orders_per_day=12, products=6)
    async with db.uow() as uow:
        for n in range(40):
            chat = ADMIN_CHAT if n % 2 else 8_013_000_000 + n
            await uow.outbox.add(Notification(chat, "t"), NOW - timedelta(days=20, minutes=n))
        claimed = await uow.outbox.claim_due(NOW, 30, 60.0)
        for notification in claimed:
            assert notification.id is not None
            await uow.outbox.mark_sent(notification.id, NOW - timedelta(days=19))
        await uow.session.execute(
            update(ProductRow).where(ProductRow.id <= 2).values(stock=3, low_stock_threshold=5)
        )
        await uow.session.execute(  # a few orders with after-sales requests open
            update(OrderRow).where(OrderRow.id % 20 == 0).values(after_sales_open=1)
        )
        await uow.session.execute(  # two finished broadcasts, one due for the retention
            insert(BroadcastRow),
            [
                {
                    "audience": "all",
                    "text_html": "News",
                    "created_by": 1,
                    "created_at": NOW - timedelta(days=days),
                    "status": "done",
                    "finished_at": NOW - timedelta(days=days),
                }
                for days in (40, 5)
            ],
        )
        await uow.session.execute(
            insert(BroadcastRecipientRow),
            [
                {"broadcast_id": b, "customer_id": 8_013_000_000 + c, "outcome": "sent"}
                for b in (1, 2)
                for c in range(10)
            ],
        )
        for n in range(20):  # the HTTP API's records, half of them due for the retention
            at = NOW - timedelta(days=n % 2 * 2, minutes=n)
            await uow.idempotency.claim("webshop", f"key-{n}", "hash", at, at)
            await uow.api_rates.hit(f"key-{n}", at.replace(second=0, microsecond=0))
        await uow.commit()
    return db


@pytest.mark.parametrize("sweep", sorted(SWEEPS))
async def test_a_sweep_reads_no_history_table_in_full(shop: Database, sweep: str) -> None:
    with capture(shop.engine) as captured:
        async with shop.uow() as uow:  # rolled back: the plans are what matters
            await SWEEPS[sweep](uow)
    assert captured.statements, "the sweep sent no statement"

    # PostgreSQL prefers a sequential scan of a table this small; with it switched off, a
    # sequential scan left in the plan means no index could serve the statement.
    plans = await explain(shop.engine, captured, prelude=_no_seqscan(shop))

    read_in_full = [p for p in plans if p.full_scans]
    assert not read_in_full, "\n\n".join(
        " ".join(p.statement.split())[:300] + "\n" + "\n".join(p.lines) for p in read_in_full
    )


def _no_seqscan(db: Database) -> list[str]:
    return ["SET enable_seqscan = off"] if db.engine.dialect.name == "postgresql" else []
