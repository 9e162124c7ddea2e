"""Reviews of completed orders."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from domain.reviews.records import Review
from storage.base import dialect_insert
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
        return int(found)
