"""A shared contact goes straight to checkout's phone step (issue 13: one transaction, no read
before it); what the phone step does not take is refused as before, and changes nothing."""

from __future__ import annotations

from domain.checkout.flow import CheckoutStep
from storage.tables.customers import CustomerRow
from tests.e2e import helpers as db
from tests.e2e.harness import BotUnderTest, Person
from tests.e2e.test_customer_journey import fill_cart

UNEXPECTED = "only need a phone number during checkout"


async def verified_phone(bot: BotUnderTest, person: Person) -> str | None:
    [row] = await db.rows(bot, CustomerRow, CustomerRow.id == person.id)
    return row.verified_phone  # type: ignore[no-any-return]


async def step_of(bot: BotUnderTest, person: Person) -> str:
    row = await db.checkout(bot, person.id)
    assert row is not None
    return row.step  # type: ignore[no-any-return]


async def test_a_contact_at_another_step_is_refused_and_changes_nothing(
    bot: BotUnderTest, alice: Person
) -> None:
    await fill_cart(alice)
    await alice.tap("Cart")
    await alice.tap("Checkout")  # the recipient's name is asked
    for phone in ("+12025550143", "12"):  # a valid number, and one that is not
        refused = await alice.share_contact(phone)
        assert UNEXPECTED in (refused.text or ""), alice.transcript()
    assert await step_of(bot, alice) == CheckoutStep.ENTER_RECIPIENT
    assert await verified_phone(bot, alice) is None, "a refused contact verifies nothing"

    await alice.say("Alice Smith")
    bad = await alice.share_contact("12")
    assert "doesn't look valid" in (bad.text or ""), alice.transcript()
    assert await step_of(bot, alice) == CheckoutStep.ENTER_PHONE
    asked = await alice.share_contact("+12025550143")
    assert "Send the full delivery address" in (asked.text or ""), alice.transcript()
    assert await step_of(bot, alice) == CheckoutStep.ENTER_ADDRESS
    assert await verified_phone(bot, alice) == "+12025550143"

    late = await alice.share_contact("+12025550143")  # the address is asked now
    assert UNEXPECTED in (late.text or ""), alice.transcript()
    assert await step_of(bot, alice) == CheckoutStep.ENTER_ADDRESS


async def test_a_contact_outside_checkout_is_refused(bot: BotUnderTest, alice: Person) -> None:
    await alice.say("/start")
    for phone in ("+12025550143", "12"):
        refused = await alice.share_contact(phone)
        assert UNEXPECTED in (refused.text or ""), alice.transcript()
    assert await db.checkout(bot, alice.id) is None
    assert await verified_phone(bot, alice) is None
