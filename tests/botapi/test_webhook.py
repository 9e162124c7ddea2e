"""The local Bot API server in webhook mode, as Telegram: setWebhook's rules, updates pushed by
HTTP POST with the secret header, retried until the bot answers 2xx, at most max_connections
at once, and getUpdates refused while a webhook is set."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import telegram
from aiohttp import web
from telegram.error import BadRequest, Conflict

from bot.botapi.server import FakeBotApi

TOKEN = "123456:TEST"
SECRET = "s3cret_token-1"


class Receiver:
    """A bot's webhook endpoint: records what it is sent, answers what it is told."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, Any], str | None]] = []
        self.status = 200
        self.delay = 0.0
        self.concurrent = 0
        self.most_concurrent = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def handle(self, request: web.Request) -> web.Response:
        self.concurrent += 1
        self.most_concurrent = max(self.most_concurrent, self.concurrent)
        try:
            body = await request.json()
            if self.delay:
                await asyncio.sleep(self.delay)
            self.received.append((body, request.headers.get("X-Telegram-Bot-Api-Secret-Token")))
            return web.Response(status=self.status)
        finally:
            self.concurrent -= 1

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/hook"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi(token=TOKEN, local=True, webhook_retry_seconds=0.05)
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
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    await hook.start()
    try:
        yield hook
    finally:
        await hook.stop()


async def until(check: Any, timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.01)


async def test_updates_are_posted_to_the_webhook_with_the_secret(
    api: FakeBotApi, bot: telegram.Bot, receiver: Receiver
) -> None:
    alice = api.add_user(1001, "Alice")
    assert await bot.set_webhook(receiver.url, secret_token=SECRET)
    await alice.send_text("hello")
    await until(lambda: receiver.received)
    [(update, secret)] = receiver.received
    assert secret == SECRET
    assert update["message"]["text"] == "hello"
    await until(lambda: not api.pending_updates())
    info = await bot.get_webhook_info()
    assert info.url == receiver.url
    assert info.pending_update_count == 0


async def test_get_updates_is_refused_while_a_webhook_is_set(
    api: FakeBotApi, bot: telegram.Bot, receiver: Receiver
) -> None:
    await bot.set_webhook(receiver.url, secret_token=SECRET)
    with pytest.raises(Conflict, match="webhook is active"):
        await bot.get_updates()
    assert await bot.delete_webhook()
    assert await bot.get_updates() == ()
    alice = api.add_user(1001, "Alice")
    await alice.send_text("after")
    await asyncio.sleep(0.2)
    assert receiver.received == [], "a deleted webhook receives nothing"
    assert len(api.pending_updates()) == 1


async def test_an_update_the_bot_does_not_acknowledge_is_sent_again(
    api: FakeBotApi, bot: telegram.Bot, receiver: Receiver
) -> None:
    alice = api.add_user(1001, "Alice")
    receiver.status = 500
    await bot.set_webhook(receiver.url, secret_token=SECRET)
    update = await alice.send_text("again")
    await until(lambda: len(receiver.received) >= 2)
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1
    assert "500" in (info.last_error_message or "")
    receiver.status = 200
    await until(lambda: not api.pending_updates())
    ids = {u["update_id"] for u, _ in receiver.received}
    assert ids == {update["update_id"]}, "the same update, with the same id, each time"


async def test_a_webhook_that_is_down_gets_the_update_when_it_comes_back(
    api: FakeBotApi, bot: telegram.Bot
) -> None:
    hook = Receiver()
    await hook.start()
    url = hook.url
    await hook.stop()  # nothing listens there now
    await bot.set_webhook(url, secret_token=SECRET)
    alice = api.add_user(1001, "Alice")
    await alice.send_text("are you there")
    await until(lambda: bool(api.webhook and api.webhook.failed_count))
    info = await bot.get_webhook_info()
    assert info.last_error_message
    assert info.pending_update_count == 1


async def test_no_more_than_max_connections_requests_at_once(
    api: FakeBotApi, bot: telegram.Bot, receiver: Receiver
) -> None:
    receiver.delay = 0.1
    await bot.set_webhook(receiver.url, secret_token=SECRET, max_connections=3)
    users = [api.add_user(2000 + i, f"U{i}") for i in range(12)]
    for user in users:
        await user.send_text("hi")
    await until(lambda: len(receiver.received) == 12)
    assert receiver.most_concurrent == 3
    assert (await bot.get_webhook_info()).max_connections == 3


async def test_set_webhook_follows_telegrams_rules(bot: telegram.Bot) -> None:
    strict = FakeBotApi(token=TOKEN)
    await strict.start()
    try:
        client = telegram.Bot(TOKEN, base_url=strict.url + "/bot")
        async with client:
            with pytest.raises(BadRequest, match=r"(?i)https url must be provided"):
                await client.set_webhook("http://shop.example/hook")
            with pytest.raises(BadRequest, match=r"(?i)ports 80, 88, 443 or 8443"):
                await client.set_webhook("https://shop.example:8080/hook")
            with pytest.raises(BadRequest, match=r"(?i)unallowed characters"):
                await client.set_webhook("https://shop.example/hook", secret_token="not ok!")
            assert await client.set_webhook("https://shop.example/hook", secret_token=SECRET)
            info = await client.get_webhook_info()
            assert info.url == "https://shop.example/hook"
            assert info.max_connections == 40
    finally:
        await strict.stop()


async def test_allowed_updates_limit_what_is_pushed(
    api: FakeBotApi, bot: telegram.Bot, receiver: Receiver
) -> None:
    alice = api.add_user(1001, "Alice")
    await bot.set_webhook(receiver.url, secret_token=SECRET, allowed_updates=["callback_query"])
    await alice.send_text("ignored")
    await asyncio.sleep(0.2)
    assert receiver.received == []
    assert api.pending_updates() == []
