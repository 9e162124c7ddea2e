"""Orders from other sales channels in the running shop (issue 17): an order placed through
ChannelOrders (what the HTTP API calls) on the bot's own database is announced in the admin
chat with the channel's name, opened and shipped from there exactly as a chat order, and a
Telegram customer whose verified phone it carries finds it in My orders and hears it ship."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from bot.api.app import build_api
from bot.api.keys import ApiKeys
from bot.api.ratelimit import RateLimit
from bot.api.services import ApiServices
from domain.channels.orders import (
    ChannelLine,
    ChannelOrderRequest,
    ChannelOrders,
    channel_customer_id,
)
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import PaymentMethod
from storage.tables.customers import CustomerRow
from storage.tables.outbox import OutboxRow
from tests.e2e import helpers as db
from tests.e2e.admin_kit import ANN, Admin, World, admin_world, order_row, place_order, shipments
from tests.e2e.harness import BotUnderTest


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with admin_world(tmp_path) as running:
        yield running


def channels_of(bot: BotUnderTest) -> ChannelOrders:
    channels = bot.app.bot_data.channels
    assert channels is not None, "the composition root builds the channels' use cases"
    return channels


async def api_order(
    bot: BotUnderTest, phone: str, reference: str, method: PaymentMethod
) -> tuple[str, bool]:
    tea = await db.product(bot, "TEA-GREEN-100")
    placed = await channels_of(bot).place(
        ChannelOrderRequest(
            channel="webshop",
            reference=reference,
            lines=[ChannelLine(tea.id, 2)],
            recipient="Bob Stone",
            phone=phone,
            address_text="2 High Street, Springfield",
            payment_method=method,
        )
    )
    return placed.order.number, placed.created


async def alert_for(admin: Admin, number: str) -> object:
    await admin.bot.outbox_drained()
    return next(
        m
        for m in reversed(admin.chat.bot_messages())
        if f"New order {number} from webshop" in (m.text or "")
    )


async def ship_from_the_admin_chat(admin: Admin, number: str, *, telegram_buyer: bool) -> None:
    alert = await alert_for(admin, number)
    detail = await admin.tap("Open order", alert)  # type: ignore[arg-type]
    assert f"Order {number}" in detail.text and "From webshop · their order WS-" in detail.text
    labels = [label for row in detail.buttons for label in row]
    # Only a Telegram customer can be written to (and is named on the card).
    assert any("Message customer" in label for label in labels) == telegram_buyer, labels
    assert ("👤" in detail.text) == telegram_buyer, detail.text
    carriers = await admin.tap("Ship", detail)
    ask = await admin.tap("SF Express", carriers)
    assert "tracking number" in ask.text
    note = await admin.say("SF1234567890123")
    confirm = await admin.tap("Skip", note)
    done = await admin.tap("Confirm shipment", confirm)
    assert f"Order {number} shipped" in done.text


async def test_an_api_order_is_announced_with_its_channel_and_shipped_from_the_admin_chat(
    world: World,
) -> None:
    bot, ann = world.bot, world.ann
    stock_before = (await db.product(bot, "TEA-GREEN-100")).reserved
    number, created = await api_order(
        bot, "+14155552671", "WS-1001", PaymentMethod.CASH_ON_DELIVERY
    )
    assert created
    again, created = await api_order(bot, "+14155552671", "WS-1001", PaymentMethod.CASH_ON_DELIVERY)
    assert (again, created) == (number, False), "the channel's reference makes it once"
    assert (await db.product(bot, "TEA-GREEN-100")).reserved == stock_before + 2

    alert = await alert_for(ann, number)
    assert "2 × Longjing Green Tea 100 g" in alert.text  # type: ignore[attr-defined]
    assert "Cash on delivery" in alert.text  # type: ignore[attr-defined]
    await ship_from_the_admin_chat(ann, number, telegram_buyer=False)

    order = await order_row(bot, number)
    assert order.status == OrderStatus.SHIPPED
    assert (order.channel, order.channel_reference) == ("webshop", "WS-1001")
    assert order.customer_id == channel_customer_id("webshop")
    [shipment] = await shipments(bot, order.id)
    assert (shipment.carrier_code, shipment.tracking_number) == ("sf", "SF1234567890123")
    assert shipment.actor == f"admin:{ANN}"
    events = await db.order_events(bot, order.id)
    assert [(e.type, e.actor) for e in events][:2] == [
        ("placed", "channel:webshop"),
        ("confirmed", "channel:webshop"),
    ]
    # The channel's buyer has no Telegram chat: nothing was queued for it, nothing failed.
    [customer] = await db.rows(bot, CustomerRow, CustomerRow.id == order.customer_id)
    assert customer.first_name == "webshop" and not customer.reachable
    to_buyer = await db.rows(bot, OutboxRow, OutboxRow.chat_id == order.customer_id)
    assert to_buyer == []
    assert all(row.failed_at is None for row in await db.outbox(bot))
    assert db.bad_requests(bot) == []


async def test_a_telegram_customers_verified_phone_brings_the_api_order_to_my_orders(
    world: World,
) -> None:
    bot, alice, ann = world.bot, world.alice, world.ann
    # Alice shares her own contact in a checkout: her phone is verified (+12025550143).
    await place_order(alice)
    [alice_row] = await db.rows(bot, CustomerRow, CustomerRow.id == alice.id)
    assert alice_row.verified_phone == "+12025550143"
    assert alice_row.verified_phone_term is not None
    assert alice_row.verified_phone_term != "+12025550143"

    number, _ = await api_order(bot, "+1 (202) 555-0143", "WS-2002", PaymentMethod.BANK_TRANSFER)
    order = await order_row(bot, number)
    assert order.customer_id == alice.id

    await alice.say("/start")
    orders = await alice.tap("My orders")
    assert any(number in label for row in orders.buttons for label in row), orders.buttons
    detail = await alice.tap(number)
    assert "Status: awaiting payment" in detail.text
    assert "Longjing Green Tea 100 g × 2" in detail.text and "2 High Street" in detail.text

    # The shop saw the money (the admin scope), ships from the admin chat; Alice is told.
    paid = await channels_of(bot).mark_paid("admin-key", number)
    assert paid.status == OrderStatus.PAID
    await ship_from_the_admin_chat(ann, number, telegram_buyer=True)
    await bot.outbox_drained()
    notices = alice.texts()
    assert f"Your bank transfer for order {number} ($30.00) arrived" in notices[-2]
    assert f"Your order {number} is on its way" in notices[-1]
    assert "SF1234567890123" in notices[-1]
    assert db.bad_requests(bot) == []


async def test_an_order_placed_over_http_is_shipped_from_the_admin_chat(world: World) -> None:
    # The API application the web process mounts, on the running bot's services and database,
    # called over HTTP (in process: httpx's ASGI transport; tests/e2e/test_api.py runs it on a
    # socket).
    bot, ann = world.bot, world.ann
    services = bot.app.bot_data
    assert services.channels is not None
    api = build_api(
        ApiServices(
            db=services.db,
            clock=services.clock,
            texts=services.texts,
            shop=services.shop,
            channels=services.channels,
            rate_limit=RateLimit.parse("60/minute"),
        )
    )
    token = (await ApiKeys(services.db, services.clock).create("webshop", [])).token
    tea = await db.product(bot, "TEA-GREEN-100")
    body = {
        "lines": [{"product_id": tea.id, "quantity": 2}],
        "recipient": "Grace Hopper",
        "phone": "+1 415 555 2671",
        "address": "1 Navy Yard, Washington DC 20374",
        "payment_method": "cod",
        "reference": "WS-3003",
    }
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api), base_url="http://shop"
    ) as client:
        placed = await client.post(
            "/orders",
            json=body,
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "order-WS-3003"},
        )
    assert placed.status_code == 201, placed.text
    number = placed.json()["number"]

    await ship_from_the_admin_chat(ann, number, telegram_buyer=False)
    order = await order_row(bot, number)
    assert order.status == OrderStatus.SHIPPED and order.channel == "webshop"
    [shipment] = await shipments(bot, order.id)
    assert (shipment.carrier_code, shipment.tracking_number) == ("sf", "SF1234567890123")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=api), base_url="http://shop"
    ) as client:
        seen = await client.get(f"/orders/{number}", headers={"Authorization": f"Bearer {token}"})
    assert seen.status_code == 200 and seen.json()["status"] == "shipped"
    assert db.bad_requests(bot) == []
