"""A process that dies after placing an order but before its invoice went out loses no invoice:
the review's Confirm is still on screen, and tapping it again sends the invoice of the order
already placed (one order, paid once). A double tap at once places one order and sends one
invoice; a Confirm of an order already paid, or expired, sends none."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from domain.shared.clock import FixedClock
from tests.e2e import helpers as db
from tests.e2e.harness import Person
from tests.e2e.payments_kit import (
    PayWorld,
    event_types,
    invoices,
    order_row,
    pay,
    pay_world,
    payments,
    pre_checkout,
    sweep,
)
from tests.e2e.test_customer_journey import checkout_new_address, fill_cart

CONFIRM = "Confirm order"


async def review_paying_by_card(alice: Person) -> Any:
    """2 Longjing and 1 Keemun to 1 Main Street, by card: the review, Confirm not tapped."""
    await fill_cart(alice)
    await checkout_new_address(alice)
    review = await alice.tap("Pay by card")
    assert any(CONFIRM in label for row in review.buttons for label in row), review.text
    return review


async def die_while_sending_the_invoice(world: PayWorld, review: Any) -> None:
    """Tap Confirm; the process dies while the invoice is on its way to Telegram (held at the
    server), after the order was committed. Then a new process starts on the database."""
    bot, api = world.bot, world.api
    api.fail_next("sendInvoice", status=502, delay=3)  # answered only after the process is gone
    await world.alice.sim.tap(review, CONFIRM, exact=False)
    await api.wait_for(lambda a: a.faults_left("sendInvoice") == 0, timeout=10)
    # SIGKILL, as near as one process can: every update being handled stops where it is.
    handling = [
        task
        for task in asyncio.all_tasks()
        if task.get_name().endswith(":process_concurrent_update")
    ]
    assert handling, "the Confirm is being handled"
    for task in handling:
        task.cancel()
    await bot.crash()
    await bot.start()


def refused(world: PayWorld) -> list[str]:
    """Bot API calls Telegram refused, but the held invoice whose process went away."""
    held = ("sendInvoice: client gone", "sendInvoice: Bad Gateway")
    return [r for r in db.bad_requests(world.bot) if r not in held]


async def test_an_invoice_lost_with_a_dead_process_comes_when_confirm_is_tapped_again(
    tmp_path: Path,
    engine: dict[str, Any],
) -> None:
    async with pay_world(tmp_path, **engine) as world:
        bot, alice = world.bot, world.alice
        review = await review_paying_by_card(alice)

        await die_while_sending_the_invoice(world, review)

        [order] = await db.orders(bot, alice.id)
        assert (order.status, order.payment_method) == ("pending_payment", "card")
        assert invoices(alice) == []
        still = bot.api.chat(alice.id).message(review.message_id)
        assert still is not None and CONFIRM in " ".join(b for row in still.buttons for b in row)

        await alice.tap(CONFIRM, still)

        [invoice] = invoices(alice)
        assert invoice.invoice["title"] == f"Order {order.number}"
        assert invoice.invoice["total_amount"] == 4100
        placed = bot.api.chat(alice.id).message(review.message_id)
        assert placed is not None and f"Order {order.number} placed" in (placed.text or "")
        assert "Please pay $41.00 with the invoice below" in placed.text
        assert alice.answer["text"] == f"This order was already placed: {order.number}"
        assert len(await db.orders(bot, alice.id)) == 1

        assert (await pre_checkout(alice, invoice))["ok"] is True
        await pay(alice, invoice, "tg_after_crash")
        assert (await order_row(bot, order.number)).status == "paid"
        [payment] = await payments(bot, order.id)
        assert (payment.status, payment.amount_minor) == ("applied", 4100)
        assert await event_types(bot, order.id) == ["placed", "paid"]
        assert refused(world) == []


async def test_confirm_tapped_twice_at_once_places_one_order_and_sends_one_invoice(
    tmp_path: Path,
    engine: dict[str, Any],
) -> None:
    async with pay_world(tmp_path, **engine) as world:
        bot, alice = world.bot, world.alice
        review = await review_paying_by_card(alice)
        label = next(b for row in review.buttons for b in row if CONFIRM in b)
        data = review.callback_data(label)

        first = await alice.sim.tap_data(review, data)
        second = await alice.sim.tap_data(review, data)
        await asyncio.gather(bot.processed(first), bot.processed(second))

        [order] = await db.orders(bot, alice.id)
        [invoice] = invoices(alice)
        assert invoice.invoice["title"] == f"Order {order.number}"
        answers = sorted(
            bot.api.callback_answers[u["callback_query"]["id"]]["text"] for u in (first, second)
        )
        assert answers == [
            f"This order was already placed: {order.number}",
            f"✅ Order {order.number} placed",
        ]
        await pay(alice, invoice, "tg_double_tap")
        assert (await order_row(bot, order.number)).status == "paid"
        assert len(await payments(bot, order.id)) == 1
        assert [r for r in db.bad_requests(bot) if "not modified" not in r] == []


async def test_confirm_again_sends_no_invoice_once_the_order_is_paid(tmp_path: Path) -> None:
    async with pay_world(tmp_path) as world:
        bot, alice = world.bot, world.alice
        review = await review_paying_by_card(alice)
        await die_while_sending_the_invoice(world, review)
        [order] = await db.orders(bot, alice.id)

        # The customer finds the order and pays it from its own screen instead.
        await alice.say("/orders")
        await alice.tap(order.number)
        await alice.tap("Pay now")
        [invoice] = invoices(alice)
        await pay(alice, invoice, "tg_paid_from_the_order")
        assert (await order_row(bot, order.number)).status == "paid"
        said = len(alice.texts())

        await alice.tap(CONFIRM, bot.api.chat(alice.id).message(review.message_id))

        placed = bot.api.chat(alice.id).message(review.message_id)
        assert placed is not None and f"Order {order.number} placed" in (placed.text or "")
        assert "Please pay" not in (placed.text or "") and "Status now: paid" in (placed.text or "")
        assert len(invoices(alice)) == 1, "no invoice for a paid order"
        assert len(alice.texts()) == said, "the review became the order; nothing else was said"
        assert len(await payments(bot, order.id)) == 1
        assert refused(world) == []


async def test_confirm_again_sends_no_invoice_once_the_order_expired(tmp_path: Path) -> None:
    clock = FixedClock(datetime.now(UTC))
    async with pay_world(tmp_path, clock=clock) as world:
        bot, alice = world.bot, world.alice
        review = await review_paying_by_card(alice)
        await die_while_sending_the_invoice(world, review)
        [order] = await db.orders(bot, alice.id)
        clock.advance(minutes=31)
        for _ in range(50):  # the new process's own sweep may hold the job at this moment
            if (await order_row(bot, order.number)).status == "cancelled":
                break
            await sweep(bot)
            await asyncio.sleep(0.1)
        assert (await order_row(bot, order.number)).status == "cancelled"
        await bot.outbox_drained()  # the customer is told it expired
        said = len(alice.texts())

        await alice.tap(CONFIRM, bot.api.chat(alice.id).message(review.message_id))

        assert invoices(alice) == []
        placed = bot.api.chat(alice.id).message(review.message_id)
        assert placed is not None and f"Order {order.number} placed" in (placed.text or "")
        assert "Please pay" not in (placed.text or "") and "Status now: cancelled" in (
            placed.text or ""
        )
        assert len(alice.texts()) == said, "the review became the order; nothing else was said"
        assert refused(world) == []
