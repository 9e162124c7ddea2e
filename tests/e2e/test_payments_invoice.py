"""Paying by Telegram invoice (card, through the shop's payment provider): the invoice, the
pre-checkout answer, the payment recorded once, and every way that can go wrong."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from domain.shared.clock import FixedClock
from tests.e2e import helpers as db
from tests.e2e.harness import Person
from tests.e2e.payments_kit import (
    PROVIDER_TOKEN,
    event_types,
    invoices,
    order_row,
    pay,
    pay_world,
    payments,
    place_order,
    pre_checkout,
    refunds,
    stock,
    sweep,
)

CARD = "Pay by card"


async def test_customer_orders_two_items_and_pays_by_invoice(tmp_path: Path) -> None:
    async with pay_world(tmp_path) as world:
        bot, alice = world.bot, world.alice
        before = {sku: await stock(bot, sku) for sku in ("TEA-GREEN-100", "TEA-BLACK-100")}

        number = await place_order(alice, CARD)

        placed = alice.messages[-2]
        assert f"Order {number} placed" in placed.text
        assert "Please pay $41.00 with the invoice below" in placed.text
        assert placed.buttons[0] == [f"📦 Order {number}"], "the order's own screen has Pay now"
        assert not any("Pay now" in b for row in placed.buttons for b in row)
        [invoice] = invoices(alice)
        assert alice.screen.message_id == invoice.message_id, "the invoice follows the order"
        assert invoice.invoice["title"] == f"Order {number}"
        assert invoice.invoice["currency"] == "USD"
        assert invoice.invoice["total_amount"] == 4100
        assert "Tea House" in invoice.invoice["description"]
        assert "30 minutes" in invoice.invoice["description"]
        assert invoice.extra["_prices"] == [
            {"label": "Longjing Green Tea 100 g × 2", "amount": 2500},
            {"label": "Keemun Black Tea 100 g × 1", "amount": 1100},
            {"label": "Shipping", "amount": 500},
        ]
        assert invoice.extra["_provider_token"] == PROVIDER_TOKEN
        payload = invoice.extra["_payload"]
        assert payload.startswith(f"{number}.") and len(payload) <= 128
        order = await order_row(bot, number)
        assert (order.status, order.payment_method) == ("pending_payment", "card")

        answer = await pre_checkout(alice, invoice)
        assert answer == {"ok": True, "error_message": None}

        await pay(alice, invoice, "tg_charge_0001", provider_payment_charge_id="prov_0001")

        order = await order_row(bot, number)
        assert order.status == "paid"
        assert await stock(bot, "TEA-GREEN-100") == (before["TEA-GREEN-100"][0] - 2, 0)
        assert await stock(bot, "TEA-BLACK-100") == (before["TEA-BLACK-100"][0] - 1, 0)
        [payment] = await payments(bot, order.id)
        assert (payment.method, payment.status, payment.amount_minor, payment.currency) == (
            "card",
            "applied",
            4100,
            "USD",
        )
        assert payment.telegram_charge_id == "tg_charge_0001"
        assert payment.provider_charge_id == "prov_0001"
        assert payment.payload["invoice_payload"] == payload
        assert payment.payload["total_amount"] == 4100
        assert await event_types(bot, order.id) == ["placed", "paid"]

        receipt = alice.screen
        assert "Payment received" in receipt.text
        assert f"Order {number} is paid: $41.00 (💳 Pay by card)" in receipt.text
        assert "2 × Longjing Green Tea 100 g" in receipt.text
        assert "tg_charge_0001" in receipt.text
        alert = world.merchant.find(f"Order {number} paid")
        assert "$41.00" in alert.text and "Alice (@alice)" in alert.text

        await alice.say("/orders")
        detail = await alice.tap(number)
        assert "Status: paid" in detail.text and "payment received" in detail.text
        assert not any("Pay now" in b for row in detail.buttons for b in row)
        assert db.bad_requests(bot) == []


async def test_a_replayed_successful_payment_changes_nothing(tmp_path: Path) -> None:
    async with pay_world(tmp_path) as world:
        bot, alice = world.bot, world.alice
        number = await place_order(alice, CARD)
        [invoice] = invoices(alice)
        await pay(alice, invoice, "tg_charge_twice")
        order = await order_row(bot, number)
        after_first = (await stock(bot, "TEA-GREEN-100"), len(alice.texts()))
        admin_messages = len(world.merchant.chat.bot_messages())

        await pay(alice, invoice, "tg_charge_twice")

        assert [p.telegram_charge_id for p in await payments(bot)] == ["tg_charge_twice"]
        assert (await stock(bot, "TEA-GREEN-100"), len(alice.texts())) == after_first
        assert len(world.merchant.chat.bot_messages()) == admin_messages
        assert await event_types(bot, order.id) == ["placed", "paid"]
        assert "can't use that" not in alice.screen.text
        assert db.bad_requests(bot) == []


async def test_pre_checkout_refuses_what_cannot_be_paid_with_a_clear_reason(
    tmp_path: Path,
) -> None:
    async with pay_world(tmp_path) as world:
        bot, alice, bob = world.bot, world.alice, world.bob
        number = await place_order(alice, CARD)
        [invoice] = invoices(alice)

        wrong_amount = await pre_checkout(alice, invoice, total_amount=4000)
        assert wrong_amount["ok"] is False
        assert f"The amount doesn't match order {number}" in wrong_amount["error_message"]
        wrong_currency = await pre_checkout(alice, invoice, currency="EUR")
        assert wrong_currency["ok"] is False
        assert f"The currency doesn't match order {number}" in wrong_currency["error_message"]

        await bob.say("/start")
        someone_elses = await pre_checkout(bob, invoice)
        assert someone_elses["ok"] is False
        assert "issued to another customer" in someone_elses["error_message"]
        assert number not in someone_elses["error_message"]

        await pay(alice, invoice, "tg_charge_paid")
        already_paid = await pre_checkout(alice, invoice)
        assert already_paid["ok"] is False
        assert f"Order {number} is already paid" in already_paid["error_message"]

        cancelled_number = await place_order(alice, CARD)
        cancelled_invoice = invoices(alice)[-1]
        await alice.tap(cancelled_number, await alice.say("/orders"))
        await alice.tap("Cancel order")
        await alice.tap("Yes, cancel it")
        assert (await order_row(bot, cancelled_number)).status == "cancelled"
        cancelled = await pre_checkout(alice, cancelled_invoice)
        assert cancelled["ok"] is False
        assert f"Order {cancelled_number} was cancelled" in cancelled["error_message"]

        assert [p.telegram_charge_id for p in await payments(bot)] == ["tg_charge_paid"]
        assert db.bad_requests(bot) == []


async def test_pre_checkout_reasons_are_in_the_customers_language(tmp_path: Path) -> None:
    async with pay_world(tmp_path) as world:
        li = Person(world.bot, world.api.add_user(1003, "李雷", language_code="zh-hans"))
        await li.say("/start")
        number = await place_order(world.alice, CARD)
        [invoice] = invoices(world.alice)

        answer = await pre_checkout(li, invoice)

        assert answer == {
            "ok": False,
            "error_message": "此账单属于其他顾客，无法用您的账户支付。",
        }
        english = await pre_checkout(world.alice, invoice, total_amount=1)
        assert english["error_message"].startswith(f"The amount doesn't match order {number}")


async def test_money_for_an_order_that_expired_a_second_earlier_is_kept_and_flagged(
    tmp_path: Path,
) -> None:
    clock = FixedClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    async with pay_world(tmp_path, clock=clock) as world:
        bot, alice, merchant = world.bot, world.alice, world.merchant
        number = await place_order(alice, CARD)
        [invoice] = invoices(alice)
        clock.advance(minutes=29, seconds=59)
        assert (await pre_checkout(alice, invoice))["ok"] is True
        clock.advance(seconds=1)
        assert (await sweep(bot)).expired == 1  # the sweep wins the race by a second

        await pay(alice, invoice, "tg_charge_late", provider_payment_charge_id="prov_late")

        order = await order_row(bot, number)
        assert order.status == "cancelled"
        assert await stock(bot, "TEA-GREEN-100") == (40, 0)  # released, not taken
        [payment] = await payments(bot, order.id)
        assert (payment.status, payment.flag_reason, payment.amount_minor) == (
            "flagged",
            "expired",
            4100,
        )
        assert payment.telegram_charge_id == "tg_charge_late"
        assert await event_types(bot, order.id) == ["placed", "expired", "payment_flagged"]
        told = alice.screen.text
        assert f"received your payment of $41.00 for order {number}" in told
        assert "will refund you" in told
        alert = merchant.find("Payment needs attention")
        assert number in alert.text and "the order had expired unpaid" in alert.text
        assert "tg_charge_late" in alert.text
        assert any("Refund" in b for row in alert.buttons for b in row)

        # The merchant refunds it: provider payments are refunded on the provider's side and
        # recorded here with the merchant's note; the order was cancelled already.
        await merchant.tap("Refund", alert)
        prompt = merchant.chat.last_bot_message()
        assert prompt is not None and f"Refund $41.00 for order {number}?" in prompt.text
        await merchant.reply(prompt, "refunded in the provider dashboard, ref R-77")
        await bot.outbox_drained()
        [refund] = await refunds(bot)
        assert (refund.status, refund.method, refund.amount_minor) == ("done", "card", 4100)
        assert refund.note == "refunded in the provider dashboard, ref R-77"
        assert refund.actor == f"admin:{merchant.sim.id}"
        [payment] = await payments(bot, order.id)
        assert payment.status == "refunded"
        assert (await order_row(bot, number)).status == "cancelled"
        assert "refunded through the shop's payment provider" in alice.screen.text
        assert "Refunded" in merchant.chat.message(prompt.message_id).text
        assert db.bad_requests(bot) == []


async def test_an_invoice_lost_to_a_server_error_can_be_asked_for_again(tmp_path: Path) -> None:
    async with pay_world(tmp_path) as world:
        bot, alice = world.bot, world.alice
        bot.api.fail_next("sendInvoice", status=502)

        number = await place_order(alice, CARD)

        assert invoices(alice) == []
        failed = alice.screen
        assert f"couldn't create the invoice for order {number}" in failed.text
        assert "Nothing was charged" in failed.text
        order = await order_row(bot, number)
        assert order.status == "pending_payment"
        assert await event_types(bot, order.id) == ["placed"]
        assert await payments(bot) == []

        await alice.tap("Pay now", failed)

        [invoice] = invoices(alice)
        assert invoice.invoice["total_amount"] == 4100
        assert alice.answer["text"] == "💳 Invoice sent"
        assert (await pre_checkout(alice, invoice))["ok"] is True
        await pay(alice, invoice, "tg_after_retry")
        assert (await order_row(bot, number)).status == "paid"


async def test_an_invoice_that_timed_out_can_be_asked_for_again_and_is_paid_once(
    tmp_path: Path,
) -> None:
    async with pay_world(tmp_path) as world:
        bot, alice = world.bot, world.alice
        # Telegram sends the invoice but answers too late: the bot cannot know it arrived.
        bot.api.fail_next("sendInvoice", status=None, delay=6)

        number = await place_order(alice, CARD)

        failed = next(m for m in reversed(alice.messages) if "couldn't create" in (m.text or ""))
        assert number in failed.text
        await alice.tap("Pay now", failed)
        first, second = invoices(alice)
        assert first.extra["_payload"] == second.extra["_payload"]

        await pay(alice, second, "tg_timeout_1")
        await pay(alice, first, "tg_timeout_2")  # the customer pays the stray invoice too

        order = await order_row(bot, number)
        assert order.status == "paid"
        applied, flagged = await payments(bot, order.id)
        assert (applied.status, flagged.status, flagged.flag_reason) == (
            "applied",
            "flagged",
            "paid",
        )
        assert "second payment" in world.merchant.find("Payment needs attention").text
        assert await stock(bot, "TEA-GREEN-100") == (38, 0)  # taken once


async def test_pay_now_is_refused_with_a_reason_once_the_order_is_paid(tmp_path: Path) -> None:
    async with pay_world(tmp_path) as world:
        bot, alice = world.bot, world.alice
        number = await place_order(alice, CARD)
        placed = alice.messages[-2]  # the invoice follows it
        await alice.tap(f"Order {number}", placed)
        detail = bot.api.chat(alice.id).message(placed.message_id)
        assert detail is not None and ["💳 Pay now"] in detail.buttons
        await pay(alice, invoices(alice)[0], "tg_paid_then_pay_now")
        await alice.tap("Pay now", detail)
        assert alice.answer["show_alert"] is True
        assert f"Order {number} is already paid" in alice.answer["text"]
        after = bot.api.chat(alice.id).message(placed.message_id)
        assert after is not None and after.buttons, "the rest of the keyboard stays"
        assert not any("Pay now" in b for row in after.buttons for b in row), "the stale key goes"
        assert len(invoices(alice)) == 1
        await alice.tap_data("$pn:ZZZZ-ZZZZ", after)
        assert alice.answer["text"] == "Order not found."
        assert db.bad_requests(world.bot) == []


async def test_a_card_payment_is_refunded_by_recording_it_and_the_order_is_cancelled(
    tmp_path: Path,
) -> None:
    async with pay_world(tmp_path) as world:
        bot, alice, merchant = world.bot, world.alice, world.merchant
        number = await place_order(alice, CARD)
        await pay(alice, invoices(alice)[0], "tg_card_refund")
        alert = merchant.find(f"Order {number} paid")

        await merchant.tap_data(f"$rf:{number}", alert)
        prompt = merchant.chat.last_bot_message()
        assert prompt is not None
        assert "make the refund in your payment provider's dashboard" in prompt.text
        assert "will be cancelled and its items put back in stock" in prompt.text
        done = await merchant.tap("Record the refund", prompt)
        await bot.outbox_drained()

        assert f"Refunded $41.00 for order {number}" in done.text
        assert bot.api.refunds == [], "provider payments are refunded on the provider's side"
        [refund] = await refunds(bot)
        assert (refund.status, refund.method, refund.note) == ("done", "card", None)
        order = await order_row(bot, number)
        assert order.status == "cancelled"
        assert await stock(bot, "TEA-GREEN-100") == (40, 0)
        assert await event_types(bot, order.id) == ["placed", "paid", "cancelled", "refunded"]
        assert "refunded through the shop's payment provider" in alice.screen.text
        assert db.bad_requests(bot) == []
