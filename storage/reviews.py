"""Reviews of completed orders."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import (
    CursorResult,
    Row,
    Select,
    Table,
    and_,
    bindparam,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from domain.reviews.records import LOW_RATING, ProductComment, Review, ReviewEntry
from domain.shared.paging import Page, Paged, Toward, capped_keyset_page
from storage.base import dialect_insert
from storage.paging import count_upto
from storage.tables.catalog import ProductRow
from storage.tables.customers import CustomerRow
from storage.tables.orders import OrderLineRow, OrderRow
from storage.tables.reviews import LOW_REVIEWS, ReviewProductRow, ReviewRow


class SqlReviewRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, order_id: int, customer_id: int) -> Review | None:
        row = await self.s.scalar(
            select(ReviewRow)
            .where(ReviewRow.order_id == order_id, ReviewRow.customer_id == customer_id)
            .execution_options(populate_existing=True)
        )
        if row is None:
            return None
        return Review(
            id=row.id,
            order_id=row.order_id,
            customer_id=row.customer_id,
            rating=row.rating,
            comment=row.comment,
            created_at=row.created_at,
            updated_at=row.updated_at,
            reply=row.reply,
            replied_at=row.replied_at,
        )

    async def entries(
        self,
        *,
        product_id: int | None,
        max_rating: int | None,
        offset: int,
        limit: int,
    ) -> tuple[list[ReviewEntry], int]:
        where = _review_where(product_id, max_rating)
        rows = await self._entry_rows(product_id, where, None, limit, offset=offset)
        total = await self._count(where, Page(0, limit), product_id, max_rating)
        return await self._with_products(rows), total

    async def entries_near(
        self, *, product_id: int | None, max_rating: int | None, page: Page
    ) -> Paged[ReviewEntry]:
        """The page next to a review of the page shown (the merchant's Prev/Next, issue 13):
        one range of ix_reviews_created (created_at, id), or of one product's review_products
        key, wherever the page lies, plus a one-row look on the other side for whether there
        is more. The key review need not be in the list any more (a low rating raised
        since): its place is enough."""
        assert page.seek is not None, "a page found by key"
        seek = page.seek
        where = _review_where(product_id, max_rating)
        total = await self._count(where, page, product_id, max_rating)
        at = await self.s.scalar(select(ReviewRow.created_at).where(ReviewRow.id == seek.key))
        if at is None:  # no such review (a forged button): the first page
            return await self._first_entries(product_id, where, page, total)
        key = (at, seek.key)
        keys = _keys(product_id)
        listed = not where or bool(
            await self.s.scalar(
                _from(select(ReviewRow.id), product_id).where(ReviewRow.id == seek.key, *where)
            )
        )
        rows_of = functools.partial(self._entry_rows, product_id, where)
        if seek.toward == Toward.BEFORE:
            rows = await rows_of(_newer(keys, key), page.size + 1, newest=False)
            if len(rows) <= page.size:  # the first page (or less than a page was left before)
                return await self._first_entries(product_id, where, page, total)
            rows = list(reversed(rows[: page.size]))
            after = listed or bool(await rows_of(_older(keys, key, True), 1))
            return await self._paged(rows, total, page, before=True, after=after)
        inclusive = seek.toward == Toward.FROM
        rows = await rows_of(_older(keys, key, inclusive), page.size + 1)
        before = (listed and not inclusive) or bool(
            await rows_of(_newer(keys, key, not inclusive), 1, newest=False)
        )
        if not rows and before:  # nothing left after it (ratings changed): the last page
            rows = await rows_of(None, page.size + 1, newest=False)
            more = len(rows) > page.size
            rows = list(reversed(rows[: page.size]))
            return await self._paged(rows, total, page, before=more, after=False)
        more = len(rows) > page.size
        return await self._paged(rows[: page.size], total, page, before=before, after=more)

    async def _count(
        self, where: list[Any], page: Page, product_id: int | None, max_rating: int | None
    ) -> int:
        """How many reviews the list holds, counted up to `page.count_cap + 1` (what the
        header tells apart: "over 500", "3/100+"): a full count(*) read every review. One
        product's are counted on its row, as its card counts them (rating_count, moved in
        each review's transaction; one per order line), as /orders all sums its rollup:
        their filter (an order line of the product) has no index to start from, so even a
        capped count of a rarely sold product's read every review and its order lines."""
        if product_id is not None and max_rating is None:
            rated = select(ProductRow.rating_count).where(ProductRow.id == product_id)
            return int(await self.s.scalar(rated) or 0)
        listed = _from(select(ReviewRow.id), product_id).where(*where)
        return int(await self.s.scalar(count_upto(listed, page)) or 0)

    async def _first_entries(
        self, product_id: int | None, where: list[Any], page: Page, total: int
    ) -> Paged[ReviewEntry]:
        rows = await self._entry_rows(product_id, where, None, page.size + 1)
        more = len(rows) > page.size
        return await self._paged(rows[: page.size], total, page, before=False, after=more)

    async def _paged(
        self,
        rows: Sequence[Row[ReviewRow, str, str]],
        total: int,
        page: Page,
        *,
        before: bool,
        after: bool,
    ) -> Paged[ReviewEntry]:
        items = await self._with_products(rows)
        return capped_keyset_page(items, total, page, before=before, after=after)

    async def _entry_rows(
        self,
        product_id: int | None,
        where: list[Any],
        side: Any,
        limit: int,
        *,
        newest: bool = True,
        offset: int = 0,
    ) -> Sequence[Row[ReviewRow, str, str]]:
        """(review, order number, first name) rows of the list, newest first (or oldest
        first), on one side of a key (`_older`, `_newer`) or from the list's start."""
        at, review_id = _keys(product_id)
        order = (at.desc(), review_id.desc()) if newest else (at, review_id)
        query = (
            _from(select(ReviewRow, OrderRow.number, CustomerRow.first_name), product_id)
            .join(OrderRow, OrderRow.id == ReviewRow.order_id)
            .outerjoin(CustomerRow, CustomerRow.id == ReviewRow.customer_id)
            .where(*where)
            .order_by(*order)
        )
        if side is not None:
            query = query.where(side)
        if offset:
            query = query.offset(offset)
        return (await self.s.execute(query.limit(limit))).all()

    async def entry(self, review_id: int) -> ReviewEntry | None:
        rows = (
            await self.s.execute(
                select(ReviewRow, OrderRow.number, CustomerRow.first_name)
                .join(OrderRow, OrderRow.id == ReviewRow.order_id)
                .outerjoin(CustomerRow, CustomerRow.id == ReviewRow.customer_id)
                .where(ReviewRow.id == review_id)
                .execution_options(populate_existing=True)
            )
        ).all()
        found = await self._with_products(rows)
        return found[0] if found else None

    async def _with_products(self, rows: Sequence[Row[ReviewRow, str, str]]) -> list[ReviewEntry]:
        """Entries of (review, order number, first name) rows, with their orders' product
        names (one query for the page)."""
        order_ids = [row[0].order_id for row in rows]
        names: dict[int, list[str]] = {}
        if order_ids:
            lines = await self.s.execute(
                select(OrderLineRow.order_id, OrderLineRow.name)
                .where(OrderLineRow.order_id.in_(order_ids))
                .order_by(OrderLineRow.order_id, OrderLineRow.id)
            )
            for order_id, name in lines.all():
                names.setdefault(order_id, []).append(name)
        return [
            ReviewEntry(
                id=review.id,
                number=number,
                customer_id=review.customer_id,
                customer=first_name or str(review.customer_id),
                rating=review.rating,
                comment=review.comment,
                reply=review.reply,
                created_at=review.created_at,
                products=names.get(review.order_id, []),
            )
            for review, number, first_name in rows
        ]

    async def set_reply(self, review_id: int, text: str, at: datetime, actor: str) -> bool:
        result = await self.s.execute(
            update(ReviewRow)
            .where(ReviewRow.id == review_id, ReviewRow.reply.is_(None))
            .values(reply=text, replied_at=at, replied_by=actor)
        )
        return bool(cast(CursorResult[Any], result).rowcount)

    async def product_comments(self, product_id: int, limit: int) -> list[ProductComment]:
        # The product's reviews newest first (a range of review_products), those with a
        # comment: a walk over this product's reviews only, however many others have.
        rows = await self.s.execute(
            _from(
                select(
                    ReviewRow.rating,
                    ReviewRow.comment,
                    CustomerRow.first_name,
                    ReviewRow.created_at,
                ),
                product_id,
            )
            .outerjoin(CustomerRow, CustomerRow.id == ReviewRow.customer_id)
            .where(ReviewProductRow.product_id == product_id, ReviewRow.comment.is_not(None))
            .order_by(ReviewProductRow.created_at.desc(), ReviewProductRow.review_id.desc())
            .limit(limit)
        )
        return [
            ProductComment(rating, comment, first_name or "", at)
            for rating, comment, first_name, at in rows.all()
            if comment
        ]

    async def save(self, review: Review) -> int:
        values: dict[str, Any] = {
            "order_id": review.order_id,
            "customer_id": review.customer_id,
            "rating": review.rating,
            "comment": review.comment,
            "created_at": review.created_at,
            "updated_at": review.updated_at,
        }
        # The order's row is locked first (PostgreSQL; SQLite's writers take turns), so two
        # ratings of one order at once read the old rating one after the other and the
        # products' aggregates move by the right amount.
        await self.s.execute(
            select(OrderRow.id).where(OrderRow.id == review.order_id).with_for_update()
        )
        before = await self.s.scalar(
            select(ReviewRow.rating).where(
                ReviewRow.order_id == review.order_id,
                ReviewRow.customer_id == review.customer_id,
            )
        )
        # Insert or edit in one statement: two ratings at once still make one review.
        statement = dialect_insert(self.s)(ReviewRow).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[ReviewRow.order_id, ReviewRow.customer_id],
            set_={
                "rating": statement.excluded.rating,
                "comment": statement.excluded.comment,
                "updated_at": statement.excluded.updated_at,
            },
        )
        await self.s.execute(statement)
        found = await self.s.scalar(
            select(ReviewRow.id).where(
                ReviewRow.order_id == review.order_id,
                ReviewRow.customer_id == review.customer_id,
            )
        )
        assert found is not None
        if before is None:  # a new review: listed under each product of its order
            listing = dialect_insert(self.s)(ReviewProductRow).from_select(
                ["product_id", "created_at", "review_id"],
                select(OrderLineRow.product_id, ReviewRow.created_at, ReviewRow.id)
                .join(ReviewRow, ReviewRow.order_id == OrderLineRow.order_id)
                .where(ReviewRow.id == found)
                .distinct(),
            )
            await self.s.execute(listing.on_conflict_do_nothing())
        await self._rate_products(review.order_id, review.rating, before)
        return int(found)

    async def _rate_products(self, order_id: int, rating: int, before: int | None) -> None:
        """Move the rating aggregates of the order's products (one count per order line, as
        the product card always counted) from the old rating to the new one."""
        lines = Counter(
            (
                await self.s.scalars(
                    select(OrderLineRow.product_id).where(OrderLineRow.order_id == order_id)
                )
            ).all()
        )
        if not lines or before == rating:
            return
        table = cast(Table, ProductRow.__table__)
        connection = await self.s.connection()  # Core executemany, one statement
        await connection.execute(
            update(table)
            .where(table.c.id == bindparam("pid"))
            .values(
                rating_count=table.c.rating_count + bindparam("count"),
                rating_sum=table.c.rating_sum + bindparam("delta"),
            ),
            [
                {
                    "pid": product_id,
                    "count": 0 if before is not None else n,
                    "delta": n * (rating - (before or 0)),
                }
                for product_id, n in sorted(lines.items())
            ],
        )


SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")


def _review_where(product_id: int | None, max_rating: int | None) -> list[Any]:
    where: list[Any] = []
    if max_rating == LOW_RATING:  # as ix_reviews_low says it, so the planner takes it
        where.append(text(LOW_REVIEWS))
    elif max_rating is not None:
        where.append(ReviewRow.rating <= max_rating)
    if product_id is not None:  # with `_from`: the product's rows of review_products
        where.append(ReviewProductRow.product_id == product_id)
    return where


def _from(query: SelectT, product_id: int | None) -> SelectT:
    """A query of the list: over reviews, or, for one product's, over its review_products
    rows joined to their reviews."""
    if product_id is None:
        return query
    return query.select_from(ReviewProductRow).join(
        ReviewRow, ReviewRow.id == ReviewProductRow.review_id
    )


Keys = tuple[Any, Any]  # the list's order: (created_at, review id) columns


def _keys(product_id: int | None) -> Keys:
    """The columns the list is in order of: the reviews' index (created_at, id), or one
    product's key of review_products (the same values), so a page is a range of it."""
    if product_id is None:
        return ReviewRow.created_at, ReviewRow.id
    return ReviewProductRow.created_at, ReviewProductRow.review_id


def _older(keys: Keys, key: tuple[datetime, int], inclusive: bool = False) -> Any:
    """The reviews after `key` (created_at, id) in the list's order (newest first): a range
    on created_at plus a filter that skips only the rows tied at the edge, as the order lists'
    `_beyond` (storage/merchant.py): SQLite seeks the index with a plain range."""
    (at_column, id_column), (at, key_id) = keys, key
    past = id_column <= key_id if inclusive else id_column < key_id
    return and_(at_column <= at, or_(at_column < at, past))


def _newer(keys: Keys, key: tuple[datetime, int], inclusive: bool = False) -> Any:
    """The reviews before `key` in the list's order (newer ones)."""
    (at_column, id_column), (at, key_id) = keys, key
    past = id_column >= key_id if inclusive else id_column > key_id
    return and_(at_column >= at, or_(at_column > at, past))
