"""The admin's /audit and /reviews page by key (issue 13), as /orders does (test_admin_order_pages):
Prev and Next name the entry or review at the edge of the page shown, so the next page is one
index range however deep it lies, and rows added between two taps neither repeat nor hide one.
Buttons sent before (page numbers) show the first page with a toast; forged ones answer
sensibly. On a SQLite file and on PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.botapi.sim import SimMessage
from domain.orders.lifecycle import OrderStatus
from domain.reviews.records import Review
from domain.shared.audit import AuditEntry
from domain.shared.customers import Customer
from storage.tables.catalog import ProductRow
from tests.e2e import helpers as db
from tests.e2e.admin_kit import ANN, World, admin_world_on
from tests.integration.helpers import make_order

AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
TAG = re.compile(r"\b(?:AUD|REV)-\d{4}\b")


@pytest.fixture(params=["sqlite", "postgres"])
async def world(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[World]:
    """The admin world with 3 rows a page (/audit; /reviews shows 5), on a SQLite file or a
    fresh PostgreSQL database (TEST_DATABASE_URL)."""
    async with admin_world_on(request.param, tmp_path, monkeypatch, page_size=3) as running:
        yield running


def shown(screen: SimMessage) -> list[str]:
    """The tagged entries or reviews a page shows, top to bottom."""
    return TAG.findall(screen.text)


def nav(screen: SimMessage) -> list[str]:
    """The Prev / page / Next row."""
    return next(row for row in screen.buttons if any("/" in b for b in row))


def data_of(screen: SimMessage, label: str) -> str:
    """The callback data of the button labelled `label`."""
    return next(
        str(b["callback_data"]) for row in screen.inline_keyboard for b in row if b["text"] == label
    )


async def audited(world: World, *numbers: int) -> None:
    """Audit entries by Ann, one a minute, each naming AUD-<n> (as an order number)."""
    async with db.db_of(world.bot).uow() as uow:
        for n in numbers:
            entry = AuditEntry(
                f"admin:{ANN}",
                "order_note",
                AT + timedelta(minutes=n),
                details={"number": f"AUD-{n:04d}"},
            )
            await uow.audit.append(entry)
        await uow.commit()


async def test_the_audit_log_pages_by_key_and_new_entries_between_taps_move_nothing(
    world: World,
) -> None:
    ann = world.ann
    await audited(world, *range(7))
    first = await ann.say("/audit")
    assert shown(first) == ["AUD-0006", "AUD-0005", "AUD-0004"] and nav(first) == ["1/3", "▶"]
    second = await ann.tap("▶", first)
    assert shown(second) == ["AUD-0003", "AUD-0002", "AUD-0001"]
    assert nav(second) == ["◀", "2/3", "▶"]

    # Two entries written while Ann reads page 2: page 3 still follows page 2.
    await audited(world, 7, 8)
    third = await ann.tap("▶", second)
    assert shown(third) == ["AUD-0000"], "no entry shown twice"
    assert nav(third) == ["◀", "4/4"], "10 entries now (the catalog import's the oldest)"
    back = await ann.tap("◀", third)
    assert shown(back) == ["AUD-0003", "AUD-0002", "AUD-0001"]
    assert shown(await ann.tap("◀", back)) == ["AUD-0006", "AUD-0005", "AUD-0004"]
    top = await ann.tap("◀", ann.screen)
    assert shown(top) == ["AUD-0008", "AUD-0007", "AUD-0006"] and nav(top) == ["1/4", "▶"]

    # One admin's entries page by key too.
    mine = await ann.say(f"/audit admin {ANN}")
    assert shown(await ann.tap("▶", mine)) == ["AUD-0005", "AUD-0004", "AUD-0003"]
    assert [r for r in db.bad_requests(world.bot) if "query is too old" not in r] == []


async def test_audit_buttons_from_before_paging_by_key_and_forged_ones_answer_sensibly(
    world: World,
) -> None:
    ann = world.ann
    await audited(world, *range(7))
    screen = await ann.say("/audit")
    key = data_of(screen, "▶").split(":")[1]

    # A Next button sent by the version that paged by number: the first page, and why.
    await ann.tap_data(f"aap:{key}:1", screen)
    assert shown(ann.chat.message(screen.message_id) or screen) == shown(screen)
    assert "first page" in ann.answer["text"] and not ann.answer.get("show_alert")

    # An id no entry has: the first page.
    await ann.tap_data(f"aak:{key}:2:n:2000000000", screen)
    assert shown(ann.chat.message(screen.message_id) or screen)[0] == "AUD-0006"
    # A direction we never issue, or a key wider than any id: refused, nothing changes.
    await ann.tap_data(f"aak:{key}:1:x:1", screen)
    assert ann.answer["show_alert"] is True and "Nothing was changed" in ann.answer["text"]
    await ann.tap_data(f"aak:{key}:1:n:99999999999", screen)
    assert ann.answer["show_alert"] is True and "no longer valid" in ann.answer["text"]
    # A search key the chat does not remember (a restart): search again.
    await ann.tap_data("aak:nokey:1:n:3", screen)
    assert "again" in ann.answer["text"].lower()
    assert [r for r in db.bad_requests(world.bot) if "query is too old" not in r] == []


async def reviewed(world: World, *numbers: int) -> None:
    """Alice's reviews of orders REV-<n>, one a minute, each commenting REV-<n>."""
    async with db.db_of(world.bot).uow() as uow:
        product = await uow.session.scalar(
            select(ProductRow.id).where(ProductRow.sku == "TEA-GREEN-100")
        )
        assert product is not None
        await uow.customers.upsert(Customer(id=world.alice.id, first_name="Alice"))
        for n in numbers:
            at = AT + timedelta(minutes=n)
            order = make_order(world.alice.id, f"REVW-{n:04d}", product_id=product, created_at=at)
            order.status = OrderStatus.COMPLETED  # (a pending one would expire meanwhile)
            order_id = await uow.orders.add(order)
            await uow.reviews.save(
                Review(order_id, world.alice.id, 1 + n % 5, at, at, f"REV-{n:04d}")
            )
        await uow.commit()


async def test_reviews_page_by_key_and_new_reviews_between_taps_move_nothing(
    world: World,
) -> None:
    ann = world.ann
    await reviewed(world, *range(7))
    first = await ann.say("/reviews")
    assert shown(first) == [f"REV-{n:04d}" for n in (6, 5, 4, 3, 2)]
    assert nav(first) == ["1/2", "▶"]

    # Two reviews written while Ann reads page 1: page 2 still follows it.
    await reviewed(world, 7, 8)
    second = await ann.tap("▶", first)
    assert shown(second) == ["REV-0001", "REV-0000"], "no review shown twice"
    assert nav(second) == ["◀", "2/2"]
    again = await ann.tap("2/2", second)
    assert shown(again) == ["REV-0001", "REV-0000"]
    back = await ann.tap("◀", again)
    assert shown(back) == [f"REV-{n:04d}" for n in (6, 5, 4, 3, 2)] and nav(back)[0] == "◀"
    top = await ann.tap("◀", back)
    assert shown(top) == [f"REV-{n:04d}" for n in (8, 7, 6, 5, 4)] and nav(top) == ["1/2", "▶"]

    # The low ones (1 or 2 stars: 0, 1, 5, 6) page the same way.
    low = await ann.tap("★1–2", top)
    assert shown(low) == ["REV-0006", "REV-0005", "REV-0001", "REV-0000"] and "▶" not in str(
        low.buttons
    )
    assert [r for r in db.bad_requests(world.bot) if "query is too old" not in r] == []


async def test_review_buttons_from_before_paging_by_key_and_forged_ones_answer_sensibly(
    world: World,
) -> None:
    ann = world.ann
    await reviewed(world, *range(7))
    screen = await ann.say("/reviews")
    newest = [f"REV-{n:04d}" for n in (6, 5, 4, 3, 2)]

    # A Next button sent by the version that paged by number: the first page, and why.
    await ann.tap_data("vl:all:0:1", screen)
    assert shown(ann.chat.message(screen.message_id) or screen) == newest
    assert "first page" in ann.answer["text"] and not ann.answer.get("show_alert")
    # An id no review has: the first page.
    await ann.tap_data("vk:all:0:1:n:2000000000", screen)
    assert shown(ann.chat.message(screen.message_id) or screen) == newest
    # A direction we never issue, or a key wider than any id: refused.
    await ann.tap_data("vk:all:0:1:x:1", screen)
    assert ann.answer["show_alert"] is True and "Nothing was changed" in ann.answer["text"]
    await ann.tap_data("vk:all:0:1:n:99999999999", screen)
    assert ann.answer["show_alert"] is True and "no longer valid" in ann.answer["text"]
    assert [r for r in db.bad_requests(world.bot) if "query is too old" not in r] == []
