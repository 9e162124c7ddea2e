"""The merchant runs the catalog from the admin chat: adding products by dialog, editing them,
stock changes with reasons, low-stock alerts, CSV import by document and CSV exports."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.tables.catalog import ProductRow
from tests.e2e import helpers as db
from tests.e2e.admin_kit import ANN, BEN, World, admin_world, inventory_log, place_order
from tests.e2e.harness import ADMIN_CHAT

PHOTO = (
    Path(__file__).resolve().parents[2] / "bot" / "demo" / "photos" / "green-tea.png"
).read_bytes()


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with admin_world(tmp_path) as running:
        yield running


async def test_admin_adds_a_product_with_a_photo_and_customers_can_order_it(world: World) -> None:
    bot, alice, ann = world.bot, world.alice, world.ann
    listing = await ann.say("/products")
    assert "Products (12)" in listing.text
    ask = await ann.tap("Add product", listing)
    assert "New product" in ask.text
    await ann.say("Dragon Pearl Jasmine 100 g")
    price = await ann.say("Tea")
    assert "price" in price.text
    wrong = await ann.say("free")
    assert "price above zero" in wrong.text
    await ann.say("21.50")
    await ann.say("ten")
    assert "whole number" in ann.screen.text
    description = await ann.say("10")
    assert "description" in description.text
    photo = await ann.say("Hand-rolled pearls that unfurl in the cup.")
    assert "photo" in photo.text
    confirm = await ann.send_photo(PHOTO)
    assert "Add this product?" in confirm.text
    assert "$21.50" in confirm.text and "Photo: yes" in confirm.text
    done = await ann.tap("Add product", confirm)
    assert "Dragon Pearl Jasmine 100 g</b> added" in (done.html or "") or "added" in done.text
    assert done.buttons == [], "the finished question keeps its one line"
    card = ann.chat.message(listing.message_id)
    assert card is not None and "Stock: 10 (reserved 0, available 10)" in card.text

    [row] = await db.rows(bot, ProductRow, ProductRow.name == "Dragon Pearl Jasmine 100 g")
    assert (row.price_minor, row.stock, row.active) == (2150, 10, True)
    assert row.photo_file_id, "the photo sent in the chat is the product's photo"
    [entry] = await inventory_log(bot, row.id)
    assert (entry.delta, entry.reason, entry.actor) == (10, "new product", f"admin:{ANN}")

    await alice.say("/catalog")
    tea = await alice.tap("Tea (8)")
    card = await alice.tap("Dragon Pearl Jasmine", tea)
    assert card.kind == "photo" and card.photo_file_id == row.photo_file_id
    assert "Hand-rolled pearls" in card.caption and "$21.50" in card.caption
    await alice.tap("Add 1 to cart", card)
    assert (await db.cart_lines(bot, alice.id))[0].product_id == row.id
    assert db.bad_requests(bot) == []


async def test_admin_edits_price_and_description_and_takes_a_product_off_sale(
    world: World,
) -> None:
    bot, alice, ann = world.bot, world.alice, world.ann
    listing = await ann.say("/products")
    card = await ann.tap("Keemun Black Tea", listing)
    assert "SKU TEA-BLACK-100" in card.text and "Price: $11.00" in card.text

    await ann.tap("Price", card)
    edited = await ann.say("13")
    assert "Keemun Black Tea 100 g updated" in edited.text and "Price: $13.00" in edited.text
    await ann.tap("Description", edited)
    edited = await ann.say("Malty, with honey notes.")
    assert "Malty, with honey notes." in edited.text
    product = await db.product(bot, "TEA-BLACK-100")
    assert (product.price_minor, product.description) == (1300, "Malty, with honey notes.")

    off = await ann.tap("Take off sale", edited)
    assert ann.answer["text"] == "🚫 Keemun Black Tea 100 g is off sale"
    assert "off sale" in off.text and "Put on sale" in str(off.buttons)
    assert not (await db.product(bot, "TEA-BLACK-100")).active
    found = await alice.say("keemun")
    assert "Nothing matches" in found.text, "customers no longer see it"
    await alice.tap_data(f"pc:{product.id}:1:1:0", found)
    assert "no longer available" in alice.answer["text"]

    back_on = await ann.tap("Put on sale", off)
    assert "on sale" in back_on.text and (await db.product(bot, "TEA-BLACK-100")).active
    found = await alice.say("keemun")
    assert found.buttons[0][0].startswith("Keemun Black Tea 100 g · $13.00")

    log = await inventory_log(bot, product.id)
    assert [(e.reason, e.actor) for e in log] == [
        ("price: 11.00 -> 13.00 USD", f"admin:{ANN}"),
        ("description edited", f"admin:{ANN}"),
        ("deactivated", f"admin:{ANN}"),
        ("reactivated", f"admin:{ANN}"),
    ]
    assert db.bad_requests(bot) == []


async def test_stock_changes_need_a_reason_are_logged_and_alert_when_stock_runs_low(
    world: World,
) -> None:
    bot, alice, ann, ben = world.bot, world.alice, world.ann, world.ben
    await place_order(alice)  # holds 2 Longjing (of 40)
    # the new-order alert first, so that it is not taken for the answer to Ann's next tap
    await bot.outbox_drained()
    card = await ann.tap("Longjing", await ann.say("/products"))
    ask = await ann.tap("Stock ±", card)
    assert "stock 40, reserved by orders 2" in ask.text
    assert "+10, -2 or =25" in (await ann.say("lots")).text
    below = await ann.say("=1")
    assert "can't go below the 2 units reserved" in below.text
    why = await ann.say("=9")
    assert "reason" in why.text
    done = await ann.say("Stocktake: water damage")
    assert "stock is now 9" in done.text
    product = await db.product(bot, "TEA-GREEN-100")
    assert (product.stock, product.reserved) == (9, 2)

    await ben.tap("Stock ±", await ben.tap("Longjing", await ben.say("/products")))
    await ben.say("-2")
    await ben.say("Two tins dented")
    product = await db.product(bot, "TEA-GREEN-100")
    assert product.stock - product.reserved == 5, "now at the threshold of 5"
    await bot.outbox_drained()
    [alert] = [m for m in ann.chat.bot_messages() if "Low stock" in (m.text or "")]
    assert "Low stock" in alert.text and "Longjing Green Tea 100 g" in alert.text
    assert "5 available" in alert.text
    opened = await ann.tap("Open product", alert)
    assert "Inventory log" in opened.text and "Two tins dented" in opened.text
    assert "Ben" in opened.text and "Ann" in opened.text, "who did what is shown"

    log = await inventory_log(bot, product.id)
    assert [(e.delta, e.stock_after, e.reason, e.actor) for e in log] == [
        (-31, 9, "Stocktake: water damage", f"admin:{ANN}"),
        (-2, 7, "Two tins dented", f"admin:{BEN}"),
    ]
    assert db.bad_requests(bot) == []


async def test_an_order_that_takes_a_product_to_its_threshold_alerts_the_admins_once(
    world: World,
) -> None:
    bot, alice, ann = world.bot, world.alice, world.ann
    await db.set_product(bot, "TEA-BLACK-100", stock=6)  # threshold 5: one more unit crosses it
    await place_order(alice)
    await place_order(alice)
    await bot.outbox_drained()
    alerts = [t for t in ann.texts() if "Low stock" in t]
    assert len(alerts) == 1, alerts
    assert "Keemun Black Tea 100 g" in alerts[0] and "5 available" in alerts[0]
    assert db.bad_requests(bot) == []


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


HEADER = ["sku", "name", "category", "price", "stock"]


async def test_a_csv_with_bad_rows_imports_nothing_and_says_which_lines(world: World) -> None:
    bot, ann = world.bot, world.ann
    before = await db.rows(bot, ProductRow)
    bad = _csv(
        [
            HEADER,
            ["NEW-1", "Matcha 30 g", "Tea", "19.00", "10"],
            ["TEA-GREEN-100", "Longjing", "Tea", "-3", "5"],
            ["NEW-2", "", "Tea", "4.00", "many"],
        ]
    )
    answer = await ann.send_document(bad, "catalog.csv")
    assert "catalog.csv was not imported" in answer.text
    assert "line 3: price must be greater than zero" in answer.text
    assert "line 4: name is empty; stock must be a whole number" in answer.text
    assert "line 2" not in answer.text
    after = await db.rows(bot, ProductRow)
    assert sorted((p.sku, p.stock, p.price_minor) for p in after) == sorted(
        (p.sku, p.stock, p.price_minor) for p in before
    )
    unreadable = await ann.send_document(b"\xff\xfe\x00bad", "latin.csv")
    assert "latin.csv is not a readable CSV file" in unreadable.text

    good = _csv(
        [
            [*HEADER, "low_stock_threshold"],
            ["NEW-1", "Matcha 30 g", "Tea", "19.00", "10", "2"],
            ["TEA-GREEN-100", "Longjing Green Tea 100 g", "Tea", "12.50", "55", "5"],
        ]
    )
    done = await ann.send_document(good, "spring.csv")
    assert "spring.csv imported: 2 products, 1 new, 1 updated" in done.text
    assert (await db.product(bot, "NEW-1")).stock == 10
    longjing = await db.product(bot, "TEA-GREEN-100")
    assert longjing.stock == 40, "a re-import never rewrites on-hand stock (Stock ± does)"
    assert await inventory_log(bot, longjing.id) == []
    new = await db.product(bot, "NEW-1")
    assert [(e.delta, e.reason, e.actor) for e in await inventory_log(bot, new.id)] == [
        (10, "csv import spring.csv", f"admin:{ANN}")
    ]
    assert db.bad_requests(bot) == []


async def test_products_export_as_csv_that_imports_back_and_orders_export_too(
    world: World,
) -> None:
    bot, alice, ann = world.bot, world.alice, world.ann
    number = await place_order(alice)
    exported = await ann.say("/export_products")
    assert exported.kind == "document" and exported.document["file_name"].endswith(".csv")
    data = bot.api.files[exported.document["file_id"]].data
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert len(rows) == 12
    longjing = next(r for r in rows if r["sku"] == "TEA-GREEN-100")
    assert (longjing["price"], longjing["stock"], longjing["active"]) == ("12.50", "40", "true")

    again = await ann.send_document(data, "products.csv")
    assert "12 products, 0 new, 12 updated" in again.text, "an export imports back unchanged"

    # supply settings (lead times, costs) travel through the file: set, exported, re-imported
    supply = ["lead_time_days", "lead_time_max_days", "order_cost", "holding_cost"]
    refused = await ann.send_document(
        _csv(
            [
                [*HEADER, *supply],
                ["TEA-GREEN-100", "Longjing", "Tea", "12.50", "40", "9", "3", "", ""],
            ]
        ),
        "supply.csv",
    )
    assert "line 2: lead_time_max_days must not be below lead_time_days" in refused.text
    assert (await db.product(bot, "TEA-GREEN-100")).lead_time_days is None, "nothing changed"
    done = await ann.send_document(
        _csv(
            [
                [*HEADER, *supply],
                [
                    "TEA-GREEN-100",
                    "Longjing Green Tea 100 g",
                    "Tea",
                    "12.50",
                    "40",
                    "6",
                    "13.5",
                    "25.00",
                    "1.50",
                ],
            ]
        ),
        "supply.csv",
    )
    assert "supply.csv imported: 1 products, 0 new, 1 updated" in done.text, done.text
    exported = await ann.say("/export_products")
    data = bot.api.files[exported.document["file_id"]].data
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    longjing = next(r for r in rows if r["sku"] == "TEA-GREEN-100")
    assert [longjing[c] for c in supply] == ["6", "13.5", "25.00", "1.50"]
    await db.set_product(bot, "TEA-GREEN-100", lead_time_days=None, order_cost_minor=None)
    back = await ann.send_document(data, "products.csv")
    assert "12 products, 0 new, 12 updated" in back.text
    row = await db.product(bot, "TEA-GREEN-100")
    assert (row.lead_time_days, row.lead_time_max_days, row.order_cost_minor) == (6.0, 13.5, 2500)
    assert row.holding_cost_minor == 150

    orders = await ann.tap("Orders CSV", await ann.say("/help"))
    assert orders.kind == "document"
    table = list(
        csv.DictReader(
            io.StringIO(bot.api.files[orders.document["file_id"]].data.decode("utf-8-sig"))
        )
    )
    assert [(r["number"], r["total"], r["items"]) for r in table] == [
        (number, "41.00", "TEA-GREEN-100 x2; TEA-BLACK-100 x1")
    ]
    assert table[0]["phone"] == "'+12025550143", "cells that look like formulas are defused"
    assert db.bad_requests(bot) == []


async def test_admin_commands_are_registered_only_for_the_admin_chat_and_admins(
    world: World,
) -> None:
    api = world.bot.api
    group = api.commands_for({"type": "chat", "chat_id": ADMIN_CHAT})
    assert {c["command"] for c in group} == {
        "orders",
        "order",
        "products",
        "picklist",
        "export_products",
        "export_orders",
        "help",
        "track",
        "jobs",
        "aftersales",  # after-sales
        "reviews",  # reviews (bot/reviews/admin.py)
        "broadcast",  # broadcasts (bot/marketing/)
        "broadcasts",
        *("report", "customers", "forecast", "stockplan", "restock", "supply", "efficiency"),
        "find",  # finding orders (bot/privacy/)
        "audit",  # the audit log (bot/privacy/)
        *("promo_new", "promos", "promo"),  # promo codes (bot/promotions/)
    }
    assert {c["description"] for c in group if c["command"] == "find"} == {
        "Find orders: number, phone, name, @username, tracking"
    }
    assert {c["description"] for c in group if c["command"] == "promos"} == {
        "Promo codes: list, uses, pause"
    }
    chinese = api.commands_for({"type": "chat", "chat_id": ADMIN_CHAT}, "zh")
    assert any(c["description"] == "管理面板" for c in chinese)
    assert any(c["command"] == "audit" and "审计日志" in c["description"] for c in chinese)
    for admin in (ANN, BEN):
        private = {c["command"] for c in api.commands_for({"type": "chat", "chat_id": admin})}
        assert {"start", "orders", "admin", "products", "order"} <= private
    everyone = api.commands_for() + api.commands_for({"type": "all_private_chats"})
    assert everyone and not {"products", "admin", "picklist"} & {c["command"] for c in everyone}
    scopes = {scope for scope, _ in api.commands}
    assert not any(str(world.eve.id) in scope for scope in scopes), "no commands for non-admins"
