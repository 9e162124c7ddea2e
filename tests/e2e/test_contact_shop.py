"""Issue 15: a customer writes to the shop (from the menu, /contact or an order's screen), the
message reaches the admin chat, an admin answers with ↩️ Reply and the customer gets the
answer; read from both chats, and from the database file (the messages are not stored in
plain text)."""

from __future__ import annotations

from pathlib import Path

from tests.e2e import helpers as db
from tests.e2e.admin_kit import admin_world, place_order

QUESTION = "Do you ship to Winnipeg, Canada?"
ANSWER = "Yes, within 5 days to Winnipeg."


async def test_a_customer_asks_the_shop_and_an_admin_answers(tmp_path: Path) -> None:
    async with admin_world(tmp_path) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        menu = await alice.say("/start")
        assert ["💬 Contact the shop"] in menu.buttons
        ask = await alice.tap("Contact the shop", menu)
        assert ask.message_id == menu.message_id, "the question takes the menu's place"
        assert "Type your question in one message" in ask.text
        sent = await alice.say(QUESTION)
        assert "Your message was sent to the shop" in sent.text
        assert "Nothing matches" not in alice.transcript(), "the question is not a search"
        assert bot.api.chat(alice.id).message(ask.message_id).buttons == [], "no stale Cancel"

        await bot.outbox_drained()
        alert = ann.chat.last_bot_message()
        assert alert is not None and f"Alice (@alice) writes:\n{QUESTION}" in alert.text
        prompt = await ann.tap("Reply", alert)
        assert "Type your answer to Alice (@alice)" in prompt.text
        done = await ann.say(ANSWER)
        assert "Your answer was sent to Alice (@alice)" in done.text
        assert ann.chat.message(prompt.message_id).buttons == []

        await bot.outbox_drained()
        answer = alice.screen
        assert f"Message from the shop:\n{ANSWER}" in answer.text
        assert answer.buttons == [["↩️ Reply"]]
        await alice.tap("Reply", answer)
        await alice.say("Thank you!")
        await bot.outbox_drained()
        assert "Alice (@alice) writes:\nThank you!" in ann.chat.last_bot_message().text

        await world.eve.tap_data(alert.inline_keyboard[0][0]["callback_data"], alert)
        assert "Only the shop's admins" in world.eve.answer["text"]

        for name in ("shop.db", "shop.db-wal"):
            stored = tmp_path / name
            if stored.exists():
                assert b"Winnipeg" not in stored.read_bytes(), f"{name} holds a message in clear"
        assert db.bad_requests(bot) == []


async def test_a_customer_asks_about_an_order_from_its_screen(tmp_path: Path) -> None:
    async with admin_world(tmp_path) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        number = await place_order(alice)
        await alice.say("/orders")
        detail = await alice.tap(number)
        ask = await alice.tap("Ask the shop about this order", detail)
        assert f"about order {number}" in ask.text
        too_long = await alice.say("x" * 1001)
        assert "1000" in too_long.text and "Type your question" in too_long.text
        await alice.say("Can you gift-wrap it?")
        await bot.outbox_drained()
        alert = next(m for m in reversed(ann.chat.bot_messages()) if "gift-wrap" in (m.text or ""))
        assert f"Alice (@alice) writes about order {number}" in alert.text
        labels = [label for row in alert.buttons for label in row]
        assert "↩️ Reply" in labels and any("Open" in label for label in labels)
        card = await ann.tap("Open", alert)
        assert "Can you gift-wrap it?" in card.text, "the order's card has the message"


async def test_a_question_delivered_twice_reaches_the_shop_once(tmp_path: Path) -> None:
    async with admin_world(tmp_path) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        await alice.tap("Contact the shop", await alice.say("/start"))
        update = await alice.sim.send_text(QUESTION)
        await bot.processed(update)
        await bot.outbox_drained()
        await bot.deliver_again(update)  # Telegram delivers the question a second time
        await bot.outbox_drained()
        alerts = [m for m in ann.chat.bot_messages() if QUESTION in (m.text or "")]
        assert len(alerts) == 1, "one alert in the admin chat"
        sent = [t for t in alice.texts() if "was sent to the shop" in t]
        assert len(sent) == 1 and "Nothing matches" not in alice.transcript()
        assert db.bad_requests(bot) == []
