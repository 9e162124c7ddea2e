"""Shipping options (issue 16) from the customer's chat and the merchant's: choosing express
after the address, pickup at the shop without an address, free shipping over the threshold,
Back at every step, stale and forged method buttons, a replayed tap, and Chinese screens."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from domain.orders.lifecycle import OrderStatus
from tests.e2e import helpers as db
from tests.e2e.admin_kit import World, admin_world
from tests.e2e.harness import ADMIN_CHAT, BotUnderTest, Person, running_bot
from tests.e2e.payments_kit import invoices, pay_world
from tests.e2e.test_customer_journey import fill_cart
from tests.e2e.test_statement_counts import BUDGET, Counter

NUMBER = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}")
STANDARD = {
    "code": "std",
    "name": {"en": "Standard", "zh": "标准快递"},
    "fee": "5.00",
    "free_from": "60.00",
}
EXPRESS = {
    "code": "express",
    "name": {"en": "Express", "zh": "特快专递"},
    "fee": "15.00",
    "postcodes": ["100"],
    "regions": ["Beijing", "北京"],
}
PICKUP = {
    "code": "pickup",
    "kind": "pickup",
    "name": {"en": "Pickup at the shop", "zh": "到店自取"},
    "fee": "0",
    "place": "1 Shop Street, 9:00-18:00 (Mon & Tue <closed>)",
}
METHODS = json.dumps([STANDARD, EXPRESS, PICKUP])
BEIJING = "88 Jianguo Road, Chaoyang, Beijing 100022"
SPRINGFIELD = "1 Main Street, Springfield, IL 62701"


@pytest.fixture
async def shop(tmp_path: Path) -> AsyncIterator[BotUnderTest]:
    async with running_bot(tmp_path, shipping_methods=METHODS) as running:
        running.api.add_group(ADMIN_CHAT, "Tea House admins")
        yield running


@pytest.fixture
def alice(shop: BotUnderTest) -> Person:
    return Person(shop, shop.api.add_user(1001, "Alice", language_code="en", username="alice"))


@pytest.fixture
def li(shop: BotUnderTest) -> Person:
    return Person(shop, shop.api.add_user(1003, "李雷", language_code="zh-hans"))


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    async with admin_world(tmp_path, shipping_methods=METHODS) as running:
        yield running


async def to_delivery(person: Person, address: str) -> None:
    """From a filled cart: checkout with a new address (name, phone, address)."""
    await person.tap("Cart")
    await person.tap("Checkout")
    await person.tap("New address")
    await person.say("Alice Smith")
    await person.share_contact("12025550143")
    await person.say(address)


def labels(screen: object) -> list[str]:
    return [label for row in getattr(screen, "buttons", []) for label in row]


async def test_customer_picks_express_sees_the_fee_and_the_order_keeps_it(world: World) -> None:
    bot, alice, ann = world.bot, world.alice, world.ann
    await fill_cart(alice)  # 36.00
    await alice.tap("Cart")
    choose = await alice.tap("Checkout")
    assert "Delivery or pickup" in choose.text
    assert "🏬 Pickup at the shop: 1 Shop Street, 9:00-18:00 (Mon & Tue <closed>)" in choose.text
    assert "🏬 Pickup at the shop — free" in labels(choose)
    await alice.tap("New address")
    await alice.say("Alice Smith")
    await alice.share_contact("12025550143")
    methods = await alice.say(BEIJING)
    assert "How should we send your order" in methods.text and "Beijing 100022" in methods.text
    assert labels(methods)[:2] == ["🚚 Standard — $5.00", "🚚 Express — $15.00"]
    saved = alice.messages[-2]
    assert "Alice Smith, +12025550143" in saved.text, "the typed details are confirmed first"

    payment = await alice.tap("Express")
    assert payment.message_id == methods.message_id, "the choice edits the screen in place"
    assert "How would you like to pay" in payment.text and "$51.00" in payment.text
    review = await alice.tap("Cash on delivery")
    for expected in ("Shipping: $15.00", "Total: $51.00", "🚚 Delivery: Express", BEIJING):
        assert expected in review.text
    placed = await alice.tap("Confirm order")
    assert "🚚 Delivery: Express" in placed.text and "$51.00" in placed.text
    number = NUMBER.search(placed.text)
    assert number

    [order] = await db.orders(bot, alice.id)
    assert (order.subtotal_minor, order.shipping_minor, order.total_minor) == (3600, 1500, 5100)
    assert order.shipping_method == {
        "code": "express",
        "kind": "delivery",
        "name": {"en": "Express", "zh": "特快专递"},
    }
    assert order.address_text == BEIJING and order.status == OrderStatus.CONFIRMED

    await bot.outbox_drained()
    alert = bot.api.chat(ADMIN_CHAT).last_bot_message()
    assert alert is not None and f"New order {order.number}" in alert.text
    assert "Cash on delivery · 🚚 Express" in alert.text
    card = await ann.say(f"/order {order.number}")
    assert "🚚 Delivery: Express" in card.text and "Shipping: $15.00" in card.text
    pick = await ann.say("/picklist")
    text = bot.api.files[pick.document["file_id"]].data.decode("utf-8")
    assert "Delivery: Express" in text and BEIJING in text
    export = await ann.say("/export_orders")
    data = bot.api.files[export.document["file_id"]].data.decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(data)))
    assert row[header.index("shipping")] == "15.00"
    assert row[header.index("shipping_method")] == "express"

    detail = await alice.tap(order.number, await alice.tap("My orders"))
    assert "🚚 Delivery: Express" in detail.text and "Shipping: $15.00" in detail.text
    assert db.bad_requests(bot) == []


async def test_pickup_asks_no_address_and_shows_the_shop(shop: BotUnderTest, alice: Person) -> None:
    await fill_cart(alice)
    await alice.tap("Cart")
    await alice.tap("Checkout")
    ask_name = await alice.tap("Pickup at the shop")
    assert "Who will receive the order" in ask_name.text
    assert any("Pickup at the shop" in text for text in alice.texts()[-3:])
    await alice.say("Alice Smith")
    payment = await alice.share_contact("12025550143")
    assert "How would you like to pay" in payment.text and "$36.00" in payment.text
    assert "Collected by: Alice Smith, +12025550143" in alice.messages[-2].text
    assert not any("delivery address" in text for text in alice.texts()), "no address asked"
    review = await alice.tap("Bank transfer")
    assert f"Pick up at: {PICKUP['place']}" in review.text
    assert "🚚 Delivery: Pickup at the shop" in review.text and "Shipping: $0.00" in review.text
    placed = await alice.tap("Confirm order")
    assert "Pick up at: 1 Shop Street" in placed.text

    [order] = await db.orders(shop, alice.id)
    assert (order.shipping_minor, order.total_minor, order.address_text) == (0, 3600, "")
    assert order.shipping_method["kind"] == "pickup"
    assert order.shipping_method["place"] == PICKUP["place"]
    assert await db.addresses(shop, alice.id) == [], "a pickup has no address to remember"
    assert db.bad_requests(shop) == []


async def test_free_shipping_over_the_threshold_and_one_method_needs_no_tap(
    shop: BotUnderTest, alice: Person
) -> None:
    await fill_cart(alice)
    await alice.tap("Longjing", await alice.tap("Tea", await alice.say("/catalog")))
    await alice.tap("➕")
    await alice.tap("Add 2 to cart")  # 36.00 + 25.00 = 61.00: Standard ships free from 60.00
    await to_delivery(alice, SPRINGFIELD)  # Express does not reach Springfield
    payment = alice.screen
    assert "How would you like to pay" in payment.text and "$61.00" in payment.text
    review = await alice.tap("Cash on delivery")
    assert "Shipping: $0.00" in review.text and "🚚 Delivery: Standard" in review.text
    await alice.tap("Confirm order")
    [order] = await db.orders(shop, alice.id)
    assert (order.shipping_minor, order.total_minor) == (0, 6100)
    assert order.shipping_method["code"] == "std"
    # to Beijing the same cart is offered both, Standard free
    await fill_cart(alice)
    await alice.tap("Longjing", await alice.tap("Tea", await alice.say("/catalog")))
    await alice.tap("➕")
    await alice.tap("Add 2 to cart")
    await alice.tap("Cart")
    await alice.tap("Checkout")
    await alice.tap("New address")
    await alice.say("Alice Smith")
    await alice.share_contact("12025550143")
    methods = await alice.say(BEIJING)
    assert labels(methods)[:2] == ["🚚 Standard — free", "🚚 Express — $15.00"]


async def test_back_works_at_every_step(shop: BotUnderTest, alice: Person) -> None:
    await fill_cart(alice)
    await alice.tap("Cart")
    choose = await alice.tap("Checkout")
    # pickup: name -> phone -> payment -> review, and back all the way
    await alice.tap("Pickup at the shop")
    await alice.say("Alice Smith")
    await alice.share_contact("12025550143")
    review = await alice.tap("Cash on delivery")
    assert "Pick up at" in review.text
    assert "How would you like to pay" in (await alice.tap("Back")).text
    assert "phone number" in (await alice.tap("Back")).text
    assert "Who will receive" in (await alice.say("⬅️ Back")).text
    assert "Delivery or pickup" in (await alice.say("⬅️ Back")).text
    # delivery with a choice: address -> methods -> payment, back one step each time
    await alice.tap("New address")
    await alice.say("Alice Smith")
    await alice.share_contact("12025550143")
    await alice.say(BEIJING)
    await alice.tap("Express")
    review = await alice.tap("Cash on delivery")
    assert "Delivery: Express" in review.text
    assert "How would you like to pay" in (await alice.tap("Back")).text
    methods = await alice.tap("Back")
    assert "How should we send your order" in methods.text
    assert "delivery address" in (await alice.tap("Back")).text
    # a different address: only Standard serves it, taken without a question
    payment = await alice.say(SPRINGFIELD)
    assert "How would you like to pay" in payment.text and "$41.00" in payment.text
    assert "delivery address" in (await alice.tap("Back")).text, "back skips the unasked step"
    assert "phone number" in (await alice.say("⬅️ Back")).text
    assert "Who will receive" in (await alice.say("⬅️ Back")).text
    again = await alice.say("⬅️ Back")
    assert "Delivery or pickup" in again.text
    left = await alice.tap("Back", alice.find("New address"))
    assert "Checkout cancelled" in left.text or "cart" in left.text.lower()
    assert await db.orders(shop, alice.id) == []
    assert choose.message_id > 0 and db.bad_requests(shop) == []


async def test_a_stale_or_forged_method_button_is_answered_and_changes_nothing(
    shop: BotUnderTest, alice: Person
) -> None:
    await fill_cart(alice)
    await to_delivery(alice, BEIJING)
    methods = alice.screen
    row = await db.checkout(shop, alice.id)
    assert row is not None and row.step == "choose_shipping"
    token = row.token
    for forged in (f"ksh:{token}:nope", f"ksh:{token}:pickup", f"kpu:{token}:express"):
        screen = await alice.tap_data(forged, methods)
        assert alice.answer.get("show_alert") or alice.answer.get("text"), forged
        assert "How should we send your order" in screen.text
        row = await db.checkout(shop, alice.id)
        assert row is not None and row.step == "choose_shipping", forged
    # a button of an earlier checkout
    await alice.tap("Express")
    await alice.tap("Cancel checkout")
    screen = await alice.tap_data(f"ksh:{token}:std", methods)
    assert alice.answer.get("text")
    assert await db.orders(shop, alice.id) == []
    row = await db.checkout(shop, alice.id)
    assert row is not None and row.step == "abandoned"
    assert screen is not None and db.bad_requests(shop) == []


async def test_an_address_no_method_serves_is_refused_kindly(tmp_path: Path) -> None:
    only_beijing = json.dumps([EXPRESS])
    async with running_bot(tmp_path, shipping_methods=only_beijing) as bot:
        alice = Person(bot, bot.api.add_user(1001, "Alice", language_code="en"))
        await fill_cart(alice)
        await alice.tap("Cart")
        await alice.tap("Checkout")  # no pickup, no saved address: straight to the name
        await alice.say("Alice Smith")
        await alice.share_contact("12025550143")
        refused = await alice.say(SPRINGFIELD)
        assert "none of our delivery options reaches this address" in refused.text
        assert refused.reply_keyboard is not None, "still asking for the address"
        row = await db.checkout(bot, alice.id)
        assert row is not None and row.step == "enter_address"
        payment = await alice.say(BEIJING)  # the only method is taken without a question
        assert "How would you like to pay" in payment.text and "$51.00" in payment.text
        assert db.bad_requests(bot) == []


async def test_a_replayed_choice_changes_nothing(shop: BotUnderTest, alice: Person) -> None:
    await fill_cart(alice)
    await to_delivery(alice, BEIJING)
    update = await alice.sim.tap(alice.find("Express"), "Express", exact=False)
    await shop.processed(update)
    before = await db.checkout(shop, alice.id)
    texts = alice.texts()
    await shop.deliver_again(update)
    after = await db.checkout(shop, alice.id)
    assert before is not None and after is not None
    assert (
        (after.step, after.updated_at)
        == (before.step, before.updated_at)
        == (
            "choose_payment",
            before.updated_at,
        )
    )
    assert alice.texts() == texts, "nothing said twice"
    # the replay's empty answer comes after the first answer: Telegram calls that query too old
    assert [r for r in db.bad_requests(shop) if "query is too old" not in r] == []


async def test_chinese_customer_sees_methods_and_pickup_in_chinese(
    shop: BotUnderTest, li: Person
) -> None:
    await li.say("/start")
    await li.tap("商品目录")
    await li.tap("Tea")
    await li.tap("Longjing")
    await li.tap("加入购物车")
    await li.tap("🛒 购物车 (")
    choose = await li.tap("去结算")
    assert "配送或自取" in choose.text and "1 Shop Street" in choose.text
    assert any("🏬 到店自取 — 免费" == label for label in labels(choose))
    await li.tap("新地址")
    await li.say("李雷")
    await li.share_contact("8613800138000")
    methods = await li.say("北京市朝阳区建国路 88 号")
    assert "配送方式" in methods.text
    assert [label.split(" — ")[0] for label in labels(methods)[:2]] == [
        "🚚 标准快递",
        "🚚 特快专递",
    ]
    await li.tap("特快专递")
    review = await li.tap("货到付款")
    assert "🚚 配送方式：特快专递" in review.text
    assert db.bad_requests(shop) == []


async def test_the_card_invoice_names_the_shipping_method(tmp_path: Path) -> None:
    async with pay_world(tmp_path, shipping_methods=METHODS) as world:
        alice = world.alice
        await fill_cart(alice)
        await to_delivery(alice, BEIJING)
        await alice.tap("Express")
        await alice.tap("Pay by card")
        await alice.tap("Confirm order")
        [invoice] = invoices(alice)
        assert invoice.invoice["total_amount"] == 5100
        assert invoice.extra["_prices"][-1] == {"label": "Shipping: Express", "amount": 1500}
        assert db.bad_requests(world.bot) == []


async def test_a_fee_or_method_changed_before_confirm_is_requoted_not_charged(
    shop: BotUnderTest, alice: Person
) -> None:
    await fill_cart(alice)
    await to_delivery(alice, BEIJING)
    await alice.tap("Express")
    await alice.tap("Cash on delivery")
    # the merchant raises Express to 20.00 and restarts the bot
    shop.overrides["shipping_methods"] = json.dumps([STANDARD, {**EXPRESS, "fee": "20.00"}])
    await shop.restart()
    review = await alice.tap("Confirm order")
    assert "$56.00" in alice.answer["text"] and alice.answer.get("show_alert")
    assert "Shipping: $20.00" in review.text and "Total: $56.00" in review.text
    assert await db.orders(shop, alice.id) == [], "nothing charged at a fee not shown"
    # then removes Express altogether: back to the methods that still serve the address
    shop.overrides["shipping_methods"] = json.dumps(
        [STANDARD, {**STANDARD, "code": "eco", "name": "Economy"}]
    )
    await shop.restart()
    methods = await alice.tap("Confirm order")
    assert "delivery options changed" in alice.answer["text"]
    assert "How should we send your order" in methods.text
    assert labels(methods)[:2] == ["🚚 Standard — $5.00", "🚚 Economy — $5.00"]
    await alice.tap("Standard")
    await alice.tap("Cash on delivery")
    await alice.tap("Confirm order")
    [order] = await db.orders(shop, alice.id)
    assert (order.shipping_minor, order.shipping_method["code"]) == (500, "std")
    assert db.bad_requests(shop) == []


async def test_the_shipping_steps_keep_the_checkout_statement_budget(
    shop: BotUnderTest, alice: Person
) -> None:
    counter = Counter(shop)
    await fill_cart(alice)
    await alice.tap("Cart")
    await alice.tap("Checkout")
    assert counter.last(shop)[:2] <= BUDGET["Checkout"]
    await alice.tap("New address")
    await alice.say("Alice Smith")
    await alice.share_contact("12025550143")
    await alice.say(BEIJING)  # the address, and the methods that serve it
    assert counter.last(shop)[:2] <= BUDGET["address"]
    await alice.tap("Express")  # one read of checkout and cart, one write: as a payment tap
    assert counter.last(shop)[:2] <= BUDGET["Cash on delivery"]


async def test_a_saved_address_no_method_serves_is_answered_and_pickup_remains(
    shop: BotUnderTest, alice: Person
) -> None:
    await fill_cart(alice)
    await to_delivery(alice, SPRINGFIELD)  # saved; Standard serves it
    await alice.tap("Cash on delivery")
    await alice.tap("Confirm order")
    # the shop now delivers to Beijing only (and still offers pickup)
    shop.overrides["shipping_methods"] = json.dumps([EXPRESS, PICKUP])
    await shop.restart()
    await fill_cart(alice)
    await alice.tap("Cart")
    choose = await alice.tap("Checkout")
    assert "Delivery or pickup" in choose.text
    same = await alice.tap("Alice Smith, 1 Main Street")
    assert "none of our delivery options reaches this address" in alice.answer["text"]
    assert "choose pickup at the shop" in alice.answer["text"] and alice.answer["show_alert"]
    assert same.message_id == choose.message_id and same.text == choose.text
    row = await db.checkout(shop, alice.id)
    assert row is not None and row.step == "choose_address"
    await alice.tap("Pickup at the shop")
    await alice.say("Alice Smith")
    payment = await alice.share_contact("12025550143")
    assert "How would you like to pay" in payment.text
    assert db.bad_requests(shop) == []
