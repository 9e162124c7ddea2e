"""Only the admins in ADMIN_USER_IDS run the shop: anyone else who sends an admin command, taps
an admin button (forwarded or forged) or sends a CSV file is refused, and nothing changes."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.callback_data import _REGISTRY
from domain.orders.lifecycle import OrderStatus
from storage.tables.catalog import ProductRow
from storage.tables.merchant import DialogRow
from tests.e2e import helpers as db
from tests.e2e.admin_kit import (
    World,
    admin_world,
    open_from_alert,
    order_row,
    place_order,
    shipments,
)
from tests.e2e.harness import ADMIN_CHAT

REFUSAL = "Only the shop's admins can do that."
COMMANDS = ("/orders", "/order {number}", "/products", "/picklist", "/export_products", "/help")


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with admin_world(tmp_path) as running:
        yield running


async def test_a_non_admin_sending_admin_commands_in_the_admin_group_is_refused(
    world: World,
) -> None:
    bot, eve = world.bot, world.eve
    number = await place_order(world.alice)
    for command in COMMANDS:
        answer = await eve.say(command.format(number=number))
        assert REFUSAL in answer.text, command
        assert number not in answer.text and not answer.buttons
    assert not [m for m in eve.chat.bot_messages() if m.kind == "document"]
    assert db.bad_requests(bot) == []


async def test_a_non_admin_sending_admin_commands_privately_is_refused(world: World) -> None:
    bot, alice = world.bot, world.alice
    number = await place_order(alice)
    for command in ("/order {number}", "/products", "/admin", "/export_orders", "/picklist"):
        answer = await alice.say(command.format(number=number))
        assert REFUSAL in answer.text, command
    mine = await alice.say("/orders")
    assert "Your orders" in mine.text, "/orders privately is the customer's own list"
    assert not any(m.kind == "document" for m in alice.messages)
    assert db.bad_requests(bot) == []


async def test_an_admin_uses_the_admin_commands_privately_too(world: World) -> None:
    bot = world.bot
    number = await place_order(world.alice)
    ann = world.ann.privately()
    panel = await ann.say("/admin")
    assert "admin" in panel.text and "To ship" in str(panel.buttons)
    to_ship = await ann.tap("To ship", panel)
    assert to_ship.buttons[0][0].startswith(number)
    detail = await ann.tap(number, to_ship)
    await ann.tap("Ship", detail)
    await ann.tap("FedEx")
    await ann.say("123456789012")
    await ann.tap("Skip")
    await ann.tap("Confirm shipment")
    assert (await order_row(bot, number)).status == OrderStatus.SHIPPED
    own = await ann.say("/orders")
    assert "You have no orders yet" in own.text, "privately, /orders stays the admin's own"
    assert db.bad_requests(bot) == []


async def test_forwarded_and_forged_admin_buttons_are_refused_and_change_nothing(
    world: World,
) -> None:
    bot, alice, ann, eve = world.bot, world.alice, world.ann, world.eve
    number = await place_order(alice)
    detail = await open_from_alert(ann, number)
    longjing = await db.product(bot, "TEA-GREEN-100")

    await eve.tap("Ship", detail)
    assert eve.answer["show_alert"] is True and REFUSAL in eve.answer["text"]
    alert = next(m for m in eve.chat.bot_messages() if "New order" in (m.text or ""))
    await eve.tap("Open order", alert)
    assert REFUSAL in eve.answer["text"]

    private = eve.privately()
    await private.say("/start")
    for data in (
        f"ao:{number}",
        f"as:{number}",
        f"acx:{number}",
        f"adlv:{number}",
        f"apa:{longjing.id}:0",
        f"ape:{longjing.id}:price",
        "apn",
        "aex:orders",
        "ady:AAAAAAAA",
    ):
        await private.tap_data(data)
        assert private.answer["show_alert"] is True, data
        assert REFUSAL in private.answer["text"], data
    await private.tap_data("as:not-a-number")
    assert "no longer valid" in private.answer["text"]

    order = await order_row(bot, number)
    assert order.status != OrderStatus.SHIPPED and await shipments(bot, order.id) == []
    assert (await db.product(bot, "TEA-GREEN-100")).active
    assert await db.rows(bot, DialogRow) == [], "no dialog was started for anyone"
    assert not any(m.kind == "document" for m in private.chat.messages)
    assert db.bad_requests(bot) == []


async def test_a_csv_from_a_non_admin_is_refused_and_nothing_is_imported(world: World) -> None:
    bot, eve, alice = world.bot, world.eve, world.alice
    data = b"sku,name,category,price,stock\nHACK-1,Free tea,Tea,0.01,999\n"
    in_group = await eve.send_document(data, "evil.csv")
    assert REFUSAL in in_group.text
    await alice.say("/start")
    update = await alice.sim.send_document(data=data, file_name="evil.csv", mime_type="text/csv")
    await bot.processed(update)
    assert REFUSAL in alice.screen.text
    assert await db.rows(bot, ProductRow, ProductRow.sku == "HACK-1") == []
    assert not [r for r in bot.api.requests if r.method == "getFile"], "not even downloaded"
    assert db.bad_requests(bot) == []


async def test_other_chatter_in_the_admin_group_is_left_alone(world: World) -> None:
    bot, eve, ann = world.bot, world.eve, world.ann
    for update in (
        await eve.sim.send_text("hello everyone", chat_id=ADMIN_CHAT),
        await ann.sim.send_text("lunch at noon?", chat_id=ADMIN_CHAT),
        await ann.sim.send_photo(data=b"not a product photo", chat_id=ADMIN_CHAT),
    ):
        await bot.processed(update)
    assert ann.chat.bot_messages() == [], "the bot only speaks when spoken to"
    assert db.bad_requests(bot) == []


async def test_every_admin_button_type_refuses_a_non_admin(world: World) -> None:
    bot = world.bot
    number = await place_order(world.alice)
    values = {"int": 1, "Token": "AAAAAAAA", "OrderNo": number, "str": "ship"}
    private = world.eve.privately()
    await private.say("/start")
    admin_types = [cls for prefix, cls in sorted(_REGISTRY.items()) if prefix.startswith("a")]
    assert len(admin_types) >= 20
    for cls in admin_types:
        data = cls(*[values[str(f.type)] for f in dataclasses.fields(cls)])  # type: ignore[arg-type]
        await private.tap_data(data.pack())
        assert REFUSAL in private.answer["text"], cls.__name__
    assert (await order_row(bot, number)).status != OrderStatus.SHIPPED
    assert await db.rows(bot, DialogRow) == []
    assert db.bad_requests(bot) == []
