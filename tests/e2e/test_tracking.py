"""Tracking and completion as the customer and the merchant see them: checkpoints pushed once
each, delivery, "✅ Received", completion by itself after AUTO_COMPLETE_DAYS, the merchant's
/track and /jobs, and a tracking API that misbehaves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from domain.orders.lifecycle import OrderStatus
from domain.shared.clock import FixedClock
from storage.tables.orders import OrderRow
from tests.carrier.fake_aftership import FakeAfterShip
from tests.e2e import helpers as db
from tests.e2e.admin_kit import ANN, order_row, place_order
from tests.e2e.jobs_kit import (
    SLUG,
    TRACKING,
    checkpoints,
    count,
    jobs_world,
    run_job,
    ship,
    tracking_state,
)


@pytest.fixture
async def carrier() -> AsyncIterator[FakeAfterShip]:
    fake = await FakeAfterShip().start()
    try:
        yield fake
    finally:
        await fake.stop()


async def test_the_customer_follows_the_parcel_to_the_door_and_confirms_receipt(
    tmp_path: Path, carrier: FakeAfterShip, engine: dict[str, Any]
) -> None:
    clock = FixedClock(datetime.now(UTC))
    carrier.checkpoint(SLUG, TRACKING, "InfoReceived", "Shipment information received", "Shenzhen")
    async with jobs_world(tmp_path, clock=clock, carrier=carrier, **engine) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        number = await place_order(alice)
        await ship(ann, number)

        await run_job(bot, "tracking")
        assert count(alice, f"Order {number}: info received") == 1

        carrier.checkpoint(SLUG, TRACKING, "InTransit", "Departed facility", "Shenzhen hub")
        carrier.checkpoint(SLUG, TRACKING, "OutForDelivery", "With the courier", "Hangzhou")
        clock.advance(minutes=30)
        await run_job(bot, "tracking")
        clock.advance(minutes=30)
        await run_job(bot, "tracking")  # nothing new: nothing pushed again
        assert count(alice, "info received") == 1
        assert count(alice, f"Order {number}: in transit") == 1
        assert count(alice, "📍 Hangzhou — With the courier") == 1
        assert (await order_row(bot, number)).status == OrderStatus.SHIPPED

        carrier.checkpoint(SLUG, TRACKING, "Delivered", "Signed for by the customer", "Hangzhou")
        clock.advance(minutes=30)
        await run_job(bot, "tracking")
        notice = alice.find("Received")
        assert f"Order {number} was delivered" in notice.text
        order = await order_row(bot, number)
        assert order.status == OrderStatus.DELIVERED
        events = await db.order_events(bot, order.id)
        assert [e.actor for e in events if e.type == "delivered"] == ["system:tracking"]
        assert len(await checkpoints(bot)) == 4
        assert (await tracking_state(bot)).next_poll_at is None, "delivered: no more polls"

        await alice.tap("Received", notice)
        assert alice.answer["text"] == f"Thank you! Order {number} is complete."
        assert (await order_row(bot, number)).status == OrderStatus.COMPLETED
        assert not alice.bot.api.chat(alice.id).message(notice.message_id).buttons
        events = await db.order_events(bot, order.id)
        assert (events[-1].type, events[-1].actor) == ("completed", f"customer:{alice.id}")
        polls = len(carrier.calls("GET", "tracking_numbers="))
        clock.advance(days=1)
        await run_job(bot, "tracking")
        assert len(carrier.calls("GET", "tracking_numbers=")) == polls
        assert db.bad_requests(bot) == []


async def test_a_delivered_order_completes_by_itself_unless_a_request_is_open(
    tmp_path: Path, engine: dict[str, Any]
) -> None:
    clock = FixedClock(datetime.now(UTC))
    async with jobs_world(tmp_path, clock=clock, auto_complete_days=7, **engine) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        first = await place_order(alice)
        await ship(ann, first, "SF1234567890001")
        second = await place_order(alice)
        await ship(ann, second, "SF1234567890002")
        for number in (first, second):
            await ann.say(f"/track {number} delivered")
        disputed = await order_row(bot, second)
        async with db.db_of(bot).uow() as uow:
            await uow.session.execute(
                update(OrderRow).where(OrderRow.id == disputed.id).values(after_sales_open=1)
            )
            await uow.commit()

        clock.advance(days=6, hours=23)
        await run_job(bot, "auto_complete")
        assert (await order_row(bot, first)).status == OrderStatus.DELIVERED

        clock.advance(hours=1)
        await run_job(bot, "auto_complete")
        assert (await order_row(bot, first)).status == OrderStatus.COMPLETED
        assert (await order_row(bot, second)).status == OrderStatus.DELIVERED
        events = await db.order_events(bot, (await order_row(bot, first)).id)
        assert (events[-1].type, events[-1].actor) == ("completed", "system:auto-complete")

        # The customer's own order screen no longer offers "Received" for it.
        await alice.say("/orders")
        screen = await alice.tap(first)
        assert "completed" in screen.text
        assert not any("Received" in b for row in screen.buttons for b in row)
        screen = await alice.tap("My orders")
        screen = await alice.tap(second)
        assert any("Received" in b for row in screen.buttons for b in row)


async def test_the_merchant_posts_checkpoints_with_track_and_the_customer_sees_each_once(
    tmp_path: Path,
) -> None:
    async with jobs_world(tmp_path) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        number = await place_order(alice)
        await ship(ann, number)

        answer = await ann.say(f"/track {number} transit left our warehouse")
        assert f"Order {number}: in transit — recorded" in answer.text
        await bot.outbox_drained()
        assert count(alice, f"Order {number}: in transit") == 1
        assert count(alice, "left our warehouse") == 1

        history = await ann.say(f"/track {number}")
        assert "in transit" in history.text and "left our warehouse" in history.text

        wrong = await ann.say(f"/track {number} teleported")
        assert "I don't know the status “teleported”" in wrong.text and "in_transit" in wrong.text

        done = await ann.say(f"/track {number} delivered")
        assert "The order is now delivered" in done.text
        await bot.outbox_drained()
        assert (await order_row(bot, number)).status == OrderStatus.DELIVERED
        [notice] = [
            m
            for m in alice.bot.api.chat(alice.id).bot_messages()
            if "was delivered" in (m.text or "")
        ]
        assert any("Received" in b for row in notice.buttons for b in row)

        screen = await alice.say("/orders")
        detail = await alice.tap(number, screen)
        assert any("Received" in b for row in detail.buttons for b in row)
        after = await alice.tap("Received", detail)
        assert "completed" in after.text
        assert (await order_row(bot, number)).status == OrderStatus.COMPLETED
        events = await db.order_events(bot, (await order_row(bot, number)).id)
        assert [e.actor for e in events if e.type == "delivered"] == [f"admin:{ANN}"]
        assert db.bad_requests(bot) == []


async def test_the_merchants_own_delivered_notice_also_offers_received(tmp_path: Path) -> None:
    async with jobs_world(tmp_path) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        number = await place_order(alice)
        await ship(ann, number)
        detail = await ann.say(f"/order {number}")
        await ann.tap("delivered", detail)
        await bot.outbox_drained()
        notice = alice.find("Received")
        assert f"Your order {number} was delivered" in notice.text
        await alice.tap("Received", notice)
        assert (await order_row(bot, number)).status == OrderStatus.COMPLETED


async def test_only_admins_may_track_or_see_jobs(tmp_path: Path) -> None:
    async with jobs_world(tmp_path) as world:
        bot, alice, eve = world.bot, world.alice, world.eve
        number = await place_order(alice)
        for who, text in (
            (eve, f"/track {number} delivered"),
            (eve, "/jobs"),
        ):
            answer = await who.say(text)
            assert "Only the shop's admins can do that" in answer.text
        for text in (f"/track {number} delivered", "/jobs"):
            answer = await alice.say(text)
            assert "Only the shop's admins can do that" in answer.text
        assert (await order_row(bot, number)).status != OrderStatus.DELIVERED


async def test_jobs_shows_each_jobs_last_run_and_next_run(tmp_path: Path) -> None:
    async with jobs_world(tmp_path) as world:
        bot, ann = world.bot, world.ann
        await run_job(bot, "auto_complete")
        screen = await ann.say("/jobs")
        text = screen.text
        for name in ("Notification delivery", "Auto-completion of delivered orders"):
            assert name in text
        assert "nothing to do" in text and " ms · ✅" in text
        assert "Next run:" in text and "every 15 min" in text
        again = await ann.tap("Refresh", screen)
        assert "Scheduled jobs" in again.text
        private = await ann.privately().say("/jobs")
        assert "Scheduled jobs" in private.text


async def test_a_tracking_api_that_fails_changes_nothing_and_is_asked_again_later(
    tmp_path: Path, carrier: FakeAfterShip, engine: dict[str, Any]
) -> None:
    clock = FixedClock(datetime.now(UTC))
    async with jobs_world(
        tmp_path, clock=clock, carrier=carrier, tracking_poll_minutes=30, **engine
    ) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        number = await place_order(alice)
        await ship(ann, number)
        before = len(alice.texts())

        carrier.fail_next(500)
        await run_job(bot, "tracking")
        state = await tracking_state(bot)
        assert state.last_error == "HTTP 500"
        assert (state.next_poll_at - clock.now()).total_seconds() == 3600, "backing off"

        clock.advance(hours=1)
        carrier.malformed_next()
        await run_job(bot, "tracking")
        assert (await tracking_state(bot)).last_error.startswith("malformed response")

        clock.advance(hours=2)
        carrier.unknown.add(TRACKING)
        await run_job(bot, "tracking")
        state = await tracking_state(bot)
        assert state.last_error.startswith("unknown tracking number")
        assert state.streak == 3
        assert (await order_row(bot, number)).status == OrderStatus.SHIPPED
        assert await checkpoints(bot) == [] and len(alice.texts()) == before

        carrier.unknown.clear()
        carrier.checkpoint(SLUG, TRACKING, "InTransit", "Departed", "Shenzhen")
        clock.advance(hours=4)
        await run_job(bot, "tracking")
        state = await tracking_state(bot)
        assert (state.last_error, state.streak, state.status) == (None, 0, "in_transit")
        assert count(alice, f"Order {number}: in transit") == 1
