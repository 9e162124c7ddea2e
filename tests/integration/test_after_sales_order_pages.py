"""The merchant's after-sales filter (/orders "after"; issue 13), on SQLite and PostgreSQL: the
orders with after-sales requests open, oldest first, page by key as the other order lists, on
the partial index of those orders (ix_orders_after_sales_open): a page is found next to an order
of the page shown, even one whose requests closed meanwhile, and the count is of open ones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from domain.shared.paging import Page, Paged, Seek, Toward
from storage.db import Database
from storage.explain import capture, explain
from storage.tables.orders import OrderRow
from tests.integration.helpers import T0, add_customer, draft, make_order


@pytest.fixture
async def book(db: Database, seed) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Sixteen orders, the odd ones with an after-sales request open; orders 5 to 7 placed in
    the same second (the id breaks the tie). Number -> id."""
    product = (await seed(draft("A", stock=100)))["A"]
    await add_customer(db, 1)
    ids = {}
    for n in range(16):
        at = T0 + timedelta(minutes=5 if 5 <= n <= 7 else n)
        order = make_order(1, f"AFTER-{n:04d}", product_id=product, created_at=at)
        async with db.uow() as uow:
            ids[order.number] = await uow.orders.add(order)
            if n % 2:
                await uow.orders.change_after_sales_open(ids[order.number], 1)
            await uow.commit()
    return ids


def numbers(paged: Paged) -> list[str]:  # type: ignore[type-arg]
    return [o.number[-2:] for o in paged.items]


async def page_of(db: Database, page: Page) -> Paged:  # type: ignore[type-arg]
    async with db.uow(readonly=True) as uow:
        return await uow.after_sales.orders_with_open(page)


async def close(db: Database, *ids: int) -> None:
    async with db.uow() as uow:
        for order_id in ids:
            await uow.orders.change_after_sales_open(order_id, -1)
        await uow.commit()


async def test_the_after_sales_list_pages_forward_and_back_by_key(
    db: Database, book: dict[str, int]
) -> None:
    first = await page_of(db, Page(0, 3))
    assert numbers(first) == ["01", "03", "05"] and first.total == 8
    assert (first.has_prev, first.has_next, first.page.number) == (False, True, 0)

    second = await page_of(db, Page(1, 3, Seek(book["AFTER-0005"], Toward.AFTER)))
    assert numbers(second) == ["07", "09", "11"], "the tie at 5 minutes kept in id order"
    assert (second.has_prev, second.has_next, second.page.number) == (True, True, 1)

    third = await page_of(db, Page(2, 3, Seek(book["AFTER-0011"], Toward.AFTER)))
    assert numbers(third) == ["13", "15"]
    assert (third.has_prev, third.has_next, third.page.number) == (True, False, 2)

    back = await page_of(db, Page(1, 3, Seek(book["AFTER-0013"], Toward.BEFORE)))
    assert numbers(back) == numbers(second) and back.has_prev and back.has_next
    again = await page_of(db, Page(1, 3, Seek(book["AFTER-0007"], Toward.FROM)))
    assert numbers(again) == numbers(second)
    start = await page_of(db, Page(0, 3, Seek(book["AFTER-0007"], Toward.BEFORE)))
    assert numbers(start) == numbers(first) and not start.has_prev


async def test_requests_closed_between_taps_skip_no_order(
    db: Database, book: dict[str, int]
) -> None:
    """Page 1 shows 01 03 05; then 01 and 05 are settled. Next shows what followed 05 (by
    number it would skip 07 and 09: page 2 of the shorter list starts at 11)."""
    first = await page_of(db, Page(0, 3))
    assert numbers(first) == ["01", "03", "05"]
    await close(db, book["AFTER-0001"], book["AFTER-0005"])

    following = await page_of(db, Page(1, 3, Seek(book["AFTER-0005"], Toward.AFTER)))
    assert numbers(following) == ["07", "09", "11"] and following.total == 6
    assert following.has_prev and following.has_next  # 03 is still open before it
    back = await page_of(db, Page(0, 3, Seek(book["AFTER-0007"], Toward.BEFORE)))
    assert numbers(back) == ["03", "07", "09"] and not back.has_prev

    # every order after the key settled: the last page
    await close(db, *(book[f"AFTER-{n:04d}"] for n in (7, 9, 11, 13, 15)))
    last = await page_of(db, Page(1, 3, Seek(book["AFTER-0005"], Toward.AFTER)))
    assert numbers(last) == ["03"] and last.total == 1 and not last.has_next


async def test_a_key_that_names_no_order_or_one_never_listed_is_handled(
    db: Database, book: dict[str, int]
) -> None:
    forged = await page_of(db, Page(4, 3, Seek(10**9, Toward.AFTER)))
    assert numbers(forged) == ["01", "03", "05"] and forged.page.number == 0
    # order 06 never had a request: the page after its place
    beside = await page_of(db, Page(1, 3, Seek(book["AFTER-0006"], Toward.AFTER)))
    assert numbers(beside) == ["07", "09", "11"] and beside.has_prev


async def test_the_after_sales_list_reads_only_the_orders_with_requests_open(
    db: Database, book: dict[str, int]
) -> None:
    """Every statement on orders is a range of the partial index (or a lookup by id): with
    0 written in the SQL; with a bound parameter the plans EXPLAIN shows (SQLite's before
    binding, PostgreSQL's generic one) walk ix_orders_created or the table instead."""
    async with db.uow() as uow:  # a history the planners should not walk
        await uow.session.execute(update(OrderRow).values(after_sales_open=OrderRow.id % 2))
        await uow.commit()
    with capture(db.engine) as captured:
        await page_of(db, Page(0, 3))
        await page_of(db, Page(1, 3, Seek(book["AFTER-0005"], Toward.AFTER)))
        await page_of(db, Page(0, 3, Seek(book["AFTER-0007"], Toward.BEFORE)))
    prelude = ["SET enable_seqscan = off"] if db.engine.dialect.name == "postgresql" else []
    plans = await explain(db.engine, captured, prelude=prelude)
    on_orders = [p for p in plans if "after_sales_open >" in p.statement]
    assert on_orders and all("after_sales_open > 0" in p.statement for p in on_orders)
    for plan in on_orders:
        assert not plan.full_scans, plan.lines
        assert any("ix_orders_after_sales_open" in line for line in plan.lines), plan.lines
