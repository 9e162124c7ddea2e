"""Reviews of completed orders."""

from __future__ import annotations

from collections import Counter
from typing import Any, cast

from sqlalchemy import (
    Table,
    bindparam,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from domain.reviews.records import Review
from storage.base import dialect_insert
from storage.tables.catalog import ProductRow
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
        )

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
