"""The merchant's order lists page by key (issue 13): Prev and Next name the order at the edge
of the page shown, so the next page is one index range however deep it lies, an order placed
between two taps neither repeats nor hides a row, and Back from an order returns to its page.
Buttons sent before (page numbers) and forged ones still answer sensibly."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.botapi.sim import SimMessage
from tests.e2e import helpers as db
from tests.e2e.admin_kit import World, admin_world_on, order_row, place_order

NUMBER = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}\b")


@pytest.fixture(params=["sqlite", "postgres"])
async def world(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[World]:
    """The admin world with 3 orders a page, on a SQLite file or a fresh PostgreSQL database
    (TEST_DATABASE_URL)."""
    async with admin_world_on(request.param, tmp_path, monkeypatch, page_size=3) as running:
        yield running


def listed(screen: SimMessage) -> list[str]:
    """The order numbers a list shows, top to bottom."""
    found = (NUMBER.match(row[0]) for row in screen.buttons if row)
    return [m.group(0) for m in found if m]


def nav(screen: SimMessage) -> list[str]:
    """The Prev / page / Next row."""
    return next(row for row in screen.buttons if any("/" in b for b in row))


async def test_pages_go_forward_and_back_and_an_order_placed_between_taps_moves_nothing(
    world: World,
) -> None:
    bot, alice, ann = world.bot, world.alice, world.ann
    numbers = [await place_order(alice) for _ in range(7)]

    # The orders to ship, oldest first: a new order joins the end.
    first = await ann.say("/orders")
    assert listed(first) == numbers[0:3] and nav(first) == ["1/3", "▶"]
    second = await ann.tap("▶", first)
    assert listed(second) == numbers[3:6] and nav(second) == ["◀", "2/3", "▶"]
    eighth = await place_order(alice)
    third = await ann.tap("▶", second)
    assert listed(third) == [numbers[6], eighth] and nav(third) == ["◀", "3/3"]
    back = await ann.tap("◀", third)
    assert listed(back) == numbers[3:6] and nav(back) == ["◀", "2/3", "▶"]
    assert listed(await ann.tap("◀", back)) == numbers[0:3]

    # Every order, newest first: a new order joins the top while the merchant reads page 2.
    newest = list(reversed([*numbers, eighth]))
    everything = await ann.tap("All", first)
    assert listed(everything) == newest[0:3] and nav(everything) == ["1/3", "▶"]
    page2 = await ann.tap("▶", everything)
    assert listed(page2) == newest[3:6]
    ninth = await place_order(alice)
    page3 = await ann.tap("▶", page2)
    assert listed(page3) == newest[6:8], "page 3 follows page 2: no order shown twice"
    assert nav(page3) == ["◀", "3/3"]
    assert listed(await ann.tap("◀", page3)) == newest[3:6]
    # Before page 2 lie its three orders and the new one: a full page, not yet the first.
    shifted = await ann.tap("◀", page2)
    assert listed(shifted) == newest[0:3] and nav(shifted) == ["◀", "2/3", "▶"]
    top = await ann.tap("◀", shifted)
    assert listed(top) == [ninth, *newest[0:2]] and nav(top) == ["1/3", "▶"]

    # An order opened from the last page comes back to that page (Refresh keeps it too).
    last = await ann.tap("▶", await ann.tap("▶", top))
    assert listed(last) == newest[5:8]
    opened = await ann.tap(newest[6], last)
    assert f"Order {newest[6]}" in opened.text
    refreshed = await ann.tap("Refresh", opened)
    assert f"Order {newest[6]}" in refreshed.text
    returned = await ann.tap("Orders", refreshed)
    assert listed(returned) == newest[5:8] and nav(returned)[1] == "3/3"
    assert db.bad_requests(bot) == []


async def test_buttons_from_before_paging_by_key_and_forged_ones_answer_sensibly(
    world: World,
) -> None:
    bot, alice, ann = world.bot, world.alice, world.ann
    numbers = [await place_order(alice) for _ in range(4)]
    screen = await ann.say("/orders")
    assert listed(screen) == numbers[0:3]

    # A Next button sent by the version that paged by number: the first page, and why.
    legacy = await ann.tap_data("aol:ship:1", screen)
    assert listed(ann.chat.message(screen.message_id) or legacy) == numbers[0:3]
    assert "first page" in ann.answer["text"] and not ann.answer.get("show_alert")

    # An order opened from such a page: the order, and Back to the first page.
    opened = await ann.tap_data(f"av:{numbers[3]}:ship:1", screen)
    detail = ann.chat.message(screen.message_id) or opened
    assert f"Order {numbers[3]}" in detail.text
    back = await ann.tap("Orders", detail)
    assert listed(back) == numbers[0:3]

    # A key no order has (forged, or its order erased): the first page.
    await ann.tap_data("aon:ship:4:n:2000000000", screen)
    assert listed(ann.chat.message(screen.message_id) or screen) == numbers[0:3]
    # A key that is an order of another list still says where the page is.
    last = (await order_row(bot, numbers[2])).id
    await ann.tap_data(f"aon:ship:1:n:{last}", screen)
    assert listed(ann.chat.message(screen.message_id) or screen) == [numbers[3]]

    # A direction we never issue, or a key wider than any id: refused, nothing changes.
    await ann.tap_data(f"aon:ship:1:x:{last}", screen)
    assert ann.answer["show_alert"] is True and "Nothing was changed" in ann.answer["text"]
    await ann.tap_data("aon:ship:1:n:99999999999", screen)
    assert ann.answer["show_alert"] is True and "no longer valid" in ann.answer["text"]
    assert listed(ann.chat.message(screen.message_id) or screen) == [numbers[3]]
    assert db.bad_requests(bot) == []
