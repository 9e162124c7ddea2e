"""Wrong, stale, forged and repeated input: a clear reply, nothing changed, nothing lost."""

from __future__ import annotations

import asyncio
import re

from domain.orders.lifecycle import OrderStatus
from tests.e2e import helpers as db
from tests.e2e.harness import BotUnderTest, Person
from tests.e2e.test_customer_journey import checkout_new_address, fill_cart

NUMBER = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}")


async def product_id(bot: BotUnderTest, sku: str) -> int:
    return (await db.product(bot, sku)).id


async def reach_review(alice: Person) -> None:
    await fill_cart(alice)
    await checkout_new_address(alice)
    await alice.tap("Cash on delivery")


async def test_quantities_outside_1_to_99_or_above_stock_are_refused(
    bot: BotUnderTest, alice: Person
) -> None:
    await alice.say("/start")
    pid = await product_id(bot, "TEA-PUER-357")  # 8 in stock
    for qty, expected in ((0, "from 1 to 99"), (100, "from 1 to 99"), (9, "only 8 of")):
        await alice.tap_data(f"pa:{pid}:{qty}:1:0")
        assert alice.answer["show_alert"] is True
        assert expected in alice.answer["text"], alice.answer
    await alice.tap_data(f"pa:{pid}:8:1:0")
    await alice.tap_data(f"pa:{pid}:1:1:0")
    assert "only 8 of" in alice.answer["text"], "the cart may not hold more than is available"
    [line] = await db.cart_lines(bot, alice.id)
    assert line.quantity == 8
    assert db.bad_requests(bot) == []


async def test_a_bad_address_or_phone_is_asked_again_and_nothing_moves(
    bot: BotUnderTest, alice: Person
) -> None:
    await fill_cart(alice)
    await alice.tap("Cart")
    await alice.tap("Checkout")
    short = await alice.say("A")
    assert "recipient's name" in short.text
    assert (await db.checkout(bot, alice.id)).step == "enter_recipient"
    await alice.say("Alice Smith")
    bad_phone = await alice.say("12ab")
    assert "doesn't look valid" in bad_phone.text
    assert bad_phone.reply_keyboard is not None, "the contact button is offered again"
    assert (await db.checkout(bot, alice.id)).step == "enter_phone"
    await alice.say("+1 202 555 0143")
    empty = await alice.say("    ")
    assert "too short" in empty.text
    long = await alice.say("x" * 1000)
    assert "too long" in long.text
    state = await db.checkout(bot, alice.id)
    assert state.step == "enter_address" and state.draft["address_text"] is None
    huge = await alice.say("y" * 3000)
    assert "too long" in huge.text
    payment = await alice.say("1 Main Street, Springfield")
    assert "How would you like to pay" in payment.text
    assert db.bad_requests(bot) == []


async def test_text_where_a_button_is_expected_re_asks(bot: BotUnderTest, alice: Person) -> None:
    await reach_review(alice)
    hint = alice.screen
    await alice.say("yes please")
    assert "Please use the buttons" in alice.messages[-2].text
    again = alice.screen
    assert "Please check your order" in again.text and again.message_id != hint.message_id
    assert (await db.checkout(bot, alice.id)).step == "review"
    placed = await alice.tap("Confirm order", again)
    assert "placed" in placed.text


async def test_a_second_tap_on_confirm_places_exactly_one_order(
    bot: BotUnderTest, alice: Person
) -> None:
    await reach_review(alice)
    review = alice.screen
    data = review.callback_data("✅ Confirm order")
    first = await alice.sim.tap_data(review, data)
    second = await alice.sim.tap_data(review, data)  # both taps arrive before either is handled
    await asyncio.gather(bot.processed(first), bot.processed(second))
    third = await alice.tap_data(data, review)
    assert "already placed" in alice.answer["text"]
    orders = await db.orders(bot, alice.id)
    assert len(orders) == 1
    assert orders[0].number in third.text
    assert (await db.product(bot, "TEA-GREEN-100")).reserved == 2


async def test_stock_running_out_before_confirmation_places_nothing(
    bot: BotUnderTest, alice: Person, bob: Person
) -> None:
    await reach_review(alice)
    await db.set_product(bot, "TEA-GREEN-100", stock=1)
    cart = await alice.tap("Confirm order")
    assert alice.answer["show_alert"] is True
    assert "only 1 of “Longjing Green Tea 100 g” left" in alice.answer["text"]
    assert "Your cart" in cart.text and "only 1 left" in cart.text
    assert await db.orders(bot, alice.id) == []
    assert len(await db.cart_lines(bot, alice.id)) == 2, "the cart is kept"
    assert (await db.product(bot, "TEA-BLACK-100")).reserved == 0, "no partial reservation"


async def test_stale_buttons_get_a_clear_answer_and_change_nothing(
    bot: BotUnderTest, alice: Person
) -> None:
    await fill_cart(alice)
    # Product deleted after its card was shown.
    await alice.tap("Back")
    card = await alice.tap("Jasmine")
    await db.set_product(bot, "TEA-JASMINE-50", active=False)
    listing = await alice.tap("Add 1 to cart", card)
    assert "no longer available" in alice.answer["text"]
    assert not any("Jasmine" in b for row in listing.buttons for b in row)

    # Cart changed since the message was sent.
    old_cart = await alice.say("/cart")
    new_cart = await alice.say("/cart")
    await alice.tap("🗑", new_cart)
    await alice.tap("🗑", alice.screen)
    refreshed = await alice.tap("➕", old_cart)
    assert "no longer in your cart" in alice.answer["text"]
    assert "Your cart is empty" in refreshed.text

    # Order cancelled in another message.
    await fill_cart(alice)
    await checkout_new_address(alice)
    await alice.tap("Cash on delivery")
    placed = await alice.tap("Confirm order")
    number = NUMBER.search(placed.text).group(0)
    first = await alice.say("/orders")
    detail_one = await alice.tap(number, first)
    second = await alice.say("/orders")
    detail_two = await alice.tap(number, second)
    await alice.tap("Cancel order", detail_two)
    await alice.tap("Yes, cancel it")
    await alice.tap("Cancel order", detail_one)
    assert "can no longer be cancelled" in alice.answer["text"]
    [order] = await db.orders(bot, alice.id)
    assert order.status == OrderStatus.CANCELLED
    assert db.bad_requests(bot) == []


async def test_forged_callback_data_is_refused(bot: BotUnderTest, alice: Person) -> None:
    await alice.say("/start")
    for data in ("zz:1", "pc:abc:1:1:0", "pa:1:1", "od:not-a-number:0", "ky:../../x", "x" * 64, ""):
        await alice.tap_data(data)
        assert alice.answer["show_alert"] is True
        assert "no longer valid" in alice.answer["text"], (data, alice.answer)
    await alice.tap_data("pa:99999:1:1:0")
    assert "no longer available" in alice.answer["text"]
    await alice.tap_data("ky:forgedtoken")
    assert "out of date" in alice.answer["text"]
    assert await db.cart_lines(bot, alice.id) == []
    assert await db.orders(bot) == []


async def test_another_customers_order_is_not_found(
    bot: BotUnderTest, alice: Person, bob: Person
) -> None:
    await reach_review(alice)
    placed = await alice.tap("Confirm order")
    number = NUMBER.search(placed.text).group(0)
    await bob.say("/start")
    await bob.tap_data(f"od:{number}:0")
    assert bob.answer["text"] == "Order not found."
    await bob.tap_data(f"oy:{number}:0")
    assert bob.answer["text"] == "Order not found."
    [order] = await db.orders(bot, alice.id)
    assert order.status == OrderStatus.CONFIRMED  # cash on delivery, untouched by Bob
    assert number not in "".join(bob.texts())


async def test_unknown_commands_and_other_messages_get_a_friendly_reply(
    bot: BotUnderTest, alice: Person
) -> None:
    reply = await alice.say("/frobnicate")
    assert "don't know that command" in reply.text
    photo = await alice.send_photo()
    assert "can't use that here" in photo.text
    contact = await alice.share_contact("+12025550143")
    assert "only need a phone number during checkout" in contact.text
    nothing = await alice.say("/cancel")
    assert "no checkout to cancel" in nothing.text


async def test_cancel_from_a_typed_step_keeps_the_cart(bot: BotUnderTest, alice: Person) -> None:
    await fill_cart(alice)
    await alice.tap("Cart")
    await alice.tap("Checkout")
    await alice.say("Alice Smith")
    cart = await alice.say("✖️ Cancel checkout")
    assert "Your cart" in cart.text
    assert "Checkout cancelled" in alice.messages[-2].text
    assert len(await db.cart_lines(bot, alice.id)) == 2
    assert (await db.checkout(bot, alice.id)).step == "abandoned"


async def test_a_price_change_after_review_is_shown_before_anything_is_charged(
    bot: BotUnderTest, alice: Person
) -> None:
    await reach_review(alice)
    await db.set_product(bot, "TEA-GREEN-100", price_minor=1300)
    review = await alice.tap("Confirm order")
    assert alice.answer["show_alert"] is True
    assert "The new total is $42.00" in alice.answer["text"]
    assert "Total: $42.00" in review.text and "Please check your order" in review.text
    assert await db.orders(bot, alice.id) == []
    placed = await alice.tap("Confirm order")
    assert "placed" in placed.text
    [order] = await db.orders(bot, alice.id)
    assert order.total_minor == 4200
