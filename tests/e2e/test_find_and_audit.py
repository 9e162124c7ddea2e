"""Finding orders and people from the admin chat (/find) and the audit log (/audit) (issue 12):
through the local Bot API server, the real bot, the blind index in SQLite."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e import helpers as db
from tests.e2e.admin_kit import (
    ANN,
    World,
    admin_world,
    make_shippable,
    open_from_alert,
    place_order,
)

REFUSAL = "Only the shop's admins can do that."


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with admin_world(tmp_path) as running:
        yield running


async def test_an_admin_finds_an_order_by_phone_name_username_and_tracking_and_opens_it(
    world: World,
) -> None:
    bot, alice, ann, eve = world.bot, world.alice, world.ann, world.eve
    number = await place_order(alice)  # Alice Smith, phone 12025550143, @alice
    detail = await make_shippable(ann, await open_from_alert(ann, number))
    await ann.tap("Ship", detail)
    await ann.tap("SF Express")
    note = await ann.say("sf 1234 5678 9012")
    await ann.tap("Confirm shipment", await ann.tap("Skip", note))

    for query in [
        "+1 (202) 555-0143",
        "202.555.0143",
        "smith",
        "Alice",
        "@ALICE",
        "SF123456789012",
    ]:
        found = await ann.say(f"/find {query}")
        assert "Orders found" in found.text and "(1)" in found.text, (query, found.text)
        assert [number in b for row in found.buttons for b in row] == [True], query
    found = await ann.say(f"/find {number.lower()}")
    opened = await ann.tap(number, found)
    assert opened.message_id != found.message_id, "the order card opens as a new message"
    assert f"Order {number}" in opened.text and "Alice Smith" in opened.text

    for query in ["smit", "+1 202 555 0199", "@alic"]:
        none = await ann.say(f"/find {query}")
        assert "No order matches" in none.text and not none.buttons, query
    usage = await ann.say("/find")
    assert "Send /find followed by" in usage.text
    assert "Send /find followed by" in (await ann.say("/find x")).text

    refused = await eve.say("/find smith")
    assert REFUSAL in refused.text and number not in refused.text
    privately = await alice.say("/find smith")
    assert REFUSAL in privately.text
    assert db.bad_requests(bot) == []


async def test_admin_actions_are_in_the_audit_log_filtered_by_order_product_and_admin(
    world: World,
) -> None:
    alice, ann, eve = world.alice, world.ann, world.eve
    number = await place_order(alice)
    detail = await make_shippable(ann, await open_from_alert(ann, number))
    await ann.tap("Ship", detail)
    await ann.tap("SF Express")
    note = await ann.say("sf 1234 5678 9012")
    await ann.tap("Confirm shipment", await ann.tap("Skip", note))

    latest = await ann.say("/audit")
    assert "Audit log — latest" in latest.text
    assert f"admin:{ANN}" in latest.text and f"shipped {number}" in latest.text
    of_order = await ann.say(f"/audit order {number}")
    assert f"order {number}" in of_order.text and "shipped" in of_order.text
    by_admin = await ann.say(f"/audit admin {ANN}")
    assert "shipped" in by_admin.text
    nobody = await ann.say("/audit admin 42")
    assert "No entries." in nobody.text
    assert "No such order" in (await ann.say("/audit order ZZZZ-ZZZZ")).text
    assert "Send /audit" in (await ann.say("/audit everything please")).text
    assert REFUSAL in (await eve.say("/audit")).text

    # a product's stock changed from its card: /audit product SKU
    card = await ann.tap("Longjing", await ann.say("/products"))
    await ann.tap("Stock ±", card)
    await ann.say("+5")
    assert "stock is now" in (await ann.say("Restock from the supplier")).text
    of_product = await ann.say("/audit product TEA-GREEN-100")
    assert "product TEA-GREEN-100" in of_product.text and "changed stock" in of_product.text
    assert "No entries." not in of_product.text
