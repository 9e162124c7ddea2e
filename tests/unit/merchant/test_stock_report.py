"""The daily low-stock report: the suggested restock, once a day after its time, and the
guarded, recorded job runs it relies on."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from domain.merchant.stock_report import LowStockReport, suggest_restock
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order, OrderLine, PaymentMethod
from domain.shared.clock import FixedClock
from domain.shared.money import Money
from jobs.merchant import LOW_STOCK_JOB, DailyLowStock
from jobs.runs import GuardedRun, Skipped
from tests.unit.fakes import FakeUnitOfWorkFactory

ADMINS = -100200


@pytest.mark.parametrize(
    ("available", "threshold", "sold", "cover", "expected"),
    [
        (2, 5, 90, 14, 42 + 5 - 2),  # 3 a day for 14 days, plus the threshold
        (0, 5, 0, 14, 10),  # nothing sold: back to twice the threshold
        (5, 5, 0, 14, 5),
        (4, 5, 31, 14, 16),  # 31/30 a day × 14 = 14.47 → 15, + 5 − 4
        (1, 1, 0, 0, 1),  # at least one
    ],
)
def test_the_suggested_restock_covers_expected_sales_and_clears_the_threshold(
    available: int, threshold: int, sold: int, cover: int, expected: int
) -> None:
    assert suggest_restock(available, threshold, sold, cover) == expected


def seed(uow: FakeUnitOfWorkFactory, clock: FixedClock) -> None:
    store = uow.store
    low = store.add_product("Longjing", Money(1000, "USD"), stock=3, sku="TEA-1")
    ok = store.add_product("Keemun", Money(1000, "USD"), stock=50, sku="TEA-2")
    off = store.add_product("Old tea", Money(1000, "USD"), stock=0, sku="TEA-3", active=False)
    store.products[low.id].low_stock_threshold = 5
    store.products[ok.id].low_stock_threshold = 5
    store.products[off.id].low_stock_threshold = 5
    for days_ago, qty, status in (
        (3, 10, OrderStatus.PAID),
        (40, 99, OrderStatus.PAID),
        (1, 7, OrderStatus.CANCELLED),
    ):
        order_id = store.new_id()
        store.orders[order_id] = Order(
            number=f"SOLD-{order_id:04d}",
            customer_id=1,
            status=status,
            currency="USD",
            lines=[OrderLine(low.id, low.sku, low.name, Money(1000, "USD"), qty)],
            shipping=Money(0, "USD"),
            payment_method=PaymentMethod.CASH_ON_DELIVERY,
            recipient="A",
            phone="+1",
            address_text="x",
            created_at=clock.now() - timedelta(days=days_ago),
            id=order_id,
        )


async def test_the_report_lists_low_products_with_their_sales_and_a_suggestion() -> None:
    clock, uow = FixedClock(), FakeUnitOfWorkFactory()
    seed(uow, clock)
    report = LowStockReport(uow, clock, ADMINS, cover_days=30)
    [line] = await report.lines()
    assert (line.product.sku, line.sold_30_days) == ("TEA-1", 10), "30 days, not cancelled"
    assert line.suggested == 10 + 5 - 3

    assert await report.queue("2026-01-01") == 1
    assert await report.queue("2026-01-01") == 1
    [entry] = uow.store.outbox.values()
    note = entry.notification
    assert (note.chat_id, note.template, note.dedupe_key) == (
        ADMINS,
        "jobs.low_stock.report",
        "low_stock_report:2026-01-01",
    )
    assert note.params["items"][0]["suggested"] == 12
    await report.queue("2026-01-02")
    assert len(uow.store.outbox) == 2, "one report per day"


async def test_the_sales_window_is_whole_utc_days_and_each_line_says_from_when() -> None:
    clock, uow = FixedClock(), FakeUnitOfWorkFactory()  # 2026-01-01 12:00 UTC
    seed(uow, clock)
    store = uow.store
    [low] = [p for p in store.products.values() if p.sku == "TEA-1"]
    for at, qty in (
        (datetime(2025, 12, 2, 6, 0, tzinfo=UTC), 100),  # 30 days and 6 hours ago: counted
        (datetime(2025, 12, 1, 23, 59, tzinfo=UTC), 1000),  # the day before: not
    ):
        order_id = store.new_id()
        store.orders[order_id] = Order(
            number=f"EDGE-{order_id:04d}",
            customer_id=1,
            status=OrderStatus.PAID,
            currency="USD",
            lines=[OrderLine(low.id, low.sku, low.name, Money(1000, "USD"), qty)],
            shipping=Money(0, "USD"),
            payment_method=PaymentMethod.CASH_ON_DELIVERY,
            recipient="A",
            phone="+1",
            address_text="x",
            created_at=at,
            id=order_id,
        )
    report = LowStockReport(uow, clock, ADMINS, cover_days=30)
    [line] = await report.lines()
    assert (line.sold_30_days, line.since) == (110, datetime(2025, 12, 2, tzinfo=UTC))
    await report.queue("2026-01-01")
    [entry] = uow.store.outbox.values()
    params = entry.notification.params
    assert params["item_template"] == "jobs.low_stock.line"
    assert (params["items"][0]["sold"], params["items"][0]["since"]) == (110, "2025-12-02")


async def test_a_product_at_its_reorder_point_is_reported_with_the_plans_quantity() -> None:
    clock, uow = FixedClock(), FakeUnitOfWorkFactory()
    seed(uow, clock)
    store = uow.store
    at_rop = store.add_product("Pu-erh", Money(1000, "USD"), stock=7, sku="TEA-4")
    short = store.add_product("Oolong", Money(1000, "USD"), stock=10, sku="TEA-5")
    above = store.add_product("Jasmine", Money(1000, "USD"), stock=9, sku="TEA-6")
    for product, rop, eoq in ((at_rop, 7, 20), (short, 30, 5), (above, 8, 20)):
        store.products[product.id].low_stock_threshold = 2  # far below: only the ROP counts
        store.products[product.id].reorder_point = rop
        store.products[product.id].reorder_quantity = eoq
    report = LowStockReport(uow, clock, ADMINS, cover_days=30)
    lines = {line.product.sku: line.suggested for line in await report.lines()}
    # TEA-4: max(EOQ 20, 7 − 7 + 1, 1) = 20; TEA-5: max(5, 30 − 10 + 1, 1) = 21 (clears the
    # ROP); TEA-6 (9 > ROP 8) is not low; TEA-1 has no plan: the 30-day rule, 10 + 5 − 3 = 12
    assert lines == {"TEA-5": 21, "TEA-1": 12, "TEA-4": 20}
    await report.queue("2026-01-01")
    [entry] = uow.store.outbox.values()
    items = {i["sku"]: (i["threshold"], i["suggested"]) for i in entry.notification.params["items"]}
    assert items == {"TEA-5": (30, 21), "TEA-1": (5, 12), "TEA-4": (7, 20)}


async def test_without_an_admin_chat_nothing_is_queued() -> None:
    clock, uow = FixedClock(), FakeUnitOfWorkFactory()
    seed(uow, clock)
    assert await LowStockReport(uow, clock, None).queue("2026-01-01") == 0
    assert uow.store.outbox == {}


class Runs:
    """An in-memory run log."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    async def record(
        self,
        job: str,
        runner: str,
        started_at: datetime,
        finished_at: datetime,
        duration_ms: int,
        ok: bool,
        summary: str,
    ) -> None:
        self.rows.append({"job": job, "started_at": started_at, "ok": ok, "summary": summary})

    async def last_ok_start(self, job: str) -> datetime | None:
        return max(
            (r["started_at"] for r in self.rows if r["job"] == job and r["ok"]), default=None
        )

    async def latest(self) -> dict[str, Any]:
        return {r["job"]: r for r in self.rows}


class Lock:
    def __init__(self, free: bool = True) -> None:
        self.free = free
        self.held: list[str] = []

    @contextlib.asynccontextmanager
    async def hold(self, job: str) -> AsyncIterator[bool]:
        self.held.append(job)
        yield self.free


async def test_the_daily_report_goes_once_a_day_after_its_time_in_the_shops_zone() -> None:
    # 08:30 in Shanghai is 00:30 UTC.
    clock = FixedClock(datetime(2026, 3, 2, 0, 30, tzinfo=UTC))
    uow = FakeUnitOfWorkFactory()
    seed(uow, clock)
    runs = Runs()
    daily = DailyLowStock(
        LowStockReport(uow, clock, ADMINS), runs, clock, time(9, 0), "Asia/Shanghai"
    )
    job = GuardedRun(LOW_STOCK_JOB, daily.run_once, runs=runs, clock=clock, lock=Lock())

    assert isinstance(await job(), Skipped)
    assert runs.rows == [], "a run with nothing due is not recorded"
    clock.advance(minutes=30)  # 09:00 local
    assert await job() == "1 products low on 2026-03-02"
    clock.advance(minutes=10)
    assert isinstance(await job(), Skipped), "already reported today"
    assert len(uow.store.outbox) == 1
    clock.advance(days=1)
    await job()
    assert [e.notification.dedupe_key for e in uow.store.outbox.values()] == [
        "low_stock_report:2026-03-02",
        "low_stock_report:2026-03-03",
    ]


async def test_a_bot_that_was_down_at_report_time_reports_when_it_is_back() -> None:
    clock = FixedClock(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    uow = FakeUnitOfWorkFactory()
    seed(uow, clock)
    runs = Runs()
    daily = DailyLowStock(LowStockReport(uow, clock, ADMINS), runs, clock, time(9, 0), "UTC")
    assert await daily.run_once() == "1 products low on 2026-03-02"


async def test_a_job_another_runner_holds_is_skipped_and_not_recorded() -> None:
    calls: list[int] = []

    async def run() -> str:
        calls.append(1)
        return "did it"

    runs = Runs()
    busy = GuardedRun("outbox", run, runs=runs, lock=Lock(free=False))
    assert isinstance(await busy(), Skipped)
    assert calls == [] and runs.rows == []
    free = GuardedRun("outbox", run, runs=runs, lock=Lock())
    assert await free() == "did it"
    assert [(r["job"], r["ok"], r["summary"]) for r in runs.rows] == [("outbox", True, "did it")]


async def test_a_failing_job_is_recorded_as_failed_and_does_not_raise() -> None:
    async def run() -> None:
        raise ValueError("the carrier is down")

    runs = Runs()
    await GuardedRun("tracking", run, runs=runs)()
    [row] = runs.rows
    assert (row["ok"], row["summary"]) == (False, "ValueError: the carrier is down")
