"""`python -m bot demo` and the page's API, over real HTTP, without a browser: what the page
sends is what a Telegram client would send, and bad input gets what Telegram would do."""

from __future__ import annotations

import asyncio
import csv
import io
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import func, select

from bot.botapi.entities import finish_text
from bot.botapi.entities_html import parse_html
from bot.playground.demo import (
    ADDRESSES,
    ADMIN_CHAT,
    CATALOG,
    FIRST_CUSTOMER,
    MERCHANT,
    PROMO_CODE,
    SHOP_PLACE,
    SOLD_OUT_SKU,
    DemoOptions,
    Playground,
    running_playground,
)
from bot.playground.render import entities_to_html
from bot.playground.web import split_text
from domain.shared.money import Money
from storage.db import Database
from storage.tables.audit import AuditRow
from storage.tables.catalog import ProductRow
from storage.tables.orders import OrderRow
from storage.tables.promotions import PromoCodeRow
from tests.playground.test_browser import rows


def demo(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "demo", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_a_port_that_is_not_one_ends_with_one_line_naming_the_setting() -> None:
    done = demo("--port", "70000")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "orderbot: setting PLAYGROUND_PORT: 70000 is not a TCP port (1-65535)"
    ]
    done = demo(env={"PLAYGROUND_PORT": "http", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 2
    assert "PLAYGROUND_PORT: 'http' is not a TCP port" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_busy_port_ends_with_one_line_naming_the_setting() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = demo("--port", str(port))
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"orderbot: setting PLAYGROUND_PORT: cannot listen on 127.0.0.1:{port}")


def test_the_bot_html_is_drawn_from_the_entities_as_a_telegram_client_does() -> None:
    parsed = parse_html(
        '<b>Order <i>7KQ2</i></b> 🍵 <a href="https://example.com/t?a=1&amp;b=2">track</a>'
        " &lt;script&gt; <code>SF1</code>\n<blockquote>note</blockquote> /orders"
    )
    text, entities = parsed
    html = entities_to_html(*finish_text(text, entities))  # as the server stores a message
    assert html.startswith("<b>Order <i>7KQ2</i></b> 🍵 <a href=")
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "<code>SF1</code>" in html and "<blockquote>note</blockquote>" in html
    assert 'data-command="/orders"' in html


def test_an_over_long_message_is_sent_in_parts_as_telegram_clients_do() -> None:
    parts = split_text(("word " * 2000).strip())
    assert len(parts) == 3 and all(0 < len(p) <= 4096 for p in parts)
    assert split_text("   \n ") == []


async def _post(session: aiohttp.ClientSession, url: str, body: Any) -> tuple[int, Any]:
    async with session.post(url, json=body) as response:
        return response.status, await response.json()


async def _wait(condition: Any, timeout: float = 10.0) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (value := condition()):
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)
    return value


async def test_the_demo_shop_has_a_history_and_a_merchant_who_can_run_it(
    playground: Playground,
) -> None:
    db = Database(playground.database_url)
    try:
        async with db.uow(readonly=True) as uow:
            orders = await uow.session.scalar(select(func.count()).select_from(OrderRow))
    finally:
        await db.dispose()
    assert orders and orders > 100, "21 days of generated orders"
    settings = playground.app.bot_data.settings
    assert settings.admin_chat_id == ADMIN_CHAT and settings.admin_user_ids == [MERCHANT]

    admin = playground.api.chat(ADMIN_CHAT)
    async with aiohttp.ClientSession(playground.url) as session:
        status, _ = await _post(session, f"/api/chats/{ADMIN_CHAT}/text", {"text": "/report"})
        assert status == 200
        report = await _wait(
            lambda: next((m for m in admin.bot_messages() if "Orders" in (m.body or "")), None)
        )
        assert report.from_bot

        async with session.get("/api/state") as response:
            state = await response.json()
        assert [c["id"] for c in state["customers"]] == [FIRST_CUSTOMER]
        async with session.get("/") as response:
            page = await response.text()
        assert "/static/app.js" in page and "http" not in page.replace("http-equiv", "")


async def test_bad_input_from_the_page_gets_what_telegram_would_do(
    playground: Playground,
) -> None:
    chat = playground.api.chat(FIRST_CUSTOMER)
    async with aiohttp.ClientSession(playground.url) as session:
        status, body = await _post(session, f"/api/chats/{FIRST_CUSTOMER}/text", {"text": " \n"})
        assert (status, body["ok"]) == (400, False)
        assert chat.messages == [], "an empty message is never sent"

        status, body = await _post(
            session, f"/api/chats/{FIRST_CUSTOMER}/text", {"text": "tea " * 1500}
        )
        assert (status, body["messages"]) == (200, 2)
        mine = [m for m in chat.messages if not m.from_bot]
        assert [len(m.text or "") <= 4096 for m in mine] == [True, True]

        status, _ = await _post(session, "/api/chats/424242/text", {"text": "hi"})
        assert status == 404
        status, _ = await _post(session, "/api/customers", {"name": "", "language": "en"})
        assert status == 400
        status, li = await _post(session, "/api/customers", {"name": "李雷", "language": "zh"})
        assert status == 200
        await _post(session, f"/api/chats/{li['id']}/text", {"text": "/start"})
        greeting = await _wait(lambda: playground.api.chat(li["id"]).last_bot_message())
        assert "李雷" in (greeting.body or "")

        form = aiohttp.FormData()
        form.add_field(
            "file", b"\x89PNG\r\n\x1a\n fake", filename="receipt.png", content_type="image/png"
        )
        form.add_field("as", "photo")
        async with session.post(f"/api/chats/{FIRST_CUSTOMER}/file", data=form) as response:
            assert (await response.json())["kind"] == "photo"
        photo = await _wait(lambda: next((m for m in chat.messages if m.kind == "photo"), None))
        async with session.get(f"/api/files/{photo.photo_file_id}") as response:
            assert response.status == 200 and (await response.read()).startswith(b"\x89PNG")


async def test_the_admin_imports_a_catalog_csv_sent_from_the_page(playground: Playground) -> None:
    admin = playground.api.chat(ADMIN_CHAT)
    # A file sent in a chat cannot name photo files beside it: the demo catalog without them.
    rows = list(csv.DictReader(io.StringIO(CATALOG.read_text(encoding="utf-8"))))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows({**row, "photo": ""} for row in rows)
    form = aiohttp.FormData()
    form.add_field("file", out.getvalue().encode(), filename="catalog.csv", content_type="text/csv")
    form.add_field("as", "document")
    async with (
        aiohttp.ClientSession(playground.url) as session,
        session.post(f"/api/chats/{ADMIN_CHAT}/file", data=form) as response,
    ):
        assert (await response.json())["kind"] == "document"
    done = await _wait(
        lambda: next((m for m in admin.bot_messages() if "imported" in (m.body or "")), None)
    )
    assert "catalog.csv" in (done.body or "") and "12 products" in (done.body or "")


STEP = 20.0  # s: a step's answer on a machine shared by several test runs


class Talk:
    """Someone in a chat of the running playground, as the page would act for them. The bot
    handles updates concurrently and other messages (alerts, reports) arrive in the admin chat
    at any time, so each step waits for its own answer: a text or contact for a later bot
    message that says what is expected, a tap for the callback's answer."""

    def __init__(self, playground: Playground, user_id: int, chat_id: int | None = None) -> None:
        self.api = playground.api
        self.user = playground.api.users[user_id]
        self.chat_id = user_id if chat_id is None else chat_id
        self.chat = playground.api.chat(self.chat_id)

    def _edits(self) -> dict[int, int]:
        return {m.message_id: m.edits for m in self.chat.bot_messages()}

    async def _answer(self, before: dict[int, int], expect: str) -> Any:
        """The bot's answer since `before`: a new message, or one edited since, that says
        `expect`."""
        return await _wait(
            lambda: next(
                (
                    m
                    for m in reversed(self.chat.bot_messages())
                    if before.get(m.message_id) != m.edits and expect in (m.body or "")
                ),
                None,
            ),
            STEP,
        )

    async def say(self, text: str, expect: str) -> Any:
        """Send a text; the bot's answer that says `expect`."""
        before = self._edits()
        await self.user.send_text(text, chat_id=self.chat_id)
        return await self._answer(before, expect)

    async def share_contact(self, phone: str, expect: str) -> Any:
        before = self._edits()
        await self.user.send_contact(phone)
        return await self._answer(before, expect)

    async def tap(self, label: str) -> Any:
        """Tap the newest button whose label contains `label`; returns the message tapped."""
        message = await _wait(
            lambda: next(
                (
                    m
                    for m in reversed(self.chat.bot_messages())
                    if any(label in b for row in m.buttons for b in row)
                ),
                None,
            ),
            STEP,
        )
        update = await self.user.tap(message, label, exact=False)
        await self.api.wait_callback_answered(update["callback_query"]["id"], STEP)
        return self.chat.message(message.message_id)

    def sees(self, text: str) -> Any:
        """The newest bot message that says `text` (waits for it)."""
        return _wait(
            lambda: next(
                (m for m in reversed(self.chat.bot_messages()) if text in (m.body or "")), None
            ),
            STEP,
        )


async def test_the_demo_seeds_delivery_methods_a_promo_code_and_a_sold_out_tea(
    tmp_path: Path,
) -> None:
    """What issues 16 and 17 added, seeded by the demo: SHIPPING_METHODS (Standard, Express for
    the suggested addresses, Pickup), WELCOME10 made by the admin chat's use case, and Pu-erh
    sold out: Alice asks to be told, the merchant restocks it in the admin chat, she is told."""
    options = DemoOptions(port=0, days=0, data_dir=tmp_path)
    async with running_playground(options) as playground:
        settings = playground.app.bot_data.settings
        methods = settings.shipping_method_list
        assert [(m.code, m.kind.value) for m in methods] == [
            ("standard", "delivery"),
            ("express", "delivery"),
            ("pickup", "pickup"),
        ]
        standard, express, pickup = methods
        assert all(set(m.names) == {"en", "zh"} for m in methods)
        assert (standard.fee.amount, standard.free_from) == (500, Money(5000, "USD"))
        assert [express.serves(a) for a in ADDRESSES] == [True, True, False]
        assert all(standard.serves(a) for a in ADDRESSES)
        assert pickup.place == SHOP_PLACE and pickup.fee.amount == 0

        [code] = await rows(playground.database_url, select(PromoCodeRow))
        assert (code.code, code.kind, code.value) == (PROMO_CODE, "percent", 10)
        assert (code.min_subtotal_minor, code.max_uses_per_customer, code.max_uses) == (
            2000,
            1,
            None,
        )
        assert code.valid_until is not None
        year = code.valid_until.replace(tzinfo=UTC) - datetime.now(UTC)
        assert timedelta(days=364) < year <= timedelta(days=366)
        [made] = await rows(
            playground.database_url, select(AuditRow).where(AuditRow.action == "promo_create")
        )
        assert made.actor == f"admin:{MERCHANT}", "made as the merchant's /promo_new makes one"

        async with (
            aiohttp.ClientSession(playground.url) as session,
            session.get("/api/state") as response,
        ):
            tour = (await response.json())["tour"]
        assert tour == {
            "code": PROMO_CODE,
            "code_min": "$20.00",
            "free_from": "$50.00",
            "sold_out": "Pu-erh Cake 357 g",
            "addresses": list(ADDRESSES),
        }

        merchant = Talk(playground, MERCHANT, ADMIN_CHAT)
        card = await merchant.say(f"/promo {PROMO_CODE.lower()}", "10% off")
        assert "10% off" in card.body and "Minimum order: $20.00" in card.body, card.body

        [puerh] = await rows(
            playground.database_url, select(ProductRow).where(ProductRow.sku == SOLD_OUT_SKU)
        )
        assert (puerh.stock, puerh.active) == (0, True)
        alice = Talk(playground, FIRST_CUSTOMER)
        await alice.say("/catalog", "choose a category")
        await alice.tap("Tea (")
        await alice.tap("Pu-erh Cake 357 g · $38.00 · sold out")
        card = await alice.sees("Sold out")
        assert "Pu-erh Cake" in card.body
        card = await alice.tap("Notify me when it's back")
        assert any("Stop notifying" in b for row in card.buttons for b in row), card.buttons

        await merchant.say("/products", "tap one to edit it")
        await merchant.tap("Pu-erh")
        await merchant.tap("Stock ±")
        await merchant.say("+5", "Why?")
        await merchant.say("Delivery from Yunnan", "Pu-erh Cake 357 g: stock is now 5")
        back = await alice.sees("back in stock")
        assert "Pu-erh Cake 357 g" in back.body
        assert any("Add to cart" in b for row in back.buttons for b in row)

        # A Chinese customer at the Shanghai address the page suggests: pickup is offered first,
        # then both delivery methods that serve the address, named in Chinese.
        async with aiohttp.ClientSession(playground.url) as session:
            _, added = await _post(session, "/api/customers", {"name": "李雷", "language": "zh"})
        li = Talk(playground, added["id"])
        await li.say("/catalog", "请选择分类")
        for label in ("Tea (", "Longjing", "加入购物车 1", "🛒 购物车"):
            await li.tap(label)
        receive = await li.tap("去结算")
        assert any("到店自取 — 免费" in b for row in receive.buttons for b in row), receive.buttons
        await li.tap("新地址")
        await li.say("李雷", "手机号")
        await li.share_contact("+8613800138000", "详细地址")
        methods = await li.say(ADDRESSES[1], "配送方式")
        labels = [b for row in methods.buttons for b in row]
        assert [label.split(" — ")[0] for label in labels[:2]] == ["🚚 标准快递", "🚚 次日达快递"]


async def test_a_stars_shop_takes_payment_in_stars_and_a_failed_payment_changes_nothing(
    tmp_path: Path,
) -> None:
    options = DemoOptions(port=0, days=0, stars=True, data_dir=tmp_path)
    async with running_playground(options) as playground:
        alice = Talk(playground, FIRST_CUSTOMER)
        chat = alice.chat

        await alice.say("/start", "Hi Alice")
        for label in ("Catalog", "Tea (", "Longjing", "Add 1 to cart", "Cart", "Checkout"):
            await alice.tap(label)
        await alice.tap("New address")
        await alice.say("Alice Smith", "phone number")
        await alice.share_contact("+14155551001", "delivery address")
        methods = await alice.say(ADDRESSES[0], "How should we send")
        labels = [b for row in methods.buttons for b in row]
        # the demo's delivery methods, charged in Stars (5 and 9 dollars at 50 Stars a dollar)
        assert labels[:2] == ["🚚 Standard — ⭐250", "🚚 Express (next day) — ⭐450"], labels
        await alice.tap("Standard")
        await alice.tap("Telegram Stars")
        await alice.tap("Confirm order")
        invoice = await _wait(lambda: next((m for m in chat.messages if m.kind == "invoice"), None))
        assert invoice.invoice["currency"] == "XTR" and invoice.invoice["total_amount"] == 875

        async with aiohttp.ClientSession(playground.url) as session:
            url = f"/api/chats/{FIRST_CUSTOMER}/pay"
            status, failed = await _post(
                session, url, {"message_id": invoice.message_id, "outcome": "decline"}
            )
            assert (status, failed["ok"]) == (200, False)
            assert not any(m.kind == "successful_payment" for m in chat.messages)
            status, paid = await _post(
                session, url, {"message_id": invoice.message_id, "outcome": "pay"}
            )
            assert (status, paid["ok"]) == (200, True)
        receipt = await alice.sees("Payment received")
        assert "⭐" in (receipt.body or "")
        async with (
            aiohttp.ClientSession(playground.url) as session,
            session.get("/api/state") as response,
        ):
            tour = (await response.json())["tour"]
        assert (tour["code_min"], tour["free_from"]) == ("⭐1000", "⭐2500"), "the page says Stars"


async def test_the_playground_serves_the_http_api_with_a_key_of_its_own(
    playground: Playground,
) -> None:
    """Issue 17 tried without a token from Telegram: the API that `python -m bot web` mounts,
    on its own port, with a key made for the run; an order placed over HTTP is the admin chat's
    (the alert names the channel) and holds its stock."""
    assert playground.api_url != playground.url and playground.api_token.startswith("ob_")
    bearer = {"Authorization": f"Bearer {playground.api_token}"}
    admin = playground.api.chat(ADMIN_CHAT)
    async with aiohttp.ClientSession(playground.api_url + "/api/v1/") as session:
        found = session.get("products", params={"q": "Longjing"}, headers=bearer)
        async with found as response:
            assert response.status == 200, await response.text()
            [tea] = (await response.json())["items"]
        order = {
            "lines": [{"product_id": tea["id"], "quantity": 2}],
            "recipient": "Grace Hopper",
            "phone": "+1 202 555 0143",
            "address": ADDRESSES[0],
            "payment_method": "cod",
            "shipping_method": "express",
        }
        headers = dict(bearer, **{"Idempotency-Key": "playground-1"})
        async with session.post("orders", json=order, headers=headers) as response:
            assert response.status == 201, await response.text()
            placed = await response.json()
        async with session.get("products", headers={"Authorization": "Bearer nope"}) as response:
            assert response.status == 401
            assert response.content_type == "application/problem+json"
    assert placed["channel"] == "playground" and placed["shipping_method"] == "express"
    alert = await _wait(
        lambda: next((m for m in admin.bot_messages() if placed["number"] in (m.body or "")), None)
    )
    assert "playground" in (alert.body or "")
