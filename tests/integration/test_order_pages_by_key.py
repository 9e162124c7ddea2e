"""The merchant's order lists page by key (issue 13), on SQLite and PostgreSQL: a page is
found next to an order of the page shown, by (created_at, id), whatever lies before it; the
page says whether there is more on either side, and its number follows what it finds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from domain.orders.lifecycle import OrderStatus
from domain.shared.paging import Page, Paged, Seek, Toward
from storage.db import Database
from storage.explain import capture, explain
from storage.tables.orders import OrderRow
from tests.integration.helpers import T0, add_customer, draft, make_order

PAID, CONFIRMED, SHIPPED = OrderStatus.PAID, OrderStatus.CONFIRMED, OrderStatus.SHIPPED
TO_SHIP = {PAID, CONFIRMED}


@pytest.fixture
async def book(db: Database, seed) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Ten orders to ship (paid and confirmed taking turns) and three shipped ones; orders 3
    to 5 placed in the same second (the id breaks the tie). Number -> id."""
    product = (await seed(draft("A", stock=100)))["A"]
    await add_customer(db, 1)
    ids = {}
    statuses = [PAID, CONFIRMED] * 5 + [SHIPPED] * 3
    for n, status in enumerate(statuses):
        at = T0 + timedelta(minutes=3 if 3 <= n <= 5 else n)
        order = make_order(1, f"KEYS-{n:04d}", product_id=product, created_at=at)
        order.status = status
        async with db.uow() as uow:
            ids[order.number] = await uow.orders.add(order)
            await uow.commit()
    return ids


def numbers(paged: Paged) -> list[str]:  # type: ignore[type-arg]
    return [o.number[-2:] for o in paged.items]


async def page_of(
    db: Database, statuses: set[OrderStatus] | None, page: Page, *, oldest_first: bool = True
) -> Paged:  # type: ignore[type-arg]
    async with db.uow(readonly=True) as uow:
        return await uow.backoffice.orders(statuses, page, oldest_first=oldest_first)


async def test_the_orders_to_ship_page_forward_and_back_by_key(
    db: Database, book: dict[str, int]
) -> None:
    first = await page_of(db, TO_SHIP, Page(0, 4))
    assert numbers(first) == ["00", "01", "02", "03"] and first.total == 10
    assert (first.has_prev, first.has_next, first.page.number) == (False, True, 0)

    second = await page_of(db, TO_SHIP, Page(1, 4, Seek(book["KEYS-0003"], Toward.AFTER)))
    assert numbers(second) == ["04", "05", "06", "07"], "the tie at 3 minutes kept in id order"
    assert (second.has_prev, second.has_next, second.page.number) == (True, True, 1)

    third = await page_of(db, TO_SHIP, Page(2, 4, Seek(book["KEYS-0007"], Toward.AFTER)))
    assert numbers(third) == ["08", "09"]
    assert (third.has_prev, third.has_next, third.page.number) == (True, False, 2)

    back = await page_of(db, TO_SHIP, Page(1, 4, Seek(book["KEYS-0008"], Toward.BEFORE)))
    assert numbers(back) == numbers(second) and back.has_next and back.has_prev
    again = await page_of(db, TO_SHIP, Page(1, 4, Seek(book["KEYS-0004"], Toward.FROM)))
    assert numbers(again) == numbers(second)
    start = await page_of(db, TO_SHIP, Page(0, 4, Seek(book["KEYS-0004"], Toward.BEFORE)))
    assert numbers(start) == numbers(first) and not start.has_prev


async def test_one_status_and_every_order_page_by_key_newest_first(
    db: Database, book: dict[str, int]
) -> None:
    everything = await page_of(
        db, None, Page(1, 5, Seek(book["KEYS-0008"], Toward.AFTER)), oldest_first=False
    )
    assert numbers(everything) == ["07", "06", "05", "04", "03"]
    assert everything.has_prev and everything.has_next
    paid = await page_of(
        db, {PAID}, Page(1, 2, Seek(book["KEYS-0006"], Toward.AFTER)), oldest_first=False
    )
    assert numbers(paid) == ["04", "02"] and paid.has_prev and paid.has_next
    shipped = await page_of(
        db, {SHIPPED}, Page(1, 2, Seek(book["KEYS-0011"], Toward.AFTER)), oldest_first=False
    )
    assert numbers(shipped) == ["10"] and not shipped.has_next and shipped.page.number == 1


async def test_a_page_next_to_an_order_that_moved_on_or_never_was(
    db: Database, book: dict[str, int]
) -> None:
    # Order 3 (the last on page 1) shipped meanwhile: its place still says where page 2 is.
    async with db.uow() as uow:
        await uow.session.execute(
            update(OrderRow).where(OrderRow.id == book["KEYS-0003"]).values(status="shipped")
        )
        await uow.commit()
    second = await page_of(db, TO_SHIP, Page(1, 4, Seek(book["KEYS-0003"], Toward.AFTER)))
    assert numbers(second) == ["04", "05", "06", "07"] and second.total == 9

    # An id no order has (a forged button): the first page.
    forged = await page_of(db, TO_SHIP, Page(7, 4, Seek(2_000_000_000, Toward.AFTER)))
    assert numbers(forged) == ["00", "01", "02", "04"] and forged.page.number == 0

    # Every order after the key moved on: the last page, not an empty one.
    async with db.uow() as uow:
        await uow.session.execute(
            update(OrderRow)
            .where(OrderRow.id.in_([book["KEYS-0008"], book["KEYS-0009"]]))
            .values(status="shipped")
        )
        await uow.commit()
    last = await page_of(db, TO_SHIP, Page(2, 4, Seek(book["KEYS-0007"], Toward.AFTER)))
    assert numbers(last) == ["04", "05", "06", "07"]
    assert (last.has_prev, last.has_next, last.page.number) == (True, False, 1)


async def test_a_deep_page_reads_no_table_in_full(db: Database, book: dict[str, int]) -> None:
    """Each statement of a page found by key is an index range (PostgreSQL with sequential
    scans off, so a sequential scan left in a plan means no index serves it)."""
    for statuses, oldest_first in ((None, False), (TO_SHIP, True), ({SHIPPED}, False)):
        with capture(db.engine) as captured:
            await page_of(
                db,
                statuses,
                Page(1, 2, Seek(book["KEYS-0004"], Toward.AFTER)),
                oldest_first=oldest_first,
            )
        prelude = ["SET enable_seqscan = off"] if db.engine.dialect.name == "postgresql" else []
        plans = await explain(db.engine, captured, prelude=prelude)
        orders_in_full = [p for p in plans if "orders" in p.full_scans]
        assert not orders_in_full, "\n\n".join(
            " ".join(p.statement.split())[:300] + "\n" + "\n".join(p.lines) for p in orders_in_full
        )
