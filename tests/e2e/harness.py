"""Runs the real bot against the local Bot API server and lets tests act as Telegram users."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import Application, TypeHandler

from bot.app import build_application
from bot.botapi.server import FakeBotApi
from bot.botapi.sim import SimMessage, SimUser
from bot.catalog.csv_import import read_catalog_csv
from bot.settings import Settings, load_settings
from domain.checkout.shop import Shop
from domain.checkout.shop_base import ShopConfig
from domain.reactions import ORDER_FLOW
from domain.shared.clock import Clock, SystemClock
from storage.db import Database
from storage.migrate import upgrade
from tests.dbsetup import PG_SKIP, TEST_DATA_KEY, TEST_KEYS, fresh_pg_database, pg_base_url

TOKEN = "123456789:TEST-token-for-the-local-server"
ADMIN_CHAT = -1001000
DEMO_CATALOG = Path(__file__).resolve().parents[2] / "bot" / "demo" / "catalog.csv"


@dataclass
class BotUnderTest:
    """The application as `python -m bot` builds it, polling the local Bot API server."""

    api: FakeBotApi
    database_url: str
    overrides: dict[str, Any] = field(default_factory=dict)
    clock: Clock = field(default_factory=SystemClock)
    app: Application | None = None  # type: ignore[type-arg]
    settings: Settings | None = None
    _done: dict[int, asyncio.Event] = field(default_factory=dict)

    async def start(self) -> None:
        """Apply migrations and start polling, exactly as the bot does in production."""
        values: dict[str, Any] = {
            "bot_token": TOKEN,
            "telegram_api_url": self.api.url,
            "database_url": self.database_url,
            "admin_chat_id": ADMIN_CHAT,
            "currency": "USD",
            "shipping_fee": "5.00",
            "shop_name": "Tea House",
            "outbox_poll_seconds": 30,
        }
        values.update(self.overrides)  # a test may change any of them
        self.settings = load_settings(**values)
        await upgrade(self.database_url)
        app = build_application(self.settings, clock=self.clock)
        app.add_handler(TypeHandler(Update, self._mark_done), group=1000)
        self._watch(app)
        await app.initialize()
        if app.post_init:
            await app.post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(
            timeout=1, poll_interval=0, allowed_updates=Update.ALL_TYPES
        )
        self.app = app

    async def stop(self) -> None:
        """Stop polling and shut down, as on SIGTERM."""
        app, self.app = self.app, None
        if app is None:
            return
        assert app.updater is not None
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        if app.post_stop:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)

    async def crash(self) -> None:
        """Stop without the graceful path's extras: the process simply goes away."""
        await self.stop()

    async def restart(self) -> None:
        """A new process of the bot on the same database."""
        await self.stop()
        await self.start()

    async def _mark_done(self, update: Update, _context: Any) -> None:
        self._done.setdefault(update.update_id, asyncio.Event()).set()

    def _watch(self, app: Application) -> None:  # type: ignore[type-arg]
        """Also mark an update handled when PTB is done with it: a dialog handler that takes a
        message raises ApplicationHandlerStop, so the group-1000 marker never sees it."""
        process = app.process_update

        async def process_update(update: object) -> None:
            try:
                await process(update)
            finally:
                if isinstance(update, Update):
                    self._done.setdefault(update.update_id, asyncio.Event()).set()

        app.process_update = process_update  # type: ignore[method-assign]

    async def processed(self, update: dict[str, Any], timeout: float = 10.0) -> None:
        """Wait until the bot has fully handled the update."""
        event = self._done.setdefault(update["update_id"], asyncio.Event())
        await asyncio.wait_for(event.wait(), timeout)

    async def deliver_again(self, update: dict[str, Any], timeout: float = 10.0) -> None:
        """Telegram delivers an update a second time, same id; wait until it was handled."""
        self._done.pop(update["update_id"], None)
        self.api.redeliver(update)
        await self.processed(update, timeout)

    async def outbox_drained(self, timeout: float = 10.0) -> None:
        """Wait until every queued notification was sent or given up."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        db = self.app.bot_data.db if self.app else None
        assert db is not None
        while True:
            async with db.uow(readonly=True) as uow:
                if await uow.outbox.pending_count() == 0:
                    return
            if loop.time() > deadline:
                raise TimeoutError("outbox not drained")
            await asyncio.sleep(0.05)


@dataclass
class Person:
    """A Telegram user talking to the bot; reads the chat as they would see it."""

    bot: BotUnderTest
    sim: SimUser
    last_query: str | None = None

    @property
    def id(self) -> int:
        return self.sim.id

    @property
    def messages(self) -> list[SimMessage]:
        """What the chat shows now (edits applied, deleted messages gone)."""
        return self.bot.api.chat(self.sim.id).messages

    @property
    def screen(self) -> SimMessage:
        """The bot's latest message."""
        message = self.bot.api.chat(self.sim.id).last_bot_message()
        assert message is not None, "the bot has not said anything"
        return message

    def texts(self) -> list[str]:
        """The bodies of the bot's messages, oldest first."""
        return [m.body or "" for m in self.bot.api.chat(self.sim.id).bot_messages()]

    async def say(self, text: str) -> SimMessage:
        """Send a text message and wait for the bot to handle it."""
        update = await self.sim.send_text(text)
        await self.bot.processed(update)
        return self.screen

    async def share_contact(self, phone: str) -> SimMessage:
        """Tap the 'share my phone number' keyboard button."""
        update = await self.sim.send_contact(phone_number=phone)
        await self.bot.processed(update)
        return self.screen

    async def send_photo(self) -> SimMessage:
        update = await self.sim.send_photo(data=b"\x89PNG fake")
        await self.bot.processed(update)
        return self.screen

    def find(self, text: str) -> SimMessage:
        """The newest bot message with a button containing `text`."""
        for message in reversed(self.bot.api.chat(self.sim.id).bot_messages()):
            for row in message.buttons:
                if any(text in label for label in row):
                    return message
        raise LookupError(f"no visible button with {text!r}; chat:\n{self.transcript()}")

    async def tap(self, text: str, message: SimMessage | None = None) -> SimMessage:
        """Press the inline button whose label contains `text` (newest message showing it)."""
        target = message or self.find(text)
        update = await self.sim.tap(target, text, exact=False)
        self.last_query = update["callback_query"]["id"]
        await self.bot.processed(update)
        return self.screen

    async def tap_data(self, data: str, message: SimMessage | None = None) -> SimMessage:
        """Send callback data the bot may never have issued (forged or stale)."""
        target = message or self.screen
        update = await self.sim.tap_data(target, data)
        self.last_query = update["callback_query"]["id"]
        await self.bot.processed(update)
        return self.screen

    @property
    def answer(self) -> dict[str, Any]:
        """How the bot answered the last tap (toast or alert)."""
        assert self.last_query is not None
        answer = self.bot.api.callback_answers.get(self.last_query)
        assert answer is not None, "the bot did not answer the callback query"
        return answer

    def transcript(self) -> str:
        """The chat as text, for failure messages."""
        lines = []
        for m in self.messages:
            who = "BOT" if m.from_bot else "USER"
            lines.append(f"[{who} #{m.message_id}] {m.body!r} {m.buttons or ''}")
        return "\n".join(lines)


async def seed_demo_catalog(database_url: str, stock: dict[str, int] | None = None) -> None:
    """Load the shipped demo catalog (optionally with other stock levels)."""
    from dataclasses import replace

    await upgrade(database_url)
    drafts = read_catalog_csv(DEMO_CATALOG, "USD")
    if stock:
        drafts = [replace(d, stock=stock.get(d.sku, d.stock)) for d in drafts]
    db = Database(database_url)
    try:
        from domain.shared.money import Money

        await Shop(
            db, SystemClock(), ShopConfig("USD", Money(500, "USD")), flow=ORDER_FLOW
        ).import_catalog(drafts, actor="seed", reason="demo catalog")
    finally:
        await db.dispose()


@contextlib.asynccontextmanager
async def running_bot(tmp_path: Path, **overrides: Any):  # type: ignore[no-untyped-def]
    """A local Bot API server and the bot polling it, on a fresh database with the demo catalog."""
    api = FakeBotApi(token=TOKEN)
    await api.start()
    url = overrides.pop("database_url", None) or f"sqlite+aiosqlite:///{tmp_path}/shop.db"
    await seed_demo_catalog(url, overrides.pop("stock", None))
    bot = BotUnderTest(api, url, overrides)
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()
        await api.stop()


@contextlib.asynccontextmanager
async def fresh_pg_shop(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[dict[str, Any]]:
    """Settings of a new PostgreSQL shop database (TEST_DATABASE_URL) with the test data key,
    for a test parametrized over both databases; skips the test when there is none. The demo
    catalog is seeded with the key the bot or web process is given."""
    base = pg_base_url()
    if base is None:
        pytest.skip(PG_SKIP)
    monkeypatch.setattr(
        sys.modules[__name__], "Database", functools.partial(Database, keys=TEST_KEYS)
    )
    async with fresh_pg_database(base) as url:
        yield {"database_url": url, "data_keys": TEST_DATA_KEY}
