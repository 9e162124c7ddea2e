"""The catalog: categories, products, stock and the inventory log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import (
    Table,
    and_,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Update
from sqlalchemy.sql.elements import BindParameter

from domain.catalog.importing import ProductDraft
from domain.catalog.model import Category, InventoryEntry, Product
from domain.shared.errors import CatalogImportError
from domain.shared.money import Money
from domain.shared.paging import Page, Paged
from storage.base import like_pattern, utcnow
from storage.tables.catalog import CategoryRow, InventoryLogRow, ProductRow


def product_of(row: ProductRow, category_name: str = "") -> Product:
    """The domain's product from its row."""
    return Product(
        id=row.id,
        sku=row.sku,
        name=row.name,
        category_id=row.category_id,
        price=Money(row.price_minor, row.currency),
        stock=row.stock,
        reserved=row.reserved,
        description=row.description or "",
        photo=row.photo,
        photo_file_id=row.photo_file_id,
        low_stock_threshold=row.low_stock_threshold,
        active=row.active,
        category_name=category_name,
        reorder_point=row.reorder_point,
        reorder_quantity=row.reorder_quantity,
        lead_time_days=row.lead_time_days,
        lead_time_max_days=row.lead_time_max_days,
        order_cost_minor=row.order_cost_minor,
        holding_cost_minor=row.holding_cost_minor,
        rating_count=row.rating_count,
        rating_sum=row.rating_sum,
    )


def _reserve(product_id: int, quantity: int) -> Update:
    """One conditional UPDATE: the check and the hold cannot be separated by another order."""
    return (
        update(ProductRow)
        .where(
            ProductRow.id == product_id,
            ProductRow.active,
            ProductRow.stock - ProductRow.reserved >= quantity,
        )
        .values(reserved=ProductRow.reserved + quantity)
        .execution_options(synchronize_session=False)
    )


class SqlProductRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, product_id: int) -> Product | None:
        result = await self.s.execute(
            select(ProductRow, CategoryRow.name)
            .join(CategoryRow, CategoryRow.id == ProductRow.category_id)
            .where(ProductRow.id == product_id)
        )
        found = result.first()
        if not found:
            return None
        # Reviews rate orders; a product's rating is that of the orders that contained it,
        # kept on the product by the review's transaction (storage/reviews.py).
        return product_of(found[0], found[1])

    async def categories(self) -> list[Category]:
        count = func.count(ProductRow.id)
        result = await self.s.execute(
            select(CategoryRow.id, CategoryRow.name, count)
            .join(ProductRow, and_(ProductRow.category_id == CategoryRow.id, ProductRow.active))
            .group_by(CategoryRow.id, CategoryRow.name, CategoryRow.position)
            .having(count > 0)
            .order_by(CategoryRow.position, CategoryRow.name)
        )
        return [Category(id=i, name=n, product_count=c) for i, n, c in result.all()]

    async def category(self, category_id: int) -> Category | None:
        row = await self.s.get(CategoryRow, category_id)
        return Category(id=row.id, name=row.name) if row else None

    async def _paged(self, where: Any, page: Page) -> Paged[Product]:
        total = await self.s.scalar(select(func.count()).select_from(ProductRow).where(where))
        result = await self.s.execute(
            select(ProductRow, CategoryRow.name)
            .join(CategoryRow, CategoryRow.id == ProductRow.category_id)
            .where(where)
            .order_by(ProductRow.name, ProductRow.id)
            .offset(page.offset)
            .limit(page.size)
        )
        items = [product_of(row, name) for row, name in result.all()]
        return Paged(items, int(total or 0), page)

    async def in_category(self, category_id: int, page: Page) -> Paged[Product]:
        return await self._paged(
            and_(ProductRow.category_id == category_id, ProductRow.active), page
        )

    async def search(self, words: str, page: Page) -> Paged[Product]:
        pattern = like_pattern(words)
        match = or_(
            ProductRow.name.ilike(pattern, escape="\\"),
            ProductRow.sku.ilike(pattern, escape="\\"),
            ProductRow.description.ilike(pattern, escape="\\"),
        )
        return await self._paged(and_(ProductRow.active, match), page)

    async def reserve(self, product_id: int, quantity: int) -> bool:
        result = await self.s.execute(_reserve(product_id, quantity))
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def reserve_and_read(self, product_id: int, quantity: int) -> Product | None:
        # The same UPDATE, with the row it wrote: the caller needs no read after it (on
        # PostgreSQL the reservation holds the row until the commit, domain/checkout/placing.py).
        result = await self.s.execute(
            _reserve(product_id, quantity)
            .returning(ProductRow)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        row = result.scalars().first()
        return product_of(row) if row is not None else None

    async def release(self, product_id: int, quantity: int) -> None:
        await self.s.execute(
            update(ProductRow)
            .where(ProductRow.id == product_id, ProductRow.reserved >= quantity)
            .values(reserved=ProductRow.reserved - quantity)
            .execution_options(synchronize_session=False)
        )

    async def commit_reserved(self, product_id: int, quantity: int) -> None:
        await self.s.execute(
            update(ProductRow)
            .where(ProductRow.id == product_id, ProductRow.reserved >= quantity)
            .values(
                stock=ProductRow.stock - quantity,
                reserved=ProductRow.reserved - quantity,
                updated_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )

    async def restock(self, product_id: int, quantity: int) -> None:
        await self.s.execute(
            update(ProductRow)
            .where(ProductRow.id == product_id)
            .values(stock=ProductRow.stock + quantity, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )

    async def set_photo_file_id(self, product_id: int, file_id: str) -> None:
        await self.s.execute(
            update(ProductRow)
            .where(ProductRow.id == product_id)
            .values(photo_file_id=file_id)
            .execution_options(synchronize_session=False)
        )

    async def stock_by_sku(self, skus: Sequence[str]) -> dict[str, tuple[int, int]]:
        rows = await self.s.execute(
            select(ProductRow.sku, ProductRow.id, ProductRow.stock).where(
                ProductRow.sku.in_(list(skus))
            )
        )
        return {sku: (product_id, stock) for sku, product_id, stock in rows.all()}

    async def set_reorder_points(self, points: Mapping[int, tuple[int, int] | None]) -> None:
        # One statement, executed for many rows; a row whose values are already these is left
        # alone (no write, no new updated_at).
        if not points:
            return
        table = cast(Table, ProductRow.__table__)
        rop: BindParameter[int] = bindparam("new_rop")
        eoq: BindParameter[int] = bindparam("new_eoq")
        connection = await self.s.connection()  # Core executemany, not ORM bulk-by-key
        await connection.execute(
            update(table)
            .where(
                table.c.id == bindparam("pid"),
                or_(
                    table.c.reorder_point.is_distinct_from(rop),
                    table.c.reorder_quantity.is_distinct_from(eoq),
                ),
            )
            .values(reorder_point=rop, reorder_quantity=eoq),
            [
                {
                    "pid": product_id,
                    "new_rop": None if plan is None else plan[0],
                    "new_eoq": None if plan is None else plan[1],
                }
                for product_id, plan in sorted(points.items())
            ],
        )

    async def upsert_drafts(
        self, drafts: Sequence[ProductDraft], *, set_stock: bool = False
    ) -> tuple[int, int]:
        now = utcnow()
        categories = {row.name: row for row in (await self.s.scalars(select(CategoryRow))).all()}
        next_position = max((c.position for c in categories.values()), default=0)
        existing = {
            row.sku: row
            for row in (
                await self.s.scalars(
                    select(ProductRow).where(ProductRow.sku.in_([d.sku for d in drafts]))
                )
            ).all()
        }
        created = updated = 0
        problems: list[tuple[int, str]] = []
        for draft in drafts:
            category = categories.get(draft.category)
            if category is None:
                next_position += 1
                category = CategoryRow(name=draft.category, position=next_position)
                self.s.add(category)
                await self.s.flush()
                categories[draft.category] = category
            row = existing.get(draft.sku)
            if row is None:
                self.s.add(
                    ProductRow(
                        sku=draft.sku,
                        name=draft.name,
                        category_id=category.id,
                        description=draft.description,
                        price_minor=draft.price.amount,
                        currency=draft.price.currency,
                        stock=draft.stock,
                        reserved=0,
                        low_stock_threshold=draft.low_stock_threshold,
                        photo=draft.photo,
                        active=draft.active,
                        created_at=now,
                        updated_at=now,
                        **draft.supply,
                    )
                )
                created += 1
                continue
            if set_stock and draft.stock < row.reserved:
                problems.append(
                    (
                        draft.line,
                        f"stock {draft.stock} is below the {row.reserved} units "
                        "reserved by unpaid orders",
                    )
                )
                continue
            if row.photo != draft.photo:
                row.photo_file_id = None
            row.name = draft.name
            row.category_id = category.id
            row.description = draft.description
            row.price_minor = draft.price.amount
            row.currency = draft.price.currency
            if set_stock:  # otherwise on-hand stock is the inventory log's, not the file's
                row.stock = draft.stock
            row.low_stock_threshold = draft.low_stock_threshold
            row.photo = draft.photo
            row.active = draft.active
            for column, value in draft.supply.items():  # only the supply columns the file has
                setattr(row, column, value)
            row.updated_at = now
            updated += 1
        if problems:
            raise CatalogImportError(errors=problems)
        await self.s.flush()
        return created, updated


class SqlInventoryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add(self, entry: InventoryEntry) -> int:
        row = InventoryLogRow(
            product_id=entry.product_id,
            delta=entry.delta,
            stock_after=entry.stock_after,
            reason=entry.reason[:200],
            actor=entry.actor,
            created_at=entry.at,
        )
        self.s.add(row)
        await self.s.flush()
        return row.id

    async def for_product(self, product_id: int, limit: int) -> list[InventoryEntry]:
        rows = await self.s.scalars(
            select(InventoryLogRow)
            .where(InventoryLogRow.product_id == product_id)
            .order_by(InventoryLogRow.created_at.desc(), InventoryLogRow.id.desc())
            .limit(limit)
        )
        return [
            InventoryEntry(
                id=r.id,
                product_id=r.product_id,
                delta=r.delta,
                stock_after=r.stock_after,
                reason=r.reason,
                actor=r.actor,
                at=r.created_at,
            )
            for r in rows.all()
        ]
