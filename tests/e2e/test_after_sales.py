"""After-sales through the chat, as the customer and the merchant see it: a return refunded by
card and by Stars, an exchange with its replacement shipped, a repair sent back, a decline,
and every bad input the issue lists."""

from __future__ import annotations

from pathlib import Path

from tests.e2e import helpers as db
from tests.e2e.after_sales_kit import (
    ANN,
    KEEMUN,
    LONGJING,
    RETURN_ADDRESS,
    ask,
    delivered_order,
    inventory,
    open_order,
    request_events,
    requests_of,
    return_refunds,
    shop_world,
    tap_in_row,
)
from tests.e2e.payments_kit import order_row, payments


async def test_customer_returns_a_tea_and_is_refunded_by_card_told_at_every_step(
    tmp_path: Path,
) -> None:
    async with shop_world(tmp_path) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        number = await delivered_order(world)

        detail = await alice.say("/orders")
        detail = await alice.tap(number)
        assert "Return / exchange / repair" in str(detail.buttons)
        assert "possible until" in detail.text
        sent = await ask(
            alice,
            number,
            "Return for a refund",
            {LONGJING: 1},
            "Damaged in transit",
            details="The tin arrived crushed",
            photos=2,
        )
        assert "Request R-" in sent.text and "waiting for the shop" in sent.text
        [request] = await requests_of(world)
        assert (request.kind, request.status, request.reason) == ("return", "requested", "damaged")
        assert request.details == "The tin arrived crushed" and len(request.photos) == 2
        assert (await order_row(bot, number)).after_sales_open == 1

        await bot.outbox_drained()
        alert = ann.find("Approve")
        assert f"New after-sales request {request.number}: return for a refund" in alert.body
        assert alert.photo_file_id == request.photos[0], "the alert carries the first photo"
        assert any(f"Photo 2 of 2 of request {request.number}" in t for t in ann.texts())
        detail = await ann.tap("Approve", alert)
        assert "approved" in detail.text
        await bot.outbox_drained()
        approved = alice.screen
        assert "was approved" in approved.text and RETURN_ADDRESS in approved.text
        view = await alice.tap("View request", approved)
        assert view.message_id != approved.message_id, "the notification stays"
        assert "Please send the goods back to" in view.text and RETURN_ADDRESS in view.text
        assert alice.bot.api.chat(alice.id).message(approved.message_id) is not None

        await alice.tap("Send return tracking", approved)
        await alice.tap("SF Express")
        done = await alice.say("SF1234567890123")
        assert "SF1234567890123" in done.text
        await bot.outbox_drained()
        assert any("sent the goods of request" in t for t in ann.texts())

        before = (await db.product(bot, "TEA-GREEN-100")).stock
        detail = await ann.say("/aftersales")
        detail = await ann.tap(request.number)
        received = await ann.tap("Received → back in stock", detail)
        assert "goods received" in received.text
        assert (await db.product(bot, "TEA-GREEN-100")).stock == before + 1
        [entry] = [e for e in await inventory(world, "TEA-GREEN-100") if "after-sales" in e.reason]
        assert (entry.delta, entry.actor) == (1, f"admin:{ANN}")
        assert request.number in entry.reason

        ask_note = await ann.tap("Refund $12.50", received)
        assert "send a note" in ask_note.text
        refunded = await ann.say("Stripe re_12345")
        assert "Refunded" in refunded.text and "$12.50" in refunded.text
        [refund] = await return_refunds(world)
        assert (refund.status, refund.amount_minor, refund.method) == ("done", 1250, "card")
        assert refund.note == "Stripe re_12345"
        [payment] = await payments(bot, (await order_row(bot, number)).id)
        assert payment.status == "applied", "a part of the payment was refunded"

        closed = await ann.tap("Close request", refunded)
        assert "closed" in closed.text
        assert (await order_row(bot, number)).after_sales_open == 0
        events = await request_events(world, request.id)
        assert [e for e, _ in events] == [
            "requested",
            "approved",
            "return_sent",
            "goods_received",
            "refunded",
            "closed",
        ]
        await bot.outbox_drained()
        texts = "\n".join(alice.texts())
        for told in ("was approved", "received the goods", "Refunded $12.50", "is closed"):
            assert told in texts, told
        assert db.bad_requests(bot) == []


async def test_a_stars_return_is_refunded_whole_through_telegram(tmp_path: Path) -> None:
    async with shop_world(tmp_path, stars=True) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        number = await delivered_order(world, payment="stars")

        await open_order(alice, number)
        await alice.tap("Return / exchange / repair")
        chosen = await alice.tap("Return for a refund")
        assert "refunded whole only" in chosen.text
        assert any("2 of 2" in b for row in chosen.buttons for b in row), "all is chosen"
        await alice.tap("Next")
        await alice.tap("I changed my mind")
        await alice.tap("Skip")
        await alice.tap("Skip")
        sent = await alice.tap("Send request")
        assert "Request R-" in sent.text
        [request] = await requests_of(world)

        await bot.outbox_drained()
        detail = await ann.tap("Approve", ann.find("Approve"))
        detail = await ann.tap("Received → write off", detail)
        ask_refund = await ann.tap("Refund ⭐72", detail)
        assert f"Refund ⭐72 for request {request.number}?" in ask_refund.text
        await world.eve.tap_data(f"sag:{request.id}", ask_refund)
        assert "Only the shop's admins" in world.eve.answer["text"]
        assert bot.api.refunds == []
        done = await ann.tap("Refund ⭐72", ask_refund)

        assert "Refunded" in done.text and "⭐72" in done.text
        assert bot.api.refunds == [
            {"user_id": alice.id, "telegram_payment_charge_id": f"charge-{number}"}
        ]
        [refund] = await return_refunds(world)
        assert (refund.status, refund.method, refund.amount_minor, refund.currency) == (
            "done",
            "stars",
            72,
            "XTR",
        )
        [payment] = await payments(bot, (await order_row(bot, number)).id)
        assert payment.status == "refunded"
        # Pressed again: nothing is refunded twice.
        await ann.tap_data(f"sag:{request.id}", done)
        assert len(bot.api.refunds) == 1
        await bot.outbox_drained()
        assert any("Refunded ⭐72" in t and "Telegram balance" in t for t in alice.texts())
        assert db.bad_requests(bot) == []


async def test_customer_exchanges_tea_and_gets_the_replacements_tracking_link(
    tmp_path: Path,
) -> None:
    async with shop_world(tmp_path) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        number = await delivered_order(world)
        await ask(alice, number, "Exchange", {KEEMUN: 1}, "Wrong item")
        [request] = await requests_of(world)
        await bot.outbox_drained()
        alert = ann.find("Approve")
        assert alert.photo_file_id is None and f"request {request.number}" in alert.text

        detail = await ann.tap("Approve", alert)
        assert detail.message_id == alert.message_id, "a text alert becomes the detail"
        stock = (await db.product(bot, "TEA-BLACK-100")).stock
        detail = await ann.tap("Received → back in stock", detail)
        carriers = await ann.tap("Ship replacement", detail)
        assert f"For request {request.number}" in carriers.text and "Which carrier" in carriers.text
        await ann.tap("SF Express", carriers)
        await ann.say("SF1234567890123")
        confirm = await ann.tap("Skip")
        assert f"For request {request.number}" in confirm.text
        done = await ann.tap("Confirm shipment", confirm)

        assert f"Request {request.number}</b>" in done.text or request.number in done.text
        assert "sent with SF Express" in done.text
        assert (await db.product(bot, "TEA-BLACK-100")).stock == stock, "+1 back, -1 out"
        reasons = [e.reason for e in await inventory(world, "TEA-BLACK-100")]
        assert any("replacement shipped" in r for r in reasons)
        await bot.outbox_drained()
        notice = alice.screen.text
        assert "replacement is on its way" in notice and "SF1234567890123" in notice
        assert "https://www.sf-express.com/chn/en/waybill/waybill-detail/SF1234567890123" in notice
        assert (await order_row(bot, number)).status == "delivered", "the order is untouched"

        closed = await ann.tap("Close request")
        assert "closed" in closed.text
        [request] = await requests_of(world)
        assert request.status == "closed" and request.ship_tracking == "SF1234567890123"
        await bot.outbox_drained()
        assert "is closed" in alice.screen.text
        mine = await alice.say("/requests")
        assert "Your requests" in mine.text and request.number in str(mine.buttons)
        view = await alice.tap(request.number, mine)
        assert view.message_id == mine.message_id, "our own screens change in place"
        assert "status: closed" in view.text
        assert "SF1234567890123" in view.text and "replacement shipped" in view.text
        assert db.bad_requests(bot) == []


async def test_customer_has_a_cup_repaired_and_sent_back(tmp_path: Path) -> None:
    async with shop_world(tmp_path) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        number = await delivered_order(world, payment="cod")
        await ask(alice, number, "Repair", {LONGJING: 1}, "It doesn't work", details="Lid broken")
        [request] = await requests_of(world)

        queue = await ann.say("/aftersales")
        assert request.number in str(queue.buttons) and "New (1)" in str(queue.buttons)
        detail = await ann.tap(request.number, queue)
        assert "Lid broken" in detail.text
        detail = await ann.tap("Approve", detail)
        assert "Received → back in stock" not in str(detail.buttons), "a repair is not stock"
        stock = (await db.product(bot, "TEA-GREEN-100")).stock
        detail = await ann.tap("Goods received", detail)
        carriers = await ann.tap("Send repaired goods back", detail)
        await ann.tap("Other carrier", carriers)
        await ann.say("Local Courier")
        await ann.say("RET-42")
        confirm = await ann.say("glued the lid")
        done = await ann.tap("Confirm shipment", confirm)
        assert "sent with Local Courier" in done.text
        closed = await ann.tap("Close request")

        assert "closed" in closed.text
        assert (await db.product(bot, "TEA-GREEN-100")).stock == stock
        await bot.outbox_drained()
        texts = "\n".join(alice.texts())
        assert "repaired goods are on their way back" in texts and "RET-42" in texts
        assert "(no tracking page)" in texts
        events = await request_events(world, request.id)
        assert [e for e, _ in events] == [
            "requested",
            "approved",
            "goods_received",
            "repaired_shipped",
            "closed",
        ]
        assert db.bad_requests(bot) == []


async def test_the_merchant_declines_with_a_reason_the_customer_reads(tmp_path: Path) -> None:
    async with shop_world(tmp_path) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        number = await delivered_order(world)
        await ask(alice, number, "Return for a refund", {LONGJING: 2}, "I changed my mind")
        [request] = await requests_of(world)
        await bot.outbox_drained()

        book = await ann.say("/orders after")
        assert number in str(book.buttons), "the after-sales filter lists the order"
        order_detail = await ann.tap(number, book)
        assert "Open after-sales requests: 1" in order_detail.text
        listed = await ann.tap("After-sales requests", order_detail)
        assert request.number in str(listed.buttons)

        prompt = await ann.tap("Decline", ann.find("Decline"))
        assert "Send the reason" in prompt.text
        short = await ann.say("x")
        assert "2–200 characters" in short.text
        done = await ann.say("Opened tins can't be returned")

        assert "declined" in done.text
        [request] = await requests_of(world)
        assert (request.status, request.decline_reason) == (
            "declined",
            "Opened tins can't be returned",
        )
        assert (await order_row(bot, number)).after_sales_open == 0
        await bot.outbox_drained()
        notice = alice.screen.text
        assert "was declined" in notice and "Opened tins can't be returned" in notice
        detail = await open_order(alice, number)
        assert "declined" in detail.text
        assert "Return / exchange / repair" in str(detail.buttons), "the units are free again"
        assert db.bad_requests(bot) == []


async def test_a_newer_checkout_keeps_its_typed_text_from_an_older_request_dialog(
    tmp_path: Path,
) -> None:
    async with shop_world(tmp_path) as world:
        alice = world.alice
        number = await delivered_order(world)
        await open_order(alice, number)
        await alice.tap("Return / exchange / repair")
        await alice.tap("Repair")
        await tap_in_row(alice, LONGJING, "➕")
        await alice.tap("Next")
        details = await alice.tap("It doesn't work")
        assert "Tell us more" in details.text

        world.clock.advance(minutes=1)  # the checkout is started after the request's step
        await alice.say("/catalog")
        await alice.tap("Tea")
        await alice.tap("Longjing")
        await alice.tap("Add 1 to cart")
        await alice.tap("Cart")
        await alice.tap("Checkout")
        await alice.tap("New address")
        asked = await alice.say("Alice Smith")

        assert "Phone" in asked.text, "checkout took the name"
        draft = await world.bot.app.bot_data.after_sales.current_draft(alice.id)
        assert draft is not None and draft.step == "details" and "details" not in draft.data
