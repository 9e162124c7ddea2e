"""The daily low-stock report end to end: the real bot starts on a shop with 40 days of orders
and a product run low, the job runs (every job's first run is due at start), and the admin chat
receives the day's report, whose line says how many units sold since which UTC day (the daily
sales rollup, whole UTC days: jobs/merchant.py, domain/merchant/stock_report.py). A second run
the same day sends nothing; the next day's run sends the next day's report. On SQLite and on
PostgreSQL (the `engine` fixture; skipped without TEST_DATABASE_URL)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.demo.history import seed_history
from domain.orders.lifecycle import OrderStatus
from domain.shared.clock import FixedClock
from jobs.merchant import LOW_STOCK_JOB
from jobs.runs import Skipped
from storage.db import Database
from storage.tables.catalog import ProductRow
from storage.tables.orders import OrderLineRow, OrderRow
from tests.e2e import helpers as db
from tests.e2e.harness import BotUnderTest
from tests.e2e.jobs_kit import jobs_world

SKU = "TEA-GREEN-100"
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)  # the report is due at 09:00 (UTC)
SINCE = datetime(2026, 2, 8, tzinfo=UTC)  # the UTC midnight on or before 30 days before NOW


async def _history_and_little_green_tea(database: Database) -> None:
    """40 days of orders ending at NOW, then the green tea down to 2 units, its alert at 5."""
    await seed_history(database, days=40, customers=20, seed=8, now=NOW, orders_per_day=10)
    async with database.uow() as uow:
        await uow.session.execute(
            ProductRow.__table__.update()
            .where(ProductRow.sku == SKU)
            .values(stock=2, reserved=0, low_stock_threshold=5)
        )
        await uow.commit()


async def _units_sold(bot: BotUnderTest, since: datetime | None) -> int:
    """The green tea's units in orders placed since `since` and not cancelled, counted from
    the orders themselves (not the rollup the report reads)."""
    async with db.db_of(bot).uow(readonly=True) as uow:
        query = (
            select(func.coalesce(func.sum(OrderLineRow.quantity), 0))
            .join(OrderRow, OrderRow.id == OrderLineRow.order_id)
            .join(ProductRow, ProductRow.id == OrderLineRow.product_id)
            .where(ProductRow.sku == SKU, OrderRow.status != OrderStatus.CANCELLED.value)
        )
        if since is not None:
            query = query.where(OrderRow.created_at >= since)
        return int(await uow.session.scalar(query) or 0)


async def _run_now(bot: BotUnderTest) -> object:
    """Run the job now, as its timer would; when the timer's own run holds the job, after it."""
    assert bot.app is not None
    for _ in range(100):
        result = await bot.app.bot_data.jobs.run(LOW_STOCK_JOB)
        if not (isinstance(result, Skipped) and "another runner" in result.reason):
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("the job stayed busy for 5 s")


def _reports(texts: list[str], day: str) -> list[str]:
    return [t for t in texts if f"Low stock — {day}" in t]


async def test_the_admin_chat_receives_the_days_low_stock_report_once(
    tmp_path: Path, engine: dict[str, Any]
) -> None:
    clock = FixedClock(NOW)
    async with jobs_world(
        tmp_path,
        clock=clock,
        before_start=_history_and_little_green_tea,
        low_stock_report_at="09:00",
        **engine,
    ) as world:
        bot, ann = world.bot, world.ann
        assert bot.app is not None
        # The job's run at start queues the report; wait for it to reach the admin chat.
        for _ in range(200):
            await bot.outbox_drained()
            if _reports(ann.texts(), "2026-03-10"):
                break
            await asyncio.sleep(0.05)
        [report] = _reports(ann.texts(), "2026-03-10")
        sold = await _units_sold(bot, SINCE)
        assert 0 < sold < await _units_sold(bot, None), "the history reaches past the window"
        line = next(x for x in report.splitlines() if SKU in x)
        assert line.startswith("• Longjing") and "2 left" in line, line
        assert f"sold {sold} since 2026-02-08 (UTC) → order" in line, line

        # A second run the same day: nothing more is sent.
        again = await _run_now(bot)
        assert isinstance(again, Skipped) and "already reported today" in again.reason
        await bot.outbox_drained()
        assert len(_reports(ann.texts(), "2026-03-10")) == 1

        # The next morning, after 09:00: the next day's report, the window a day later.
        clock.advance(days=1)
        assert not isinstance(await _run_now(bot), Skipped)
        await bot.outbox_drained()
        [next_day] = _reports(ann.texts(), "2026-03-11")
        line = next(x for x in next_day.splitlines() if SKU in x)
        sold = await _units_sold(bot, datetime(2026, 2, 9, tzinfo=UTC))
        assert f"sold {sold} since 2026-02-09 (UTC)" in line, line
        assert db.bad_requests(bot) == []
