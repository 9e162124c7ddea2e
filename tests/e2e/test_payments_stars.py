"""A digital-goods shop pricing in Telegram Stars (CURRENCY=XTR): one-price invoices with no
provider token, and refunds through refundStarPayment, once however often the button is
pressed, even when Telegram fails in between."""

from __future__ import annotations

from pathlib import Path

from tests.e2e import helpers as db
from tests.e2e.payments_kit import (
    MERCHANT,
    PayWorld,
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
)

STARS = "Telegram Stars"


async def paid_stars_order(world: PayWorld, charge: str) -> str:
    number = await place_order(world.alice, STARS)
    [invoice] = invoices(world.alice)
    assert (await pre_checkout(world.alice, invoice))["ok"] is True
    await pay(world.alice, invoice, charge)
    return number


async def test_a_stars_order_is_paid_with_one_price_and_refunded_through_telegram(
    tmp_path: Path,
) -> None:
    async with pay_world(tmp_path, stars=True) as world:
        bot, alice, merchant = world.bot, world.alice, world.merchant
        await alice.say("/start")
        await alice.tap("Catalog")
        await alice.tap("Tea")
        card = await alice.tap("Longjing")
        assert "⭐25" in card.caption

        number = await place_order(alice, STARS)

        assert "Please pay ⭐72 with the invoice below" in alice.messages[-2].text
        [invoice] = invoices(alice)
        assert invoice.invoice["currency"] == "XTR"
        assert invoice.invoice["total_amount"] == 72  # 2 × 25 + 22, no shipping
        assert invoice.extra["_prices"] == [{"label": f"Order {number}", "amount": 72}]
        assert not invoice.extra["_provider_token"]
        assert (await pre_checkout(alice, invoice))["ok"] is True
        await pay(alice, invoice, "stxStarsCharge01")

        order = await order_row(bot, number)
        assert order.status == "paid"
        [payment] = await payments(bot, order.id)
        assert (payment.method, payment.amount_minor, payment.currency) == ("stars", 72, "XTR")
        assert payment.provider_charge_id is None
        assert await stock(bot, "TEA-GREEN-100") == (38, 0)
        alert = merchant.find(f"Order {number} paid")
        assert "⭐72" in alert.text

        # The merchant refunds from the order's admin actions ("$rf", the admin detail's button).
        await merchant.tap_data(f"$rf:{number}", alert)
        prompt = merchant.chat.last_bot_message()
        assert prompt is not None and f"Refund ⭐72 for order {number}?" in prompt.text
        assert "will be cancelled and its items put back in stock" in prompt.text
        assert prompt.buttons == [["↩️ Refund ⭐72"], ["✖️ Keep the payment"]]
        await world.stranger.tap("Refund ⭐72", prompt)
        assert "Only the shop's admins" in world.stranger.answer["text"]
        assert bot.api.refunds == []

        done = await merchant.tap("Refund ⭐72", prompt)
        await bot.outbox_drained()

        assert bot.api.refunds == [
            {"user_id": alice.id, "telegram_payment_charge_id": "stxStarsCharge01"}
        ]
        assert f"Refunded ⭐72 for order {number}" in done.text and done.buttons == []
        order = await order_row(bot, number)
        assert order.status == "cancelled"
        assert await stock(bot, "TEA-GREEN-100") == (40, 0)  # restocked
        [payment] = await payments(bot, order.id)
        assert payment.status == "refunded"
        [refund] = await refunds(bot)
        assert (refund.status, refund.method, refund.amount_minor, refund.currency) == (
            "done",
            "stars",
            72,
            "XTR",
        )
        assert refund.actor == f"admin:{MERCHANT}" and refund.completed_at is not None
        assert await event_types(bot, order.id) == ["placed", "paid", "cancelled", "refunded"]
        assert "refunded to your Telegram Stars balance" in alice.screen.text

        # Tapped twice (an old prompt, or the order's button again): nothing happens twice.
        await merchant.tap_data(f"$ry:{payment.id}", done)
        assert "already refunded" in merchant.answer["text"]
        await merchant.tap_data(f"$rf:{number}", alert)
        assert merchant.answer["show_alert"] is True
        assert "already refunded" in merchant.answer["text"]
        assert len(bot.api.refunds) == 1 and len(await refunds(bot)) == 1
        assert db.bad_requests(bot) == []


async def test_a_refund_telegram_fails_stays_pending_and_the_next_tap_finishes_it_once(
    tmp_path: Path,
) -> None:
    async with pay_world(tmp_path, stars=True) as world:
        bot, merchant = world.bot, world.merchant
        number = await paid_stars_order(world, "stxStarsCharge02")
        await merchant.tap_data(f"$rf:{number}", merchant.find(f"Order {number} paid"))
        prompt = merchant.chat.last_bot_message()
        assert prompt is not None
        bot.api.fail_next("refundStarPayment", status=500)

        retry = await merchant.tap("Refund ⭐72", prompt)

        assert "did not answer the refund" in retry.text
        assert retry.buttons[0] == ["↩️ Refund ⭐72"], "the button stays for another try"
        [refund] = await refunds(bot)
        assert refund.status == "pending"
        assert (await order_row(bot, number)).status == "paid"
        assert bot.api.refunds == []

        # Telegram refunds but the answer is lost: the refund stays pending...
        bot.api.fail_next("refundStarPayment", status=None, delay=6)
        await merchant.tap("Refund ⭐72", retry)
        assert len(bot.api.refunds) == 1
        assert (await refunds(bot))[0].status == "pending"
        # ...and the next tap learns it went through ("already refunded") and finishes it.
        done = await merchant.tap("Refund ⭐72", retry)
        assert f"Refunded ⭐72 for order {number}" in done.text
        assert (await refunds(bot))[0].status == "done"
        assert (await order_row(bot, number)).status == "cancelled"
        assert len(bot.api.refunds) == 1
        await bot.outbox_drained()
        assert sum("refunded to your Telegram Stars" in t for t in world.alice.texts()) == 1


async def test_the_merchant_can_keep_the_payment_after_all(tmp_path: Path) -> None:
    async with pay_world(tmp_path, stars=True) as world:
        number = await paid_stars_order(world, "stxStarsCharge03")
        merchant = world.merchant
        await merchant.tap_data(f"$rf:{number}", merchant.find(f"Order {number} paid"))
        prompt = merchant.chat.last_bot_message()
        assert prompt is not None
        kept = await merchant.tap("Keep the payment", prompt)
        assert "nothing was refunded" in kept.text and kept.buttons == []
        assert world.bot.api.refunds == [] and await refunds(world.bot) == []
        assert (await order_row(world.bot, number)).status == "paid"
