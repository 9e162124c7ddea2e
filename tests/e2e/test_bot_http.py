"""The bot's Bot API transport over aiohttp (bot/shared/http.py, issue 13): calls and uploads
reach the local Bot API server as PTB sends them, and its failures are PTB's errors."""

from __future__ import annotations

import asyncio
import contextlib
import io
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message, ReplyKeyboardMarkup
from telegram.error import BadRequest, NetworkError, TimedOut

from bot.botapi.server import FakeBotApi
from bot.shared.http import AiohttpRequest
from bot.shared.lean_bot import LeanBot
from tests.e2e.harness import TOKEN

CHAT = 7001


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi(token=TOKEN)
    await server.start()
    server.add_user(CHAT, "Ada")
    try:
        yield server
    finally:
        await server.stop()


@contextlib.asynccontextmanager
async def _client(api: FakeBotApi, kind: type[Bot] = Bot) -> AsyncIterator[Bot]:
    """A bot of `kind` on the local Bot API server over the aiohttp transport."""
    client = kind(
        TOKEN,
        base_url=f"{api.url}/bot",
        base_file_url=f"{api.url}/file/bot",
        request=AiohttpRequest(connection_pool_size=8),
    )
    await client.initialize()
    try:
        yield client
    finally:
        await client.shutdown()


@contextlib.asynccontextmanager
async def _stub(answer: Callable[[web.Request], Awaitable[web.Response]]) -> AsyncIterator[int]:
    """A bare HTTP server answering every POST with `answer`; yields its port."""
    app = web.Application()
    app.router.add_post("/{tail:.*}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    finally:
        await runner.cleanup()


@pytest.fixture
async def bot(api: FakeBotApi) -> AsyncIterator[Bot]:
    async with _client(api) as client:
        yield client


async def test_calls_with_markup_and_answers_round_trip(bot: Bot, api: FakeBotApi) -> None:
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Tea ☕", callback_data="t:1")]])
    sent = await bot.send_message(
        CHAT, "<b>Hello</b> 您好", parse_mode="HTML", reply_markup=keyboard
    )
    edited = await bot.edit_message_text(
        "Bye", chat_id=CHAT, message_id=sent.message_id, reply_markup=keyboard
    )
    shown = api.chat(CHAT).last_bot_message()
    assert shown is not None and shown.text == "Bye" and shown.buttons == [["Tea ☕"]]
    assert edited.text == "Bye" and edited.reply_markup == keyboard  # type: ignore[union-attr]
    assert (await bot.get_me()).is_bot
    # many at once share the pool (8 connections for 40 calls)
    await asyncio.gather(*(bot.send_message(CHAT, f"n{i}") for i in range(40)))
    assert sum(1 for m in api.chat(CHAT).bot_messages() if (m.text or "")[:1] == "n") == 40


async def test_uploads_arrive_as_sent(bot: Bot, api: FakeBotApi) -> None:
    data = "sku,name\nTEA,Keemun 祁门\n".encode()
    document = await bot.send_document(CHAT, data, filename="products.csv", caption="Export")
    from_file = await bot.send_document(CHAT, io.BytesIO(b"%PDF-1.4 x"), filename="pick.pdf")
    assert document.document is not None and from_file.document is not None
    stored = api.files[document.document.file_id]
    assert (stored.data, stored.file_name) == (data, "products.csv")
    assert api.files[from_file.document.file_id].data == b"%PDF-1.4 x"
    assert document.caption == "Export"
    # the server's refusal is PTB's error, as over httpx
    with pytest.raises(BadRequest):
        await bot.send_message(CHAT, "")


async def test_a_slow_answer_times_out_and_a_closed_port_is_a_network_error() -> None:
    async def slow(_request: web.Request) -> web.Response:
        await asyncio.sleep(2)
        return web.json_response({"ok": True, "result": True})

    request = AiohttpRequest(read_timeout=0.2)
    await request.initialize()
    async with _stub(slow) as port:
        try:
            with pytest.raises(TimedOut):
                await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
            with socket.socket() as free:
                free.bind(("127.0.0.1", 0))
                closed = free.getsockname()[1]
            with pytest.raises(NetworkError) as refused:
                await request.post(f"http://127.0.0.1:{closed}/bot{TOKEN}/getMe")
            assert not isinstance(refused.value, TimedOut)
        finally:
            await request.shutdown()
    with pytest.raises(NetworkError, match="not initialized"):  # PTB wraps it, as for httpx
        await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")


async def test_parameters_go_as_one_json_object() -> None:
    """A call without files is one application/json body, nested values as JSON (not a form
    whose percent-encoding of a long text cost more than the call's JSON)."""
    seen: list[tuple[str, dict[str, object]]] = []

    async def record(request: web.Request) -> web.Response:
        seen.append((request.content_type, await request.json()))
        return web.json_response({"ok": True, "result": True})

    request = AiohttpRequest()
    await request.initialize()  # not the bot: that would call getMe
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Tea ☕", callback_data="t:1")]])
    async with _stub(record) as port:
        client = Bot(TOKEN, base_url=f"http://127.0.0.1:{port}/bot", request=request)
        try:
            assert await client.answer_callback_query("42", text="Added 您好", show_alert=True)
            await client._post(  # a markup, as edit_message_text sends it
                "editMessageReplyMarkup",
                {"chat_id": CHAT, "message_id": 3, "reply_markup": keyboard},
            )
        finally:
            await request.shutdown()
    assert seen[0] == (
        "application/json",
        {"callback_query_id": "42", "text": "Added 您好", "show_alert": True},
    )
    assert seen[1][0] == "application/json"
    assert seen[1][1]["reply_markup"] == {
        "inline_keyboard": [[{"text": "Tea ☕", "callback_data": "t:1"}]]
    }


async def test_a_reply_keeps_the_sent_inline_keyboard_instead_of_parsing_its_echo(
    api: FakeBotApi,
) -> None:
    """bot/shared/lean_bot.py: the message Telegram returns carries the very keyboard object
    sent (its echo is not parsed again); a reply keyboard, which Telegram does not echo, and a
    message without a keyboard come back as before."""
    async with _client(api, LeanBot) as lean:
        keyboard = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton("Tea", callback_data="t:1")],
                [InlineKeyboardButton("B", url="https://example.com")],
            ]
        )
        sent = await lean.send_message(
            CHAT, "<b>Menu</b>", parse_mode="HTML", reply_markup=keyboard
        )
        assert sent.reply_markup is keyboard
        assert sent.text == "Menu" and sent.entities and sent.entities[0].type == "bold"
        other = InlineKeyboardMarkup([[InlineKeyboardButton("Coffee", callback_data="c:1")]])
        edited = await lean.edit_message_text(
            "Coffee?", chat_id=CHAT, message_id=sent.message_id, reply_markup=other
        )
        assert isinstance(edited, Message) and edited.reply_markup is other
        assert api.chat(CHAT).last_bot_message().buttons == [["Coffee"]]  # type: ignore[union-attr]
        plain = await lean.send_message(CHAT, "no keys")
        assert plain.reply_markup is None
        typed = await lean.send_message(
            CHAT, "type", reply_markup=ReplyKeyboardMarkup([["Share"]], resize_keyboard=True)
        )
        assert typed.reply_markup is None  # Telegram returns no reply keyboard
