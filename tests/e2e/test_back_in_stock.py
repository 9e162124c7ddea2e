"""Notify me when back in stock (issue 16), end to end: a customer taps Notify me on a sold-out
product's card (a double tap and a replayed tap change nothing), the merchant adds stock in the
admin chat, and the customer gets one message with Add to cart, which works; a later restock
tells nobody again."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.marketing.callbacks import WatchProduct
from storage.tables.marketing import BackInStockRow
from storage.tables.outbox import OutboxRow
from tests.e2e import helpers as db
from tests.e2e.admin_kit import World, admin_world
from tests.e2e.harness import Person

LONGJING = "TEA-GREEN-100"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with admin_world(tmp_path, stock={LONGJING: 0}) as running:
        yield running


async def _sold_out_card(alice: Person) -> object:
    await alice.say("/catalog")
    await alice.tap("Tea (")
    card = await alice.tap("Longjing")
    assert "Sold out" in (card.body or "")
    return card


async def _subscriptions(world: World) -> list[BackInStockRow]:
    return await db.rows(world.bot, BackInStockRow)


async def _back_messages(world: World) -> list[OutboxRow]:
    return await db.rows(world.bot, OutboxRow, OutboxRow.template == "bis.back")


async def test_customer_waits_for_a_sold_out_tea_and_orders_it_when_the_admin_restocks(
    world: World,
) -> None:
    bot, alice, ann, ben = world.bot, world.alice, world.ann, world.ben
    card = await _sold_out_card(alice)
    assert any("Notify me when it's back" in b for row in card.buttons for b in row)
    assert not any("Add 1 to cart" in b for row in card.buttons for b in row)

    tap = await alice.sim.tap(card, "Notify me", exact=False)
    await bot.processed(tap)
    answer = bot.api.callback_answers[tap["callback_query"]["id"]]
    assert "We'll message you once when Longjing Green Tea 100 g is back" in answer["text"]
    card = alice.screen
    assert any("Stop notifying" in b for row in card.buttons for b in row), alice.transcript()
    product = await db.product(bot, LONGJING)

    # A double tap (the button as it was) and Telegram delivering the tap again: no change.
    again = await alice.tap_data(WatchProduct(product.id, product.category_id, 0).pack(), card)
    assert "already on the list" in alice.answer["text"]
    assert any("Stop notifying" in b for row in again.buttons for b in row)
    await bot.deliver_again(tap)
    [subscription] = await _subscriptions(world)
    assert (subscription.customer_id, subscription.product_id) == (alice.id, product.id)
    assert subscription.notified_at is None

    # The merchant adds stock in the admin chat.
    await bot.outbox_drained()
    admin_card = await ann.tap("Longjing", await ann.say("/products"))
    await ann.tap("Stock ±", admin_card)
    await ann.say("+6")
    done = await ann.say("Delivery from Hangzhou")
    assert "stock is now 6" in done.text
    await bot.outbox_drained()

    [message] = [m for m in alice.messages if "back in stock" in (m.body or "")]
    assert "Longjing Green Tea 100 g" in (message.body or "")
    assert message.buttons == [["🛒 Add to cart"]]
    [row] = await _back_messages(world)
    assert row.chat_id == alice.id and row.sent_at is not None
    [subscription] = await _subscriptions(world)
    assert subscription.notified_at is not None

    # Add to cart works from the message: the cart holds one and the message shows the card.
    added = await alice.tap("Add to cart", message)
    assert "Added" in alice.answer["text"] or "added" in alice.answer["text"].lower()
    [line] = await db.cart_lines(bot, alice.id)
    assert (line.product_id, line.quantity) == (product.id, 1)
    assert "In stock: 6" in (added.body or "")

    # A second restock later tells nobody again.
    seen = len(alice.messages)
    await ben.tap("Stock ±", await ben.tap("Longjing", await ben.say("/products")))
    await ben.say("+4")
    await ben.say("Second delivery")
    await bot.outbox_drained()
    assert len(await _back_messages(world)) == 1
    assert len(alice.messages) == seen
    # The replayed tap's answer is refused as too old, as Telegram would; nothing else.
    assert [r for r in db.bad_requests(bot) if "query is too old" not in r] == []


async def test_stop_notifying_and_a_chinese_customer_told_in_chinese(world: World) -> None:
    bot, alice, ann = world.bot, world.alice, world.ann
    li = Person(bot, bot.api.add_user(1003, "李雷", language_code="zh-hans"))
    card = await _sold_out_card(alice)
    card = await alice.tap("Notify me", card)
    card = await alice.tap("Stop notifying", card)
    assert "won't hear about Longjing" in alice.answer["text"]
    assert any("Notify me" in b for row in card.buttons for b in row)
    assert await _subscriptions(world) == []
    # A forged button for a product that does not exist: a friendly alert, nothing stored.
    await alice.tap_data(WatchProduct(999_999, 0, 0).pack(), card)
    assert alice.answer["show_alert"] and "no longer available" in alice.answer["text"]
    assert await _subscriptions(world) == []

    await li.say("/catalog")
    await li.tap("Tea")
    li_card = await li.tap("Longjing")
    await li.tap("到货通知我", li_card)
    assert "到货后" in li.answer["text"]

    # Units come back when the merchant reactivates... here: a plain stock change.
    await bot.outbox_drained()
    await ann.tap("Stock ±", await ann.tap("Longjing", await ann.say("/products")))
    await ann.say("=3")
    await ann.say("Found in the back room")
    await bot.outbox_drained()
    [message] = [m for m in li.messages if "到货了" in (m.body or "")]
    assert message.buttons == [["🛒 加入购物车"]]
    assert not [m for m in alice.messages if "back in stock" in (m.body or "")]
    assert db.bad_requests(bot) == []
