"""The web process (issue 14): Telegram's updates arrive at a webhook that keeps each one in the
database before answering 200, handles it once, and takes over an update a dead process kept
but never handled; /healthz, /readyz and /metrics say how the process is doing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from bot.botapi.sim import SimMessage
from bot.shared.updates import HANDLED_KINDS
from bot.web.app import WebProcess
from storage.tables.cart import CartLineRow
from storage.tables.inbox import UpdateInboxRow
from tests.e2e.harness import TOKEN
from tests.e2e.test_cli import run_bot
from tests.e2e.web_kit import SECRET, WebUnderTest, running_web

BOT_ID = int(TOKEN.split(":")[0])


async def screen(web: WebUnderTest, user_id: int, marker: str) -> SimMessage:
    def found(api: Any) -> SimMessage | None:
        for message in reversed(api.chat(user_id).bot_messages()):
            labels = [label for row in message.buttons for label in row]
            if marker in (message.body or "") or any(marker in label for label in labels):
                return message
        return None

    result: SimMessage = await web.api.wait_for(found, 10)
    return result


async def count(web: WebUnderTest, table: Any) -> int:
    async with web.db.uow(readonly=True) as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(table)) or 0)


async def test_a_customer_shops_through_the_webhook_and_a_replay_changes_nothing(
    tmp_path: Path,
) -> None:
    async with running_web(tmp_path) as web:
        info = await web.web.shop.bot.get_webhook_info()
        assert info.url == web.settings.webhook_url
        # Telegram is asked for exactly the kinds the bot has a behaviour for (the gate's list).
        assert set(info.allowed_updates or ()) == set(HANDLED_KINDS)
        assert {"message", "callback_query", "pre_checkout_query"} <= set(HANDLED_KINDS)
        alice = web.api.add_user(5001, "Alice")
        await alice.send_text("/start")
        menu = await screen(web, alice.id, "Catalog")
        await alice.tap(menu, "Catalog", exact=False)
        await alice.tap(await screen(web, alice.id, "Tea ("), "Tea (", exact=False)
        await alice.tap(await screen(web, alice.id, "Keemun"), "Keemun", exact=False)
        add = await alice.tap(
            await screen(web, alice.id, "Add 1 to cart"), "Add 1 to cart", exact=False
        )
        await screen(web, alice.id, "In your cart")
        await web.web.inbox.idle()
        assert await count(web, CartLineRow) == 1
        # Telegram sends the tap again (it never heard our 200): nothing changes.
        web.api.redeliver(add)
        await web.api.wait_for(lambda api: not api.pending_updates(), 10)
        await web.web.inbox.idle()
        async with web.db.uow(readonly=True) as uow:
            quantity = await uow.session.scalar(select(CartLineRow.quantity))
        assert quantity == 1
        assert await count(web, UpdateInboxRow) == 0, "handled updates leave the inbox"

        metrics = (await web.get("/metrics")).text
        assert 'orderbot_updates_total{kind="callback_query",outcome="handled"}' in metrics
        assert 'orderbot_updates_total{kind="callback_query",outcome="replayed"} 1.0' in metrics
        assert 'orderbot_webhook_requests_total{result="stored"}' in metrics
        assert "orderbot_update_handler_seconds_bucket" in metrics
        assert "orderbot_outbox_backlog" in metrics
        assert 'orderbot_open_orders{status="pending_payment"} 0.0' in metrics


async def test_a_request_without_the_secret_is_refused_and_nothing_is_kept(
    tmp_path: Path,
) -> None:
    async with running_web(tmp_path) as web:
        update = {"update_id": 999, "message": {"message_id": 1, "date": 0, "text": "hi"}}
        assert (await web.post_update(update, None)).status_code == 403
        assert (await web.post_update(update, "wrong")).status_code == 403
        assert (await web.post_update({"no": "id"}, SECRET)).status_code == 400
        assert await count(web, UpdateInboxRow) == 0


async def test_an_update_kept_by_a_process_that_died_is_handled_by_another(
    tmp_path: Path,
) -> None:
    alice_id = 5002

    async def died_after_keeping(web: WebProcess) -> None:
        # A web process kept this update, answered 200, and was killed before handling it.
        update = {
            "update_id": 4242,
            "message": {
                "message_id": 77,
                "date": int(datetime.now(UTC).timestamp()),
                "chat": {"id": alice_id, "type": "private", "first_name": "Bob"},
                "from": {"id": alice_id, "is_bot": False, "first_name": "Bob"},
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
        then = datetime.now(UTC) - timedelta(seconds=5)
        async with web.db.uow() as uow:
            await uow.inbox.accept(BOT_ID, 4242, None, update, then, then + timedelta(seconds=2))
            await uow.commit()

    async with running_web(tmp_path, before_start=died_after_keeping) as web:
        web.api.add_user(alice_id, "Bob")
        await screen(web, alice_id, "Catalog")
        await web.web.inbox.idle()
        assert await count(web, UpdateInboxRow) == 0
        assert (await web.get("/healthz")).status_code == 200


async def test_readyz_says_whether_the_database_is_at_the_code_s_migrations(
    tmp_path: Path,
) -> None:
    async with running_web(tmp_path) as web:
        ready = await web.get("/readyz")
        assert ready.status_code == 200, ready.text
        async with web.db.uow() as uow:
            await uow.session.execute(text("UPDATE alembic_version SET version_num = 'older'"))
            await uow.commit()
        behind = await web.get("/readyz")
        assert behind.status_code == 503
        assert "older" in behind.json()["reason"]
        assert (await web.get("/healthz")).status_code == 200


def test_web_without_its_settings_ends_with_one_line_naming_them(tmp_path: Path) -> None:
    result = run_bot(tmp_path, "web", BOT_TOKEN=TOKEN)
    assert result.returncode == 2
    expected = "orderbot: setting WEBHOOK_URL: is required for `python -m bot web`"
    assert result.stderr.strip() == expected
    result = run_bot(tmp_path, "web", BOT_TOKEN=TOKEN, WEBHOOK_URL="https://shop.example/t")
    assert result.returncode == 2
    assert "WEBHOOK_SECRET: is required" in result.stderr
    result = run_bot(
        tmp_path, "web", BOT_TOKEN=TOKEN, WEBHOOK_URL="https://x/t", WEBHOOK_SECRET="bad secret!"
    )
    assert result.returncode == 2
    assert "WEBHOOK_SECRET: must be 1-256 characters" in result.stderr


async def test_a_webhook_telegram_refuses_ends_with_one_line(tmp_path: Path) -> None:
    from bot.botapi.server import FakeBotApi

    api = FakeBotApi(token=TOKEN)  # strict: https only, on Telegram's ports
    await api.start()
    try:
        result = await asyncio.to_thread(
            run_bot,
            tmp_path,
            "web",
            BOT_TOKEN=TOKEN,
            TELEGRAM_API_URL=api.url,
            WEBHOOK_URL="http://shop.example/telegram",
            WEBHOOK_SECRET=SECRET,
            WEB_PORT="0",
        )
    finally:
        await api.stop()
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("orderbot: WEBHOOK_URL: Telegram refused the webhook:")
    assert SECRET not in result.stderr
