"""Paying by bank transfer: the shop's details, the receipt photo, the merchant's review in the
admin chat (confirm or reject), and the expiry timer paused while a receipt is reviewed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bot.botapi.sim import SimMessage
from domain.shared.clock import FixedClock
from tests.e2e import helpers as db
from tests.e2e.harness import Person
from tests.e2e.payments_kit import (
    BANK_DETAILS,
    MERCHANT,
    PayWorld,
    event_types,
    order_row,
    pay_world,
    payments,
    place_order,
    receipts,
    stock,
    sweep,
)

BANK = "Bank transfer"
PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x02\x80\x00\x00\x01\xe0" + b"receipt"


async def send_receipt(
    person: Person, reply_to_prompt: bool = True, caption: str | None = None
) -> SimMessage:
    """The customer sends a photo of the receipt (as a reply to the bot's prompt, if asked)."""
    prompt = person.screen if reply_to_prompt else None
    update = await person.sim.send_photo(data=PHOTO, caption=caption, reply_to=prompt)
    await person.bot.processed(update)
    await person.bot.outbox_drained()
    return person.screen


async def receipt_in_admin_chat(world: PayWorld, number: str) -> SimMessage:
    return world.merchant.find(f"Transfer receipt for order {number}")


async def test_customer_pays_by_transfer_and_the_merchant_confirms_it(tmp_path: Path) -> None:
    async with pay_world(tmp_path) as world:
        bot, alice, merchant = world.bot, world.alice, world.merchant
        number = await place_order(alice, BANK)

        placed = alice.screen
        assert "Please transfer $41.00 to:" in placed.text and BANK_DETAILS in placed.text
        assert f"Put {number} in the transfer note" in placed.text
        assert "send a photo of the receipt here" in placed.text
        detail = await alice.tap(f"Order {number}", placed)
        assert detail.message_id == placed.message_id
        prompt = await alice.tap("Send transfer receipt", detail)
        assert f"transfer receipt for order {number} ($41.00)" in prompt.text
        assert prompt.reply_markup_kind == "force_reply"

        thanks = await send_receipt(alice)

        assert f"We received your transfer receipt for order {number}" in thanks.text
        order = await order_row(bot, number)
        [receipt] = await receipts(bot, order.id)
        assert (receipt.status, receipt.customer_id) == ("submitted", alice.id)
        photo = await receipt_in_admin_chat(world, number)
        assert photo.kind == "photo" and photo.photo_file_id == receipt.file_id
        assert "$41.00" in photo.caption and "Alice (@alice)" in photo.caption
        assert photo.buttons[0] == ["✅ Money arrived", "✖️ Reject"]
        assert await event_types(bot, order.id) == ["placed", "receipt_submitted"]
        assert (order.status, await payments(bot)) == ("pending_payment", [])

        await world.stranger.tap("Money arrived", photo)
        assert "Only the shop's admins" in world.stranger.answer["text"]
        assert (await order_row(bot, number)).status == "pending_payment"

        reviewed = await merchant.tap("Money arrived", photo)
        await bot.outbox_drained()

        assert "Confirmed by Mia: order" in reviewed.caption and reviewed.buttons == []
        order = await order_row(bot, number)
        assert order.status == "paid"
        assert await stock(bot, "TEA-GREEN-100") == (38, 0)
        [payment] = await payments(bot, order.id)
        assert (payment.method, payment.status, payment.amount_minor) == ("bank", "applied", 4100)
        assert payment.telegram_charge_id is None
        [receipt] = await receipts(bot, order.id)
        assert (receipt.status, receipt.reviewer) == ("confirmed", f"admin:{MERCHANT}")
        assert await event_types(bot, order.id) == ["placed", "receipt_submitted", "paid"]
        assert f"Your bank transfer for order {number} ($41.00) arrived" in alice.screen.text

        await merchant.tap_data(f"$tc:{receipt.id}", reviewed)
        assert merchant.answer["show_alert"] is True
        assert "already confirmed" in merchant.answer["text"]
        assert len(await payments(bot)) == 1
        assert db.bad_requests(bot) == []


async def test_the_merchant_rejects_a_receipt_and_the_customer_is_told_why(
    tmp_path: Path,
) -> None:
    async with pay_world(tmp_path) as world:
        bot, alice, merchant = world.bot, world.alice, world.merchant
        number = await place_order(alice, BANK)
        await send_receipt(alice, reply_to_prompt=False)  # her only order awaiting a transfer
        photo = await receipt_in_admin_chat(world, number)

        reasons = await merchant.tap("Reject", photo)
        assert reasons.buttons == [
            ["Wrong amount"],
            ["Not received"],
            ["Unreadable"],
            ["⬅️ Back"],
        ]
        back = await merchant.tap("Back", reasons)
        assert back.buttons[0] == ["✅ Money arrived", "✖️ Reject"]
        await merchant.tap("Reject", back)
        rejected = await merchant.tap("Not received", photo)
        await bot.outbox_drained()

        assert "Rejected by Mia: Not received" in rejected.caption and rejected.buttons == []
        order = await order_row(bot, number)
        assert order.status == "pending_payment"
        [receipt] = await receipts(bot, order.id)
        assert (receipt.status, receipt.reason) == ("rejected", "missing")
        told = alice.screen
        assert f"could not accept your transfer receipt for order {number}" in told.text
        assert "has not arrived yet" in told.text and "within 30 minutes" in told.text
        assert told.buttons == [["📎 Send transfer receipt"]]
        assert await payments(bot) == []
        assert await event_types(bot, order.id) == [
            "placed",
            "receipt_submitted",
            "receipt_rejected",
        ]

        # She sends a better one; this time the money is there.
        await alice.tap("Send transfer receipt", told)
        await send_receipt(alice)
        second = world.merchant.find(f"Transfer receipt for order {number}")
        assert second.message_id != photo.message_id
        await merchant.tap("Money arrived", second)
        assert (await order_row(bot, number)).status == "paid"
        assert db.bad_requests(bot) == []


async def test_a_receipt_photo_with_no_order_awaiting_a_transfer_changes_nothing(
    tmp_path: Path,
) -> None:
    async with pay_world(tmp_path) as world:
        bot, alice = world.bot, world.alice
        await alice.say("/start")
        reply = await send_receipt(alice, reply_to_prompt=False)
        assert "I can't use that here" in reply.text, "no order awaits a transfer: just a photo"

        number = await place_order(alice, "Cash on delivery")
        reply = await send_receipt(alice, reply_to_prompt=False, caption=f"for {number}")
        assert f"Order {number} is not waiting for a bank transfer" in reply.text
        assert "confirmed, pay on delivery" in reply.text
        order = await order_row(bot, number)
        assert await receipts(bot, order.id) == []
        assert await event_types(bot, order.id) == ["placed", "confirmed"]

        # The receipt prompt of a transfer order that was cancelled meanwhile.
        cancelled = await place_order(alice, BANK)
        await alice.tap(f"Order {cancelled}", alice.screen)
        await alice.tap("Send transfer receipt", alice.screen)
        prompt = alice.screen
        await alice.say("/orders")
        await alice.tap(cancelled)
        await alice.tap("Cancel order")
        await alice.tap("Yes, cancel it")
        update = await alice.sim.send_photo(data=PHOTO, reply_to=prompt)
        await bot.processed(update)
        assert f"Order {cancelled} is not waiting for a bank transfer" in alice.screen.text
        assert "(it is cancelled)" in alice.screen.text
        assert await receipts(bot, (await order_row(bot, cancelled)).id) == []
        assert not any("Transfer receipt" in (m.body or "") for m in world.merchant.chat.messages)

        await world.bob.say("/start")
        await world.bob.tap_data(f"$ps:{number}", world.bob.screen)
        assert world.bob.answer["text"] == "Order not found."
        assert db.bad_requests(bot) == []


async def test_two_orders_awaiting_a_transfer_need_the_receipt_to_name_one(
    tmp_path: Path,
) -> None:
    async with pay_world(tmp_path) as world:
        bot, alice = world.bot, world.alice
        first = await place_order(alice, BANK)
        second = await place_order(alice, BANK)

        reply = await send_receipt(alice, reply_to_prompt=False)
        assert f"Several of your orders wait for a bank transfer ({first}, {second})" in (
            reply.text
        )
        assert await receipts(bot, (await order_row(bot, second)).id) == []

        reply = await send_receipt(alice, reply_to_prompt=False, caption=second)
        assert f"receipt for order {second}" in reply.text
        assert len(await receipts(bot, (await order_row(bot, second)).id)) == 1
        assert await receipts(bot, (await order_row(bot, first)).id) == []


async def test_expiry_waits_while_a_receipt_is_reviewed_and_restarts_after_a_rejection(
    tmp_path: Path,
) -> None:
    clock = FixedClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    async with pay_world(tmp_path, clock=clock) as world:
        bot, alice, merchant = world.bot, world.alice, world.merchant
        number = await place_order(alice, BANK)
        clock.advance(minutes=20)
        await send_receipt(alice, reply_to_prompt=False)
        clock.advance(hours=5)  # the merchant is away

        stats = await sweep(bot)

        assert (stats.expired, stats.reminded) == (0, 0)
        assert (await order_row(bot, number)).status == "pending_payment"

        await merchant.tap("Reject", await receipt_in_admin_chat(world, number))
        await merchant.tap("Wrong amount")
        clock.advance(minutes=29)
        assert (await sweep(bot)).expired == 0
        assert (await order_row(bot, number)).status == "pending_payment"
        clock.advance(minutes=1)
        assert (await sweep(bot)).expired == 1
        assert (await order_row(bot, number)).status == "cancelled"
        assert await stock(bot, "TEA-GREEN-100") == (40, 0)
        assert "was cancelled because it was not paid" in alice.screen.text
