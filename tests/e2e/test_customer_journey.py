"""A customer's whole journey, read from the chat as they see it and from the database."""

from __future__ import annotations

import re

from domain.orders.lifecycle import OrderStatus
from tests.e2e import helpers as db
from tests.e2e.harness import ADMIN_CHAT, BotUnderTest, Person

NUMBER = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}")


async def fill_cart(alice: Person) -> None:
    await alice.say("/start")
    await alice.tap("Catalog")
    await alice.tap("Tea")
    await alice.tap("Longjing")
    await alice.tap("➕")
    await alice.tap("Add 2 to cart")
    await alice.tap("Back")
    await alice.tap("Keemun")
    await alice.tap("Add 1 to cart")


async def checkout_new_address(alice: Person) -> None:
    await alice.tap("Cart")
    await alice.tap("Checkout")
    await alice.say("Alice Smith")
    await alice.share_contact("12025550143")
    await alice.say("1 Main Street, Springfield, IL 62701")


async def test_customer_orders_two_items_and_finds_the_order_in_my_orders(
    bot: BotUnderTest, alice: Person
) -> None:
    welcome = await alice.say("/start")
    assert "Hi Alice" in welcome.text and "Tea House" in welcome.text
    assert welcome.buttons == [
        ["🛍 Catalog", "🛒 Cart"],
        ["📦 My orders", "❓ Help"],
        ["💬 Contact the shop"],
    ]

    catalog = await alice.tap("Catalog")
    assert catalog.message_id == welcome.message_id, "navigation edits the message in place"
    assert catalog.buttons[:3] == [["Tea (7)"], ["Teaware (3)"], ["Stationery (2)"]]

    tea = await alice.tap("Tea")
    assert "Tea" in tea.text and "7 products" in tea.text
    assert tea.buttons[-2] == ["1/2", "▶"]
    page2 = await alice.tap("▶")
    assert [b[0] for b in page2.buttons[:1]] == ["Tieguanyin Oolong 100 g · $14.00"]
    await alice.tap("◀")

    card = await alice.tap("Longjing")
    assert card.kind == "photo", "a product with a photo is shown as a photo"
    assert "Longjing Green Tea 100 g" in card.caption and "$12.50" in card.caption
    assert "In stock: 40" in card.caption
    card = await alice.tap("➕")
    assert card.buttons[0] == ["➖", "2", "➕"]
    card = await alice.tap("Add 2 to cart")
    assert alice.answer["text"].startswith("✅ Added 2 × Longjing Green Tea 100 g")
    assert "In your cart: 2" in card.caption

    listing = await alice.tap("Back")
    assert listing.kind == "text"
    keemun = await alice.tap("Keemun")
    assert keemun.message_id == listing.message_id
    await alice.tap("Add 1 to cart")

    cart = await alice.tap("Cart")
    assert "2 × $12.50 = $25.00" in cart.text and "1 × $11.00 = $11.00" in cart.text
    assert "Total: $36.00" in cart.text

    recipient_prompt = await alice.tap("Checkout")
    assert "Who will receive the order" in recipient_prompt.text
    assert recipient_prompt.reply_keyboard is not None
    phone_prompt = await alice.say("Alice Smith")
    assert "phone number" in phone_prompt.text
    assert phone_prompt.reply_keyboard[0][0].get("request_contact") is True
    address_prompt = await alice.share_contact("12025550143")
    assert "delivery address" in address_prompt.text
    payment = await alice.say("1 Main Street, Springfield, IL 62701")
    assert "How would you like to pay" in payment.text and "$41.00" in payment.text
    saved = alice.messages[-2]
    assert "Alice Smith, +12025550143" in saved.text and "1 Main Street" in saved.text

    review = await alice.tap("Cash on delivery")
    assert "Please check your order" in review.text
    for expected in (
        "Longjing Green Tea 100 g × 2 — $25.00",
        "Subtotal: $36.00",
        "Shipping: $5.00",
        "Total: $41.00",
        "Cash on delivery",
    ):
        assert expected in review.text

    placed = await alice.tap("Confirm order")
    number = NUMBER.search(placed.text)
    assert number and "placed" in placed.text
    assert "have <b>" not in placed.text and "$41.00 ready" in placed.text

    [order] = await db.orders(bot, alice.id)
    assert order.number == number.group(0)
    assert order.status == OrderStatus.CONFIRMED  # cash on delivery: on to fulfilment, unpaid
    assert (order.subtotal_minor, order.shipping_minor, order.total_minor) == (3600, 500, 4100)
    assert (order.recipient, order.phone) == ("Alice Smith", "+12025550143")
    lines = await db.order_lines(bot, order.id)
    assert sorted((line.sku, line.quantity, line.unit_price_minor) for line in lines) == [
        ("TEA-BLACK-100", 1, 1100),
        ("TEA-GREEN-100", 2, 1250),
    ]
    assert (await db.product(bot, "TEA-GREEN-100")).reserved == 2
    assert (await db.product(bot, "TEA-BLACK-100")).reserved == 1
    assert await db.cart_lines(bot, alice.id) == []
    assert len(await db.addresses(bot, alice.id)) == 1
    assert [e.type for e in await db.order_events(bot, order.id)] == ["placed", "confirmed"]

    await bot.outbox_drained()
    alert = bot.api.chat(ADMIN_CHAT).last_bot_message()
    assert alert is not None and f"New order {order.number}" in alert.text
    assert "2 × Longjing Green Tea 100 g" in alert.text and "Alice (@alice)" in alert.text

    orders = await alice.tap("My orders")
    assert orders.buttons[0] == [f"{order.number} · confirmed, pay on delivery · $41.00"]
    detail = await alice.tap(order.number)
    assert "Status: confirmed, pay on delivery" in detail.text and "order placed" in detail.text
    assert "1 Main Street" in detail.text
    assert db.bad_requests(bot) == []


async def test_customer_cancels_an_unpaid_order_and_its_stock_is_released(
    bot: BotUnderTest, alice: Person
) -> None:
    await fill_cart(alice)
    await checkout_new_address(alice)
    await alice.tap("Bank transfer")
    placed = await alice.tap("Confirm order")
    number = NUMBER.search(placed.text).group(0)
    assert "transfer" in placed.text

    await alice.tap("My orders")
    await alice.tap(number)
    ask = await alice.tap("Cancel order")
    assert f"Cancel order {number}" in ask.text
    detail = await alice.tap("Yes, cancel it")
    assert "Status: cancelled" in detail.text
    assert alice.answer["text"] == f"Order {number} cancelled"
    assert not any("Cancel order" in b for row in detail.buttons for b in row)

    [order] = await db.orders(bot, alice.id)
    assert order.status == OrderStatus.CANCELLED
    assert (await db.product(bot, "TEA-GREEN-100")).reserved == 0
    assert (await db.product(bot, "TEA-BLACK-100")).reserved == 0
    events = await db.order_events(bot, order.id)
    assert [(e.type, e.from_status, e.to_status, e.actor) for e in events][-1] == (
        "cancelled",
        "pending_payment",
        "cancelled",
        f"customer:{alice.id}",
    )

    await bot.outbox_drained()
    assert f"Order {number}" in bot.api.chat(ADMIN_CHAT).last_bot_message().text
    assert "cancelled" in bot.api.chat(ADMIN_CHAT).last_bot_message().text
    assert db.bad_requests(bot) == []


async def test_second_order_offers_the_saved_address_and_back_goes_one_step(
    bot: BotUnderTest, alice: Person
) -> None:
    await fill_cart(alice)
    await checkout_new_address(alice)
    await alice.tap("Cash on delivery")
    await alice.tap("Confirm order")

    await alice.say("/catalog")
    await alice.tap("Teaware")
    await alice.tap("Stoneware Mug")
    await alice.tap("Add 1 to cart")
    await alice.tap("Cart")
    choose = await alice.tap("Checkout")
    assert "Choose a saved address" in choose.text
    payment = await alice.tap("Alice Smith, 1 Main Street")
    assert "How would you like to pay" in payment.text
    back = await alice.tap("Back")
    assert "Choose a saved address" in back.text, "back from payment returns to the address choice"
    await alice.tap("Alice Smith, 1 Main Street")
    review = await alice.tap("Cash on delivery")
    back = await alice.tap("Back")
    assert "How would you like to pay" in back.text
    await alice.tap("Cash on delivery")
    await alice.tap("Confirm order")
    assert len(await db.orders(bot, alice.id)) == 2
    assert len(await db.addresses(bot, alice.id)) == 1
    assert review.message_id == back.message_id
    assert db.bad_requests(bot) == []


async def test_restarting_the_bot_mid_checkout_loses_nothing(
    bot: BotUnderTest, alice: Person
) -> None:
    await fill_cart(alice)
    await alice.tap("Cart")
    await alice.tap("Checkout")
    await alice.say("Alice Smith")

    await bot.restart()

    address_prompt = await alice.share_contact("+1 202 555 0143")
    assert "delivery address" in address_prompt.text
    await alice.say("1 Main Street, Springfield, IL 62701")

    await bot.restart()

    await alice.tap("Cash on delivery")
    placed = await alice.tap("Confirm order")
    assert "placed" in placed.text
    [order] = await db.orders(bot, alice.id)
    assert order.total_minor == 4100 and order.phone == "+12025550143"


async def test_cart_edits_update_the_same_message(bot: BotUnderTest, alice: Person) -> None:
    await fill_cart(alice)
    cart = await alice.tap("Cart")
    more = await alice.tap("➕", cart)
    assert more.message_id == cart.message_id
    assert "3 × $12.50 = $37.50" in more.text
    less = await alice.tap("➖")
    assert "2 × $12.50" in less.text
    removed = await alice.tap("🗑")
    assert "Longjing" not in removed.text and "Keemun" in removed.text
    empty = await alice.tap("🗑")
    assert "Your cart is empty" in empty.text
    assert await db.cart_lines(bot, alice.id) == []


async def test_chinese_speaker_is_served_in_chinese_and_can_switch(
    bot: BotUnderTest, li: Person
) -> None:
    welcome = await li.say("/start")
    assert "欢迎光临" in welcome.text and "李雷" in welcome.text
    assert welcome.buttons[0] == ["🛍 商品目录", "🛒 购物车"]
    picker = await li.say("/language")
    switched = await li.tap("English", picker)
    assert "Language set to English" in switched.text
    again = await li.say("/start")
    assert "Welcome to" in again.text


async def test_commands_are_registered_with_descriptions_in_both_languages(
    bot: BotUnderTest,
) -> None:
    english = [v for (scope, code), v in bot.api.commands.items() if code == ""]
    chinese = [v for (scope, code), v in bot.api.commands.items() if code == "zh"]
    assert english and chinese
    names = {c["command"] for c in english[0]}
    assert {"start", "catalog", "cart", "orders", "language", "help"} <= names
    assert any(c["description"] == "浏览商品" for c in chinese[0])


async def test_search_finds_products_by_typed_words(bot: BotUnderTest, alice: Person) -> None:
    await alice.say("/start")
    found = await alice.say("oolong")
    assert "1 product matches “oolong”" in found.text
    assert found.buttons[0][0].startswith("Tieguanyin Oolong")
    none = await alice.say("/search zzz%_")
    assert "Nothing matches" in none.text
