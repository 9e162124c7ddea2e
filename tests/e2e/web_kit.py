"""The web process (`python -m bot web`'s parts, bot/web/app.py) in the test's event loop,
serving over real HTTP, with the local Bot API server pushing updates to its webhook."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bot.app import build_application
from bot.botapi.server import FakeBotApi
from bot.settings import Settings, load_settings
from bot.web.app import WebProcess, listening_socket, make_server
from bot.web.metrics import Metrics
from storage.db import Database
from tests.e2e.harness import ADMIN_CHAT, TOKEN, seed_demo_catalog

SECRET = "webhook-secret_1"


@dataclass
class WebUnderTest:
    api: FakeBotApi
    web: WebProcess
    settings: Settings
    url: str  # http://127.0.0.1:PORT

    @property
    def db(self) -> Database:
        return self.web.db

    async def get(self, path: str) -> httpx.Response:
        async with httpx.AsyncClient() as client:
            return await client.get(self.url + path)

    async def post_update(self, update: dict[str, Any], secret: str | None) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        async with httpx.AsyncClient() as client:
            return await client.post(self.url + "/telegram", json=update, headers=headers)


def web_settings(api: FakeBotApi, url: str, port: int, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "bot_token": TOKEN,
        "telegram_api_url": api.url,
        "database_url": url,
        "admin_chat_id": ADMIN_CHAT,
        "currency": "USD",
        "shipping_fee": "5.00",
        "shop_name": "Tea House",
        "outbox_poll_seconds": 30,
        "webhook_url": f"http://127.0.0.1:{port}/telegram",
        "webhook_secret": SECRET,
        "web_port": port,
        "webhook_lease_seconds": 2,
    }
    values.update(overrides)
    return load_settings(**values)


@contextlib.asynccontextmanager
async def running_web(
    tmp_path: Path, *, before_start: Any = None, **overrides: Any
) -> AsyncIterator[WebUnderTest]:
    """A fresh shop with the demo catalog, its web process, and the local Bot API server in
    local mode (http webhooks) delivering to it."""
    api = FakeBotApi(token=TOKEN, local=True, webhook_retry_seconds=0.1)
    await api.start()
    url = overrides.pop("database_url", None) or f"sqlite+aiosqlite:///{tmp_path}/shop.db"
    await seed_demo_catalog(url)
    sock = listening_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    settings = web_settings(api, url, port, **overrides)
    metrics = Metrics()
    web = WebProcess(settings, build_application(settings, metrics=metrics), metrics)
    if before_start is not None:
        await before_start(web)
    await web.start()
    server = make_server(web.asgi)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for it
            await asyncio.sleep(0.01)
        yield WebUnderTest(api, web, settings, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        await serving
        await web.stop()
        sock.close()
        await api.stop()
