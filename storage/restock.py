"""Restock requests (purchase order drafts) raised at a product's reorder point: one active
request per product (a partial unique index), moved through its statuses by compare-and-set.
Like every repository, it never commits."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import (
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from domain.insight.restock_records import RestockRequest, RestockStatus
from domain.insight.stock import StockPlan
from storage.base import dialect_insert
from storage.tables.catalog import ProductRow
from storage.tables.insight import RestockRequestRow


class SqlRestockRepository:
    """Restock requests; at most one active per product (a partial unique index)."""

    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add(self, plan: StockPlan, quantity: int, at: datetime) -> int | None:
        insert = dialect_insert(self.s)
        result = await self.s.execute(
            insert(RestockRequestRow)
            .values(
                product_id=plan.product_id,
                quantity=quantity,
                reorder_point=plan.reorder_point,
                available=plan.available,
                status=RestockStatus.OPEN.value,
                supplier_note=None,
                actor=None,
                created_at=at,
                updated_at=at,
                closed_at=None,
            )
            .on_conflict_do_nothing(
                index_elements=["product_id"], index_where=RestockRequestRow.closed_at.is_(None)
            )
            .returning(RestockRequestRow.id)
        )
        found = result.scalar()
        return None if found is None else int(found)

    def _select(self) -> Any:
        return select(RestockRequestRow, ProductRow.sku, ProductRow.name).join(
            ProductRow, ProductRow.id == RestockRequestRow.product_id
        )

    @staticmethod
    def _of(row: RestockRequestRow, sku: str, name: str) -> RestockRequest:
        return RestockRequest(
            id=row.id,
            product_id=row.product_id,
            sku=sku,
            name=name,
            quantity=row.quantity,
            reorder_point=row.reorder_point,
            available=row.available,
            status=RestockStatus(row.status),
            supplier_note=row.supplier_note or "",
            created_at=row.created_at,
        )

    async def get(self, request_id: int) -> RestockRequest | None:
        found = (
            await self.s.execute(
                self._select()
                .where(RestockRequestRow.id == request_id)
                .execution_options(populate_existing=True)
            )
        ).first()
        return None if found is None else self._of(*found)

    async def active(self, limit: int) -> list[RestockRequest]:
        rows = await self.s.execute(
            self._select()
            .where(RestockRequestRow.closed_at.is_(None))
            .order_by(RestockRequestRow.created_at, RestockRequestRow.id)
            .limit(limit)
        )
        return [self._of(*row) for row in rows.all()]

    async def move(
        self,
        request_id: int,
        before: Collection[RestockStatus],
        after: RestockStatus,
        actor: str,
        at: datetime,
    ) -> bool:
        closing = after not in (RestockStatus.OPEN, RestockStatus.APPROVED)
        result = await self.s.execute(
            update(RestockRequestRow)
            .where(
                RestockRequestRow.id == request_id,
                RestockRequestRow.status.in_([b.value for b in before]),
            )
            .values(
                status=after.value, actor=actor, updated_at=at, closed_at=at if closing else None
            )
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))

    async def edit(
        self, request_id: int, quantity: int, note: str, actor: str, at: datetime
    ) -> bool:
        result = await self.s.execute(
            update(RestockRequestRow)
            .where(RestockRequestRow.id == request_id, RestockRequestRow.closed_at.is_(None))
            .values(quantity=quantity, supplier_note=note or None, actor=actor, updated_at=at)
            .execution_options(synchronize_session=False)
        )
        return bool(getattr(result, "rowcount", 0))
