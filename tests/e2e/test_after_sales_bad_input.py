"""What after-sales and reviews refuse, through the chat: each bad input the issue lists is
answered with a clear message and changes nothing."""

from __future__ import annotations

from pathlib import Path

from tests.e2e import helpers as db
from tests.e2e.after_sales_kit import (
    LONGJING,
    ShopWorld,
    ask,
    delivered_order,
    open_order,
    requests_of,
    reviews,
    set_status,
    shop_world,
    tap_in_row,
)
from tests.e2e.harness import Person
from tests.e2e.payments_kit import invoices, order_row, pay, place_order, pre_checkout


async def _nothing_asked(world: ShopWorld) -> None:
    assert await requests_of(world) == []


def _alert(person: Person) -> str:
    assert person.answer["show_alert"] is True, person.answer
    return str(person.answer["text"])


async def test_a_request_after_the_window_is_refused(tmp_path: Path) -> None:
    async with shop_world(tmp_path) as world:
        alice = world.alice
        number = await delivered_order(world)
        world.clock.advance(days=15, minutes=1)

        detail = await open_order(alice, number)
        assert "Return / exchange / repair" not in str(detail.buttons)
        await alice.tap_data(f"sn:{number}:0", detail)

        assert "past its 15-day window" in _alert(alice)
        await _nothing_asked(world)


async def test_a_request_on_an_order_never_delivered_is_refused(tmp_path: Path) -> None:
    async with shop_world(tmp_path) as world:
        alice = world.alice
        number = await place_order(alice, "Pay by card")
        invoice = invoices(alice)[-1]
        assert (await pre_checkout(alice, invoice))["ok"] is True
        await pay(alice, invoice, "charge-paid-only")

        detail = await open_order(alice, number)
        assert "Return / exchange / repair" not in str(detail.buttons)
        await alice.tap_data(f"sn:{number}:0", detail)

        assert f"Order {number} has not been delivered (it is paid)" in _alert(alice)
        await _nothing_asked(world)


async def test_more_units_than_bought_are_refused(tmp_path: Path) -> None:
    async with shop_world(tmp_path) as world:
        alice = world.alice
        number = await delivered_order(world)
        await open_order(alice, number)
        await alice.tap("Return / exchange / repair")
        await alice.tap("Return for a refund")
        await tap_in_row(alice, LONGJING, "➕")
        lines = await tap_in_row(alice, LONGJING, "➕")
        row = next(r for r in lines.inline_keyboard if any(LONGJING in b["text"] for b in r))
        assert (len(row), row[0]["text"]) == (2, "➖")
        assert "➕" not in [b["text"] for b in row], "no ➕ past the units bought"
        less = row[0]["callback_data"]  # sl:<token>:<line>:-1
        await alice.tap_data(less.removesuffix(":-1") + ":1", lines)

        assert "Only 2 × “Longjing Green Tea 100 g” can still be asked for" in _alert(alice)
        await alice.tap("Next")
        await alice.tap("Damaged in transit")
        await alice.tap("Skip")
        summary = await alice.tap("Skip")
        assert "Longjing Green Tea 100 g × 2" in summary.text
        await alice.tap("Send request")
        [request] = await requests_of(world)
        assert request.status == "requested"


async def test_a_second_request_for_units_already_asked_for_is_refused(tmp_path: Path) -> None:
    async with shop_world(tmp_path) as world:
        alice = world.alice
        number = await delivered_order(world)
        await ask(alice, number, "Exchange", {LONGJING: 2}, "Wrong item")
        await open_order(alice, number)
        await alice.tap("Return / exchange / repair")
        lines = await alice.tap("Return for a refund")

        taken = next(r for r in lines.inline_keyboard if any(LONGJING in b["text"] for b in r))
        assert "already in a request" in taken[0]["text"]
        token = next(
            b["callback_data"].split(":")[1]
            for r in lines.inline_keyboard
            for b in r
            if b.get("callback_data", "").startswith("sd:")
        )
        order = await order_row(world.bot, number)
        [line_id] = [
            line.id
            for line in await db.order_lines(world.bot, order.id)
            if line.sku == "TEA-GREEN-100"
        ]
        await alice.tap_data(f"sl:{token}:{line_id}:1", lines)
        assert "Only 0 × “Longjing Green Tea 100 g” can still be asked for" in _alert(alice)
        assert len(await requests_of(world)) == 1


async def test_another_customers_order_and_request_are_not_found(tmp_path: Path) -> None:
    async with shop_world(tmp_path) as world:
        alice, bob = world.alice, world.bob
        number = await delivered_order(world)
        await ask(alice, number, "Repair", {LONGJING: 1}, "It doesn't work")
        [request] = await requests_of(world)

        menu = await bob.say("/start")
        await bob.tap_data(f"sn:{number}:0", menu)
        assert "Order not found" in _alert(bob)
        await bob.tap_data(f"sv:{request.id}", menu)
        assert "Request not found" in _alert(bob)
        await bob.tap_data(f"st:{request.id}", menu)
        assert "Request not found" in _alert(bob)
        assert len(await requests_of(world)) == 1


async def test_only_admins_approve_even_with_forged_buttons(tmp_path: Path) -> None:
    async with shop_world(tmp_path) as world:
        bot, alice, eve = world.bot, world.alice, world.eve
        number = await delivered_order(world)
        await ask(alice, number, "Return for a refund", {LONGJING: 1}, "I changed my mind")
        [request] = await requests_of(world)
        await bot.outbox_drained()
        alert = world.ann.find("Approve")

        await eve.tap("Approve", alert)
        assert "Only the shop's admins" in eve.answer["text"]
        await eve.tap_data(f"saa:{request.id}", alert)
        assert "Only the shop's admins" in eve.answer["text"]
        menu = await alice.say("/start")
        await alice.tap_data(f"saa:{request.id}", menu)
        assert "Only the shop's admins" in alice.answer["text"]
        await alice.tap_data(f"sag:{request.id}", menu)
        assert "Only the shop's admins" in alice.answer["text"]

        [request] = await requests_of(world)
        assert request.status == "requested"
        assert db.bad_requests(bot) == []


async def test_approving_a_request_already_declined_is_refused(tmp_path: Path) -> None:
    async with shop_world(tmp_path) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        number = await delivered_order(world)
        await ask(
            alice, number, "Return for a refund", {LONGJING: 1}, "I changed my mind", photos=1
        )
        [request] = await requests_of(world)
        await bot.outbox_drained()
        alert = ann.find("Approve")
        assert alert.photo_file_id is not None
        prompt = await ann.tap("Decline", alert)
        assert prompt.message_id != alert.message_id, "the photo alert stays"
        await ann.say("Past the return policy")

        await ann.tap("Approve", alert)

        assert (
            f"Request {request.number} can't take that step: it is declined" in ann.answer["text"]
        )
        assert ann.answer["show_alert"] is True
        [request] = await requests_of(world)
        assert request.status == "declined"
        await bot.outbox_drained()
        assert not any("was approved" in t for t in alice.texts())


async def test_reviews_out_of_range_or_before_completion_are_refused(tmp_path: Path) -> None:
    async with shop_world(tmp_path) as world:
        alice = world.alice
        number = await delivered_order(world)
        menu = await alice.say("/start")

        await alice.tap_data(f"vr:{number}:5", menu)
        assert f"Order {number} can be rated once it is completed (it is delivered)" in _alert(
            alice
        )
        await set_status(world, number, "complete")
        for wrong in (0, 6, -3):
            await alice.tap_data(f"vr:{number}:{wrong}", menu)
            assert "Please rate from 1 to 5 stars" in _alert(alice)
        assert await reviews(world) == []
        assert (await order_row(world.bot, number)).status == "completed"
