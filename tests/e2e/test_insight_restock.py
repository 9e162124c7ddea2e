"""Restock requests: a product at its reorder point gets one request (the job), the merchant
edits, approves and receives it from /restock, and the units go into stock through the
inventory log; a second tap on a closed request changes nothing.

The shop's order history is written before the bot starts, as a running shop has it: the
restock job runs at start, and Insight keeps the day's demand forecasts (the history ends with
yesterday), so a history written into the running bot after that first run had read the shop
was never forecast that day (/stockplan said "the last sales window's pace")."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.demo.history import seed_history
from storage.db import Database
from storage.tables.catalog import InventoryLogRow, ProductRow
from storage.tables.insight import RestockRequestRow
from tests.e2e import helpers as db
from tests.e2e.jobs_kit import jobs_world

SKU = "TEA-GREEN-100"


async def _product(bot) -> ProductRow:  # type: ignore[no-untyped-def]
    (row,) = [r for r in await db.rows(bot, ProductRow) if r.sku == SKU]
    return row


async def _history(database: Database) -> None:
    """40 days of orders, 25 a day, in the shop's database (before the bot starts)."""
    await seed_history(
        database, days=40, customers=20, seed=8, now=datetime.now(UTC), orders_per_day=25
    )


async def _history_and_little_green_tea(database: Database) -> None:
    await _history(database)
    async with database.uow() as uow:  # the green tea runs low
        await uow.session.execute(
            ProductRow.__table__.update().where(ProductRow.sku == SKU).values(stock=2)
        )
        await uow.commit()


async def test_admin_receives_a_restock_request_into_stock(
    tmp_path: Path, engine: dict[str, Any]
) -> None:
    async with jobs_world(tmp_path, before_start=_history_and_little_green_tea, **engine) as world:
        bot, ann = world.bot, world.ann
        # the job's run at start may be under way right now: run it until a run has raised
        # the requests (either run raises them, once)
        assert bot.app is not None
        for _ in range(100):
            await bot.app.bot_data.jobs.run("insight_restock")
            if await db.rows(bot, RestockRequestRow):
                break
            await asyncio.sleep(0.05)
        await bot.outbox_drained()
        raised = [t for t in ann.texts() if "Restock requests raised" in t]
        assert len(raised) == 1 and SKU in raised[0]
        green_id = (await _product(bot)).id
        (green,) = [r for r in await db.rows(bot, RestockRequestRow) if r.product_id == green_id]
        count = len(await db.rows(bot, RestockRequestRow))
        await bot.app.bot_data.jobs.run("insight_restock")
        assert len(await db.rows(bot, RestockRequestRow)) == count  # once while active

        edited = await ann.say(f"/restock {green.id} 200 call Mr Li")
        assert "200</b> units" in (edited.html or edited.text) or "200 units" in edited.text
        assert "call Mr Li" in edited.text
        approved = await ann.tap(f"#{green.id} Approve")
        assert "approved, waiting for the goods" in approved.text
        received = await ann.tap(f"#{green.id} Received")
        assert ann.answer["text"] == "Received: stock +200."
        assert f"#{green.id} " not in received.text  # closed: off the list, edited in place
        assert (await _product(bot)).stock == 202
        logged = [r for r in await db.rows(bot, InventoryLogRow) if r.reason.startswith("restock")]
        assert [(r.delta, r.stock_after) for r in logged] == [(200, 202)]

        refused = await ann.say(f"/restock {green.id} 10")
        assert "can't take that step" in refused.text
        garbage = await ann.say("/restock ten")
        assert "/restock ID QUANTITY" in garbage.text
        assert (await _product(bot)).stock == 202
        assert db.bad_requests(bot) == []


async def test_a_product_at_its_reorder_point_above_its_threshold_is_reported(
    tmp_path: Path, engine: dict[str, Any]
) -> None:
    async with jobs_world(tmp_path, before_start=_history, **engine) as world:
        bot, ann = world.bot, world.ann
        assert bot.app is not None
        # the restock check stores the reorder points (its run at start may hold the job's
        # lock: run it until a run has stored them)
        for _ in range(100):
            await bot.app.bot_data.jobs.run("insight_restock")
            product = await _product(bot)
            if product.reorder_point is not None:
                break
            await asyncio.sleep(0.05)
        rop, threshold = product.reorder_point, product.low_stock_threshold
        assert rop is not None and rop > threshold + 1, (rop, threshold)
        # available exactly at the reorder point, well above the alert threshold
        await db.set_product(bot, SKU, stock=product.reserved + rop)
        listed = await bot.app.bot_data.low_stock.queue("2099-01-01")
        assert listed >= 1
        await bot.outbox_drained()
        [report] = [t for t in ann.texts() if "Low stock — 2099-01-01" in t]
        line = next(x for x in report.splitlines() if SKU in x)
        assert f"{rop} left, alert at {rop}" in line
        assert f"order {max(product.reorder_quantity or 0, 1)}" in line
        # /stockplan suggests the EOQ the job stored, and says its D came from the forecast
        plan = (await ann.say("/stockplan")).text
        lines = plan.splitlines()
        at = next(i for i, x in enumerate(lines) if SKU in x)
        assert f"→ order {product.reorder_quantity}" in lines[at], plan
        assert "EOQ from annual demand D =" in lines[at + 1], plan
        assert "a year: forecast, " in lines[at + 1], plan
        assert db.bad_requests(bot) == []
