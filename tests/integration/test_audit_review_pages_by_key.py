"""The admin's /audit and /reviews page by key (issue 13), on SQLite and PostgreSQL, as the order
lists do (test_order_pages_by_key.py): a page is found next to a row of the page shown, one
index range however deep it lies; it says whether there is more on either side, and its
number follows what it finds. A key that is no row of the list gives the first page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from domain.reviews.records import LOW_RATING, Review
from domain.shared import paging
from domain.shared.audit import AuditEntry, AuditFilter
from domain.shared.paging import Page, Paged, Seek, Toward
from storage.db import Database
from storage.explain import capture, explain
from storage.tables.reviews import ReviewRow
from tests.integration.helpers import T0, add_customer, draft, make_order

FORGED = 2_000_000_000


# --- the audit log, newest (highest id) first ---


@pytest.fixture
async def log(db: Database) -> list[int]:
    """Eleven entries, admins 1 and 2 taking turns, every third about order 7. Ids, oldest
    first."""
    for n in range(11):
        await _append(db, n)
    async with db.uow(readonly=True) as uow:
        every = await uow.audit.latest(Page(0, 20), AuditFilter())
    return [e.id or 0 for e in reversed(every.items)]


async def _append(db: Database, n: int) -> None:
    entry = AuditEntry(
        f"admin:{1 + n % 2}",
        "order_note",
        T0 + timedelta(minutes=n),
        order_id=7 if n % 3 == 0 else None,
        details={"n": n},
    )
    async with db.uow() as uow:
        await uow.audit.append(entry)
        await uow.commit()


async def audit_page(db: Database, page: Page, which: AuditFilter | None = None) -> Paged:  # type: ignore[type-arg]
    async with db.uow(readonly=True) as uow:
        return await uow.audit.latest(page, which or AuditFilter())


def ns(paged: Paged) -> list[int]:  # type: ignore[type-arg]
    return [e.details["n"] for e in paged.items]


def edges(paged: Paged) -> tuple[bool, bool, int]:  # type: ignore[type-arg]
    return paged.has_prev, paged.has_next, paged.page.number


async def test_the_audit_log_pages_forward_and_back_by_key(db: Database, log: list[int]) -> None:
    first = await audit_page(db, Page(0, 4))
    assert ns(first) == [10, 9, 8, 7] and first.total == 11 and edges(first) == (False, True, 0)
    assert [e.id for e in first.items] == list(reversed(log))[:4]

    second = await audit_page(db, Page(1, 4, Seek(log[7], Toward.AFTER)))
    assert ns(second) == [6, 5, 4, 3] and edges(second) == (True, True, 1)
    # Entries written while the admin reads page 2 do not push page 3 along.
    await _append(db, 11)
    await _append(db, 12)
    third = await audit_page(db, Page(2, 4, Seek(log[3], Toward.AFTER)))
    assert ns(third) == [2, 1, 0] and edges(third) == (True, False, 3), "13 entries: 4 pages"

    back = await audit_page(db, Page(1, 4, Seek(log[2], Toward.BEFORE)))
    assert ns(back) == [6, 5, 4, 3] and edges(back) == (True, True, 1)
    again = await audit_page(db, Page(1, 4, Seek(log[6], Toward.FROM)))
    assert ns(again) == [6, 5, 4, 3] and again.has_prev and again.has_next
    # Before [10, 9, 8, 7] lie the two new entries: less than a page, so the first page.
    top = await audit_page(db, Page(0, 4, Seek(log[10], Toward.BEFORE)))
    assert ns(top) == [12, 11, 10, 9] and edges(top) == (False, True, 0)


async def test_one_admins_or_orders_entries_page_by_key_and_forged_keys_start_over(
    db: Database, log: list[int]
) -> None:
    admin1 = AuditFilter(actor="admin:1")  # entries 0, 2, 4, 6, 8, 10
    second = await audit_page(db, Page(1, 2, Seek(log[8], Toward.AFTER)), admin1)
    assert ns(second) == [6, 4] and second.total == 6 and edges(second) == (True, True, 1)
    last = await audit_page(db, Page(2, 2, Seek(log[4], Toward.AFTER)), admin1)
    assert ns(last) == [2, 0] and edges(last) == (True, False, 2)
    order7 = AuditFilter(order_id=7)  # entries 0, 3, 6, 9
    assert ns(await audit_page(db, Page(1, 2, Seek(log[6], Toward.AFTER)), order7)) == [3, 0]

    # An id no entry has, or an entry of another list (admin 2's in admin 1's): the first page.
    for key, which in ((FORGED, AuditFilter()), (log[5], admin1), (log[4], order7)):
        start = await audit_page(db, Page(3, 2, Seek(key, Toward.AFTER)), which)
        assert edges(start) == (False, True, 0), key
    assert ns(await audit_page(db, Page(3, 2, Seek(log[5], Toward.BEFORE)), admin1)) == [10, 8]
    # The oldest entry as a Next key (never sent: it has nothing after it): the last page.
    oldest = await audit_page(db, Page(5, 4, Seek(log[0], Toward.AFTER)))
    assert ns(oldest) == [3, 2, 1, 0] and edges(oldest) == (True, False, 2)


# --- reviews, newest (created_at, id) first ---


@pytest.fixture
async def shelf(db: Database, seed) -> list[int]:  # type: ignore[no-untyped-def]
    """Nine reviews of nine orders; reviews 3 to 5 written in the same second (the id breaks
    the tie); ratings 1..5 taking turns, so 0, 1, 5 and 6 are low. Review ids, oldest first."""
    products = await seed(draft("A", stock=100), draft("B", stock=100))
    await add_customer(db, 1)
    ids = []
    for n in range(9):
        at = T0 + timedelta(minutes=3 if 3 <= n <= 5 else n)
        order = make_order(1, f"REVW-{n:04d}", product_id=products["A" if n % 2 else "B"])
        async with db.uow() as uow:
            order_id = await uow.orders.add(order)
            review = Review(order_id, 1, 1 + n % 5, at, at, comment=f"c{n}")
            ids.append(await uow.reviews.save(review))
            await uow.commit()
    return ids


async def review_page(
    db: Database, page: Page, *, max_rating: int | None = None, product_id: int | None = None
) -> Paged:  # type: ignore[type-arg]
    async with db.uow(readonly=True) as uow:
        return await uow.reviews.entries_near(
            product_id=product_id, max_rating=max_rating, page=page
        )


def cs(paged: Paged) -> list[str]:  # type: ignore[type-arg]
    return [e.comment for e in paged.items]


async def test_reviews_page_forward_and_back_by_key_with_ties_in_id_order(
    db: Database, shelf: list[int]
) -> None:
    async with db.uow(readonly=True) as uow:
        first, total = await uow.reviews.entries(
            product_id=None, max_rating=None, offset=0, limit=3
        )
    assert [e.comment for e in first] == ["c8", "c7", "c6"] and total == 9

    second = await review_page(db, Page(1, 3, Seek(shelf[6], Toward.AFTER)))
    assert cs(second) == ["c5", "c4", "c3"], "the tie at 3 minutes kept in id order"
    assert edges(second) == (True, True, 1)
    third = await review_page(db, Page(2, 3, Seek(shelf[3], Toward.AFTER)))
    assert cs(third) == ["c2", "c1", "c0"] and edges(third) == (True, False, 2)
    back = await review_page(db, Page(1, 3, Seek(shelf[2], Toward.BEFORE)))
    assert cs(back) == cs(second) and edges(back) == (True, True, 1)
    again = await review_page(db, Page(1, 3, Seek(shelf[5], Toward.FROM)))
    assert cs(again) == cs(second) and again.has_prev and again.has_next
    start = await review_page(db, Page(0, 3, Seek(shelf[5], Toward.BEFORE)))
    assert cs(start) == ["c8", "c7", "c6"] and edges(start) == (False, True, 0)

    forged = await review_page(db, Page(4, 3, Seek(FORGED, Toward.AFTER)))
    assert cs(forged) == ["c8", "c7", "c6"] and edges(forged) == (False, True, 0)


async def test_low_reviews_page_by_the_place_of_a_review_raised_since(
    db: Database, shelf: list[int]
) -> None:
    low = await review_page(db, Page(1, 2, Seek(shelf[5], Toward.AFTER)), max_rating=LOW_RATING)
    assert cs(low) == ["c1", "c0"] and low.total == 4 and edges(low) == (True, False, 1)
    # Review 5 (the last on page 1) got 5 stars meanwhile: its place still says where page 2 is.
    async with db.uow() as uow:
        await uow.session.execute(
            update(ReviewRow).where(ReviewRow.id == shelf[5]).values(rating=5)
        )
        await uow.commit()
    moved = await review_page(db, Page(1, 2, Seek(shelf[5], Toward.AFTER)), max_rating=LOW_RATING)
    assert cs(moved) == ["c1", "c0"] and moved.total == 3 and moved.has_prev
    before = await review_page(db, Page(1, 2, Seek(shelf[5], Toward.BEFORE)), max_rating=LOW_RATING)
    assert cs(before) == ["c6", "c1"] and edges(before) == (False, True, 0), "less than a page"
    # Every low review after the key raised too: the last page, not an empty one.
    async with db.uow() as uow:
        await uow.session.execute(
            update(ReviewRow).where(ReviewRow.id.in_(shelf[:2])).values(rating=4)
        )
        await uow.commit()
    last = await review_page(db, Page(1, 2, Seek(shelf[5], Toward.AFTER)), max_rating=LOW_RATING)
    assert cs(last) == ["c6"] and edges(last) == (False, False, 0)


async def test_a_deep_page_of_the_audit_log_or_reviews_reads_no_table_in_full(
    db: Database, log: list[int], shelf: list[int]
) -> None:
    """Each statement that reads a page found by key is an index range in the list's order
    (PostgreSQL with sequential scans off, so a sequential scan left in a plan means no index
    serves it): no full read, and no sort, which would read every row of the list on that
    side of the key (one admin's entries by (actor, created_at) did). The count for "2/3"
    is left out: it reads at most Page.count_cap + 1 rows of the list, in any order
    (test_the_totals_are_counted_only_up_to_the_cap)."""
    # Keys of each list, with a page before them (so none falls back to the first page).
    for which, keys in (
        (AuditFilter(), (log[9], log[3], log[6])),
        (AuditFilter(actor="admin:1"), (log[8], log[4], log[6])),
        (AuditFilter(order_id=7), (log[9], log[3], log[6])),
    ):
        with capture(db.engine) as captured:
            await audit_page(db, Page(1, 1, Seek(keys[0], Toward.AFTER)), which)
            await audit_page(db, Page(1, 1, Seek(keys[1], Toward.BEFORE)), which)
            await audit_page(db, Page(1, 1, Seek(keys[2], Toward.FROM)), which)
        await _no_full_reads(db, captured, "audit_log")
    for rating, keys in ((None, (shelf[6], shelf[2])), (LOW_RATING, (shelf[6], shelf[1]))):
        with capture(db.engine) as captured:
            await review_page(db, Page(1, 1, Seek(keys[0], Toward.AFTER)), max_rating=rating)
            await review_page(db, Page(1, 1, Seek(keys[1], Toward.BEFORE)), max_rating=rating)
        await _no_full_reads(db, captured, "reviews")


async def test_a_products_reviews_and_comments_are_a_range_of_its_own_reviews(
    db: Database, shelf: list[int]
) -> None:
    """One product's reviews (/reviews SKU, first and deep pages, low ones) and its card's
    comments read that product's rows of review_products in the list's order and each review
    by its key: never a walk over all reviews newest first (ix_reviews_created) checking each
    one's order lines, which for a rarely sold product read every review."""
    async with db.uow(readonly=True) as uow:
        product_a = await uow.backoffice.product_id_by_sku("A")
    assert product_a is not None  # reviews 1, 3, 5, 7 (odd n) are of product A
    with capture(db.engine) as captured:
        async with db.uow(readonly=True) as uow:
            first, total = await uow.reviews.entries(
                product_id=product_a, max_rating=None, offset=0, limit=2
            )
            comments = await uow.reviews.product_comments(product_a, 3)
        deep = await review_page(db, Page(1, 2, Seek(shelf[5], Toward.AFTER)), product_id=product_a)
        back = await review_page(
            db, Page(0, 2, Seek(shelf[3], Toward.BEFORE)), product_id=product_a
        )
        low = await review_page(
            db,
            Page(1, 1, Seek(shelf[7], Toward.AFTER)),
            product_id=product_a,
            max_rating=LOW_RATING,
        )
    assert [e.comment for e in first] == ["c7", "c5"] and total == 4
    assert [c.comment for c in comments] == ["c7", "c5", "c3"]
    assert cs(deep) == ["c3", "c1"] and edges(deep) == (True, False, 1)
    assert cs(back) == ["c7", "c5"] and edges(back) == (False, True, 0)
    assert cs(low) == ["c5"], "5 is rated 1, 7 is rated 3; the page after 7"

    captured.statements = [(s, p) for s, p in captured.statements if "count(" not in s.lower()]
    prelude = ["SET enable_seqscan = off"] if db.engine.dialect.name == "postgresql" else []
    plans = await explain(db.engine, captured, prelude=prelude)
    listed = [p for p in plans if "review_products" in p.statement]
    assert len(listed) >= 5, "every page and the comments start from review_products"
    walked = [
        p
        for p in plans
        if "reviews" in p.full_scans or any("ix_reviews_created" in line for line in p.lines)
    ]
    assert not walked, "\n\n".join(
        " ".join(p.statement.split())[:300] + "\n" + "\n".join(p.lines) for p in walked
    )


async def test_low_reviews_are_read_from_their_own_index(db: Database, shelf: list[int]) -> None:
    """/reviews low's pages and its capped count read ix_reviews_low (the low ones alone), not
    ix_reviews_created skipping every review rated higher: with few low reviews among many,
    that walk read them all."""
    with capture(db.engine) as captured:
        async with db.uow(readonly=True) as uow:
            first, total = await uow.reviews.entries(
                product_id=None, max_rating=LOW_RATING, offset=0, limit=2
            )
        deep = await review_page(
            db, Page(1, 2, Seek(shelf[5], Toward.AFTER)), max_rating=LOW_RATING
        )
    assert [e.comment for e in first] == ["c6", "c5"] and total == 4
    assert cs(deep) == ["c1", "c0"]
    prelude = ["SET enable_seqscan = off"] if db.engine.dialect.name == "postgresql" else []
    plans = await explain(db.engine, captured, prelude=prelude)
    of_the_list = [  # not the look at the key review itself (by its primary key)
        p
        for p in plans
        if "FROM reviews" in p.statement
        and "rating <=" in p.statement
        and "reviews.id =" not in p.statement
    ]
    assert len(of_the_list) >= 3, [p.statement for p in plans]  # the pages and the count
    walked = [p for p in of_the_list if not any("ix_reviews_low" in ln for ln in p.lines)]
    assert not walked, "\n\n".join(
        " ".join(p.statement.split())[:300] + "\n" + "\n".join(p.lines) for p in walked
    )


async def _no_full_reads(db: Database, captured, table: str) -> None:  # type: ignore[no-untyped-def]
    captured.statements = [(s, p) for s, p in captured.statements if "count(*)" not in s.lower()]
    prelude = ["SET enable_seqscan = off"] if db.engine.dialect.name == "postgresql" else []
    plans = await explain(db.engine, captured, prelude=prelude)
    sorted_here = [  # the page's product names sort a few order lines: not the list
        p
        for p in plans
        if f"FROM {table}" in p.statement
        and any("Sort" in ln or "TEMP B-TREE" in ln for ln in p.lines)
    ]
    in_full = [p for p in plans if table in p.full_scans] + sorted_here
    assert not in_full, "\n\n".join(
        " ".join(p.statement.split())[:300] + "\n" + "\n".join(p.lines) for p in in_full
    )


async def test_the_audit_logs_totals_are_counted_only_up_to_the_cap(
    db: Database, log: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each list's total is one count of at most Page.count_cap + 1 rows (a LIMITed
    subquery), never the whole list: past the cap the total is the cap, `at_least` says so,
    and Prev/Next still follow the rows around the page to the list's end."""
    monkeypatch.setattr(paging, "COUNTED_PAGES", 2)  # pages of 2: 4 rows counted, 5 read
    with capture(db.engine) as captured:
        first = await audit_page(db, Page(0, 2))
        deep = await audit_page(db, Page(3, 2, Seek(log[4], Toward.AFTER)))
        last = await audit_page(db, Page(4, 2, Seek(log[2], Toward.AFTER)))
        admin1 = await audit_page(db, Page(0, 2), AuditFilter(actor="admin:1"))
        under = await audit_page(db, Page(0, 2), AuditFilter(order_id=7))
    assert ns(first) == [10, 9] and (first.total, first.at_least, first.pages) == (4, True, 2)
    assert first.open_ended and edges(first) == (False, True, 0)
    assert ns(deep) == [3, 2] and edges(deep) == (True, True, 3) and deep.pages == 5
    assert ns(last) == [1, 0] and edges(last) == (True, False, 4) and not last.open_ended
    assert (admin1.total, admin1.at_least) == (4, True), "admin 1's six entries"
    assert (under.total, under.at_least, under.pages) == (4, False, 2), "order 7's four"
    _counted_with_a_limit(captured.statements, 5)


async def test_the_reviews_totals_are_counted_only_up_to_the_cap(
    db: Database, shelf: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """As the audit log's: the first page (by number) and the pages found by key."""
    monkeypatch.setattr(paging, "COUNTED_PAGES", 2)
    with capture(db.engine) as captured:
        async with db.uow(readonly=True) as uow:
            reviews, counted = await uow.reviews.entries(
                product_id=None, max_rating=None, offset=0, limit=2
            )
        nine = await review_page(db, Page(2, 2, Seek(shelf[5], Toward.AFTER)))
        low = await review_page(db, Page(1, 2, Seek(shelf[5], Toward.AFTER)), max_rating=2)
    assert [r.comment for r in reviews] == ["c8", "c7"] and counted == 5, "4 and one more"
    assert cs(nine) == ["c4", "c3"] and (nine.total, nine.at_least) == (4, True)
    assert edges(nine) == (True, True, 2) and nine.open_ended
    assert cs(low) == ["c1", "c0"] and (low.total, low.at_least) == (4, False)
    assert edges(low) == (True, False, 1), "the low ones (0, 1, 5, 6) counted exactly"
    _counted_with_a_limit(captured.statements, 3)

    # One product's are counted on its row (rating_count), not by reading every review:
    # B's five (0, 2, 4, 6, 8) are past the cap, A's four (1, 3, 5, 7) at it.
    async with db.uow(readonly=True) as uow:
        ids = {sku: await uow.products.stock_by_sku([sku]) for sku in ("A", "B")}
    a, b = ids["A"]["A"][0], ids["B"]["B"][0]
    with capture(db.engine) as captured:
        of_b = await review_page(db, Page(1, 2, Seek(shelf[6], Toward.AFTER)), product_id=b)
        of_a = await review_page(db, Page(1, 2, Seek(shelf[5], Toward.AFTER)), product_id=a)
    assert cs(of_b) == ["c4", "c2"] and (of_b.total, of_b.at_least) == (4, True)
    assert cs(of_a) == ["c3", "c1"] and (of_a.total, of_a.at_least) == (4, False)
    assert edges(of_a) == (True, False, 1)
    assert not [s for s, _ in captured.statements if "count(" in s.lower()]


def _counted_with_a_limit(statements: list[tuple[str, object]], expected: int) -> None:
    counts = [s for s, _ in statements if "count(*)" in s.lower()]
    assert len(counts) == expected, counts
    assert all(" LIMIT " in " ".join(s.upper().split()) for s in counts), counts
