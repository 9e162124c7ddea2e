"""Telegram delivers every update at least once. Each update the bot handles, delivered a
second time with the same id, leaves the chat and the database as one delivery did."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from bot.botapi.sim import SimMessage
from storage.tables.inbox import HandledUpdateRow
from tests.e2e import helpers as db
from tests.e2e.admin_kit import ANN, World, admin_world, inventory_log
from tests.e2e.harness import Person
from tests.e2e.payments_kit import (
    BANK_DETAILS,
    invoices,
    order_row,
    pay_world,
    payments,
    receipts,
)

PHOTO = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x02\x80\x00\x00\x01\xe0" + b"receipt"


async def twice(person: Any, update: dict[str, Any]) -> SimMessage:
    """Wait for the first delivery, then deliver the very same update again."""
    await person.bot.processed(update)
    await person.bot.deliver_again(update)
    return person.screen  # type: ignore[no-any-return]


async def tap_twice(person: Person, label: str, message: SimMessage | None = None) -> SimMessage:
    target = message or person.find(label)
    update = await person.sim.tap(target, label, exact=False)
    person.last_query = update["callback_query"]["id"]
    return await twice(person, update)


async def say_twice(person: Person, text: str, **kwargs: Any) -> SimMessage:
    return await twice(person, await person.sim.send_text(text, **kwargs))


async def cart_quantity(person: Person, sku: str) -> int:
    product = await db.product(person.bot, sku)
    lines = await db.cart_lines(person.bot, person.id)
    return sum(line.quantity for line in lines if line.product_id == product.id)


async def test_a_replayed_customer_journey_takes_effect_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    async with pay_world(tmp_path) as world:
        bot, alice, merchant = world.bot, world.alice, world.merchant
        await say_twice(alice, "/start")
        await alice.tap("Catalog")
        await alice.tap("Tea")
        await alice.tap("Longjing")
        await tap_twice(alice, "Add 1 to cart")
        assert await cart_quantity(alice, "TEA-GREEN-100") == 1, "add to cart applied once"

        cart = await alice.tap("Cart")
        await tap_twice(alice, "➕", cart)
        assert await cart_quantity(alice, "TEA-GREEN-100") == 2, "➕ applied once"
        await tap_twice(alice, "➕", alice.find("➕"))
        await tap_twice(alice, "➖", alice.find("➖"))
        assert await cart_quantity(alice, "TEA-GREEN-100") == 2, "➖ applied once"

        await tap_twice(alice, "Checkout")
        first = await db.checkout(bot, alice.id)
        assert first is not None
        await say_twice(alice, "Alice Smith")
        update = await alice.sim.send_contact(phone_number="+8613800138000")
        await twice(alice, update)
        phone_step = await db.checkout(bot, alice.id)
        assert phone_step is not None and phone_step.token == first.token
        assert "delivery address" in alice.screen.text, alice.transcript()
        await say_twice(alice, "1 Main Street, Springfield, IL 62701")
        await tap_twice(alice, "Bank transfer")
        summary = alice.screen
        assert (await db.checkout(bot, alice.id)).token == first.token  # type: ignore[union-attr]
        placed = await tap_twice(alice, "Confirm order", summary)
        [order] = await db.orders(bot, alice.id)
        assert order.address_text is None or "+86" not in str(order.address_text)
        assert "placed" in alice.transcript()
        product = await db.product(bot, "TEA-GREEN-100")
        assert product.reserved == 2, "reserved once"

        await alice.tap(f"Order {order.number}")  # the placed message opens the order
        await alice.tap("Send transfer receipt", alice.find("Send transfer receipt"))
        photo = await alice.sim.send_photo(data=PHOTO, reply_to=alice.screen)
        await twice(alice, photo)
        await bot.outbox_drained()
        [receipt] = await receipts(bot, order.id)
        assert receipt.status != "replaced"
        alerts = [m for m in merchant.chat.bot_messages() if "Transfer receipt" in (m.body or "")]
        assert len(alerts) == 1, "the merchant is alerted once"
        assert BANK_DETAILS in placed.text or BANK_DETAILS in alice.transcript()

        handled = await db.rows(bot, HandledUpdateRow)
        assert len({(r.bot_id, r.update_id) for r in handled}) == len(handled) > 5
        assert "Something went wrong" not in alice.transcript()
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_replayed_card_payment_and_pre_checkout_query_take_effect_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from tests.e2e.payments_kit import place_order

    caplog.set_level(logging.INFO)
    async with pay_world(tmp_path) as world:
        bot, alice = world.bot, world.alice
        number = await place_order(alice, "Pay by card")
        [invoice] = invoices(alice)
        query = await alice.sim.pre_checkout(invoice)
        await twice(alice, query)
        assert bot.api.pre_checkout_answers[query["pre_checkout_query"]["id"]]["ok"] is True
        paid = await alice.sim.successful_payment(invoice, telegram_payment_charge_id="tg-1")
        await twice(alice, paid)
        await bot.outbox_drained()
        order = await order_row(bot, number)
        assert order.status == "paid"
        assert len(await payments(bot, order.id)) == 1
        thanks = [t for t in alice.texts() if "Payment received" in t or "paid" in t.lower()]
        assert len(thanks) >= 1
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [
            r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR
        ]


@pytest.fixture
async def world(tmp_path: Path) -> Any:
    async with admin_world(tmp_path) as running:
        yield running


async def test_a_replayed_answer_in_the_stock_dialog_is_not_taken_as_the_next_answer(
    world: World,
) -> None:
    bot, ann = world.bot, world.ann
    card = await ann.tap("Longjing", await ann.say("/products"))
    await ann.tap("Stock ±", card)
    update = await ann.sim.send_text("+5", chat_id=ann.chat_id)
    await twice(ann, update)
    assert "reason" in ann.screen.text, ann.transcript()
    await ann.say("Delivery from the farm")
    product = await db.product(bot, "TEA-GREEN-100")
    assert product.stock == 45
    log = await inventory_log(bot, product.id)
    assert [(e.delta, e.reason, e.actor) for e in log] == [
        (5, "Delivery from the farm", f"admin:{ANN}")
    ]


async def test_replayed_after_sales_and_review_updates_take_effect_once(tmp_path: Path) -> None:
    from tests.e2e.after_sales_kit import (
        delivered_order,
        open_order,
        requests_of,
        reviews,
        set_status,
        shop_world,
    )

    async with shop_world(tmp_path) as world:
        alice = world.alice
        number = await delivered_order(world)
        await open_order(alice, number)
        await tap_twice(alice, "Return / exchange / repair")
        await tap_twice(alice, "Return for a refund")
        screen = alice.screen
        row = next(r for r in screen.inline_keyboard if any("Longjing" in b["text"] for b in r))
        [key] = [b for b in row if b["text"] == "➕"]
        plus = await alice.sim.tap_data(screen, key["callback_data"])
        await twice(alice, plus)
        assert any("1 of" in b for r in alice.screen.buttons for b in r), alice.transcript()
        await tap_twice(alice, "Next")
        await tap_twice(alice, "Damaged in transit")
        await say_twice(alice, "The tin arrived crushed")
        photo = await alice.sim.send_photo(data=PHOTO)
        await twice(alice, photo)
        await tap_twice(alice, "Done")
        await tap_twice(alice, "Send request")
        [request] = await requests_of(world)
        assert request.details == "The tin arrived crushed"
        assert len(request.photos) == 1, "a replayed photo is not a second photo"
        assert "Something went wrong" not in alice.transcript()

        other = await delivered_order(world, world.bob)
        await set_status(world, other, "complete")
        bob = world.bob
        await tap_twice(bob, "4 ⭐", bob.screen)
        await say_twice(bob, "Fragrant")
        [review] = await reviews(world)
        assert (review.rating, review.comment) == (4, "Fragrant")
        assert "Something went wrong" not in bob.transcript()
