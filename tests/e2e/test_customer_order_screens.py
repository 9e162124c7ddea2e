"""Issue 15: what the customer's order screens say while an order waits for its payment, after
it is paid, shipped or expired; read from the chat as the customer sees it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from domain.shared.clock import FixedClock
from tests.e2e import helpers as db
from tests.e2e.admin_kit import place_order as admin_place_order
from tests.e2e.jobs_kit import TRACKING, jobs_world, ship
from tests.e2e.payments_kit import BANK_DETAILS, pay_world, place_order, sweep
from tests.e2e.test_payments_transfer import send_receipt

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BANK = "Bank transfer"


async def test_an_unpaid_order_shows_how_to_pay_until_it_is_paid(tmp_path: Path) -> None:
    async with pay_world(tmp_path, clock=FixedClock(T0)) as world:
        alice = world.alice
        number = await place_order(alice, BANK)
        placed = alice.screen
        assert "Please pay by 2026-03-02 09:30" in placed.text, "the placed message says by when"

        await alice.tap("My orders")
        detail = await alice.tap(number)
        assert detail.message_id == placed.message_id, "My orders edits the message in place"
        for shown in (
            "Payment: 🏦 Bank transfer",
            "Please transfer $41.00 to:",
            BANK_DETAILS,
            f"Put {number} in the transfer note",
            "Please pay by 2026-03-02 09:30",
        ):
            assert shown in detail.text, detail.text
        assert ["📎 Send transfer receipt"] in detail.buttons

        await alice.tap("Send transfer receipt", detail)
        await send_receipt(alice)
        await alice.say("/orders")
        detail = await alice.tap(number)
        assert "transfer receipt is with the shop for checking" in detail.text
        assert BANK_DETAILS not in detail.text and "Please pay by" not in detail.text


async def test_an_order_paid_by_card_shows_pay_now_and_its_deadline(tmp_path: Path) -> None:
    async with pay_world(tmp_path, clock=FixedClock(T0)) as world:
        alice = world.alice
        number = await place_order(alice, "Pay by card")
        await alice.say("/orders")
        detail = await alice.tap(number)
        assert "Waiting for your payment of $41.00" in detail.text
        assert "Please pay by 2026-03-02 09:30" in detail.text
        assert ["💳 Pay now"] in detail.buttons


async def test_a_shipped_order_shows_its_carrier_tracking_and_checkpoints(tmp_path: Path) -> None:
    async with jobs_world(tmp_path) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        number = await admin_place_order(alice)
        await ship(ann, number)
        await ann.say(f"/track {number} transit left our warehouse")
        await bot.outbox_drained()

        await alice.say("/orders")
        detail = await alice.tap(number)
        assert "Status: shipped" in detail.text
        for shown in (
            "🚚 Delivery",
            f"SF Express · {TRACKING}",
            "in transit",
            "left our warehouse",
        ):
            assert shown in detail.text, detail.text
        [link] = [
            b for row in detail.inline_keyboard for b in row if "Track the parcel" in b["text"]
        ]
        assert TRACKING in link["url"]
        assert db.bad_requests(bot) == []


async def test_keys_that_no_longer_apply_are_stripped(tmp_path: Path) -> None:
    async with pay_world(tmp_path, clock=FixedClock(T0)) as world:
        bot, alice, merchant = world.bot, world.alice, world.merchant
        number = await place_order(alice, BANK)
        placed = alice.screen
        assert placed.buttons[0] == [f"📦 Order {number}"]
        assert not any("receipt" in b for row in placed.buttons for b in row), (
            "the placed message, which stays in the chat, offers no key that expires"
        )
        await alice.tap(f"Order {number}", placed)
        await alice.tap("Send transfer receipt", placed)
        await send_receipt(alice)
        await merchant.tap("Money arrived", merchant.find(f"Transfer receipt for order {number}"))
        await bot.outbox_drained()

        old = bot.api.chat(alice.id).message(placed.message_id)
        assert old is not None and ["📎 Send transfer receipt"] in old.buttons  # an old screen
        await alice.tap("Send transfer receipt", old)
        assert alice.answer["text"] == (
            f"Order {number} is no longer waiting for a bank transfer (it is paid): "
            "no receipt is needed."
        )
        assert "photo" not in alice.answer["text"]
        now = bot.api.chat(alice.id).message(placed.message_id)
        assert now is not None and not any("receipt" in b for row in now.buttons for b in row)
        assert now.buttons, "the rest of the keyboard stays"
        assert db.bad_requests(bot) == []


async def test_the_delivery_notice_stops_asking_once_received_is_tapped(tmp_path: Path) -> None:
    async with jobs_world(tmp_path) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        number = await admin_place_order(alice)
        await ship(ann, number)
        await ann.say(f"/track {number} delivered")
        await bot.outbox_drained()
        notice = alice.find("Received")
        assert "Tap “✅ Received” once you have it" in notice.text
        await alice.tap("Received", notice)
        settled = bot.api.chat(alice.id).message(notice.message_id)
        assert settled is not None and settled.buttons == []
        assert f"Order {number} was delivered" in settled.text, "the notice keeps its news"
        assert "Tap “✅ Received”" not in settled.text
        assert "You confirmed that you received it" in settled.text
        assert db.bad_requests(bot) == []


async def test_an_expired_order_s_items_go_back_in_the_cart_in_one_tap(tmp_path: Path) -> None:
    clock = FixedClock(T0)
    async with pay_world(tmp_path, clock=clock) as world:
        bot, alice = world.bot, world.alice
        number = await place_order(alice, BANK)  # 2 Longjing, 1 Keemun
        assert await db.cart_lines(bot, alice.id) == []
        clock.advance(minutes=31)
        assert (await sweep(bot)).expired == 1
        notice = alice.screen
        assert f"Order {number} ($41.00) was cancelled" in notice.text
        assert notice.buttons == [["🛒 Put the items back in my cart"]]
        data = notice.inline_keyboard[0][0]["callback_data"]
        await db.set_product(bot, "TEA-BLACK-100", stock=0)  # Keemun sold out meanwhile

        cart = await alice.tap("Put the items back", notice)
        assert cart.message_id == notice.message_id, "edited in place"
        assert f"The items of order {number} are back in your cart" in cart.text
        assert "Not on sale any more (left out): Keemun Black Tea 100 g × 1" in cart.text
        assert "2 × $12.50 = $25.00" in cart.text
        assert alice.answer["text"] == "Your cart has 2 items."
        await alice.tap_data(data, cart)  # a second tap (an old copy of the key)
        lines = await db.cart_lines(bot, alice.id)
        assert [(line.quantity) for line in lines] == [2], "putting back twice adds nothing"

        await alice.say("/orders")
        detail = await alice.tap(number)
        assert ["🛒 Put the items back in my cart"] in detail.buttons
        assert db.bad_requests(bot) == []


async def test_a_customer_turns_optional_messages_off_and_still_gets_order_updates(
    tmp_path: Path,
) -> None:
    async with jobs_world(tmp_path) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        screen = await alice.say("/notifications")
        assert "Order updates (payment, shipping, delivery, the shop's replies) always come" in (
            screen.text
        )
        assert "Review invitations and other optional messages: on" in screen.text
        turn_off = screen.inline_keyboard[0][0]["callback_data"]
        off = await alice.tap("Turn optional messages off", screen)
        assert off.message_id == screen.message_id and "optional messages: off" in off.text
        assert alice.answer["text"] == "Optional messages are off. Order updates still come."
        await alice.tap_data(turn_off, off)  # the old key again (a double tap): no change
        assert "optional messages: off" in alice.screen.text

        number = await admin_place_order(alice)
        await ship(ann, number)
        await ann.say(f"/track {number} delivered")
        await bot.outbox_drained()
        await alice.tap("Received", alice.find("Received"))
        await bot.outbox_drained()
        texts = "\n".join(alice.texts())
        assert f"Your order {number} is on its way" in texts, "order updates still come"
        assert f"Order {number} was delivered" in texts
        assert "How was order" not in texts, "no review invitation"

        help_ = await alice.say("/help")
        assert "/notifications — Which messages you get" in help_.text
