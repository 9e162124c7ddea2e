"""The merchant runs orders from the admin chat: alerts, the order book, shipping, the other
order actions, talking to the customer, and the documents for the warehouse."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from domain.orders.lifecycle import OrderStatus
from storage.tables.orders import OrderEventRow
from tests.e2e import helpers as db
from tests.e2e.admin_kit import (
    ANN,
    BEN,
    World,
    admin_world,
    make_shippable,
    open_from_alert,
    order_row,
    place_order,
    shipments,
)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with admin_world(tmp_path) as running:
        yield running


async def test_admin_ships_an_order_from_its_alert_and_the_customer_gets_the_tracking_link(
    world: World,
) -> None:
    bot, alice, ann = world.bot, world.alice, world.ann
    number = await place_order(alice)

    detail = await open_from_alert(ann, number)
    assert f"Order {number}" in detail.text
    assert "Alice (@alice)" in detail.text and "1 Main Street" in detail.text
    assert "Longjing Green Tea 100 g × 2" in detail.text and "TEA-GREEN-100" in detail.text
    assert "order placed" in detail.text, "the timeline is shown"
    detail = await make_shippable(ann, detail)

    carriers = await ann.tap("Ship", detail)
    assert carriers.message_id == detail.message_id, "the dialog edits the order in place"
    assert "Which carrier" in carriers.text
    labels = [label for row in carriers.buttons for label in row]
    assert {"SF Express", "ZTO Express", "EMS", "DHL Express", "UPS", "FedEx"} <= set(labels)
    ask = await ann.tap("SF Express", carriers)
    assert "tracking number" in ask.text and "SF1234567890123" in ask.text
    note = await ann.say("sf 1234 5678 9012")
    assert "note" in note.text.lower()
    confirm = await ann.tap("Skip", note)
    assert "Ship order" in confirm.text and "SF123456789012" in confirm.text
    done = await ann.tap("Confirm shipment", confirm)

    assert f"Order {number} shipped" in done.text and "Status: shipped" not in done.text
    assert done.buttons == [], "the finished question keeps one line and no buttons"
    card = ann.chat.message(detail.message_id)
    assert card is not None and "— shipped" in card.text, "the card now shows the order shipped"
    assert not any("Cancel" == b.split(" ", 1)[-1] for row in card.buttons for b in row)
    order = await order_row(bot, number)
    assert order.status == OrderStatus.SHIPPED
    [shipment] = await shipments(bot, order.id)
    assert (shipment.carrier_code, shipment.tracking_number) == ("sf", "SF123456789012")
    assert shipment.tracking_url.endswith("/SF123456789012")
    assert shipment.actor == f"admin:{ANN}"
    events = await db.order_events(bot, order.id)
    shipped = [e for e in events if e.type == "shipped"]
    assert [(e.actor, e.to_status) for e in shipped] == [(f"admin:{ANN}", "shipped")]

    await bot.outbox_drained()
    notice = alice.texts()[-1]
    assert f"Your order {number} is on its way" in notice
    assert "SF Express" in notice and "SF123456789012" in notice
    link = "https://www.sf-express.com/chn/en/waybill/waybill-detail/SF123456789012"
    assert link in notice, "the tracking link is in the notice"
    assert db.bad_requests(bot) == []


async def test_a_tracking_number_that_does_not_fit_the_carrier_is_asked_again(
    world: World,
) -> None:
    bot, ann = world.bot, world.ann
    number = await place_order(world.alice)
    detail = await make_shippable(ann, await open_from_alert(ann, number))
    await ann.tap("Ship", detail)
    await ann.tap("UPS")
    wrong = await ann.say("12345")
    assert "doesn't look like a UPS tracking number" in wrong.text
    assert "1Z999AA10123456784" in wrong.text, "the expected format is shown"
    assert (await order_row(bot, number)).status in (OrderStatus.CONFIRMED, OrderStatus.PAID)
    garbage = await ann.say("<b>!!</b>")
    assert "letters, digits or dashes" in garbage.text
    note = await ann.say("1z999aa10123456784")
    assert "note" in note.text.lower()
    await ann.say("two boxes, fragile")
    done = await ann.tap("Confirm shipment")
    assert "shipped" in done.text
    order = await order_row(bot, number)
    [shipment] = await shipments(bot, order.id)
    assert shipment.tracking_number == "1Z999AA10123456784"
    assert shipment.note == "two boxes, fragile"
    assert db.bad_requests(bot) == []


async def test_two_admins_pressing_confirm_at_once_make_one_shipment(world: World) -> None:
    bot, ann, ben = world.bot, world.ann, world.ben
    number = await place_order(world.alice)
    detail = await make_shippable(ann, await open_from_alert(ann, number))
    await ann.tap("Ship", detail)
    await ann.tap("DHL Express")
    await ann.say("1234567890")
    ann_confirm = await ann.tap("Skip")

    ben_detail = await ben.say(f"/order {number}")
    await ben.tap("Ship", ben_detail)
    await ben.tap("EMS")
    await ben.say("EA123456789CN")
    ben_confirm = await ben.tap("Skip")

    first = await ann.press("Confirm shipment", ann_confirm)
    second = await ben.press("Confirm shipment", ben_confirm)
    await bot.processed(first)
    await bot.processed(second)

    order = await order_row(bot, number)
    assert order.status == OrderStatus.SHIPPED
    [shipment] = await shipments(bot, order.id)
    answers = [bot.api.callback_answers[u["callback_query"]["id"]] for u in (first, second)]
    refused = [a for a in answers if a.get("show_alert")]
    assert len(refused) == 1, answers
    assert f"Order {number} is already shipped" in refused[0]["text"]
    winner = ANN if shipment.carrier_code == "dhl" else BEN
    assert shipment.actor == f"admin:{winner}"
    events = await db.rows(bot, OrderEventRow, OrderEventRow.order_id == order.id)
    assert [e.type for e in events].count("shipped") == 1
    await bot.outbox_drained()
    assert sum("is on its way" in t for t in world.alice.texts()) == 1
    assert db.bad_requests(bot) == []


async def test_a_stale_ship_button_says_already_shipped_and_shows_the_order_as_it_is(
    world: World,
) -> None:
    bot, ann, ben = world.bot, world.ann, world.ben
    number = await place_order(world.alice)
    detail = await make_shippable(ann, await open_from_alert(ann, number))
    old = await ben.say(f"/order {number}")
    await ann.tap("Ship", detail)
    await ann.tap("ZTO Express")
    await ann.say("731234567890")
    await ann.tap("Skip")
    await ann.tap("Confirm shipment")

    await ben.tap("Ship", old)
    assert ben.answer["show_alert"] is True
    assert f"Order {number} is already shipped" in ben.answer["text"]
    refreshed = ben.chat.message(old.message_id)
    assert refreshed is not None and "— shipped" in refreshed.text, "the old message is updated"
    assert not any("Ship" == b.split(" ", 1)[-1] for row in refreshed.buttons for b in row)
    order = await order_row(bot, number)
    assert len(await shipments(bot, order.id)) == 1
    assert db.bad_requests(bot) == []


async def test_restarting_the_bot_mid_ship_dialog_loses_nothing(world: World) -> None:
    bot, ann = world.bot, world.ann
    number = await place_order(world.alice)
    detail = await make_shippable(ann, await open_from_alert(ann, number))
    await ann.tap("Ship", detail)
    await ann.tap("EMS")

    await bot.restart()

    await ann.say("EA123456789CN")
    await bot.restart()
    confirm = await ann.tap("Skip")
    assert "EA123456789CN" in confirm.text
    await ann.tap("Confirm shipment")
    order = await order_row(bot, number)
    assert order.status == OrderStatus.SHIPPED
    assert [s.tracking_number for s in await shipments(bot, order.id)] == ["EA123456789CN"]


async def test_admin_cancels_an_unpaid_order_with_a_reason_and_its_stock_is_released(
    world: World,
) -> None:
    bot, alice, ann = world.bot, world.alice, world.ann
    number = await place_order(alice)
    assert (await db.product(bot, "TEA-GREEN-100")).reserved == 2
    detail = await open_from_alert(ann, number)

    ask = await ann.tap("Cancel order", detail)
    assert "Send the reason" in ask.text
    short = await ann.say("x")
    assert "2–200 characters" in short.text, "a one-letter reason is refused"
    confirm = await ann.say("Out of Longjing until spring")
    assert "Out of Longjing until spring" in confirm.text and "$41.00" in confirm.text
    assert (await order_row(bot, number)).status != OrderStatus.CANCELLED, "not before confirming"
    done = await ann.tap("Yes, cancel the order", confirm)
    assert f"Order {number} cancelled" in done.text and done.buttons == []
    card = ann.chat.message(detail.message_id)
    assert card is not None and "— cancelled" in card.text, "the card shows it cancelled"

    order = await order_row(bot, number)
    assert order.status == OrderStatus.CANCELLED
    assert (await db.product(bot, "TEA-GREEN-100")).reserved == 0
    assert (await db.product(bot, "TEA-BLACK-100")).reserved == 0
    [event] = [e for e in await db.order_events(bot, order.id) if e.type == "cancelled"]
    assert (event.actor, event.note) == (f"admin:{ANN}", "Out of Longjing until spring")
    await bot.outbox_drained()
    told = alice.texts()[-1]
    assert f"order {number} was cancelled by the shop" in told
    assert "Out of Longjing until spring" in told
    assert not any("Cancel" in b for row in card.buttons for b in row), "no second cancel"
    assert db.bad_requests(bot) == []


async def test_leaving_a_dialog_changes_nothing_and_its_buttons_go_stale(world: World) -> None:
    bot, ann = world.bot, world.ann
    number = await place_order(world.alice)
    detail = await open_from_alert(ann, number)
    await ann.tap("Cancel order", detail)
    await ann.say("Customer asked by phone")
    confirm = ann.screen
    yes = confirm.button("Yes, cancel the order", exact=False)["callback_data"]
    back = await ann.tap("✖️ Cancel", confirm)
    assert ann.answer["text"] == "Cancelled — nothing was changed."
    assert back.text == "Cancelled — nothing was changed." and back.buttons == []
    card = ann.chat.message(detail.message_id)
    assert card is not None and f"Order {number}" in card.text
    await ann.tap_data(yes, confirm)
    assert ann.answer["show_alert"] is True and "question is over" in ann.answer["text"]
    assert (await order_row(bot, number)).status != OrderStatus.CANCELLED
    await ann.say("this text is not taken by any dialog")
    assert (await order_row(bot, number)).status != OrderStatus.CANCELLED
    assert db.bad_requests(bot) == []


async def test_admin_marks_a_shipped_order_delivered_and_the_customer_is_told(
    world: World,
) -> None:
    bot, alice, ann = world.bot, world.alice, world.ann
    number = await place_order(alice)
    detail = await make_shippable(ann, await open_from_alert(ann, number))
    await ann.tap("Ship", detail)
    await ann.tap("Other carrier")
    await ann.say("City Express")
    await ann.say("LOCAL-42")
    await ann.tap("Skip")
    shipped = await ann.tap("Confirm shipment")
    assert "LOCAL-42" in shipped.text

    delivered = await ann.tap("Mark delivered", ann.chat.message(detail.message_id))
    assert ann.answer["text"] == f"📬 Order {number} marked delivered"
    assert "— delivered" in delivered.text
    labels = [b for row in delivered.buttons for b in row]
    assert "✔️ Complete" in labels and not any("Mark delivered" in b for b in labels)
    order = await order_row(bot, number)
    assert order.status == OrderStatus.DELIVERED
    events = [(e.type, e.actor) for e in await db.order_events(bot, order.id)]
    assert ("delivered", f"admin:{ANN}") in events
    await ann.tap_data(f"adlv:{number}", delivered)
    assert ann.answer["show_alert"] is True and "the order is delivered" in ann.answer["text"]
    await bot.outbox_drained()
    assert any(f"Your order {number} was delivered" in t for t in alice.texts())
    assert any("Tracking number: LOCAL-42" in t for t in alice.texts())
    assert db.bad_requests(bot) == []


async def test_admin_messages_the_customer_and_the_reply_comes_back_to_the_admin_chat(
    world: World,
) -> None:
    bot, alice, ann = world.bot, world.alice, world.ann
    number = await place_order(alice)
    detail = await open_from_alert(ann, number)

    await ann.tap("Note", detail)
    noted = await ann.say("Customer prefers delivery after 6 pm")
    assert f"Note added to order {number}" in noted.text
    assert "Customer prefers delivery after 6 pm" in noted.text, "notes show in the timeline"

    await ann.tap("Message customer", noted)
    sent = await ann.say("Hello Alice! Would green tea in tins suit you?")
    assert f"Message sent to the customer of order {number}" in sent.text

    await bot.outbox_drained()
    message = alice.screen
    assert "Message from the shop" in message.text and "tins suit you?" in message.text
    prompt = await alice.tap("Reply", message)
    assert f"reply about order {number}" in prompt.text
    thanks = await alice.say("Yes please, tins are perfect")
    assert "Your reply was sent to the shop" in thanks.text

    await bot.outbox_drained()
    relayed = ann.screen
    assert f"Alice (@alice) writes about order {number}" in relayed.text
    assert "tins are perfect" in relayed.text
    opened = await ann.tap("Open order", relayed)
    assert "the customer replied" in opened.text and "note" in opened.text
    order = await order_row(bot, number)
    kinds = [
        (e.actor, e.params.get("kind"))
        for e in await db.order_events(bot, order.id)
        if e.type == "note_added"
    ]
    assert kinds == [
        (f"admin:{ANN}", "note"),
        (f"admin:{ANN}", "message_out"),
        (f"customer:{alice.id}", "message_in"),
    ]

    after = await alice.say("oolong")
    assert "oolong" in after.text, "once the reply is sent, typing searches again"
    await alice.tap("My orders", await alice.say("/start"))
    mine = await alice.tap(number)
    assert "Customer prefers" not in mine.text, "internal notes stay internal"
    assert "note added" not in mine.text and "order placed" in mine.text
    assert db.bad_requests(bot) == []


async def test_a_customer_in_checkout_types_into_checkout_not_into_a_reply(
    world: World,
) -> None:
    bot, alice, ann = world.bot, world.alice, world.ann
    number = await place_order(alice)
    detail = await open_from_alert(ann, number)
    await ann.tap("Message customer", detail)
    await ann.say("Anything else?")
    await bot.outbox_drained()
    await alice.tap("Reply", alice.screen)
    # She starts a new checkout before answering: checkout has the text from now on.
    await alice.say("/catalog")
    await alice.tap("Teaware")
    await alice.tap("Stoneware Mug")
    await alice.tap("Add 1 to cart")
    await alice.tap("Cart")
    choose = await alice.tap("Checkout")
    assert "Choose a saved address" in choose.text
    await alice.tap("New address")
    phone = await alice.say("Alice Smith")
    assert "phone number" in phone.text
    await bot.outbox_drained()
    assert not any("writes about order" in t for t in ann.texts())
    assert db.bad_requests(bot) == []


async def test_orders_are_filtered_by_status_and_paged(world: World) -> None:
    bot, alice, ann = world.bot, world.alice, world.ann
    numbers = [await place_order(alice) for _ in range(7)]
    bank = await place_order(alice, payment="Bank transfer")

    to_ship = await ann.say("/orders")
    assert "Orders — 🚚 To ship (7)" in to_ship.text
    assert to_ship.buttons[0][0].startswith(numbers[0]), "oldest first: the warehouse order"
    assert ["◀" not in row for row in to_ship.buttons]
    assert to_ship.buttons[6] == ["1/2", "▶"]
    page2 = await ann.tap("▶", to_ship)
    assert page2.message_id == to_ship.message_id
    assert page2.buttons[0][0].startswith(numbers[6])
    pending = await ann.tap("Pending payment", page2)
    assert "(1)" in pending.text and pending.buttons[0][0].startswith(bank)
    everything = await ann.tap("All", pending)
    assert "(8)" in everything.text and everything.buttons[0][0].startswith(bank)
    after_sales = await ann.tap("After-sales", everything)
    assert "No after-sales requests." in after_sales.text
    shipped = await ann.tap("Shipped", after_sales)
    assert "No orders here." in shipped.text
    opened = await ann.tap(bank, await ann.tap("All", shipped))
    assert f"Order {bank}" in opened.text
    back = await ann.tap("Orders", opened)
    assert "Orders — 🗂 All" in back.text
    assert len(await db.orders(bot)) == 8
    assert db.bad_requests(bot) == []


async def test_pick_list_and_packing_slip_come_as_text_files(world: World) -> None:
    bot, alice, ann = world.bot, world.alice, world.ann
    first = await place_order(alice)
    second = await place_order(alice)
    pick = await ann.say("/picklist")
    assert pick.kind == "document" and pick.document["file_name"].startswith("pick-list-")
    text = bot.api.files[pick.document["file_id"]].data.decode("utf-8")
    assert "PICK LIST — Tea House" in text
    assert "[ ] 4 × TEA-GREEN-100  Longjing Green Tea 100 g" in text, "units summed by SKU"
    assert "[ ] 2 × TEA-BLACK-100" in text
    assert f"Order {first}" in text and f"Order {second}" in text
    assert "Ship to: Alice Smith, +12025550143" in text and "1 Main Street" in text
    assert "Collect on delivery: $41.00" in text

    detail = await ann.say(f"/order {first}")
    slip = await ann.tap("Packing slip", detail)
    assert slip.kind == "document" and slip.document["file_name"] == f"packing-slip-{first}.txt"
    body = bot.api.files[slip.document["file_id"]].data.decode("utf-8")
    assert f"PACKING SLIP — Tea House — order {first}" in body
    assert "[ ] 2 × TEA-GREEN-100" in body and second not in body
    assert "Order total: $41.00" in body
    assert db.bad_requests(bot) == []
