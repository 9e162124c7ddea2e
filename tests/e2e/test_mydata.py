"""/mydata (issue 12): a customer downloads what the shop stores about them and has it erased,
through the local Bot API server and the real bot on SQLite; the merchant keeps the order
without the person, the database files hold none of it, and forged or replayed confirmations
change nothing."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from domain.privacy.mydata import PLACEHOLDER
from storage.tables.audit import AuditRow
from storage.tables.customers import CustomerRow
from storage.tables.orders import OrderSearchTermRow
from tests.e2e import helpers as db
from tests.e2e.admin_kit import (
    World,
    admin_world,
    make_shippable,
    open_from_alert,
    order_row,
    place_order,
)
from tests.integration.test_privacy import leaks_in_files, sqlite_files

NAME, PHONE, ADDRESS = "Alice Smith", "2025550143", "1 Main Street, Springfield"


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with admin_world(tmp_path) as running:
        yield running


async def _erasures(world: World) -> int:
    async with db.db_of(world.bot).uow(readonly=True) as uow:
        count = await uow.session.scalar(
            select(func.count()).select_from(AuditRow).where(AuditRow.action == "customer_erase")
        )
    return int(count or 0)


async def test_a_customer_downloads_their_data_and_has_it_erased_the_order_stays(
    world: World, tmp_path: Path
) -> None:
    bot, alice, ann = world.bot, world.alice, world.ann
    number = await place_order(alice)  # Alice Smith, 12025550143, 1 Main Street, Springfield

    # customers find the command in Telegram's menu (both languages) and in /help
    for language, words in (("", "What we store about you"), ("zh", "个人数据")):
        listed = bot.api.commands_for({"type": "all_private_chats"}, language)
        assert [c for c in listed if c["command"] == "mydata" and words in c["description"]]
    assert "/mydata" in (await alice.say("/help")).text

    # while the order is open the data cannot go: the shop still has to deliver
    await alice.say("/mydata")
    refused = await alice.tap("Delete my data")
    assert "cannot delete your data yet" in refused.text and number in refused.text
    assert not refused.buttons

    detail = await make_shippable(ann, await open_from_alert(ann, number))
    await ann.tap("Ship", detail)
    await ann.tap("Other carrier")
    await ann.say("City Express")
    await ann.say("LOCAL-42")
    await ann.tap("Skip")
    await ann.tap("Confirm shipment")
    delivered = await ann.tap("Mark delivered")  # on the order's card
    await ann.tap("Complete", delivered)
    assert (await order_row(bot, number)).status == "completed"
    # The order's messages to Alice (shipped, delivered, completed) come through the outbox:
    # let them arrive first, or one of them is Alice's newest message when /mydata answers
    # (CI rehearsal r3: 'Delete my data' not in '✅ Received').
    await bot.outbox_drained()

    intro = await alice.say("/mydata")
    file = next(m for m in reversed(alice.messages) if m.kind == "document")
    assert file.document["file_name"].startswith("my-data-") and file.document[
        "file_name"
    ].endswith(".json")
    document = json.loads(bot.api.files[file.document["file_id"]].data.decode("utf-8"))
    assert document["customer"]["telegram_id"] == alice.id
    assert (document["customer"]["first_name"], document["customer"]["username"]) == (
        "Alice",
        "alice",
    )
    assert document["addresses"] == [
        {
            "recipient": NAME,
            "phone": "+12025550143",
            "address": "1 Main Street, Springfield, IL 62701",
        }
    ]
    (order,) = document["orders"]
    assert (order["number"], order["status"], order["recipient"]) == (number, "completed", NAME)
    assert sorted((line["sku"], line["quantity"]) for line in order["lines"]) == [
        ("TEA-BLACK-100", 1),
        ("TEA-GREEN-100", 2),
    ]
    assert "Delete my data" in intro.buttons[0][0]

    confirm = await alice.tap("Delete my data", intro)
    assert "Delete your data?" in confirm.text
    (yes,) = [d for row in confirm.inline_keyboard for d in row if d["text"].startswith("Yes")]
    forged = yes["callback_data"].split(":")[0] + ":forgedtoken1234"
    await alice.tap_data(forged, confirm)
    assert "no longer valid" in alice.answer["text"]
    row = await order_row(bot, number)
    assert row.recipient == NAME and await _erasures(world) == 0

    update = await alice.sim.tap(confirm, "Yes, delete my data", exact=False)
    await bot.processed(update)
    assert "Your data has been deleted" in alice.screen.text and "1 order" in alice.screen.text
    assert await _erasures(world) == 1
    await bot.deliver_again(update)  # Telegram delivers the tap again
    await alice.tap_data(yes["callback_data"], confirm)  # the same button tapped again
    assert "no longer valid" in alice.answer["text"]
    assert await _erasures(world) == 1

    row = await order_row(bot, number)
    assert (row.recipient, row.phone, row.address_text) == (PLACEHOLDER,) * 3
    assert (row.status, row.total_minor) == ("completed", order_row_total(document))
    assert len(await db.order_lines(bot, row.id)) == 2
    assert await db.addresses(bot, alice.id) == []
    assert await db.rows(bot, OrderSearchTermRow, OrderSearchTermRow.order_id == row.id) == []
    (customer,) = await db.rows(bot, CustomerRow, CustomerRow.id == alice.id)
    assert customer.username is None

    card = await ann.say(f"/order {number}")
    assert f"Order {number}" in card.text and NAME not in card.text and PHONE not in card.text
    assert PLACEHOLDER in card.text
    assert "No order matches" in (await ann.say("/find smith")).text
    audit = await ann.say("/audit")
    assert f"customer:{alice.id}" in audit.text and "personal data was erased" in audit.text
    assert "downloaded their data" in audit.text

    leaked = leaks_in_files(sqlite_files(tmp_path / "shop.db"), [NAME, PHONE, "Main Street"])
    assert leaked == {}
    # the replayed tap's query was answered the first time: Telegram refuses a second answer
    assert [r for r in db.bad_requests(bot) if "query is too old" not in r] == []


def order_row_total(document: dict[str, object]) -> int:
    """The exported order's total in minor units (what the books must still say)."""
    (order,) = document["orders"]  # type: ignore[misc]
    return round(float(order["total"]) * 100)
