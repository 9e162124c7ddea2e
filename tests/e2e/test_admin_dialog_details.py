"""The admin dialogs' details (issue 15, item 13): "Other carrier" asks for the carrier's name,
/track offers the statuses as buttons in words, a new product's category is tapped from the
existing ones (or a new one typed), a stock change offers preset reasons, a new product starts
with LOW_STOCK_DEFAULT_THRESHOLD, /jobs says when a daily job runs, and the description editor
states the limit it enforces."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from domain.orders.lifecycle import OrderStatus
from storage.tables.catalog import ProductRow
from tests.e2e import helpers as db
from tests.e2e.admin_kit import (
    World,
    admin_world,
    inventory_log,
    make_shippable,
    open_from_alert,
    order_row,
    place_order,
    shipments,
)
from tests.e2e.jobs_kit import ship

SNAKE = ("in_transit", "out_for_delivery", "info_received", "available_for_pickup")


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with admin_world(tmp_path, low_stock_default_threshold=3) as running:
        yield running


def labels(message: object) -> list[str]:
    return [b for row in message.buttons for b in row]  # type: ignore[attr-defined]


async def test_other_carrier_asks_for_the_carriers_name_and_the_customer_reads_it(
    world: World,
) -> None:
    bot, alice, ann = world.bot, world.alice, world.ann
    number = await place_order(alice)
    card = await make_shippable(ann, await open_from_alert(ann, number))
    await ann.tap("Ship", card)
    ask = await ann.tap("Other carrier", card)
    assert "Which carrier is it? Send its name" in ask.text
    tracking = await ann.say("City Express")
    assert "City Express: send the tracking number" in tracking.text
    await ann.say("LOCAL-42")
    confirm = await ann.tap("Skip")
    assert "Carrier: City Express" in confirm.text
    await ann.tap("Confirm shipment", confirm)

    order = await order_row(bot, number)
    [shipment] = await shipments(bot, order.id)
    assert (shipment.carrier_code, shipment.carrier_name) == ("other", "City Express")
    assert "City Express: LOCAL-42" in (ann.chat.message(card.message_id).text or "")  # type: ignore[union-attr]
    await bot.outbox_drained()
    assert "Carrier: City Express" in alice.texts()[-1]
    assert db.bad_requests(bot) == []


async def test_track_offers_the_statuses_as_buttons_in_words(tmp_path: Path) -> None:
    from tests.e2e.jobs_kit import jobs_world

    async with jobs_world(tmp_path) as world:
        bot, alice, ann, eve = world.bot, world.alice, world.ann, world.eve
        number = await place_order(alice)
        await ship(ann, number)
        screen = await ann.say(f"/track {number}")
        shown = labels(screen)
        assert "in transit" in shown and "out for delivery" in shown and "delivered" in shown
        assert not any(word in " ".join(shown) for word in SNAKE)

        await eve.tap("in transit", screen)
        assert eve.answer["show_alert"] is True and "Only the shop's admins" in eve.answer["text"]

        update = await ann.press("in transit", screen)
        await bot.processed(update)
        assert (
            ann.answer["text"]
            == f"📍 Order {number}: in transit — recorded, and the customer was told."
        )
        await bot.deliver_again(update)  # the same tap delivered twice
        now = ann.chat.message(screen.message_id)
        assert now is not None and "in transit" in now.text.split("\n", 1)[1]
        await ann.tap("in transit", now)  # tapped again on the same screen
        assert "already recorded" in ann.answer["text"]
        await bot.outbox_drained()
        assert sum(f"Order {number}: in transit" in t for t in alice.texts()) == 1

        done = await ann.tap("delivered", now)
        assert "The order is now delivered" in ann.answer["text"]
        assert (await order_row(bot, number)).status == OrderStatus.DELIVERED
        assert done.buttons == [], "nothing more to track"
        assert [r for r in db.bad_requests(bot) if "query is too old" not in r] == []


async def test_a_new_product_takes_an_existing_category_by_tap_and_the_default_threshold(
    world: World,
) -> None:
    bot, ann = world.bot, world.ann
    listing = await ann.say("/products")
    await ann.tap("Add product", listing)
    categories = await ann.say("Osmanthus Oolong 50 g")
    assert "Tap its category, or send the name of a new one" in categories.text
    assert {"Tea", "Teaware", "Stationery"} <= set(labels(categories))
    price = await ann.tap("Tea", categories)
    assert price.message_id == categories.message_id, "a tapped answer edits in place"
    assert "price" in price.text
    await ann.say("9.90")
    description = await ann.say("12")
    assert "up to 800 characters" in description.text
    too_long = await ann.say("x" * 900)
    assert "Please send 1–800 characters (that was 900)" in too_long.text
    assert "1000" not in too_long.text
    await ann.say("Floral and sweet.")
    confirm = await ann.tap("Skip")
    assert "Osmanthus Oolong 50 g · Tea" in confirm.text
    await ann.tap("Add product", confirm)

    [row] = await db.rows(bot, ProductRow, ProductRow.name == "Osmanthus Oolong 50 g")
    assert row.low_stock_threshold == 3, "LOW_STOCK_DEFAULT_THRESHOLD"
    card = ann.chat.message(listing.message_id)
    assert card is not None and "Low-stock alert at: 3" in card.text
    assert db.bad_requests(bot) == []


async def test_a_stock_change_takes_a_preset_reason(world: World) -> None:
    bot, ann = world.bot, world.ann
    card = await ann.tap("Longjing", await ann.say("/products"))
    await ann.tap("Stock ±", card)
    why = await ann.say("+12")
    assert {"📥 Delivery received", "🔢 Stock count", "💔 Damaged"} <= set(labels(why))
    done = await ann.tap("Delivery received", why)
    assert "stock is now 52" in done.text and done.buttons == []
    product = await db.product(bot, "TEA-GREEN-100")
    assert product.stock == 52
    [entry] = await inventory_log(bot, product.id)
    assert (entry.delta, entry.reason) == (12, "Delivery received")
    assert db.bad_requests(bot) == []


async def test_jobs_says_when_a_daily_job_runs(world: World) -> None:
    screen = await world.ann.say("/jobs")
    assert "Daily low-stock report · daily at 09:00" in screen.text
    assert "Daily low-stock report · every" not in screen.text


async def test_jobs_speaks_the_admins_language(tmp_path: Path) -> None:
    from tests.e2e.jobs_kit import run_job

    async with admin_world(tmp_path, admin_language="zh") as world:
        await run_job(world.bot, "auto_complete")
        await run_job(world.bot, "payments")
        screen = await world.ann.say("/jobs")
        assert "每日低库存报告 · 每天 09:00" in screen.text
        assert "✅ 无事可做" in screen.text
        assert "nothing to do" not in screen.text and "SweepStats" not in screen.text
