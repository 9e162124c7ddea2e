"""Orders that cost nothing (issue 16's gap): a code covering the lines with free shipping makes
a total of 0, which no invoice, transfer or courier can ask for. The customer sees "nothing to
pay" instead of a payment choice, places the order paid (a payment of 0, its units sold), the
merchant sees a paid order to ship, a refund of it gives back 0; a double tap places one order
and takes the code's use once; and it reads in Chinese too."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from storage.tables.insight import SalesHourRow
from storage.tables.promotions import PromoRedemptionRow
from tests.e2e import helpers as db
from tests.e2e.after_sales_kit import LONGJING as LONGJING_NAME
from tests.e2e.after_sales_kit import ask, requests_of, return_refunds, set_status, shop_world
from tests.e2e.harness import Person
from tests.e2e.payments_kit import (
    NUMBER,
    event_types,
    invoices,
    order_row,
    pay_world,
    payments,
    refunds,
    stock,
)
from tests.e2e.test_promo_codes import admin_says, code_row, review_with_code, set_code

LONGJING = "TEA-GREEN-100"  # 2 in the cart that review_with_code fills (with 1 Keemun: $36.00)


def labels(screen: object) -> list[str]:
    return [label for row in getattr(screen, "buttons", []) for label in row]


async def test_a_code_covering_everything_places_a_paid_order_without_asking_for_money(
    tmp_path: Path,
    engine: dict[str, Any],
) -> None:
    async with pay_world(tmp_path, **engine) as world:
        bot, alice, merchant = world.bot, world.alice, world.merchant
        await admin_says(merchant, "/promo_new ALLFREE 100% freeship uses 5")
        before = await stock(bot, LONGJING)

        review = await review_with_code(alice, "allfree", "Pay by card")
        for expected in (
            "Discount (ALLFREE): −$36.00",
            "Shipping: $0.00",
            "Total: $0.00",
            "Payment: 🎁 Nothing to pay",
        ):
            assert expected in review.text, review.text
        assert review.buttons[0] == ["✅ Place order — nothing to pay"]

        # A double tap (two taps at once: on PostgreSQL they really run at once), then the
        # first update delivered again by Telegram: one order, one use of the code.
        data = review.callback_data("✅ Place order — nothing to pay")
        first = await alice.sim.tap_data(review, data)
        second = await alice.sim.tap_data(review, data)
        await asyncio.gather(bot.processed(first), bot.processed(second))
        await bot.deliver_again(first)
        placed = alice.screen
        match = NUMBER.search(placed.text)
        assert match is not None, placed.text
        number = match.group(0)
        assert "🎁 Nothing is due: the code covers the whole order, so it is paid ($0.00)." in (
            placed.text
        )
        assert "Please pay" not in placed.text and "invoice" not in placed.text
        assert invoices(alice) == []  # Telegram refuses an invoice of 0: none is asked for

        [order] = await db.orders(bot, alice.id)
        assert order.number == number
        assert (order.status, order.payment_method, order.total_minor, order.promo_code) == (
            "paid",
            "free",
            0,
            "ALLFREE",
        )
        [payment] = await payments(bot, order.id)
        assert (payment.method, payment.amount_minor, payment.status) == ("free", 0, "applied")
        assert await event_types(bot, order.id) == ["placed", "paid"]
        # the units are sold, as a paid order's are: out of stock, none held
        assert await stock(bot, LONGJING) == (before[0] - 2, 0)
        assert (await code_row(alice, "ALLFREE")).uses == 1
        assert len(await db.rows(bot, PromoRedemptionRow)) == 1

        # The merchant sees a paid order to ship, and the reports count it.
        await bot.outbox_drained()
        alert = merchant.find(f"New order {number}")
        assert "$0.00" in alert.text and "🎁 Nothing to pay" in alert.text, alert.text
        card = await admin_says(merchant, f"/order {number}")
        assert "Ship" in " ".join(labels(card)), card.buttons
        [hour] = await db.rows(bot, SalesHourRow, SalesHourRow.payment_method == "free")
        assert (hour.status, hour.orders, hour.total_minor, hour.units) == ("paid", 1, 0, 3)

        await alice.say("/orders")
        detail = await alice.tap(number)
        assert "Total: $0.00" in detail.text and "🎁 Nothing to pay" in detail.text
        assert "Pay now" not in " ".join(labels(detail))
        # the replayed update's answer comes too late for Telegram; nothing else is refused
        late = "query is too old"
        assert [r for r in db.bad_requests(bot) if "not modified" not in r and late not in r] == []


async def test_the_payment_step_offers_only_nothing_to_pay_until_the_code_is_removed(
    tmp_path: Path,
) -> None:
    async with pay_world(tmp_path) as world:
        bot, alice, merchant = world.bot, world.alice, world.merchant
        await admin_says(merchant, "/promo_new GIFT50 50 freeship")  # $50 off a $36 cart
        review = await review_with_code(alice, "gift50", "Bank transfer")
        assert "Discount (GIFT50): −$36.00" in review.text and "Total: $0.00" in review.text

        step = await alice.tap("Back")
        assert "Nothing to pay" in step.text and "$0.00" in step.text
        assert step.buttons == [["🎁 Nothing to pay"], ["⬅️ Back", "✖️ Cancel checkout"]]
        review = await alice.tap("Nothing to pay")
        assert "Payment: 🎁 Nothing to pay" in review.text

        # Without the code there is something to pay: how is asked again.
        choose = await alice.tap("Remove code")
        assert alice.answer["text"] == "Code removed."
        assert "Total to pay: $41.00" in choose.text
        assert labels(choose)[:3] == ["💵 Cash on delivery", "🏦 Bank transfer", "💳 Pay by card"]
        review = await alice.tap("Bank transfer")
        assert "Total: $41.00" in review.text and review.buttons[0] == ["✅ Confirm order"]
        await alice.tap("Confirm order")
        [order] = await db.orders(bot, alice.id)
        assert (order.status, order.payment_method, order.total_minor) == (
            "pending_payment",
            "bank",
            4100,
        )
        assert await payments(bot, order.id) == []
        assert db.bad_requests(bot) == []


async def test_a_code_used_up_before_placing_an_order_with_nothing_to_pay_asks_how_to_pay(
    tmp_path: Path,
) -> None:
    async with pay_world(tmp_path) as world:
        bot, alice, merchant = world.bot, world.alice, world.merchant
        await admin_says(merchant, "/promo_new LASTFREE 100% freeship uses 1")
        await review_with_code(alice, "lastfree", "Pay by card")
        await alice.tap("Back")
        await alice.tap("Nothing to pay")
        await set_code(alice, "LASTFREE", uses=1)  # another order took the last use

        choose = await alice.tap("Place order")
        alert = alice.answer
        assert alert["show_alert"] is True
        assert "Code LASTFREE no longer applies: it has been used up." in alert["text"]
        assert "$41.00" in alert["text"]
        assert "Total to pay: $41.00" in choose.text and "💳 Pay by card" in labels(choose)
        assert await db.orders(bot, alice.id) == []
        assert (await code_row(alice, "LASTFREE")).uses == 1
        assert db.bad_requests(bot) == []


async def test_the_merchant_refunds_an_order_with_nothing_to_pay_and_gives_back_nothing(
    tmp_path: Path,
) -> None:
    async with pay_world(tmp_path) as world:
        bot, alice, merchant = world.bot, world.alice, world.merchant
        await admin_says(merchant, "/promo_new ALLFREE 100% freeship uses 1")
        before = await stock(bot, LONGJING)
        await review_with_code(alice, "allfree", "Cash on delivery")
        placed = await alice.tap("Place order")
        match = NUMBER.search(placed.text)
        assert match is not None
        number = match.group(0)
        # The new-order alert goes out through the outbox, apart from any reply: let it land
        # first, so the prompt below is the admin chat's newest message.
        await bot.outbox_drained()

        card = await admin_says(merchant, f"/order {number}")
        await merchant.tap("Cancel & refund", card)
        prompt = merchant.find(f"Refund order {number}?")
        assert f"Refund order {number}?" in prompt.text and "Nothing was paid" in prompt.text
        assert "payment provider" not in prompt.text
        done = await merchant.tap("Record the refund", prompt)
        await bot.outbox_drained()

        assert f"Refunded $0.00 for order {number}" in done.text
        [refund] = await refunds(bot)
        assert (refund.status, refund.method, refund.amount_minor) == ("done", "free", 0)
        order = await order_row(bot, number)
        assert order.status == "cancelled"
        assert await event_types(bot, order.id) == ["placed", "paid", "cancelled", "refunded"]
        assert await stock(bot, LONGJING) == before  # back on sale
        assert (await code_row(alice, "ALLFREE")).uses == 0  # the use went back
        assert f"Order {number} is cancelled. Nothing was paid for it" in alice.screen.text
        assert bot.api.refunds == []
        assert db.bad_requests(bot) == []


async def test_a_chinese_customer_reads_nothing_to_pay_in_chinese(tmp_path: Path) -> None:
    async with pay_world(tmp_path) as world:
        bot, merchant = world.bot, world.merchant
        li = Person(bot, world.api.add_user(1003, "李雷", language_code="zh-hans"))
        await admin_says(merchant, "/promo_new ALLFREE 100% freeship")
        await li.say("/start")
        await li.tap("商品目录")
        await li.tap("Tea")
        await li.tap("Longjing")
        await li.tap("加入购物车")
        await li.tap("🛒 购物车 (")
        await li.tap("去结算")
        await li.say("李雷")
        await li.share_contact("8613800138000")
        await li.say("北京市朝阳区建国路 88 号")
        await li.tap("银行卡支付")
        await li.tap("有优惠码？")
        review = await li.say("ALLFREE")
        assert "🎁 无需付款" in review.text, review.text
        assert review.buttons[0] == ["✅ 下单 — 无需付款"]
        step = await li.tap("上一步")
        assert "您的优惠码已抵扣全部金额" in step.text and step.buttons[0] == ["🎁 无需付款"]
        await li.tap("无需付款")
        placed = await li.tap("下单")
        assert "🎁 无需付款：优惠码已抵扣全部金额，订单已付清" in placed.text, placed.text
        [order] = await db.orders(bot, li.id)
        assert (order.status, order.payment_method) == ("paid", "free")
        assert db.bad_requests(bot) == []


async def test_a_returned_tea_of_an_order_with_nothing_to_pay_is_refunded_zero(
    tmp_path: Path,
) -> None:
    async with shop_world(tmp_path) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        await ann.say("/promo_new ALLFREE 100% freeship")
        await review_with_code(alice, "allfree", "Pay by card")
        placed = await alice.tap("Place order")
        match = NUMBER.search(placed.text)
        assert match is not None
        number = match.group(0)
        await set_status(world, number, "ship", "deliver")
        await ask(alice, number, "Return for a refund", {LONGJING_NAME: 1}, "Damaged in transit")
        [request] = await requests_of(world)
        await bot.outbox_drained()
        detail = await ann.tap("Approve", ann.find("Approve"))
        assert "Refund due once the goods are back: $0.00 (🎁 Nothing to pay)" in detail.text
        # The request's card read the order's earlier returns after its unit of work had
        # ended, leaving a transaction open: on SQLite every later write was locked out.
        detail = await ann.say("/aftersales")
        detail = await ann.tap(request.number)
        received = await ann.tap("Received → back in stock", detail)
        assert "goods received" in received.text
        ask_note = await ann.tap("Refund $0.00", received)
        assert "paid with 🎁 Nothing to pay" in ask_note.text
        refunded = await ann.say("nothing to give back")
        assert "Refunded $0.00" in refunded.text
        [refund] = await return_refunds(world)
        assert (refund.status, refund.amount_minor, refund.method) == ("done", 0, "free")
        await bot.outbox_drained()
        assert "Nothing was paid for the order, so there is nothing to give back." in (
            alice.screen.text
        )
        assert db.bad_requests(bot) == []
