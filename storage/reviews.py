"""Reviews of completed orders."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    CursorResult,
    Row,
    Table,
    bindparam,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from domain.reviews.records import ProductComment, Review, ReviewEntry
from storage.base import dialect_insert
from storage.tables.catalog import ProductRow
from storage.tables.customers import CustomerRow
from storage.tables.orders import OrderLineRow, OrderRow
from storage.tables.reviews import ReviewRow


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
        where = []
        if max_rating is not None:
            where.append(ReviewRow.rating <= max_rating)
        if product_id is not None:
            where.append(
                exists().where(
                    OrderLineRow.order_id == ReviewRow.order_id,
                    OrderLineRow.product_id == product_id,
                )
            )
        total = await self.s.scalar(select(func.count()).select_from(ReviewRow).where(*where))
        rows = (
            await self.s.execute(
                select(ReviewRow, OrderRow.number, CustomerRow.first_name)
                .join(OrderRow, OrderRow.id == ReviewRow.order_id)
                .outerjoin(CustomerRow, CustomerRow.id == ReviewRow.customer_id)
                .where(*where)
                .order_by(ReviewRow.created_at.desc(), ReviewRow.id.desc())
                .offset(offset)
                .limit(limit)
            )
        ).all()
        return await self._with_products(rows), int(total or 0)

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
        rows = await self.s.execute(
            select(
                ReviewRow.rating, ReviewRow.comment, CustomerRow.first_name, ReviewRow.created_at
            )
            .outerjoin(CustomerRow, CustomerRow.id == ReviewRow.customer_id)
            .where(
                ReviewRow.comment.is_not(None),
                exists().where(
                    OrderLineRow.order_id == ReviewRow.order_id,
                    OrderLineRow.product_id == product_id,
                ),
            )
            .order_by(ReviewRow.created_at.desc(), ReviewRow.id.desc())
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
