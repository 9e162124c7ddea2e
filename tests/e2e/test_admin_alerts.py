"""The merchant hears of every change nobody in the admin chat made (issue 15, item 12): an
unpaid order cancelled at its payment deadline, an order delivered by the carrier's tracking,
an order completed by the customer's "Received" or by itself. One short alert each, with an
Open button, sent once whatever is replayed, rerun or restarted; what an admin did is not
alerted back to them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.botapi.sim import SimMessage
from domain.orders.lifecycle import OrderStatus
from domain.shared.clock import FixedClock
from tests.carrier.fake_aftership import FakeAfterShip
from tests.e2e import helpers as db
from tests.e2e.admin_kit import order_row, place_order
from tests.e2e.harness import ADMIN_CHAT, BotUnderTest
from tests.e2e.jobs_kit import SLUG, TRACKING, jobs_world, run_job, ship
from tests.e2e.payments_kit import pay_world, sweep
from tests.e2e.payments_kit import place_order as place_paid_order

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def carrier() -> AsyncIterator[FakeAfterShip]:
    fake = await FakeAfterShip().start()
    try:
        yield fake
    finally:
        await fake.stop()


def alerts(bot: BotUnderTest, text: str) -> list[SimMessage]:
    """The admin chat's bot messages containing `text`."""
    return [m for m in bot.api.chat(ADMIN_CHAT).bot_messages() if text in (m.text or "")]


def is_short_with_open(message: SimMessage) -> bool:
    return len((message.text or "").splitlines()) <= 2 and message.buttons == [["🔎 Open order"]]


async def test_an_order_cancelled_at_its_payment_deadline_is_alerted_once(
    tmp_path: Path, engine: dict[str, Any]
) -> None:
    clock = FixedClock(T0)
    async with pay_world(tmp_path, clock=clock, **engine) as world:
        bot = world.bot
        number = await place_paid_order(world.alice, "Pay by card")
        clock.advance(minutes=30)
        assert (await sweep(bot)).expired == 1
        assert (await order_row(bot, number)).status == OrderStatus.CANCELLED

        [alert] = alerts(bot, f"Order {number} ($41.00 · Alice (@alice)) was cancelled")
        assert "not paid in time" in alert.text and "back on sale" in alert.text
        assert is_short_with_open(alert)

        clock.advance(minutes=5)
        await sweep(bot)  # the sweep runs again: nothing new
        await bot.restart()  # a new process
        await sweep(bot)
        await bot.outbox_drained()
        assert len(alerts(bot, f"Order {number} ($41.00")) == 1
        rows = [r for r in await db.outbox(bot) if r.template == "admin.order_expired"]
        assert len(rows) == 1
        assert db.bad_requests(bot) == []


async def test_delivery_by_tracking_and_the_customers_received_are_alerted_once_each(
    tmp_path: Path, carrier: FakeAfterShip, engine: dict[str, Any]
) -> None:
    clock = FixedClock(datetime.now(UTC))
    async with jobs_world(tmp_path, clock=clock, carrier=carrier, **engine) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        number = await place_order(alice)
        await ship(ann, number)
        carrier.checkpoint(SLUG, TRACKING, "Delivered", "Signed for by the customer", "Hangzhou")
        await run_job(bot, "tracking")
        clock.advance(minutes=30)
        await run_job(bot, "tracking")

        [delivered] = alerts(bot, f"Order {number} ($41.00 · Alice (@alice)) was delivered")
        assert "the carrier's tracking says so" in delivered.text
        assert is_short_with_open(delivered)
        card = await ann.tap("Open order", delivered)
        assert f"Order {number}" in card.text and "— delivered" in card.text

        notice = alice.find("Received")
        update = await alice.sim.tap(notice, "Received", exact=False)
        await bot.processed(update)
        await bot.deliver_again(update)  # Telegram delivers the tap twice
        await bot.outbox_drained()
        assert (await order_row(bot, number)).status == OrderStatus.COMPLETED
        [completed] = alerts(bot, f"Order {number} ($41.00 · Alice (@alice)) is complete")
        assert "the customer confirmed it" in completed.text
        assert is_short_with_open(completed)
        assert len(alerts(bot, "was delivered")) == 1
        # The replayed tap's answer is refused as too old, as Telegram would; nothing else.
        assert [r for r in db.bad_requests(bot) if "query is too old" not in r] == []


async def test_what_an_admin_did_is_not_alerted_and_auto_completion_is(
    tmp_path: Path, engine: dict[str, Any]
) -> None:
    clock = FixedClock(datetime.now(UTC))
    async with jobs_world(tmp_path, clock=clock, auto_complete_days=7, **engine) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        number = await place_order(alice)
        await ship(ann, number)
        await ann.say(f"/track {number} delivered")
        await bot.outbox_drained()
        assert alerts(bot, "was delivered") == [], "Ann did it herself"

        clock.advance(days=7, minutes=1)
        await run_job(bot, "auto_complete")
        await run_job(bot, "auto_complete")
        assert (await order_row(bot, number)).status == OrderStatus.COMPLETED
        [completed] = alerts(bot, f"Order {number} ($41.00 · Alice (@alice)) is complete")
        assert "automatically" in completed.text and is_short_with_open(completed)
        assert db.bad_requests(bot) == []


async def test_the_new_order_alert_is_short_and_opens_the_card(tmp_path: Path) -> None:
    async with jobs_world(tmp_path) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        number = await place_order(alice)
        await bot.outbox_drained()
        [alert] = alerts(bot, f"New order {number}")
        assert alert.text.splitlines()[0] == (
            f"🆕 New order {number} — $41.00 · Alice (@alice) · 💵 Cash on delivery"
        )
        assert len(alert.text.splitlines()) == 3, "one line per item, the address is on the card"
        card = await ann.tap("Open order", alert)
        assert "1 Main Street" in card.text
