"""SQLAlchemy repositories of the merchant features: shipments, dialogs, the inventory log and
the back office's queries and edits. Like the others, they never commit."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from sqlalchemy import (
    delete,
    func,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from domain.catalog.model import Product
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order
from domain.shared.dialogs import Dialog, DialogKind
from domain.shared.money import Money
from domain.shared.paging import Page, Paged
from storage.base import dialect_insert, utcnow
from storage.catalog import product_of
from storage.orders import SqlOrderRepository
from storage.tables.catalog import CategoryRow, ProductRow
from storage.tables.insight import SalesHourRow
from storage.tables.merchant import DialogRow
from storage.tables.orders import OrderRow


class SqlDialogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, chat_id: int, user_id: int) -> Dialog | None:
        row = await self.s.scalar(
            select(DialogRow)
            .where(DialogRow.chat_id == chat_id, DialogRow.user_id == user_id)
            .execution_options(populate_existing=True)
        )
        if row is None:
            return None
        try:
            kind = DialogKind(row.kind)
        except ValueError:  # written by a newer version of the bot
            return None
        return Dialog(
            chat_id=row.chat_id,
            user_id=row.user_id,
            kind=kind,
            token=row.token,
            step=row.step,
            data=dict(row.data or {}),
            updated_at=row.updated_at,
        )

    async def save(self, dialog: Dialog) -> None:
        values: dict[str, Any] = {
            "chat_id": dialog.chat_id,
            "user_id": dialog.user_id,
            "kind": dialog.kind.value,
            "token": dialog.token,
            "step": dialog.step,
            "data": dialog.data,
            "updated_at": dialog.updated_at or utcnow(),
        }
        # One statement that inserts or replaces, so two taps at once cannot collide.
        insert = dialect_insert(self.s)
        statement = insert(DialogRow).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[DialogRow.chat_id, DialogRow.user_id],
            set_={k: statement.excluded[k] for k in values if k not in ("chat_id", "user_id")},
        )
        await self.s.execute(statement)

    async def delete(self, chat_id: int, user_id: int, token: str | None = None) -> bool:
        where = [DialogRow.chat_id == chat_id, DialogRow.user_id == user_id]
        if token is not None:
            where.append(DialogRow.token == token)
        result = await self.s.execute(delete(DialogRow).where(*where))
        return bool(result.rowcount)  # type: ignore[attr-defined]


class SqlBackofficeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def orders(
        self, statuses: Collection[OrderStatus] | None, page: Page, *, oldest_first: bool
    ) -> Paged[Order]:
        where = [] if statuses is None else [OrderRow.status.in_([s.value for s in statuses])]
        if statuses is None:
            # Every order: a sum over the sales rollup (orders by hour and status,
            # storage/rollups.py), not a count of the whole history (issue 13).
            total = await self.s.scalar(select(func.coalesce(func.sum(SalesHourRow.orders), 0)))
        else:
            # The merchant's filters are open statuses: an index range of the open orders.
            total = await self.s.scalar(select(func.count()).select_from(OrderRow).where(*where))
        order = (
            (OrderRow.created_at, OrderRow.id)
            if oldest_first
            else (OrderRow.created_at.desc(), OrderRow.id.desc())
        )
        if statuses is None or len(statuses) < 2:
            rows = list(
                await self.s.scalars(
                    select(OrderRow)
                    .where(*where)
                    .order_by(*order)
                    .offset(page.offset)
                    .limit(page.size)
                )
            )
        else:
            rows = await self._page_of_statuses(statuses, page, oldest_first=oldest_first)
        items = await SqlOrderRepository(self.s)._entities(rows)
        return Paged(items, int(total or 0), page)

    async def _page_of_statuses(
        self, statuses: Collection[OrderStatus], page: Page, *, oldest_first: bool
    ) -> list[OrderRow]:
        """A page of orders in several statuses: the first rows of each status by
        (status, created_at, id), merged. Given `status IN (...)` and the order, the planners
        walk the whole orders-by-time index filtering by status instead (issue 13)."""
        heads = []
        for status in sorted(s.value for s in statuses):
            head = (
                select(OrderRow.id.label("id"), OrderRow.created_at.label("created_at"))
                .where(OrderRow.status == status)
                .order_by(
                    *(
                        (OrderRow.created_at, OrderRow.id)
                        if oldest_first
                        else (OrderRow.created_at.desc(), OrderRow.id.desc())
                    )
                )
                .limit(page.offset + page.size)
                .subquery()
            )
            heads.append(select(head.c.id, head.c.created_at))
        merged = union_all(*heads).subquery()
        ids = list(
            await self.s.scalars(
                select(merged.c.id)
                .order_by(
                    *(
                        (merged.c.created_at, merged.c.id)
                        if oldest_first
                        else (merged.c.created_at.desc(), merged.c.id.desc())
                    )
                )
                .offset(page.offset)
                .limit(page.size)
            )
        )
        found = {
            r.id: r for r in await self.s.scalars(select(OrderRow).where(OrderRow.id.in_(ids)))
        }
        return [found[i] for i in ids if i in found]

    async def recent_orders(self, limit: int) -> list[Order]:
        rows = await self.s.scalars(
            select(OrderRow).order_by(OrderRow.created_at.desc(), OrderRow.id.desc()).limit(limit)
        )
        return await SqlOrderRepository(self.s)._entities(rows.all())

    def _listing(self) -> Any:
        return (
            select(ProductRow, CategoryRow.name)
            .join(CategoryRow, CategoryRow.id == ProductRow.category_id)
            .order_by(CategoryRow.position, CategoryRow.name, ProductRow.name, ProductRow.id)
        )

    async def products(self, page: Page) -> Paged[Product]:
        total = await self.s.scalar(select(func.count()).select_from(ProductRow))
        result = await self.s.execute(self._listing().offset(page.offset).limit(page.size))
        return Paged([product_of(p, c) for p, c in result.all()], int(total or 0), page)

    async def all_products(self) -> list[Product]:
        result = await self.s.execute(self._listing())
        return [product_of(p, c) for p, c in result.all()]

    async def product_id_by_sku(self, sku: str) -> int | None:
        found = await self.s.scalar(select(ProductRow.id).where(ProductRow.sku == sku))
        return int(found) if found is not None else None

    async def _refresh(self, product_id: int) -> None:
        # The UPDATEs below bypass the session; reload the row if the session holds it, so a
        # later read in this transaction sees the new values.
        await self.s.execute(
            select(ProductRow)
            .where(ProductRow.id == product_id)
            .execution_options(populate_existing=True)
        )

    async def update_product(
        self,
        product_id: int,
        *,
        name: str | None = None,
        price: Money | None = None,
        description: str | None = None,
        low_stock_threshold: int | None = None,
        active: bool | None = None,
        photo_file_id: str | None = None,
    ) -> bool:
        values: dict[str, Any] = {"updated_at": utcnow()}
        if name is not None:
            values["name"] = name
        if price is not None:
            values["price_minor"], values["currency"] = price.amount, price.currency
        if description is not None:
            values["description"] = description
        if low_stock_threshold is not None:
            values["low_stock_threshold"] = low_stock_threshold
        if active is not None:
            values["active"] = active
        if photo_file_id is not None:
            values["photo_file_id"] = photo_file_id
        result = await self.s.execute(
            update(ProductRow)
            .where(ProductRow.id == product_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        await self._refresh(product_id)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def adjust_stock(self, product_id: int, delta: int) -> int | None:
        # One conditional UPDATE: an order reserving units meanwhile cannot be undercut.
        result = await self.s.execute(
            update(ProductRow)
            .where(
                ProductRow.id == product_id,
                ProductRow.stock + delta >= ProductRow.reserved,
                ProductRow.stock + delta >= 0,
            )
            .values(stock=ProductRow.stock + delta, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return None
        await self._refresh(product_id)
        stock = await self.s.scalar(select(ProductRow.stock).where(ProductRow.id == product_id))
        return int(stock) if stock is not None else None
