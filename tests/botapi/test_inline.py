"""Inline mode on the local Bot API server: answerInlineQuery checked as Telegram checks it,
and a chosen result posted "via @bot"."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import telegram
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultCachedPhoto,
    InlineQueryResultPhoto,
    InlineQueryResultsButton,
    InputTextMessageContent,
)
from telegram.error import BadRequest

from bot.botapi.server import FakeBotApi

TOKEN = "123456:TEST"


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi(token=TOKEN, bot_username="shop_test_bot")
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[telegram.Bot]:
    client = telegram.Bot(api.token, base_url=api.url + "/bot", base_file_url=api.url + "/file/bot")
    async with client:
        yield client


def article(result_id: str = "1", text: str = "<b>Tea</b> $12.50", **extra: object) -> object:
    return InlineQueryResultArticle(
        result_id, "Tea", InputTextMessageContent(text, parse_mode="HTML"), **extra
    )


async def test_an_inline_query_needs_inline_mode_switched_on(
    api: FakeBotApi, bot: telegram.Bot
) -> None:
    user = api.add_user(1, "Ann")
    assert (await bot.get_me()).supports_inline_queries is False
    with pytest.raises(RuntimeError):
        await user.inline_query("tea")
    api.inline_mode = True
    assert (await bot.get_me()).supports_inline_queries is True
    update = await user.inline_query("tea " * 100)
    assert update["inline_query"]["query"] == ("tea " * 100)[:256]
    assert update["inline_query"]["chat_type"] == "sender"


async def test_a_chosen_article_is_posted_via_the_bot_with_its_keyboard(
    api: FakeBotApi, bot: telegram.Bot
) -> None:
    api.inline_mode = True
    user = api.add_user(1, "Ann")
    api.add_group(-5, "Friends")
    update = await user.inline_query("tea")
    query_id = update["inline_query"]["id"]
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Open", url="https://t.me/shop_test_bot?start=TEA-1")]]
    )
    assert await bot.answer_inline_query(
        query_id,
        [article(reply_markup=keyboard)],
        cache_time=0,
        is_personal=True,
        button=InlineQueryResultsButton("Open the shop", start_parameter="TEA-1"),
    )
    answer = api.inline_answers[query_id]
    assert (answer["cache_time"], answer["is_personal"]) == (0, True)

    posted = await user.choose_inline_result(update, "1", chat_id=-5)
    assert posted.text == "Tea $12.50" and posted.entities[0]["type"] == "bold"
    assert posted.buttons == [["Open"]]
    assert posted.extra["via_bot"]["username"] == "shop_test_bot"
    kinds = [next(k for k in u if k != "update_id") for u in api.pending_updates()]
    assert kinds == ["inline_query"], "the bot is not told of a post in another chat"
    with pytest.raises(LookupError):
        await user.choose_inline_result(update, "2", chat_id=-5)


async def test_a_cached_photo_is_posted_as_that_photo_with_its_caption(
    api: FakeBotApi, bot: telegram.Bot
) -> None:
    api.inline_mode = True
    user = api.add_user(1, "Ann")
    file_id = api.store_photo(None, url="https://example.com/tea.jpg")[-1]["file_id"]
    update = await user.inline_query("tea")
    query_id = update["inline_query"]["id"]
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Open", url="https://t.me/shop_test_bot?start=TEA-1")]]
    )
    photo = InlineQueryResultCachedPhoto(
        "1",
        file_id,
        title="Tea",
        caption="<b>Tea</b> $12.50",
        parse_mode="HTML",
        reply_markup=keyboard,
    )
    assert await bot.answer_inline_query(query_id, [photo])
    posted = await user.choose_inline_result(update, "1")
    assert posted.kind == "photo" and posted.photo[-1]["file_id"] == file_id
    assert posted.caption == "Tea $12.50" and posted.entities[0]["type"] == "bold"
    assert posted.buttons == [["Open"]]


async def test_a_cached_photo_must_be_a_photo_of_this_bot(
    api: FakeBotApi, bot: telegram.Bot
) -> None:
    api.inline_mode = True
    user = api.add_user(1, "Ann")
    query_id = (await user.inline_query("tea"))["inline_query"]["id"]
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.answer_inline_query(query_id, [InlineQueryResultCachedPhoto("1", "AgACnope")])
    document = api.store_document(b"%PDF", "list.pdf", "application/pdf").file_id
    with pytest.raises(BadRequest, match=r"(?i)can't use file of type document as photo"):
        await bot.answer_inline_query(query_id, [InlineQueryResultCachedPhoto("1", document)])
    assert query_id not in api.inline_answers


async def test_an_inline_query_is_answered_once(api: FakeBotApi, bot: telegram.Bot) -> None:
    api.inline_mode = True
    user = api.add_user(1, "Ann")
    query_id = (await user.inline_query("tea"))["inline_query"]["id"]
    await bot.answer_inline_query(query_id, [article()])
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_inline_query(query_id, [article()])
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_inline_query("999", [article()])


@pytest.mark.parametrize(
    ("results", "kwargs", "refusal"),
    [
        ([article(str(i)) for i in range(51)], {}, "Results_too_much"),
        ([article("1"), article("1")], {}, "Result_id_duplicate"),
        ([article("x" * 65)], {}, "Result_id_invalid"),
        ([article(text=" ")], {}, "Message_empty"),
        ([article(text="<b>open")], {}, "Can't parse entities"),
        ([article(text="x" * 4097)], {}, "Message is too long"),
        (
            [InlineQueryResultPhoto("1", "https://example.com/t.jpg", "")],
            {},
            "Photo_thumb_url_empty",
        ),
        ([article()], {"next_offset": "x" * 65}, "Next_offset_invalid"),
        (
            [article()],
            {"button": InlineQueryResultsButton("Open", start_parameter="no spaces")},
            "Start_param_invalid",
        ),
        (
            [
                article(
                    reply_markup=InlineKeyboardMarkup(
                        [[InlineKeyboardButton("Open", url="http://127.0.0.1/x")]]
                    )
                )
            ],
            {},
            "Button_url_invalid",
        ),
    ],
)
async def test_answers_telegram_refuses_are_refused(
    api: FakeBotApi,
    bot: telegram.Bot,
    results: list[object],
    kwargs: dict[str, object],
    refusal: str,
) -> None:
    api.inline_mode = True
    user = api.add_user(1, "Ann")
    query_id = (await user.inline_query("tea"))["inline_query"]["id"]
    with pytest.raises(BadRequest, match=refusal):
        await bot.answer_inline_query(query_id, results, **kwargs)  # type: ignore[arg-type]
    assert query_id not in api.inline_answers
    assert await bot.answer_inline_query(query_id, [article()]), "a refused answer can be retried"
