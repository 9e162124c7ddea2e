"""The checkout's summary is always the cart as it is now: a cart emptied from /cart during
checkout offers nothing to confirm."""

from __future__ import annotations

from tests.e2e import helpers as db
from tests.e2e.harness import BotUnderTest, Person


async def test_a_cart_emptied_during_checkout_offers_nothing_to_confirm(
    bot: BotUnderTest, alice: Person
) -> None:
    await alice.say("/start")
    await alice.tap("Catalog")
    await alice.tap("Tea")
    await alice.tap("Longjing")
    await alice.tap("Add 1 to cart")
    await alice.tap("Cart")
    await alice.tap("Checkout")
    await alice.say("Alice Smith")
    await alice.share_contact("12025550143")
    payment = await alice.say("1 Main Street, Springfield, IL 62701")
    assert any("Bank transfer" in b for row in payment.buttons for b in row), alice.transcript()

    cart = await alice.say("/cart")
    await alice.tap("➖", cart)
    assert await db.cart_lines(bot, alice.id) == []

    after = await alice.tap("Bank transfer", payment)
    assert alice.answer["show_alert"] and "cart is empty" in alice.answer["text"]
    assert "Total to pay: $0.00" not in alice.transcript()
    assert not any("Confirm order" in b for row in after.buttons for b in row)
    assert await db.orders(bot, alice.id) == []
