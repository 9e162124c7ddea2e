"""Tests for the fake Bot API server: raw HTTP, telegram.Bot and a polling Application."""

from __future__ import annotations

import asyncio
import json
import struct
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import telegram
from telegram import (
    ForceReply,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    KeyboardButton,
    LabeledPrice,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter, TimedOut

from bot.botapi.entities_base import utf16_len
from bot.botapi.entities_html import parse_html
from bot.botapi.entities_markdown import parse_markdown, parse_markdown_v2
from bot.botapi.server import FakeBotApi, SimMessage

TOKEN = "123456:TEST"
RawCall = Callable[..., Awaitable[tuple[int, dict[str, Any]]]]


def png(width: int = 4, height: int = 3) -> bytes:
    """A real, tiny PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def ptb(description: str) -> str:
    """How python-telegram-bot renders a Telegram description in BadRequest.message."""
    stripped = description.removeprefix("Bad Request: ")
    return stripped.capitalize() if stripped != description else description


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


@pytest.fixture
async def call(api: FakeBotApi) -> AsyncIterator[RawCall]:
    """Raw HTTP: call(method, params, encoding="json"|"form"|"query", token=...)."""
    async with aiohttp.ClientSession() as session:

        async def _call(
            method: str,
            params: dict[str, Any] | None = None,
            *,
            encoding: str = "json",
            token: str = TOKEN,
        ) -> tuple[int, dict[str, Any]]:
            url = f"{api.url}/bot{token}/{method}"
            params = params or {}
            flat = {
                k: v if isinstance(v, str) else json.dumps(v)
                for k, v in params.items()
                if v is not None
            }
            if encoding == "json":
                response = await session.post(url, json=params)
            elif encoding == "form":
                response = await session.post(url, data=flat)
            else:
                response = await session.get(url, params=flat)
            async with response:
                return response.status, await response.json()

        yield _call


@pytest.fixture
def alice(api: FakeBotApi) -> Any:
    return api.add_user(1001, "Alice", language_code="en", username="alice")


def kb(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows]
    )


# =============================================================================== transport


async def test_parameters_arrive_as_json_form_or_query_and_methods_are_case_insensitive(
    api: FakeBotApi, alice: Any, call: RawCall
) -> None:
    for index, encoding in enumerate(("json", "form", "query")):
        status, body = await call(
            "SENDmessage", {"chat_id": 1001, "text": f"hi {index}"}, encoding=encoding
        )
        assert status == 200, body
        assert body["ok"] is True
        assert body["result"]["text"] == f"hi {index}"
    assert [m.text for m in api.chat(1001).bot_messages()] == ["hi 0", "hi 1", "hi 2"]
    assert [r.method for r in api.requests] == ["sendMessage"] * 3
    assert api.calls("sendmessage")[0].params == {"chat_id": 1001, "text": "hi 0"}
    markup = {"inline_keyboard": [[{"text": "Buy", "callback_data": "buy"}]]}
    for encoding in ("form", "query"):  # nested objects arrive as JSON strings
        status, body = await call(
            "sendMessage",
            {"chat_id": 1001, "text": "kb", "reply_markup": markup},
            encoding=encoding,
        )
        assert body["result"]["reply_markup"] == markup
    assert api.calls("sendMessage")[-1].params["reply_markup"] == markup


async def test_wrong_token_and_unknown_method(api: FakeBotApi, call: RawCall) -> None:
    assert await call("getMe", token="123456:WRONG") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    assert await call("getMe", token="garbage") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    assert await call("sendCarrierPigeon") == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found: method not found"},
    )
    assert [r.status for r in api.requests] == [401, 404, 404]


async def test_get_me_through_ptb(bot: telegram.Bot, api: FakeBotApi) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "shop_test_bot", True)
    assert api.bot_id == 123456
    bad = telegram.Bot("123456:NOPE", base_url=api.url + "/bot")
    with pytest.raises(InvalidToken):
        await bad.get_me()


# =============================================================================== sending text


async def test_send_message_is_visible_to_the_user(
    bot: telegram.Bot, api: FakeBotApi, alice: Any
) -> None:
    sent = await bot.send_message(
        1001, "<b>Cart</b> total: 5 €", parse_mode="HTML", reply_markup=kb([("Pay", "pay:1")])
    )
    assert sent.text == "Cart total: 5 €"
    assert sent.from_user is not None and sent.from_user.id == api.bot_id
    msg = api.chat(1001).last_bot_message()
    assert msg is not None
    assert (msg.message_id, msg.text, msg.html, msg.parse_mode) == (
        sent.message_id,
        "Cart total: 5 €",
        "<b>Cart</b> total: 5 €",
        "HTML",
    )
    assert msg.entities == [{"type": "bold", "offset": 0, "length": 4}]
    assert msg.buttons == [["Pay"]]
    assert msg.callback_data("Pay") == "pay:1"
    assert msg.body == msg.text
    assert msg.kind == "text" and msg.from_bot


async def test_message_ids_per_chat_are_shared_between_user_and_bot(
    bot: telegram.Bot, api: FakeBotApi, alice: Any
) -> None:
    bob = api.add_user(1002, "Bob")
    await alice.send_text("one")
    m2 = await bot.send_message(1001, "two")
    await bob.send_text("bob one")
    m3 = await bot.send_message(1001, "three")
    assert [m.message_id for m in api.chat(1001).messages] == [1, 2, 3]
    assert (m2.message_id, m3.message_id) == (2, 3)
    assert [m.message_id for m in api.chat(1002).messages] == [1]
    assert [m.from_bot for m in api.chat(1001).messages] == [False, True, True]


async def test_unknown_chat_and_blocked_user(
    bot: telegram.Bot, api: FakeBotApi, alice: Any
) -> None:
    with pytest.raises(BadRequest) as info:
        await bot.send_message(999, "hi")
    assert info.value.message == "Chat not found"
    assert api.requests[-1].response["description"] == "Bad Request: chat not found"

    update = alice.block()
    assert update["my_chat_member"]["new_chat_member"]["status"] == "kicked"
    with pytest.raises(Forbidden) as blocked:
        await bot.send_message(1001, "hi")
    assert blocked.value.message == "Forbidden: bot was blocked by the user"
    assert api.requests[-1].status == 403
    unblocked = alice.unblock()
    assert unblocked["my_chat_member"]["new_chat_member"]["status"] == "member"
    await bot.send_message(1001, "welcome back")
    assert [m.text for m in api.chat(1001).bot_messages()] == ["welcome back"]


async def test_user_who_never_started_the_bot(bot: telegram.Bot, api: FakeBotApi) -> None:
    carol = api.add_user(1003, "Carol", started=False)
    with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
        await bot.send_message(1003, "spam")
    await carol.send_text("/start")
    await bot.send_message(1003, "hello")


async def test_chat_id_is_required(call: RawCall) -> None:
    assert (await call("sendMessage", {"text": "x"}))[1]["description"] == (
        "Bad Request: chat_id is empty"
    )


async def test_text_emptiness_and_length(call: RawCall, alice: Any) -> None:
    async def desc(text: str | None, mode: str | None = None) -> str | None:
        _, body = await call("sendMessage", {"chat_id": 1001, "text": text, "parse_mode": mode})
        return body.get("description")

    assert await desc(None) == "Bad Request: message text is empty"
    assert await desc("") == "Bad Request: message text is empty"
    assert await desc("   \n ") == "Bad Request: text must be non-empty"
    assert await desc("<b> </b>", "HTML") == "Bad Request: text must be non-empty"
    assert await desc("x" * 4096) is None
    assert await desc("x" * 4097) == "Bad Request: message is too long"
    assert await desc("<b>" + "x" * 4096 + "</b>", "HTML") is None  # tags don't count
    assert await desc("😀" * 2048) is None  # 4096 UTF-16 units
    assert await desc("😀" * 2048 + "x") == "Bad Request: message is too long"


async def test_caption_too_long(bot: telegram.Bot, alice: Any) -> None:
    await bot.send_photo(1001, png(), caption="y" * 1024)
    with pytest.raises(BadRequest) as info:
        await bot.send_photo(1001, png(), caption="y" * 1025)
    assert info.value.message == "Message caption is too long"


async def test_whitespace_is_trimmed_and_entities_detected(
    bot: telegram.Bot, api: FakeBotApi, alice: Any
) -> None:
    sent = await bot.send_message(1001, "  Use /help or visit https://example.com  ")
    assert sent.text == "Use /help or visit https://example.com"
    types = [(e.type, e.offset, e.length) for e in sent.entities]
    assert types == [("bot_command", 4, 5), ("url", 19, 19)]


# =============================================================================== parse modes


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("привет <foo>", 'Unsupported start tag "foo" at byte offset 13'),
        ("<b>unclosed", 'Can\'t find end tag corresponding to start tag "b"'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        (
            "<b><i>test</b></i>",
            'Unmatched end tag at byte offset 10, expected "</i>", found "</b>"',
        ),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<a href=x", "Unclosed start tag at byte offset 0"),
    ],
)
async def test_html_errors(
    bot: telegram.Bot, api: FakeBotApi, alice: Any, text: str, description: str
) -> None:
    with pytest.raises(BadRequest) as info:
        await bot.send_message(1001, text, parse_mode="HTML")
    full = "Bad Request: can't parse entities: " + description
    assert api.requests[-1].response["description"] == full
    assert info.value.message == ptb(full)


def test_html_entities_offsets_are_utf16() -> None:
    text, entities = parse_html(
        "😀 <b>bold</b> <i>it</i><u>u</u><s>s</s><tg-spoiler>sp</tg-spoiler> "
        '<a href="https://shop.example/p?id=1&amp;x=2">link</a> '
        '<pre><code class="language-python">x = 1</code></pre><code>c</code> '
        "<blockquote expandable>q</blockquote> &lt;&gt;&amp;&quot;&#65;&#x42; &nbsp;"
    )
    assert text == '😀 bold itussp link x = 1c q <>&"AB &nbsp;'
    by_type = {e["type"]: e for e in entities}
    assert by_type["bold"] == {"type": "bold", "offset": 3, "length": 4}
    assert by_type["text_link"]["url"] == "https://shop.example/p?id=1&x=2"
    assert by_type["pre"]["language"] == "python"
    assert by_type["expandable_blockquote"]["length"] == 1
    assert {"italic", "underline", "strikethrough", "spoiler", "code"} <= by_type.keys()
    assert utf16_len("😀") == 2


async def test_markdown_v2(bot: telegram.Bot, api: FakeBotApi, alice: Any) -> None:
    sent = await bot.send_message(
        1001,
        r"*Total:* __5__ ~old~ ||secret|| `code` [site](https://example.com) 1\.5\!",
        parse_mode="MarkdownV2",
    )
    assert sent.text == "Total: 5 old secret code site 1.5!"
    assert [e.type for e in sent.entities] == [
        "bold",
        "underline",
        "strikethrough",
        "spoiler",
        "code",
        "text_link",
    ]
    with pytest.raises(BadRequest) as info:
        await bot.send_message(1001, "Total: 1.5", parse_mode="MarkdownV2")
    assert api.requests[-1].response["description"] == (
        "Bad Request: can't parse entities: Character '.' is reserved and must be escaped "
        "with the preceding '\\'"
    )
    assert "reserved" in info.value.message
    with pytest.raises(BadRequest):
        await bot.send_message(1001, "*unclosed", parse_mode="MarkdownV2")
    assert api.requests[-1].response["description"] == (
        "Bad Request: can't parse entities: Can't find end of Bold entity at byte offset 0"
    )
    with pytest.raises(ValueError, match="Bold entity at byte offset 15"):
        parse_markdown_v2("*bold _italic\\_*")


async def test_legacy_markdown(bot: telegram.Bot, api: FakeBotApi, alice: Any) -> None:
    sent = await bot.send_message(
        1001, "*bold* _it_ `c` [l](http://a.com) a.b", parse_mode="Markdown"
    )
    assert sent.text == "bold it c l a.b"
    assert [e.type for e in sent.entities] == ["bold", "italic", "code", "text_link"]
    with pytest.raises(BadRequest):
        await bot.send_message(1001, "price *5", parse_mode="Markdown")
    assert api.requests[-1].response["description"] == (
        "Bad Request: can't parse entities: Can't find end of the entity starting at byte offset 6"
    )
    assert parse_markdown("```py\nx\n```") == (
        "x\n",
        [{"type": "pre", "offset": 0, "length": 2, "language": "py"}],
    )


async def test_unsupported_parse_mode_and_manual_entities(call: RawCall, alice: Any) -> None:
    async def desc(**params: Any) -> str | None:
        _, body = await call("sendMessage", {"chat_id": 1001, "text": "hello", **params})
        return body.get("description")

    assert await desc(parse_mode="BBCode") == "Bad Request: unsupported parse_mode"
    assert await desc(parse_mode="html") is None  # case-insensitive
    assert await desc(entities=[{"type": "bold", "offset": 0, "length": 5}]) is None
    assert await desc(entities=[{"type": "bold", "offset": 100, "length": 1}]) == (
        "Bad Request: entity begins after the end of the text at UTF-16 offset 100"
    )
    assert await desc(entities=[{"type": "bold", "offset": 0, "length": 100}]) == (
        "Bad Request: entity beginning at UTF-16 offset 0 ends after the end of the text at "
        "UTF-16 offset 100"
    )
    assert await desc(entities=[{"type": "nope", "offset": 0, "length": 1}]) == (
        "Bad Request: can't parse MessageEntity: Unsupported type specified"
    )
    assert await desc(entities=[{"type": "text_link", "offset": 0, "length": 5}]) == (
        "Bad Request: can't parse MessageEntity: Can't find field \"url\""
    )
    assert await desc(entities=[{"type": "text_link", "offset": 0, "length": 5, "url": "bad"}]) == (
        "Bad Request: entity URL 'bad' is invalid: Wrong HTTP URL"
    )


# =============================================================================== keyboards


@pytest.mark.parametrize(
    ("button", "description"),
    [
        ({"text": "x", "callback_data": "a" * 65}, "Bad Request: BUTTON_DATA_INVALID"),
        ({"text": "x", "callback_data": "й" * 33}, "Bad Request: BUTTON_DATA_INVALID"),
        (
            {"text": "x"},
            "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
            "inline keyboard",
        ),
        (
            {"text": "x", "callback_data": ""},
            "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
            "inline keyboard",
        ),
        (
            {"callback_data": "x"},
            "Bad Request: can't parse inline keyboard button: Can't find field \"text\"",
        ),
        ({"text": "", "callback_data": "x"}, "Bad Request: BUTTON_TEXT_INVALID"),
        (
            {"text": "x", "url": "ftp://example.com"},
            "Bad Request: inline keyboard button URL 'ftp://example.com' is invalid: "
            "Unsupported URL protocol",
        ),
        (
            {"text": "x", "url": "not-a-url"},
            "Bad Request: inline keyboard button URL 'not-a-url' is invalid: Wrong HTTP URL",
        ),
        ({"text": "x", "url": "http://localhost:8080/"}, "Bad Request: BUTTON_URL_INVALID"),
        ({"text": "x", "pay": True}, "Bad Request: BUTTON_TYPE_INVALID"),
        (
            {"text": "x", "web_app": {"url": "http://example.com"}},
            "Bad Request: inline keyboard button Web App URL 'http://example.com' is invalid: "
            "Only HTTPS links are allowed",
        ),
    ],
)
async def test_inline_keyboard_validation(
    call: RawCall, alice: Any, button: dict[str, Any], description: str
) -> None:
    status, body = await call(
        "sendMessage",
        {"chat_id": 1001, "text": "t", "reply_markup": {"inline_keyboard": [[button]]}},
    )
    assert (status, body["description"]) == (400, description)


async def test_inline_keyboard_limits_and_valid_buttons(
    bot: telegram.Bot, api: FakeBotApi, alice: Any, call: RawCall
) -> None:
    ok = InlineKeyboardMarkup(
        [
            [InlineKeyboardButton("max", callback_data="a" * 64)],
            [InlineKeyboardButton("site", url="https://shop.example")],
            [InlineKeyboardButton("tg", url="tg://resolve?domain=shop")],
        ]
    )
    await bot.send_message(1001, "ok", reply_markup=ok)
    rows = [[{"text": str(i), "callback_data": str(i)}] for i in range(101)]
    _, body = await call(
        "sendMessage", {"chat_id": 1001, "text": "t", "reply_markup": {"inline_keyboard": rows}}
    )
    assert body["description"] == "Bad Request: reply markup is too long"
    _, body = await call("sendMessage", {"chat_id": 1001, "text": "t", "reply_markup": "{oops"})
    assert body["description"] == "Bad Request: can't parse reply keyboard markup JSON object"
    assert len(api.chat(1001).bot_messages()) == 1


async def test_reply_keyboards_are_stored_but_not_echoed(
    bot: telegram.Bot, api: FakeBotApi, alice: Any
) -> None:
    markup = ReplyKeyboardMarkup(
        [[KeyboardButton("Share phone", request_contact=True)], ["Cancel"]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    sent = await bot.send_message(1001, "Your phone?", reply_markup=markup)
    assert sent.reply_markup is None  # Telegram only echoes inline keyboards
    msg = api.chat(1001).last_bot_message()
    assert msg is not None and msg.reply_keyboard == [
        [{"text": "Share phone", "request_contact": True}],
        [{"text": "Cancel"}],
    ]
    assert msg.buttons == []
    await bot.send_message(1001, "removed", reply_markup=ReplyKeyboardRemove())
    await bot.send_message(1001, "answer me", reply_markup=ForceReply())
    kinds = [m.reply_markup_kind for m in api.chat(1001).bot_messages()]
    assert kinds == ["keyboard", "remove_keyboard", "force_reply"]
    update = await alice.send_contact()
    contact = update["message"]["contact"]
    assert contact == {"phone_number": "+8613800138000", "first_name": "Alice", "user_id": 1001}


# =============================================================================== editing


async def test_edit_message_text_rules(bot: telegram.Bot, api: FakeBotApi, alice: Any) -> None:
    sent = await bot.send_message(1001, "Qty: 1", reply_markup=kb([("+", "inc")]))
    edited = await bot.edit_message_text(
        "Qty: 2", chat_id=1001, message_id=sent.message_id, reply_markup=kb([("+", "inc")])
    )
    assert isinstance(edited, telegram.Message) and edited.text == "Qty: 2"
    assert edited.edit_date is not None
    msg = api.chat(1001).message(sent.message_id)
    assert msg is not None and (msg.text, msg.edits, msg.history) == ("Qty: 2", 1, ["Qty: 1"])

    with pytest.raises(BadRequest) as info:
        await bot.edit_message_text(
            "Qty: 2", chat_id=1001, message_id=sent.message_id, reply_markup=kb([("+", "inc")])
        )
    assert api.requests[-1].response["description"] == (
        "Bad Request: message is not modified: specified new message content and reply markup "
        "are exactly the same as a current content and reply markup of the message"
    )
    assert info.value.message.startswith("Message is not modified")

    # same text, different markup -> allowed; omitting reply_markup removes the keyboard
    await bot.edit_message_text(
        "Qty: 2", chat_id=1001, message_id=sent.message_id, reply_markup=kb([("-", "dec")])
    )
    await bot.edit_message_text("Qty: 2", chat_id=1001, message_id=sent.message_id)
    assert msg.buttons == [] and msg.edits == 3

    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("x", chat_id=1001, message_id=999)
    await alice.send_text("mine")
    with pytest.raises(BadRequest, match="Message can't be edited"):
        await bot.edit_message_text("x", chat_id=1001, message_id=2)
    photo = await bot.send_photo(1001, png(), caption="pic")
    with pytest.raises(BadRequest, match="There is no text in the message to edit"):
        await bot.edit_message_text("x", chat_id=1001, message_id=photo.message_id)
    with pytest.raises(BadRequest, match="There is no caption in the message to edit"):
        await bot.edit_message_caption(chat_id=1001, message_id=sent.message_id, caption="c")
    with pytest.raises(BadRequest, match="Inline keyboard expected"):
        await bot.edit_message_text(
            "y",
            chat_id=1001,
            message_id=sent.message_id,
            reply_markup=ReplyKeyboardMarkup([["a"]]),  # type: ignore[arg-type]
        )


async def test_edit_caption_markup_and_media(
    bot: telegram.Bot, api: FakeBotApi, alice: Any
) -> None:
    photo = await bot.send_photo(1001, png(), caption="<i>old</i>", parse_mode="HTML")
    edited = await bot.edit_message_caption(
        chat_id=1001, message_id=photo.message_id, caption="new"
    )
    assert isinstance(edited, telegram.Message) and edited.caption == "new"
    msg = api.chat(1001).message(photo.message_id)
    assert msg is not None and msg.history == ["old"] and msg.caption == "new" and msg.text is None

    await bot.edit_message_reply_markup(1001, photo.message_id, reply_markup=kb([("a", "b")]))
    with pytest.raises(BadRequest, match="Message is not modified"):
        await bot.edit_message_reply_markup(1001, photo.message_id, reply_markup=kb([("a", "b")]))
    assert msg.buttons == [["a"]]

    doc_record = api.store_document(b"a,b\n", "x.csv", "text/csv")
    result = await bot.edit_message_media(
        media=InputMediaDocument(doc_record.file_id, caption="as csv"),
        chat_id=1001,
        message_id=photo.message_id,
    )
    assert isinstance(result, telegram.Message) and result.document is not None
    assert msg.kind == "document" and msg.caption == "as csv" and msg.buttons == []
    text = await bot.send_message(1001, "t")
    with pytest.raises(BadRequest, match="There is no media in the message to edit"):
        await bot.edit_message_media(
            media=InputMediaPhoto(png()), chat_id=1001, message_id=text.message_id
        )


async def test_delete_messages(bot: telegram.Bot, api: FakeBotApi, alice: Any) -> None:
    first = await bot.send_message(1001, "a")
    second = await bot.send_message(1001, "b")
    await alice.send_text("c")
    assert await bot.delete_message(1001, first.message_id) is True
    assert [m.text for m in api.chat(1001).messages] == ["b", "c"]
    with pytest.raises(BadRequest) as info:
        await bot.delete_message(1001, first.message_id)
    assert info.value.message == "Message to delete not found"
    assert await bot.delete_messages(1001, [second.message_id, 3, 777]) is True
    assert api.chat(1001).messages == []
    with pytest.raises(BadRequest, match="Message to edit not found"):
        await bot.edit_message_text("z", chat_id=1001, message_id=second.message_id)


# =============================================================================== callbacks


async def test_callback_queries(bot: telegram.Bot, api: FakeBotApi, alice: Any) -> None:
    await bot.send_message(
        1001, "menu", reply_markup=kb([("Catalog", "cat"), ("Cart (2)", "cart")])
    )
    msg = api.chat(1001).last_bot_message()
    assert msg is not None
    with pytest.raises(LookupError):
        await alice.tap(msg, "Cart")  # exact match by default
    update = await alice.tap(msg, "Cart", exact=False)
    query = update["callback_query"]
    assert query["data"] == "cart" and query["message"]["message_id"] == msg.message_id
    with pytest.raises(LookupError, match=r"Checkout.*\['Catalog', 'Cart \(2\)'\]"):
        await alice.tap(msg.message_id, "Checkout")

    with pytest.raises(BadRequest, match="Message_too_long"):
        await bot.answer_callback_query(query["id"], "x" * 201)
    assert await bot.answer_callback_query(query["id"], "Added", show_alert=True)
    assert api.callback_answers[query["id"]] == {
        "text": "Added",
        "show_alert": True,
        "url": None,
        "cache_time": 0,
    }
    assert await api.wait_callback_answered(query["id"]) == api.callback_answers[query["id"]]
    with pytest.raises(BadRequest) as info:
        await bot.answer_callback_query(query["id"])
    assert api.requests[-1].response["description"] == (
        "Bad Request: query is too old and response timeout expired or query ID is invalid"
    )
    assert info.value.message.startswith("Query is too old")
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_callback_query("12345")

    forged = await alice.tap_data(msg, "admin:delete_all")
    assert forged["callback_query"]["data"] == "admin:delete_all"
    await bot.edit_message_reply_markup(1001, msg.message_id, reply_markup=kb([("Back", "back")]))
    with pytest.raises(LookupError):
        await alice.tap(msg, "Catalog")  # only the CURRENT keyboard counts
    assert (await alice.tap(msg, "Back"))["callback_query"]["data"] == "back"


# =============================================================================== commands


async def test_my_commands(bot: telegram.Bot, api: FakeBotApi, call: RawCall, alice: Any) -> None:
    from telegram import BotCommand, BotCommandScopeChat

    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("cart", "Your cart")])
    await bot.set_my_commands([BotCommand("start", "Начать")], language_code="ru")
    await bot.set_my_commands(
        [BotCommand("orders", "All orders")], scope=BotCommandScopeChat(chat_id=1001)
    )
    default_key = '{"type":"default"}'
    assert api.commands[(default_key, "")] == [
        {"command": "start", "description": "Start"},
        {"command": "cart", "description": "Your cart"},
    ]
    assert api.commands[(default_key, "ru")][0]["description"] == "Начать"
    assert api.commands[('{"chat_id":1001,"type":"chat"}', "")][0]["command"] == "orders"
    assert api.commands_for({"type": "chat", "chat_id": 1001})[0]["command"] == "orders"
    assert [c.command for c in await bot.get_my_commands(language_code="ru")] == ["start"]
    await bot.delete_my_commands(language_code="ru")
    assert (default_key, "ru") not in api.commands

    async def desc(commands: Any, **extra: Any) -> str | None:
        _, body = await call("setMyCommands", {"commands": commands, **extra})
        return body.get("description")

    assert await desc([{"command": "Start", "description": "x"}]) == (
        "Bad Request: BOT_COMMAND_INVALID"
    )
    assert await desc([{"command": "buy-now", "description": "x"}]) == (
        "Bad Request: BOT_COMMAND_INVALID"
    )
    assert await desc([{"command": "a" * 33, "description": "x"}]) == (
        "Bad Request: command length must not exceed 32"
    )
    assert await desc([{"command": "a", "description": " "}]) == (
        "Bad Request: command description must be non-empty"
    )
    assert await desc([{"command": "a", "description": "d" * 257}]) == (
        "Bad Request: command description length must not exceed 256"
    )
    many = [{"command": f"c{i}", "description": "d"} for i in range(101)]
    assert await desc(many) == "Bad Request: BOT_COMMANDS_TOO_MUCH"
    ok = [{"command": "a", "description": "d"}]
    assert await desc(ok, language_code="english") == "Bad Request: invalid language code specified"
    assert await desc(ok, scope={"type": "chat", "chat_id": 42}) == "Bad Request: chat not found"
    assert await desc([{"command": "/help", "description": " Help "}]) is None
    assert api.commands[(default_key, "")] == [{"command": "help", "description": "Help"}]


async def test_profile_and_menu_methods(bot: telegram.Bot, api: FakeBotApi, alice: Any) -> None:
    from telegram import MenuButtonCommands

    assert await bot.set_my_description("A shop bot")
    assert await bot.set_my_short_description("Shop", language_code="en")
    assert api.descriptions[""] == "A shop bot" and api.short_descriptions["en"] == "Shop"
    assert await bot.set_chat_menu_button(chat_id=1001, menu_button=MenuButtonCommands())
    assert api.menu_buttons[1001] == {"type": "commands"}
    assert await bot.log_out() and await bot.close()
    with pytest.raises(BadRequest, match="Wrong parameter action in request"):
        await bot.send_chat_action(1001, "dancing")
    await bot.send_chat_action(1001, "typing")
    assert api.chat(1001).actions == ["typing"]


# =============================================================================== chats


async def test_groups_chat_info_and_members(bot: telegram.Bot, api: FakeBotApi, alice: Any) -> None:
    group = api.add_group(-1001234, "Shop admins")
    update = await alice.send_text("/orders@shop_test_bot", chat_id=-1001234)
    message = update["message"]
    assert message["chat"] == {"id": -1001234, "type": "supergroup", "title": "Shop admins"}
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 21}]
    await bot.send_message(-1001234, "New order #1")
    assert [m.text for m in group.messages] == ["/orders@shop_test_bot", "New order #1"]

    chat = await bot.get_chat(-1001234)
    assert (chat.type, chat.title) == ("supergroup", "Shop admins")
    private = await bot.get_chat(1001)
    assert (private.type, private.first_name, private.username) == ("private", "Alice", "alice")
    member = await bot.get_chat_member(-1001234, 1001)
    assert member.status == "administrator"
    group.set_member_status(1001, "member")
    assert (await bot.get_chat_member(-1001234, 1001)).status == "member"
    assert (await bot.get_chat_member(1001, 1001)).status == "member"
    with pytest.raises(BadRequest, match="User not found"):
        await bot.get_chat_member(-1001234, 5555)


async def test_copy_and_forward(bot: telegram.Bot, api: FakeBotApi, alice: Any) -> None:
    api.add_group(-1001234, "Shop admins")
    await alice.send_photo(png(), caption="my receipt")
    copied = await bot.copy_message(-1001234, 1001, 1, caption="Receipt from Alice")
    copy = api.chat(-1001234).message(copied.message_id)
    assert copy is not None and copy.kind == "photo" and copy.caption == "Receipt from Alice"
    forwarded = await bot.forward_message(-1001234, 1001, 1)
    origin = forwarded.forward_origin
    assert isinstance(origin, telegram.MessageOriginUser) and origin.sender_user.id == 1001
    with pytest.raises(BadRequest, match="Message to copy not found"):
        await bot.copy_message(-1001234, 1001, 99)
    invoice = await send_stars_invoice(bot)
    with pytest.raises(BadRequest, match="Message can't be copied"):
        await bot.copy_message(-1001234, 1001, invoice.message_id)


# =============================================================================== files


async def test_files_round_trip(bot: telegram.Bot, api: FakeBotApi, alice: Any) -> None:
    image = png(800, 400)
    sent = await bot.send_photo(1001, image, caption="product", reply_markup=kb([("Buy", "b")]))
    assert api.chat(1001).last_bot_message().buttons == [["Buy"]]  # type: ignore[union-attr]
    assert [(p.width, p.height) for p in sent.photo] == [(320, 160), (800, 400)]
    again = await bot.send_photo(1001, sent.photo[-1].file_id)
    assert again.photo[-1].file_id == sent.photo[-1].file_id
    file = await bot.get_file(sent.photo[-1].file_id)
    assert bytes(await file.download_as_bytearray()) == image

    update = await alice.send_document(
        b"sku,qty\n1,2\n", file_name="order.csv", mime_type="text/csv"
    )
    doc = update["message"]["document"]
    assert (doc["file_name"], doc["mime_type"], doc["file_size"]) == ("order.csv", "text/csv", 12)
    got = await bot.get_file(doc["file_id"])
    assert bytes(await got.download_as_bytearray()) == b"sku,qty\n1,2\n"
    user_photo = await alice.send_photo(image)
    photo_id = user_photo["message"]["photo"][-1]["file_id"]
    assert (await bot.get_file(photo_id)).file_size == len(image)
    echoed = await bot.send_document(1001, doc["file_id"], caption="your file")
    assert echoed.document is not None and echoed.document.file_id == doc["file_id"]

    by_url = await bot.send_photo(1001, "https://cdn.example.com/p.jpg")
    assert by_url.photo and api.chat(1001).last_bot_message().kind == "photo"  # type: ignore[union-attr]
    with pytest.raises(BadRequest, match="Image_process_failed"):
        await bot.send_photo(1001, b"definitely not an image")
    with pytest.raises(BadRequest, match="Wrong file identifier/http url specified"):
        await bot.send_photo(1001, "AgACAgIAAxkBAAnonsense")
    with pytest.raises(BadRequest, match="Can't use file of type document as photo"):
        await bot.send_photo(1001, doc["file_id"])
    with pytest.raises(BadRequest, match="Wrong file_id or the file is temporarily unavailable"):
        await bot.get_file("nope")


async def test_media_group_uploads(bot: telegram.Bot, api: FakeBotApi, alice: Any) -> None:
    messages = await bot.send_media_group(
        1001, [InputMediaPhoto(png(), caption="front"), InputMediaPhoto(png(8, 8))]
    )
    assert len(messages) == 2
    assert messages[0].media_group_id == messages[1].media_group_id is not None
    assert [m.caption for m in api.chat(1001).bot_messages()] == ["front", None]
    with pytest.raises(BadRequest, match="Can't use the media of the specified type in the album"):
        await bot.send_media_group(
            1001, [InputMediaPhoto(png()), InputMediaDocument(b"x", filename="a.txt")]
        )


# =============================================================================== payments


async def send_stars_invoice(bot: telegram.Bot, **overrides: Any) -> telegram.Message:
    params: dict[str, Any] = {
        "chat_id": 1001,
        "title": "Order #7",
        "description": "2 items",
        "payload": "order:7",
        "currency": "XTR",
        "prices": [LabeledPrice("Total", 150)],
    }
    params.update(overrides)
    return await bot.send_invoice(**params)


async def test_invoice_validation(bot: telegram.Bot, api: FakeBotApi, alice: Any) -> None:
    sent = await send_stars_invoice(bot)
    assert sent.invoice is not None and sent.invoice.total_amount == 150
    msg = api.chat(1001).last_bot_message()
    assert msg is not None and msg.kind == "invoice"
    assert msg.invoice == {
        "title": "Order #7",
        "description": "2 items",
        "start_parameter": "",
        "currency": "XTR",
        "total_amount": 150,
    }
    cases: list[tuple[dict[str, Any], str]] = [
        ({"provider_token": "tok"}, "PAYMENT_PROVIDER_INVALID"),
        ({"prices": [LabeledPrice("a", 1), LabeledPrice("b", 2)]}, "STARS_INVOICE_INVALID"),
        ({"currency": "USD"}, "PAYMENT_PROVIDER_INVALID"),
        (
            {"currency": "USD", "provider_token": "t", "prices": [LabeledPrice("a", 5)]},
            "CURRENCY_TOTAL_AMOUNT_INVALID",
        ),
        ({"payload": "p" * 129}, "INVOICE_PAYLOAD_INVALID"),
        ({"title": "t" * 33}, "TITLE_INVALID"),
        ({"description": "d" * 256}, "DESCRIPTION_INVALID"),
        ({"currency": "usd"}, "CURRENCY_INVALID"),
        ({"prices": []}, "there must be at least one price"),
        ({"prices": [LabeledPrice("a", 0)]}, "total price must be positive"),
    ]
    for overrides, expected in cases:
        with pytest.raises(BadRequest):
            await send_stars_invoice(bot, **overrides)
        assert api.requests[-1].response["description"] == f"Bad Request: {expected}", overrides
    await send_stars_invoice(
        bot, currency="USD", provider_token="t", prices=[LabeledPrice("a", 500)]
    )


async def test_raw_invoice_price_parsing(call: RawCall, alice: Any) -> None:
    base = {"chat_id": 1001, "title": "t", "description": "d", "payload": "p", "currency": "XTR"}
    _, body = await call("sendInvoice", {**base, "prices": [{"label": "x", "amount": 1.5}]})
    assert (
        body["description"]
        == "Bad Request: can't parse labeled price: Can't parse \"amount\" as Number"
    )
    _, body = await call("sendInvoice", {**base, "prices": [{"label": "x", "amount": 2}]})
    assert body["ok"]
    _, body = await call(
        "sendInvoice",
        {k: v for k, v in base.items() if k != "payload"}
        | {"prices": [{"label": "x", "amount": 2}]},
    )
    assert body["description"] == 'Bad Request: parameter "payload" is required'


async def test_payment_flow_and_refunds(bot: telegram.Bot, api: FakeBotApi, alice: Any) -> None:
    await send_stars_invoice(bot)
    invoice_msg = api.chat(1001).last_bot_message()
    assert invoice_msg is not None
    update = await alice.pre_checkout(invoice_msg)
    query = update["pre_checkout_query"]
    assert (query["currency"], query["total_amount"], query["invoice_payload"]) == (
        "XTR",
        150,
        "order:7",
    )
    with pytest.raises(BadRequest):
        await bot.answer_pre_checkout_query(query["id"], ok=False)
    assert await bot.answer_pre_checkout_query(query["id"], ok=True)
    assert api.pre_checkout_answers[query["id"]] == {"ok": True, "error_message": None}
    with pytest.raises(BadRequest, match="Query is too old"):
        await bot.answer_pre_checkout_query(query["id"], ok=True)
    mismatch = await alice.pre_checkout("order:7", total_amount=1)
    assert mismatch["pre_checkout_query"]["total_amount"] == 1
    await bot.answer_pre_checkout_query(
        mismatch["pre_checkout_query"]["id"], ok=False, error_message="Price changed"
    )

    paid = await alice.successful_payment(invoice_msg)
    payment = paid["message"]["successful_payment"]
    assert payment["invoice_payload"] == "order:7" and payment["total_amount"] == 150
    charge = payment["telegram_payment_charge_id"]
    assert api.chat(1001).messages[-1].kind == "successful_payment"
    assert await bot.refund_star_payment(1001, charge)
    with pytest.raises(BadRequest) as again:
        await bot.refund_star_payment(1001, charge)
    assert api.requests[-1].response["description"] == "Bad Request: CHARGE_ALREADY_REFUNDED"
    assert again.value.message == "Charge_already_refunded"
    with pytest.raises(BadRequest):
        await bot.refund_star_payment(1001, "stx-unknown")
    assert api.requests[-1].response["description"] == "Bad Request: CHARGE_NOT_FOUND"
    with pytest.raises(LookupError):
        await alice.pre_checkout("no-such-payload")


# =============================================================================== getUpdates


async def test_get_updates_offsets_and_ids(
    bot: telegram.Bot, api: FakeBotApi, alice: Any, call: RawCall
) -> None:
    for text in ("a", "b", "c"):
        await alice.send_text(text)
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [1, 2, 3]
    assert [u.message.text for u in updates if u.message] == ["a", "b", "c"]
    assert len(api.pending_updates()) == 3  # not confirmed yet
    assert len(await bot.get_updates(limit=1)) == 1
    await bot.get_updates(offset=3)
    assert [u["update_id"] for u in api.pending_updates()] == [3]
    await alice.send_text("d")
    _, body = await call("getUpdates", {"offset": -1})
    assert [u["update_id"] for u in body["result"]] == [4]
    assert (await bot.get_webhook_info()).pending_update_count == 1
    await bot.delete_webhook(drop_pending_updates=True)
    assert api.pending_updates() == []
    _, body = await call("deleteWebhook")
    assert body == {"ok": True, "result": True, "description": "Webhook is already deleted"}


async def test_long_polling_wakes_up_and_times_out(
    bot: telegram.Bot, api: FakeBotApi, alice: Any
) -> None:
    started = time.monotonic()
    task = asyncio.create_task(bot.get_updates(timeout=5))
    await api.wait_for(lambda a: a.polling)
    await alice.send_text("ping")
    updates = await task
    assert [u.message.text for u in updates if u.message] == ["ping"]
    assert time.monotonic() - started < 2
    started = time.monotonic()
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=1) == ()
    assert time.monotonic() - started >= 0.9


async def test_concurrent_get_updates_conflict(
    bot: telegram.Bot, api: FakeBotApi, alice: Any, call: RawCall
) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await api.wait_for(lambda a: a.polling)
    second = asyncio.ensure_future(call("getUpdates", {"timeout": 5}))
    with pytest.raises(Conflict) as info:
        await first
    assert info.value.message == (
        "Conflict: terminated by other getUpdates request; make sure that only one bot "
        "instance is running"
    )
    await alice.send_text("for the newer poller")
    status, body = await second
    assert status == 200 and body["result"][0]["message"]["text"] == "for the newer poller"
    assert api.calls("getUpdates")[0].status == 409


# =============================================================================== faults & limits


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_fault_injection(bot: telegram.Bot, api: FakeBotApi, alice: Any) -> None:
    api.fail_next("sendMessage", times=2)
    for _ in range(2):
        with pytest.raises(telegram.error.NetworkError, match="Internal Server Error"):
            await bot.send_message(1001, "x")
    await bot.send_message(1001, "third time lucky")
    api.fail_next("sendMessage", status=429, retry_after=7)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(1001, "x")
    assert api.requests[-1].response == {
        "ok": False,
        "error_code": 429,
        "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7},
    }
    assert "7" in str(info.value)
    api.fail_next("sendMessage", status=400, description="Bad Request: custom")
    with pytest.raises(BadRequest, match="Custom"):
        await bot.send_message(1001, "x")
    api.fail_next("sendMessage", status=None, delay=0.5)
    with pytest.raises(TimedOut):
        await bot.send_message(1001, "slow but delivered", read_timeout=0.1)
    # processed before the late answer: the user got it although the client timed out
    await api.wait_for(
        lambda a: [m.text for m in a.chat(1001).bot_messages()][-1] == "slow but delivered"
    )
    assert [m.text for m in api.chat(1001).bot_messages()] == [
        "third time lucky",
        "slow but delivered",
    ]


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_rate_limits(bot: telegram.Bot, api: FakeBotApi, alice: Any, call: RawCall) -> None:
    for i in range(5):  # off by default
        await bot.send_message(1001, f"burst {i}")
    api.rate_limits(private_per_sec=1, private_burst=2, group_per_min=3, global_per_sec=30)
    await bot.send_message(1001, "1")
    await bot.send_message(1001, "2")
    with pytest.raises(RetryAfter):
        await bot.send_message(1001, "3")
    assert api.requests[-1].response["parameters"] == {"retry_after": 1}
    await bot.edit_message_text("edits are not limited", chat_id=1001, message_id=1)
    api.add_group(-100, "g")
    for i in range(3):
        await bot.send_message(-100, f"g{i}")
    status, body = await call("sendMessage", {"chat_id": -100, "text": "g3"})
    assert status == 429 and body["parameters"]["retry_after"] >= 19
    api.rate_limits(enabled=False)
    await bot.send_message(1001, "free again")


async def test_global_rate_limit(api: FakeBotApi, call: RawCall) -> None:
    for user_id in (1, 2, 3):
        api.add_user(user_id, f"U{user_id}")
    api.rate_limits(global_per_sec=2, private_burst=10)
    assert (await call("sendMessage", {"chat_id": 1, "text": "a"}))[0] == 200
    assert (await call("sendMessage", {"chat_id": 2, "text": "b"}))[0] == 200
    status, body = await call("sendMessage", {"chat_id": 3, "text": "c"})
    assert (status, body["description"]) == (429, "Too Many Requests: retry after 1")
    assert (await call("sendChatAction", {"chat_id": 3, "action": "typing"}))[0] == 200


# =============================================================================== helpers


async def test_wait_for_timeout_dumps_recent_requests(bot: telegram.Bot, api: FakeBotApi) -> None:
    await bot.get_me()  # the fixture's initialize() already called getMe once
    with pytest.raises(TimeoutError, match="getMe 200 ok"):
        await api.wait_for(lambda a: False, timeout=0.2)
    assert await api.wait_for(lambda a: len(a.requests)) == 2
    later = asyncio.get_running_loop().call_later(0.1, lambda: api.add_user(7, "Late"))
    started = time.monotonic()
    assert await api.wait_for(lambda a: a.users.get(7)) is api.users[7]
    assert time.monotonic() - started < 0.5
    later.cancel()


def test_sim_message_helpers() -> None:
    msg = SimMessage(
        message_id=1,
        chat_id=1,
        from_bot=True,
        kind="photo",
        date=0,
        caption="c",
        reply_markup={"inline_keyboard": [[{"text": "Buy now", "url": "https://x.example"}]]},
        reply_markup_kind="inline_keyboard",
        photo=[{"file_id": "small"}, {"file_id": "big"}],
    )
    assert msg.body == "c" and msg.photo_file_id == "big" and msg.buttons == [["Buy now"]]
    assert msg.button("Buy", exact=False)["url"] == "https://x.example"
    with pytest.raises(LookupError):
        msg.callback_data("Buy now")
    assert msg.reply_keyboard is None


# =============================================================================== Application


async def test_polling_application_end_to_end(api: FakeBotApi, alice: Any) -> None:
    from telegram import Update
    from telegram.ext import (
        Application,
        CallbackQueryHandler,
        ContextTypes,
        MessageHandler,
        filters,
    )

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(
            update.message.text or "", reply_markup=kb([("Again", "again")])
        )

    async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer("done")
        await update.callback_query.edit_message_text("clicked")

    app = (
        Application.builder()
        .token(api.token)
        .base_url(api.url + "/bot")
        .base_file_url(api.url + "/file/bot")
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.add_handler(CallbackQueryHandler(on_button))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        try:
            await alice.send_text("hello shop")
            reply = await api.wait_for(lambda a: a.chat(1001).last_bot_message())
            assert reply.text == "hello shop" and reply.buttons == [["Again"]]
            tapped = await alice.tap(reply, "Again")
            answer = await api.wait_callback_answered(tapped["callback_query"]["id"])
            assert answer["text"] == "done"
            await api.wait_for(lambda a: reply.text == "clicked")
            assert reply.edits == 1 and reply.buttons == []
        finally:
            await app.updater.stop()
            await app.stop()
    assert api.pending_updates() == []
    assert not [r for r in api.requests if r.status not in (200, 0)]


# =============================================================================== robustness


async def test_garbage_input_never_crashes_the_fake(api: FakeBotApi, call: RawCall) -> None:
    """Every registered method answers Telegram-style errors (never 500) for malformed input."""
    import random

    from bot.botapi.methods import METHODS

    api.add_user(1001, "Alice")
    api.add_group(-100, "g")
    keys = [
        "chat_id", "text", "parse_mode", "entities", "reply_markup", "message_id", "photo",
        "from_chat_id", "caption", "media", "callback_query_id", "commands", "scope", "prices",
        "language_code", "title", "description", "payload", "currency", "pre_checkout_query_id",
        "ok", "user_id", "telegram_payment_charge_id", "file_id", "action", "message_ids",
        "menu_button", "offset", "allowed_updates", "reply_parameters", "document",
    ]  # fmt: skip
    values = [
        "", "x", "1001", "-100", "0", "[]", "{}", "[1]", "[{}]", "null", "true", "<b>", "*a",
        '{"inline_keyboard": [[{"text": 1}]]}', '{"keyboard": [["a", 3]]}', "attach://none",
        '[{"type":"bold","offset":"a","length":1}]', '[{"type":"photo","media":5}]',
        '{"type":"chat"}', '[{"label":"a","amount":[1]}]', '{"message_id": "zz"}', "1" * 30,
    ]  # fmt: skip
    names = sorted(name for name, _ in METHODS.values())
    rnd = random.Random(7)
    for _ in range(400):
        name = rnd.choice(names)
        params = {k: rnd.choice(values) for k in rnd.sample(keys, rnd.randint(0, 6))}
        params["timeout"] = "0"
        status, body = await call(name, params, encoding="form")
        assert status != 500 and "ok" in body, (name, params, body)
