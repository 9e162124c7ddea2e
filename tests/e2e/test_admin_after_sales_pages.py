"""The merchant's after-sales filter (/orders after) pages by key as the other order lists
(issue 13): Next names the last order shown, so a request settled between two taps hides no
order, and Back from the next page returns the page before it."""

from __future__ import annotations

import re
from pathlib import Path

from bot.botapi.sim import SimMessage
from tests.e2e import helpers as db
from tests.e2e.after_sales_kit import LONGJING, ask, delivered_order, requests_of, shop_world
from tests.e2e.payments_kit import order_row

NUMBER = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}\b")


def listed(screen: SimMessage) -> list[str]:
    """The order numbers a list shows, top to bottom."""
    found = (NUMBER.match(row[0]) for row in screen.buttons if row)
    return [m.group(0) for m in found if m]


def nav(screen: SimMessage) -> list[str]:
    """The Prev / page / Next row."""
    return next(row for row in screen.buttons if any("/" in b for b in row))


async def test_a_request_settled_between_taps_hides_no_order_of_the_next_page(
    tmp_path: Path,
) -> None:
    async with shop_world(tmp_path, page_size=3) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        numbers = []
        for _ in range(7):  # seven orders with a return asked for, oldest first
            number = await delivered_order(world)
            await ask(alice, number, "Return for a refund", {LONGJING: 1}, "I changed my mind")
            numbers.append(number)
        await bot.outbox_drained()

        first = await ann.say("/orders after")
        assert listed(first) == numbers[0:3] and nav(first) == ["1/3", "▶"]
        assert "(7)" in first.text

        # The merchant settles the second order's request (declines it) from its file, opened
        # from the list sent again (the first list stays on the screen).
        order_file = await ann.tap(numbers[1], await ann.say("/orders after"))
        requests = await ann.tap("After-sales requests", order_file)
        order_id = (await order_row(bot, numbers[1])).id
        [request] = [r for r in await requests_of(world) if r.order_id == order_id]
        await ann.tap("Decline", await ann.tap(request.number, requests))
        assert "declined" in (await ann.say("Opened tins can't be returned")).text
        assert (await order_row(bot, numbers[1])).after_sales_open == 0

        # Next on the page shown: what followed its last order (by page number, the list of
        # six would have started page 2 at the fifth order and hidden the fourth).
        second = await ann.tap("▶", first)
        assert listed(second) == numbers[3:6] and nav(second) == ["◀", "2/2", "▶"]
        last = await ann.tap("▶", second)
        assert listed(last) == numbers[6:7] and nav(last) == ["◀", "2/2"]
        back = await ann.tap("◀", last)
        assert listed(back) == numbers[3:6]
        start = await ann.tap("◀", back)
        assert listed(start) == [numbers[0], numbers[2], numbers[3]] and nav(start)[0] == "1/2"
        assert db.bad_requests(bot) == []
