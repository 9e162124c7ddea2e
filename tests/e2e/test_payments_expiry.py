"""Unpaid orders expire: a reminder at half time, then the order is cancelled, its stock
released and the customer told; its invoice can no longer be paid. Time is pinned."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from domain.shared.clock import FixedClock
from tests.e2e import helpers as db
from tests.e2e.payments_kit import (
    event_types,
    invoices,
    order_row,
    pay_world,
    place_order,
    pre_checkout,
    stock,
    sweep,
)

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


async def test_an_unpaid_order_is_reminded_once_then_cancelled_and_its_stock_released(
    tmp_path: Path,
) -> None:
    clock = FixedClock(T0)
    async with pay_world(tmp_path, clock=clock) as world:
        bot, alice = world.bot, world.alice
        number = await place_order(alice, "Pay by card")
        [invoice] = invoices(alice)
        assert await stock(bot, "TEA-GREEN-100") == (40, 2)

        clock.advance(minutes=14, seconds=59)
        assert (await sweep(bot)).reminded == 0
        clock.advance(seconds=1)
        stats = await sweep(bot)
        assert (stats.reminded, stats.expired) == (1, 0)
        reminder = alice.screen
        assert f"Order {number} is still waiting for payment ($41.00)" in reminder.text
        assert "within 15 minutes" in reminder.text
        assert reminder.buttons == [["💳 Pay now"]]
        clock.advance(minutes=5)
        assert (await sweep(bot)).reminded == 0, "one reminder per order"
        assert sum("still waiting" in t for t in alice.texts()) == 1

        clock.advance(minutes=9, seconds=59)  # 29:59 after placing
        assert (await sweep(bot)).expired == 0
        assert (await order_row(bot, number)).status == "pending_payment"
        clock.advance(seconds=1)
        assert (await sweep(bot)).expired == 1

        order = await order_row(bot, number)
        assert order.status == "cancelled"
        assert await stock(bot, "TEA-GREEN-100") == (40, 0)
        assert await stock(bot, "TEA-BLACK-100") == (30, 0)
        assert await event_types(bot, order.id) == ["placed", "payment_reminded", "expired"]
        told = alice.screen.text
        assert f"Order {number} ($41.00) was cancelled because it was not paid within 30" in told
        refused = await pre_checkout(alice, invoice)
        assert refused["ok"] is False
        assert f"Order {number} was not paid in time and has expired" in refused["error_message"]

        assert (await sweep(bot)).expired == 0, "a second sweep finds nothing"
        assert sum("was cancelled because" in t for t in alice.texts()) == 1
        await alice.say("/orders")
        detail = await alice.tap(number)
        assert "Status: cancelled" in detail.text and "not paid in time" in detail.text
        assert not any("Pay now" in b for row in detail.buttons for b in row)
        assert db.bad_requests(bot) == []


async def test_an_invoice_is_refused_once_its_time_is_up_even_before_the_sweep(
    tmp_path: Path,
) -> None:
    clock = FixedClock(T0)
    async with pay_world(tmp_path, clock=clock) as world:
        number = await place_order(world.alice, "Pay by card")
        [invoice] = invoices(world.alice)
        clock.advance(minutes=30)

        refused = await pre_checkout(world.alice, invoice)

        assert refused["ok"] is False and "has expired" in refused["error_message"]
        assert (await order_row(world.bot, number)).status == "pending_payment"
        await world.alice.say("/orders")
        detail = await world.alice.tap(number)
        await world.alice.tap("Pay now", detail)
        assert "has expired" in world.alice.answer["text"]
        assert len(invoices(world.alice)) == 1


async def test_cash_on_delivery_orders_never_expire(tmp_path: Path) -> None:
    clock = FixedClock(T0)
    async with pay_world(tmp_path, clock=clock) as world:
        number = await place_order(world.alice, "Cash on delivery")
        clock.advance(days=3)
        stats = await sweep(world.bot)
        assert (stats.reminded, stats.expired) == (0, 0)
        assert (await order_row(world.bot, number)).status == "confirmed"


async def test_the_reminder_time_and_timeout_are_settings(tmp_path: Path) -> None:
    clock = FixedClock(T0)
    settings = {"payment_timeout_minutes": 60, "payment_reminder_minutes": 0}
    async with pay_world(tmp_path, clock=clock, **settings) as world:
        number = await place_order(world.alice, "Pay by card")
        assert "within 60 minutes" in invoices(world.alice)[0].invoice["description"]
        clock.advance(minutes=59)
        assert (await sweep(world.bot)).reminded == 0, "PAYMENT_REMINDER_MINUTES=0: none"
        clock.advance(minutes=1)
        assert (await sweep(world.bot)).expired == 1
        assert (await order_row(world.bot, number)).status == "cancelled"
