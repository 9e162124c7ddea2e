"""The merchant's /reviews (issue 15, item 14): ratings and comments newest first, the low
ones or one product's, a page at a time; the shop replies once and the customer receives it;
the reply is encrypted at rest like the comment; only admins may list or reply."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from storage.tables.reviews import ReviewRow
from tests.e2e import helpers as db
from tests.e2e.admin_kit import Admin
from tests.e2e.after_sales_kit import delivered_order, reviews, set_status, shop_world
from tests.e2e.harness import Person


async def rated(world: object, person: Person, stars: str, comment: str | None) -> str:
    number = await delivered_order(world, person)  # type: ignore[arg-type]
    await set_status(world, number, "complete")  # type: ignore[arg-type]
    await person.tap(stars, person.screen)
    if comment is None:
        await person.tap("Skip")
    else:
        await person.say(comment)
    return number


async def test_merchant_reads_reviews_newest_first_and_replies_once(tmp_path: Path) -> None:
    async with shop_world(tmp_path) as world:
        bot, alice, bob, ann = world.bot, world.alice, world.bob, world.ann
        first = await rated(world, alice, "5 ⭐", "Fragrant, will buy again")
        world.clock.advance(hours=1)
        second = await rated(world, bob, "2 ⭐", "Arrived crushed")

        screen = await ann.say("/reviews")
        body = screen.text
        assert "Reviews — All (2), newest first" in body
        assert body.index(second) < body.index(first), "newest first"
        assert "★★☆☆☆" in body and "“Arrived crushed”" in body and "Longjing" in body
        low = await ann.tap("★1–2", screen)
        assert "(1)" in low.text.splitlines()[0] and first not in low.text

        ask = await ann.tap(f"Reply to {second}", low)
        assert ask.message_id == screen.message_id, "the question takes over the list"
        assert "Arrived crushed" in ask.text
        update = await ann.sim.send_text("So sorry! A new tin is on its way.", chat_id=ann.chat_id)
        await bot.processed(update)
        await bot.deliver_again(update)  # delivered twice: one reply, one message
        back = ann.chat.message(screen.message_id)
        assert back is not None and back.text.startswith(
            f"↩️ Reply sent to the customer of order {second}"
        )
        assert "The shop: “So sorry! A new tin is on its way.”" in back.text
        assert not any(second in b for row in back.buttons for b in row), "replied once"

        await bot.outbox_drained()
        told = [t for t in bob.texts() if "The shop replied to your review" in t]
        expected = f"💬 The shop replied to your review of order {second}:\nSo sorry! A new tin"
        assert len(told) == 1 and told[0].startswith(expected)

        # A second reply (a stale button) is refused with a reason, and nothing is sent.
        bobs = next(r for r in await reviews(world) if r.customer_id == bob.id)
        await ann.tap_data(f"vy:{bobs.id}", back)
        assert (
            ann.answer["show_alert"] is True
            and "already has the shop's reply" in ann.answer["text"]
        )

        # Encrypted at rest: neither the comment nor the reply is stored as plain text.
        async with db.db_of(bot).uow(readonly=True) as uow:
            raw = (await uow.session.execute(text("SELECT comment, reply FROM reviews"))).all()
        stored = " ".join(str(v) for row in raw for v in row)
        assert "crushed" not in stored and "new tin" not in stored
        [row] = await db.rows(bot, ReviewRow, ReviewRow.customer_id == bob.id)
        assert (
            row.reply == "So sorry! A new tin is on its way."
            and row.replied_by == f"admin:{ann.id}"
        )
        assert [r for r in db.bad_requests(bot) if "query is too old" not in r] == []


async def test_reviews_of_one_product_and_pages(tmp_path: Path) -> None:
    async with shop_world(tmp_path) as world:
        alice, ann = world.alice, world.ann
        for n in range(6):
            await rated(world, alice, f"{1 + n % 5} ⭐", f"comment {n}")
            world.clock.advance(minutes=5)
        screen = await ann.say("/reviews TEA-GREEN-100")
        assert "Reviews — Longjing Green Tea 100 g (6)" in screen.text
        assert "comment 5" in screen.text and "comment 0" not in screen.text
        nxt = await ann.tap("▶", screen)
        assert "comment 0" in nxt.text and "2/2" in str(nxt.buttons)
        assert all(label.strip() for row in nxt.buttons for label in row), "no blank keys"
        unknown = await ann.say("/reviews NOPE-1")
        assert "No product has the SKU" in unknown.text


async def test_only_admins_see_reviews(tmp_path: Path) -> None:
    async with shop_world(tmp_path) as world:
        eve = Admin(world.bot, world.bot.api.add_user(6667, "Evan", language_code="en"))
        answer = await eve.say("/reviews")
        assert "Only the shop's admins" in answer.text
        await eve.tap_data("vl:all:0:0", answer)
        assert "Only the shop's admins" in eve.answer["text"]


async def test_the_product_card_shows_the_newest_comments(tmp_path: Path) -> None:
    async with shop_world(tmp_path) as world:
        alice, bob = world.alice, world.bob
        await rated(world, alice, "5 ⭐", "Fragrant, will buy again")
        world.clock.advance(hours=1)
        await rated(world, bob, "3 ⭐", None)  # a rating without words shows no line
        world.clock.advance(hours=1)
        await rated(world, bob, "4 ⭐", "Good value")
        await alice.say("/catalog")
        await alice.tap("Tea")
        card = await alice.tap("Longjing")
        body = card.body or ""
        assert "★ 4.0 (3 reviews)" in body
        lines = [line for line in body.splitlines() if line.startswith("💬")]
        assert lines == [
            "💬 ★★★★ “Good value” — Bob",
            "💬 ★★★★★ “Fragrant, will buy again” — Alice",
        ]
        plus = await alice.tap("➕", card)
        assert "Good value" in (plus.body or ""), "the card keeps them as it changes"


async def test_a_product_link_and_an_inline_result_open_the_same_card(tmp_path: Path) -> None:
    """/start <sku> and an inline result's Open button show the catalog's card, comments and
    all: one code path for the card (bot/catalog/handlers.py product_screen)."""
    async with shop_world(tmp_path) as world:
        bot, alice, bob = world.bot, world.alice, world.bob
        await rated(world, alice, "5 ⭐", "Fragrant, will buy again")
        world.clock.advance(hours=1)
        await rated(world, bob, "4 ⭐", "Good value")
        await alice.say("/catalog")
        await alice.tap("Tea")
        from_catalog = await alice.tap("Longjing")
        assert "💬 ★★★★ “Good value” — Bob" in (from_catalog.body or "")

        from_link = await alice.say("/start TEA-GREEN-100")
        assert from_link.message_id != from_catalog.message_id, "a new message for a link"
        assert from_link.body == from_catalog.body
        assert from_link.buttons == from_catalog.buttons

        bot.api.inline_mode = True  # BotFather's /setinline
        await bot.restart()  # the bot reads it from getMe when it starts
        query = await bob.sim.inline_query("Longjing")
        await bot.processed(query)
        [result] = bot.api.inline_answers[query["inline_query"]["id"]]["results"]
        [[open_button]] = result["reply_markup"]["inline_keyboard"]
        payload = open_button["url"].split("?start=")[1]
        from_inline = await alice.say(f"/start {payload}")  # the button, tapped
        assert from_inline.body == from_catalog.body
        assert from_inline.buttons == from_catalog.buttons  # Share now picks a chat: same label
        assert "💬 ★★★★★ “Fragrant, will buy again” — Alice" in (from_inline.body or "")
