"""The merchant reads the business: a month report with its chart and CSV rows, customer
segments, a forecast beside its baseline, the reorder list and the order flow; bad input gets a
friendly reply and nothing else; a non-admin gets nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.demo.history import seed_history
from storage.db import Database
from storage.insight_sales import SALES_VALUES
from storage.tables.orders import OrderRow
from tests.e2e.admin_kit import Admin, World, admin_world

REFUSAL = "Only the shop's admins can do that."


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with admin_world(tmp_path) as running:
        db = Database(running.bot.database_url)
        try:
            await seed_history(
                db, days=70, customers=30, seed=4, now=datetime.now(UTC), orders_per_day=6
            )
        finally:
            await db.dispose()
        yield running


def _sent(admin: Admin, kind: str) -> list:
    return [m for m in admin.chat.bot_messages() if m.kind == kind]


def _text_with(admin: Admin, needle: str) -> str:
    """The newest text message containing `needle` (jobs may write to the chat meanwhile)."""
    found = [m.text for m in admin.chat.bot_messages() if m.kind == "text" and needle in m.text]
    assert found, f"no message with {needle!r}"
    return found[-1]


async def _orders_in_last_30_days(world: World) -> int:
    db = Database(world.bot.database_url)
    try:
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        async with db.uow(readonly=True) as uow:
            return int(
                await uow.session.scalar(
                    select(func.count()).where(
                        OrderRow.created_at >= today - timedelta(days=29),
                        OrderRow.currency == "USD",
                    )
                )
                or 0
            )
    finally:
        await db.dispose()


async def test_admin_reads_the_month_report_with_a_chart_and_its_rows(world: World) -> None:
    ann = world.ann
    await ann.say("/report month")
    # the text message comes first, then the chart and the CSV
    text = _text_with(ann, "Report")
    assert "Revenue" in text
    assert f"Orders: {await _orders_in_last_30_days(world)} " in text
    assert "Top products" in text and "Payment methods" in text
    photos, documents = _sent(ann, "photo"), _sent(ann, "document")
    assert len(photos) == 1 and len(documents) == 1
    data = world.bot.api.files[documents[0].document["file_id"]].data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(data)))
    days = [r for r in rows if r[0] == "day"]
    assert len(days) == 30
    db = Database(world.bot.database_url)
    try:
        async with db.uow(readonly=True) as uow:
            start = datetime.fromisoformat(days[0][1]).replace(tzinfo=UTC)
            revenue = await uow.session.scalar(
                select(func.sum(OrderRow.total_minor)).where(
                    OrderRow.created_at >= start, OrderRow.status.in_(SALES_VALUES)
                )
            )
    finally:
        await db.dispose()
    assert sum(int(r[3]) for r in days) == revenue


async def test_bad_periods_and_an_unknown_sku_get_a_clear_reply_and_nothing_else(
    world: World,
) -> None:
    ann = world.ann
    await ann.say("/report 2026-05-31 2026-05-01")
    _text_with(ann, "The first date is after the second")
    await ann.say("/report lately")
    assert "/report today, week, month" in _text_with(ann, "can't read that period")
    await ann.say("/efficiency 2026-02-30 2026-03-01")
    assert "/efficiency today, week, month" in _text_with(ann, "can't read that period")
    await ann.say("/forecast NO-SUCH-SKU")
    assert "NO-SUCH-SKU" in _text_with(ann, "No product has the SKU")
    assert not _sent(ann, "photo") and not _sent(ann, "document")


async def test_a_non_admin_gets_no_insight(world: World) -> None:
    eve = world.eve
    commands = ("/report month", "/customers", "/forecast", "/stockplan", "/restock", "/efficiency")
    for command in commands:
        await eve.say(command)
    refusals = [m for m in eve.chat.bot_messages() if m.kind == "text" and REFUSAL in m.text]
    assert len(refusals) == len(commands)
    assert not _sent(eve, "photo") and not _sent(eve, "document")


async def test_admin_sees_segments_forecast_reorders_and_flow(world: World) -> None:
    ann = world.ann.privately()
    exported = await ann.say("/customers")
    segments = _text_with(ann, "Customers by value")
    assert "Customers by value (RFM)" in segments and "Champions" in segments
    data = world.bot.api.files[exported.document["file_id"]].data.decode("utf-8-sig")
    header, *customers = list(csv.reader(io.StringIO(data)))
    assert header[:3] == ["customer_id", "name", "segment"] and len(customers) >= 20
    names = {"champions": "Champions", "loyal": "Loyal", "new": "New", "at_risk": "At risk"}
    names |= {"lost": "Lost", "promising": "Promising"}
    sizes = {key: sum(1 for row in customers if row[2] == key) for key in names}
    largest = max(sizes, key=lambda key: sizes[key])
    assert sizes[largest] > 6, sizes  # PAGE_SIZE is 6: this segment has a second page
    label = names[largest]
    page = await ann.tap(f"{label} ({sizes[largest]})", ann.find(f"{label} ("))
    assert f"{label}: {sizes[largest]} customers" in page.text
    assert page.text.count(" · R") == 6
    second = await ann.tap("▶", page)
    assert second.message_id == page.message_id  # edited in place
    assert second.text.count(" · R") == min(sizes[largest] - 6, 6)
    back = await ann.tap("Segments", page)
    assert "Customers by value (RFM)" in back.text

    chart = await ann.say("/forecast")
    assert chart.kind == "photo"
    revenue = _text_with(ann, "Forecast: shop revenue")
    assert "Forecast: shop revenue" in revenue and "seasonal naive: MAE" in revenue

    plan = await ann.say("/stockplan")
    assert "reorder point" in plan.text.lower()

    flow = await ann.say("/efficiency week")
    assert "ρ = λ/μ" in flow.text and "placed → paid" in flow.text


async def test_a_chinese_admin_chat_gets_the_report_in_chinese(tmp_path: Path) -> None:
    async with admin_world(tmp_path, admin_language="zh") as running:
        db = Database(running.bot.database_url)
        try:
            await seed_history(db, days=20, customers=10, seed=2, now=datetime.now(UTC))
        finally:
            await db.dispose()
        ann = running.ann
        await ann.say("/report week")
        text = _text_with(ann, "报表")
        assert "报表" in text and "销售额" in text and "客单价" in text
        assert _sent(ann, "photo")[0].caption == "每日销售额与订单数"
        await ann.say("/report 2026-05-31 2026-05-01")
        _text_with(ann, "起始日期晚于结束日期")


async def test_admin_sets_a_products_lead_times_and_costs(world: World) -> None:
    from storage.tables.catalog import ProductRow
    from tests.e2e import helpers as db

    ann = world.ann.privately()

    async def green() -> ProductRow:
        (row,) = [r for r in await db.rows(world.bot, ProductRow) if r.sku == "TEA-GREEN-100"]
        return row

    saved = await ann.say("/supply tea-green-100 5 10 25.00 4.50")
    assert saved.text.startswith("✅ TEA-GREEN-100: lead time 5–10 days → safety stock")
    row = await green()
    assert (row.lead_time_days, row.lead_time_max_days) == (5.0, 10.0)
    assert (row.order_cost_minor, row.holding_cost_minor) == (2500, 450)

    for bad in ("/supply TEA-GREEN-100 10 5", "/supply TEA-GREEN-100 x 5", "/supply TEA-GREEN-100"):
        answer = await ann.say(bad)
        assert "/supply SKU LEAD MAX" in answer.text, bad
    unknown = await ann.say("/supply NOPE 1 2")
    assert "No product has the SKU" in unknown.text
    after = await green()  # the refused commands changed nothing
    assert (after.lead_time_days, after.lead_time_max_days) == (5.0, 10.0)
    assert (after.order_cost_minor, after.holding_cost_minor) == (2500, 450)


async def test_a_products_forecast_is_fitted_off_the_event_loop_and_answered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio
    import threading

    import domain.insight.service as service
    from domain.insight.forecast import Method

    loop_thread = threading.get_ident()
    fits: list[tuple[int, Method]] = []
    fit = service.forecast_series

    def recorded(history, horizon, **options):  # type: ignore[no-untyped-def]
        result = fit(history, horizon, **options)
        fits.append((threading.get_ident(), result.method))
        return result

    monkeypatch.setattr(service, "forecast_series", recorded)
    ticks = 0

    async def tick() -> None:  # the loop keeps running while the fit works
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    async with admin_world(tmp_path, forecast_history_days=84) as world:
        db = Database(world.bot.database_url)
        try:  # a product that sells every day: its series gets Holt-Winters
            await seed_history(
                db, days=90, customers=40, seed=9, now=datetime.now(UTC), orders_per_day=60
            )
        finally:
            await db.dispose()
        ann = world.ann.privately()
        ticker = asyncio.create_task(tick())
        try:
            chart = await ann.say("/forecast TEA-GREEN-100")
            text = _text_with(ann, "Forecast: ")
        finally:
            ticker.cancel()
    assert chart.kind == "photo"
    assert "Longjing" in text and "Holt-Winters" in text and "seasonal naive: MAE" in text
    # the restock job fits every product's demand too (the EOQ's D): all of it off the loop
    assert Method.HOLT_WINTERS in [method for _, method in fits], fits
    assert all(thread != loop_thread for thread, _ in fits), "a fit ran on the event loop"
    assert ticks > 0
