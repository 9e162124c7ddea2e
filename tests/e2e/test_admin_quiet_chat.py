"""A quiet admin chat (issue 15, item 11): the order card is edited in place across the admin's
steps, a question answered by typing is followed by the next one below it while the one above
goes back to being the card or loses its buttons, and a finished dialog leaves one card and at
most a one-line record."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from domain.orders.lifecycle import OrderStatus
from tests.e2e import helpers as db
from tests.e2e.admin_kit import (
    DIALOG_KEYS,
    World,
    admin_script,
    admin_world,
    open_alert,
    order_row,
    place_order,
    sent_to_admins,
)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with admin_world(tmp_path) as running:
        yield running


def dialog_buttons(world: World) -> list[str]:
    """Texts of bot messages in the admin chat that still show a dialog's Skip or Cancel."""
    return [
        m.text or ""
        for m in world.ann.chat.bot_messages()
        if any(b in DIALOG_KEYS for row in m.buttons for b in row)
    ]


async def test_shipping_with_a_typed_tracking_number_keeps_one_card_and_no_stale_buttons(
    world: World,
) -> None:
    bot, ann = world.bot, world.ann
    number = await place_order(world.alice)
    card = await open_alert(ann, number)
    since = len(bot.api.requests)

    await ann.tap("Ship", card)
    await ann.tap("SF Express", card)
    question = await ann.say("SF1234567890123")
    assert question.message_id != card.message_id, "the next question comes below the answer"
    assert "note" in question.text.lower()
    above = ann.chat.message(card.message_id)
    assert above is not None and f"Order {number}" in above.text and "Timeline" in above.text
    assert not any("Cancel" == b.split(" ", 1)[-1] for row in above.buttons for b in row), (
        "the card is the card again, not a question with a Cancel button"
    )
    await ann.tap("Skip", question)
    done = await ann.tap("Confirm shipment", question)

    assert done.message_id == question.message_id
    assert done.text.startswith(f"🚚 Order {number} shipped") and len(done.text.splitlines()) == 1
    assert done.buttons == []
    above = ann.chat.message(card.message_id)
    assert above is not None and "— shipped" in above.text and "SF1234567890123" in above.text
    assert any("Mark delivered" in b for row in above.buttons for b in row)
    assert len(sent_to_admins(ann, since)) == 1, "one new message: the question after typing"
    assert dialog_buttons(world) == []
    assert (await order_row(bot, number)).status == OrderStatus.SHIPPED
    assert db.bad_requests(bot) == []


async def test_a_typed_note_shows_on_the_card_and_a_replayed_note_changes_nothing(
    world: World,
) -> None:
    bot, ann = world.bot, world.ann
    number = await place_order(world.alice)
    card = await open_alert(ann, number)
    since = len(bot.api.requests)

    await ann.tap("Note", card)
    update = await ann.sim.send_text("Two boxes, fragile", chat_id=ann.chat_id)
    await bot.processed(update)

    assert sent_to_admins(ann, since) == [], "a one-step dialog posts nothing new"
    now = ann.chat.message(card.message_id)
    assert now is not None and now.text.startswith(f"📝 Note added to order {number}")
    assert "Two boxes, fragile" in now.text and any(
        "Message customer" in b for row in now.buttons for b in row
    )
    await bot.deliver_again(update)
    order = await order_row(bot, number)
    notes = [e for e in await db.order_events(bot, order.id) if e.type == "note_added"]
    assert len(notes) == 1, "a replayed answer adds no second note"
    assert sent_to_admins(ann, since) == []
    assert dialog_buttons(world) == []
    assert db.bad_requests(bot) == []


async def test_a_refused_answer_asks_again_below_and_the_question_above_loses_its_buttons(
    world: World,
) -> None:
    bot, ann = world.bot, world.ann
    number = await place_order(world.alice)
    card = await open_alert(ann, number)
    await ann.tap("Cancel order", card)
    again = await ann.say("x")
    assert "2–200 characters" in again.text and any(
        "Cancel" in b for row in again.buttons for b in row
    )
    confirm = await ann.say("Out of Longjing until spring")
    old = ann.chat.message(again.message_id)
    assert old is not None and old.buttons == [], "the refused question keeps no buttons"
    assert [m for m in dialog_buttons(world)] == [confirm.text]
    await ann.tap("Yes, cancel the order", confirm)
    assert dialog_buttons(world) == []
    above = ann.chat.message(card.message_id)
    assert above is not None and "— cancelled" in above.text
    assert db.bad_requests(bot) == []


async def test_starting_another_dialog_gives_the_first_card_back(world: World) -> None:
    bot, ann = world.bot, world.ann
    first = await place_order(world.alice)
    second = await place_order(world.alice)
    card_a = await open_alert(ann, first)
    card_b = await open_alert(ann, second)
    await ann.tap("Ship", card_a)
    await ann.tap("Note", card_b)
    a = ann.chat.message(card_a.message_id)
    assert a is not None and f"Order {first}" in a.text and "Which carrier" not in a.text
    assert dialog_buttons(world) == [ann.chat.message(card_b.message_id).text]  # type: ignore[union-attr]
    assert db.bad_requests(bot) == []


async def test_fifteen_admin_actions_post_four_messages(world: World) -> None:
    """The script of bench/admin_chat.py: before issue 15 it posted 6 messages (98 lines) and
    left 4 finished questions with a Cancel button."""
    bot, ann = world.bot, world.ann
    a = await place_order(world.alice)
    b = await place_order(world.alice)
    await bot.outbox_drained()
    since = len(bot.api.requests)
    await admin_script(ann, a, b)
    sent = sent_to_admins(ann, since)
    assert len(sent) == 4, sent  # two cards opened from alerts, two questions after typing
    assert sum(len(t.splitlines()) for t in sent) <= 45
    assert dialog_buttons(world) == []
    cards = [m for m in ann.chat.bot_messages() if "Timeline" in (m.text or "")]
    assert len(cards) == 2, "one card per order"
    assert db.bad_requests(bot) == []
