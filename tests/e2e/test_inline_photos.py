"""Inline mode with pictures (issue 15, item 7): a product whose photo Telegram already has
(its file id, kept when its card was first sent) is answered as a cached photo result, posted
as that photo with the card as caption and the Open button; a product whose photo is only a
local file is a text result until then."""

from __future__ import annotations

from typing import Any

from storage.tables.catalog import ProductRow
from tests.e2e import helpers as db
from tests.e2e.harness import BotUnderTest, Person


async def _answer(
    bot: BotUnderTest, person: Person, words: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    query = await person.sim.inline_query(words)
    await bot.processed(query)
    return query, bot.api.inline_answers[query["inline_query"]["id"]]


async def test_a_product_with_a_telegram_photo_is_a_photo_result(
    bot: BotUnderTest, alice: Person, bob: Person
) -> None:
    bot.api.inline_mode = True  # BotFather's /setinline
    await bot.restart()
    bot.api.add_group(-777, "Tea friends")

    _, before = await _answer(bot, alice, "Longjing")
    [result] = before["results"]
    assert result["type"] == "article", "the photo is a local file Telegram cannot fetch yet"

    card = await alice.say("/start TEA-GREEN-100")  # its card sends the photo: a file id now
    [row] = await db.rows(bot, ProductRow, ProductRow.sku == "TEA-GREEN-100")
    assert card.kind == "photo" and row.photo_file_id == card.photo_file_id

    query, after = await _answer(bot, bob, "Longjing")
    [result] = after["results"]
    assert result["type"] == "photo" and result["photo_file_id"] == row.photo_file_id
    assert result["title"] == "Longjing Green Tea 100 g"
    posted = await bob.sim.choose_inline_result(query, result["id"], chat_id=-777)
    assert posted.kind == "photo" and posted.photo[-1]["file_id"] == row.photo_file_id
    assert "Longjing Green Tea 100 g" in (posted.caption or "")
    assert "$12.50" in (posted.caption or "")
    [[open_in_shop]] = posted.inline_keyboard
    assert open_in_shop["url"] == "https://t.me/shop_test_bot?start=TEA-GREEN-100"

    _, others = await _answer(bot, bob, "oolong")
    assert [r["type"] for r in others["results"]] == ["article"], "no photo: a text result"
    assert db.bad_requests(bot) == []
