"""Insight's SQL aggregates on SQLite and PostgreSQL, checked against the same figures computed
in Python from every row of a small generated history (the test may load it all; the
repository must not)."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.demo.history import seed_history
from domain.insight.report import Period
from domain.insight.service import Insight, UnknownProductError
from domain.shared.clock import FixedClock
from storage.db import Database
from storage.insight_sales import SALES_VALUES
from storage.tables.orders import OrderEventRow, OrderLineRow, OrderRow
from storage.tables.payments import RefundRow

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


async def _rows(db: Database) -> tuple[list, list, list, list]:
    async with db.uow(readonly=True) as uow:
        s = uow.session
        orders = (await s.execute(select(OrderRow.__table__))).all()
        lines = (await s.execute(select(OrderLineRow.__table__))).all()
        events = (await s.execute(select(OrderEventRow.__table__))).all()
        refunds = (await s.execute(select(RefundRow.__table__))).all()
    return list(orders), list(lines), list(events), list(refunds)


async def test_history_is_deterministic_and_written_once(db: Database) -> None:
    first = await seed_history(db, days=20, customers=10, seed=3, now=NOW, orders_per_day=5)
    again = await seed_history(db, days=20, customers=10, seed=3, now=NOW, orders_per_day=5)
    assert first.created and not again.created
    assert again.orders == first.orders > 50
    orders, lines, events, _ = await _rows(db)
    assert len(orders) == first.orders and len(lines) == first.lines
    assert len(events) == first.events
    statuses = Counter(o.status for o in orders)
    assert {"completed", "cancelled", "shipped"} <= set(statuses)


async def test_report_figures_match_the_rows(db: Database) -> None:
    await seed_history(db, days=60, customers=25, seed=5, now=NOW, orders_per_day=8, products=5)
    insight = Insight(db, FixedClock(NOW), ZoneInfo("UTC"))
    period = Period(date(2026, 5, 3), date(2026, 5, 16))
    report = await insight.report_of(period)
    start, end = period.bounds(UTC)
    orders, lines, _, refunds = await _rows(db)
    inside = [o for o in orders if start <= o.created_at < end]
    sales = [o for o in inside if o.status in SALES_VALUES]
    sale_ids = {o.id for o in sales}
    first_order = {}
    for o in sorted(orders, key=lambda o: o.created_at):
        first_order.setdefault(o.customer_id, o.created_at)
    buyers = {o.customer_id for o in sales}
    figures = report.current
    assert figures.orders == len(inside)
    assert figures.sales == len(sales)
    assert figures.cancelled == sum(o.status == "cancelled" for o in inside)
    assert figures.revenue_minor == sum(o.total_minor for o in sales)
    assert figures.units == sum(line.quantity for line in lines if line.order_id in sale_ids)
    assert figures.returning_customers == sum(first_order[c] < start for c in buyers)
    assert figures.new_customers == sum(first_order[c] >= start for c in buyers)
    inside_ids = {o.id for o in inside}
    assert figures.refunded == len({r.order_id for r in refunds if r.order_id in inside_ids})
    mix: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in sales:
        mix[o.payment_method][0] += 1
        mix[o.payment_method][1] += o.total_minor
    assert figures.payment_mix == {k: tuple(v) for k, v in mix.items()}
    assert sum(d.revenue_minor for d in report.daily) == figures.revenue_minor
    assert len(report.daily) == 14
    units_by_product: Counter[int] = Counter()
    for line in lines:
        if line.order_id in sale_ids:
            units_by_product[line.product_id] += line.quantity
    assert report.top_products[0].units == units_by_product[report.top_products[0].product_id]
    assert report.previous.orders == sum(
        period.previous().bounds(UTC)[0] <= o.created_at < start for o in orders
    )


async def test_customer_totals_and_stock_facts_match_the_rows(db: Database) -> None:
    await seed_history(db, days=40, customers=15, seed=9, now=NOW, orders_per_day=6, products=4)
    insight = Insight(db, FixedClock(NOW), ZoneInfo("Asia/Shanghai"))
    orders, lines, _, _ = await _rows(db)
    values, summary = await insight.customers()
    per_customer: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for o in orders:
        if o.status in SALES_VALUES:
            per_customer[o.customer_id][0] += 1
            per_customer[o.customer_id][1] += o.total_minor
    assert {v.totals.customer_id: [v.totals.orders, v.totals.revenue_minor] for v in values} == (
        dict(per_customer)
    )
    assert sum(s.customers for s in summary) == len(per_customer)

    plans = await insight.stock_plans()
    tz = ZoneInfo("Asia/Shanghai")
    last = NOW.astimezone(tz).date() - timedelta(days=1)
    window = Period(last - timedelta(days=27), last)
    start, end = window.bounds(tz)
    created = {o.id: o.created_at for o in orders if o.status in SALES_VALUES}
    daily: Counter[tuple[int, date]] = Counter()
    for line in lines:
        at = created.get(line.order_id)
        if at is not None and start <= at < end:
            daily[(line.product_id, at.astimezone(tz).date())] += line.quantity
    for plan in plans:
        mine = [u for (pid, _), u in daily.items() if pid == plan.product_id]
        assert plan.avg_daily * 28 == sum(mine)
        assert plan.max_daily == max(mine, default=0)


async def test_forecast_and_flow_from_the_history(db: Database) -> None:
    await seed_history(db, days=90, customers=20, seed=11, now=NOW, orders_per_day=10, products=3)
    insight = Insight(db, FixedClock(NOW), ZoneInfo("UTC"))
    product = await insight.forecast("hist-0001", horizon=7)
    assert product.sku == "HIST-0001" and len(product.forecast.values) == 7
    assert product.forecast.model is not None and product.forecast.baseline is not None
    revenue = await insight.forecast(None, horizon=7)
    assert revenue.forecast.total > 0
    try:
        await insight.forecast("NOPE")
    except UnknownProductError:
        pass
    else:  # pragma: no cover
        raise AssertionError("an unknown SKU must be refused")

    flow = await insight.efficiency(["week"])
    _, _, events, _ = await _rows(db)
    start, end = flow.period.bounds(UTC)
    shipped = {
        e.order_id for e in events if e.to_status == "shipped" and start <= e.created_at < end
    }
    arrived = {
        e.order_id
        for e in events
        if e.to_status in ("paid", "confirmed") and start <= e.created_at < end
    }
    assert flow.facts.shipped == len(shipped)
    assert flow.facts.arrivals == len(arrived)
    assert sum(n for _, n in flow.facts.paid_to_shipped) == len(shipped)
    assert flow.queue.stable and 0 < flow.queue.utilisation < 1


async def test_the_daily_summary_is_queued_once_and_reads_in_both_languages(db: Database) -> None:
    from datetime import time

    from bot.texts import Texts
    from domain.insight.summary import DAILY_TEMPLATE, Summaries
    from domain.shared.customers import Language
    from jobs.insight import DAILY_SUMMARY_JOB, SummaryJob
    from storage.tables.outbox import OutboxRow

    await seed_history(db, days=10, customers=8, seed=6, now=NOW, orders_per_day=5, products=2)
    clock = FixedClock(NOW.replace(hour=20, minute=0))
    insight = Insight(db, clock, ZoneInfo("UTC"))
    job = SummaryJob(DAILY_SUMMARY_JOB, Summaries(insight, db, -100), None, clock, time(21), "UTC")
    assert "not before" in str(await job.run_once())
    clock.advance(hours=1, minutes=5)
    assert "orders" in str(await job.run_once())
    await job.run_once()  # the same day again: the outbox keeps one
    async with db.uow(readonly=True) as uow:
        rows = (await uow.session.execute(select(OutboxRow.__table__))).all()
    assert [r.template for r in rows] == [DAILY_TEMPLATE]
    report = await insight.report_of(Period(date(2026, 5, 31), date(2026, 5, 31)))
    texts = Texts()
    en = texts(Language.EN, rows[0].template, **rows[0].params)
    zh = texts(Language.ZH, rows[0].template, **rows[0].params)
    assert f"orders {report.current.orders}" in en and "2026-05-31" in en
    assert f"订单 {report.current.orders}" in zh


async def test_the_weekly_summary_queues_its_text_and_chart_once_per_week(db: Database) -> None:
    """The chart goes through the outbox like the text: one row per week and chart, after the
    text, however often the job runs (no run log here: only the dedupe keys stop a second),
    and the sender's drawer turns the row into a PNG of that week in the reader's language."""
    from datetime import time

    from bot.insight.summary import SummaryCharts
    from bot.texts import Texts
    from domain.insight.summary import (
        CHART_PARAM,
        WEEKLY_CHART_TEMPLATE,
        WEEKLY_TEMPLATE,
        Summaries,
    )
    from domain.shared.customers import Language
    from domain.shared.notifications import Notification
    from jobs.insight import WEEKLY_SUMMARY_JOB, SummaryJob
    from storage.tables.outbox import OutboxRow

    await seed_history(db, days=15, customers=8, seed=7, now=NOW, orders_per_day=5, products=2)
    clock = FixedClock(NOW.replace(hour=21, minute=5))  # Monday 2026-06-01
    insight = Insight(db, clock, ZoneInfo("UTC"))
    summaries = Summaries(insight, db, -100)
    job = SummaryJob(WEEKLY_SUMMARY_JOB, summaries, None, clock, time(21), "UTC", weekday=0)
    for _ in range(3):  # a rerun, a crash and a restart: the same week each time
        assert "orders" in str(await job.run_once())
    async with db.uow(readonly=True) as uow:
        rows = (await uow.session.execute(select(OutboxRow.__table__).order_by(OutboxRow.id))).all()
    assert [r.template for r in rows] == [WEEKLY_TEMPLATE, WEEKLY_CHART_TEMPLATE]
    chart = rows[1]
    assert chart.params == {CHART_PARAM: "daily_sales", "first": "2026-05-25", "last": "2026-05-31"}
    assert chart.dedupe_key == "insight_weekly_chart:daily_sales:2026-05-31"
    texts = Texts()
    assert texts(Language.ZH, chart.template, **chart.params) == (
        "📈 每日销售额与订单数 2026-05-25 – 2026-05-31"
    )
    row = Notification(chat_id=-100, template=chart.template, params=dict(chart.params))
    png = await SummaryCharts(insight, texts)(row, Language.ZH)
    assert png.startswith(b"\x89PNG")
    clock.advance(days=1)  # Tuesday: not the weekly summary's day
    assert "weekday" in str(await job.run_once())


async def test_restock_requests_are_raised_once_and_received_into_stock(db: Database) -> None:
    import pytest

    from domain.insight.restock import RestockError, Restocks
    from domain.insight.restock_records import RestockStatus
    from storage.tables.catalog import InventoryLogRow, ProductRow

    await seed_history(db, days=40, customers=15, seed=12, now=NOW, orders_per_day=20, products=3)
    async with db.uow() as uow:  # the best seller runs low
        await uow.session.execute(
            ProductRow.__table__.update().where(ProductRow.sku == "HIST-0001").values(stock=3)
        )
        await uow.commit()
    clock = FixedClock(NOW)
    insight = Insight(db, clock, ZoneInfo("UTC"))
    restocks = Restocks(db, clock, admin_chat_id=-100)
    plans = await insight.stock_plans()
    due = [p for p in plans if p.due]
    assert [p.sku for p in due] == ["HIST-0001"]
    (first,) = await restocks.raise_due(plans)
    assert await restocks.raise_due(plans) == []  # once while it is active
    (request,) = await restocks.active()
    assert (request.quantity, request.status) == (due[0].suggested, RestockStatus.OPEN)

    await restocks.edit(first, 150, "  ask for the May price ", "admin:1")
    await restocks.approve(first, "admin:1")
    with pytest.raises(RestockError):
        await restocks.approve(first, "admin:1")  # already approved
    await restocks.receive(first, "admin:1")
    with pytest.raises(RestockError):
        await restocks.receive(first, "admin:1")  # a double tap adds the units once
    async with db.uow(readonly=True) as uow:
        product = (
            await uow.session.execute(select(ProductRow.stock).where(ProductRow.sku == "HIST-0001"))
        ).scalar_one()
        log_rows = (await uow.session.execute(select(InventoryLogRow.__table__))).all()
    assert product == 153
    assert [(r.delta, r.stock_after, r.reason) for r in log_rows] == [
        (150, 153, f"restock request #{first} received")
    ]
    assert await restocks.active() == []
    with pytest.raises(RestockError):
        await restocks.edit(first, 10, "", "admin:1")  # closed
    with pytest.raises(RestockError):
        await restocks.edit(999, 10, "", "admin:1")  # unknown


async def test_the_plans_reorder_points_are_stored_on_the_products(db: Database) -> None:
    from storage.tables.catalog import ProductRow

    await seed_history(db, days=40, customers=15, seed=12, now=NOW, orders_per_day=20, products=3)
    insight = Insight(db, FixedClock(NOW), ZoneInfo("UTC"))
    plans = await insight.stock_plans()
    assert plans and all(p.reorder_point > 0 for p in plans)
    await insight.remember_plans(plans)
    async with db.uow(readonly=True) as uow:
        stored = {
            row.id: (row.reorder_point, row.reorder_quantity)
            for row in (await uow.session.execute(select(ProductRow))).scalars()
        }
    assert {p.product_id: stored[p.product_id] for p in plans} == {
        p.product_id: (p.reorder_point, p.eoq) for p in plans
    }


async def test_eoq_demand_comes_from_the_forecast_and_stockplan_agrees_with_the_job(
    db: Database,
) -> None:
    """The restock job's plans (every product's forecast) and /stockplan's (only the listed
    products' forecasts, in a fresh process) have the same D, basis and EOQ; D is the
    forecast's mean day × 365."""
    from domain.insight.stock import DAYS_PER_YEAR
    from storage.tables.catalog import ProductRow

    await seed_history(db, days=60, customers=15, seed=12, now=NOW, orders_per_day=20, products=3)
    async with db.uow() as uow:  # the best seller runs low
        await uow.session.execute(
            ProductRow.__table__.update().where(ProductRow.sku == "HIST-0001").values(stock=3)
        )
        await uow.commit()
    clock = FixedClock(NOW)
    job = Insight(db, clock, ZoneInfo("UTC"))
    stored = await job.stock_plans()
    forecasts = await job.forecast_products()
    for plan in stored:
        values = forecasts[plan.product_id].values
        assert plan.demand_basis == forecasts[plan.product_id].method.value
        assert plan.annual_demand == sum(values) / len(values) * DAYS_PER_YEAR
    listed = await Insight(db, clock, ZoneInfo("UTC")).stock_plans(due_first=30)
    due = [p for p in listed if p.due]
    assert [p.sku for p in due] == ["HIST-0001"]
    (same,) = [p for p in stored if p.sku == "HIST-0001"]
    assert due[0] == same
    assert all(p.demand_basis == "history" for p in listed if not p.due)  # not fitted


async def test_find_finds_generated_orders_by_phone_and_by_name_word(db: Database) -> None:
    from bot.demo.history import CUSTOMER_ID_BASE, customer_phone
    from domain.privacy.service import Privacy

    await seed_history(db, days=10, customers=12, seed=5, now=NOW, orders_per_day=6)
    orders, _, _, _ = await _rows(db)
    assert orders
    customer = Counter(o.customer_id for o in orders).most_common(1)[0][0]
    index = customer - CUSTOMER_ID_BASE - 5 * 1_000_000
    theirs = sorted((o.id for o in orders if o.customer_id == customer), reverse=True)
    privacy = Privacy(db, FixedClock(NOW), page_size=100)

    phone = customer_phone(customer)  # "+86 139xxxxxxxx"; asked in another format
    by_phone = await privacy.find_orders(phone.replace(" ", "-").replace("+86-", ""), 0)
    assert [o.id for o in by_phone.items] == theirs
    assert {o.phone for o in by_phone.items} == {phone}, "decrypted, the customer's own"

    by_name = await privacy.find_orders(f"customer {index}", 0)
    assert [o.id for o in by_name.items] == theirs
    assert {o.recipient for o in by_name.items} == {f"Customer {index}"}
    async with db.uow(readonly=True) as uow:  # every generated order has its terms
        from storage.tables.orders import OrderSearchTermRow

        indexed = set(
            (await uow.session.scalars(select(OrderSearchTermRow.order_id).distinct())).all()
        )
    assert indexed == {o.id for o in orders}
