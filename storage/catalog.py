"""The catalog: categories, products, stock and the inventory log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from sqlalchemy import (
    Integer,
    Table,
    and_,
    bindparam,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.selectable import Select

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


# The browsing steps' statements (a category's page, a product's card, Add to cart), built
# once on the Core tables and read as Core rows: building a statement and loading ORM rows
# cost more than running it (issue 13).
_PRODUCTS = cast(Table, ProductRow.__table__)
_CATEGORIES = cast(Table, CategoryRow.__table__)
_WITH_CATEGORY = select(_PRODUCTS, _CATEGORIES.c.name.label("category_name")).join(
    _CATEGORIES, _CATEGORIES.c.id == _PRODUCTS.c.category_id
)
_PRODUCT = _WITH_CATEGORY.where(_PRODUCTS.c.id == bindparam("product_id"))
_CATEGORY = select(_CATEGORIES.c.id, _CATEGORIES.c.name).where(
    _CATEGORIES.c.id == bindparam("category_id")
)
_PRODUCT_COUNT = func.count(_PRODUCTS.c.id)
# The categories that have active products, with how many.
_CATEGORIES_SHOWN = (
    select(_CATEGORIES.c.id, _CATEGORIES.c.name, _PRODUCT_COUNT)
    .join(_PRODUCTS, and_(_PRODUCTS.c.category_id == _CATEGORIES.c.id, _PRODUCTS.c.active))
    .group_by(_CATEGORIES.c.id, _CATEGORIES.c.name, _CATEGORIES.c.position)
    .having(_PRODUCT_COUNT > 0)
    .order_by(_CATEGORIES.c.position, _CATEGORIES.c.name)
)


def _count_and_page(where: ColumnElement[bool]) -> tuple[Select[Any], Select[Any]]:
    """How many products match, and one page of them by name (offset and limit bound)."""
    return (
        select(func.count()).select_from(_PRODUCTS).where(where),
        _WITH_CATEGORY.where(where)
        .order_by(_PRODUCTS.c.name, _PRODUCTS.c.id)
        .offset(bindparam("offset", type_=Integer()))
        .limit(bindparam("limit", type_=Integer())),
    )


_IN_CATEGORY = _count_and_page(
    and_(_PRODUCTS.c.category_id == bindparam("category_id"), _PRODUCTS.c.active)
)


# One conditional UPDATE: the check and the hold cannot be separated by another order. Built
# once (a Confirm runs it for each line, issue 13); the variant with RETURNING gives the row it
# wrote, as a Core row.
_QUANTITY = bindparam("quantity", type_=Integer())
_RESERVE = (
    update(_PRODUCTS)
    .where(
        _PRODUCTS.c.id == bindparam("product_id"),
        _PRODUCTS.c.active,
        _PRODUCTS.c.stock - _PRODUCTS.c.reserved >= _QUANTITY,
    )
    .values(reserved=_PRODUCTS.c.reserved + _QUANTITY)
)
_RESERVE_AND_READ = _RESERVE.returning(*_PRODUCTS.c)


class SqlProductRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, product_id: int) -> Product | None:
        found = (await self.s.execute(_PRODUCT, {"product_id": product_id})).first()
        if not found:
            return None
        # Reviews rate orders; a product's rating is that of the orders that contained it,
        # kept on the product by the review's transaction (storage/reviews.py).
        return product_of(cast(ProductRow, found), found.category_name)

    async def categories(self) -> list[Category]:
        result = await self.s.execute(_CATEGORIES_SHOWN)
        return [Category(id=i, name=n, product_count=c) for i, n, c in result.all()]

    async def category(self, category_id: int) -> Category | None:
        row = (await self.s.execute(_CATEGORY, {"category_id": category_id})).first()
        return Category(id=row.id, name=row.name) if row else None

    async def _paged(
        self, statements: tuple[Select[Any], Select[Any]], values: dict[str, Any], page: Page
    ) -> Paged[Product]:
        count, rows = statements
        total = await self.s.scalar(count, values)
        result = await self.s.execute(rows, {**values, "offset": page.offset, "limit": page.size})
        items = [product_of(cast(ProductRow, row), row.category_name) for row in result]
        return Paged(items, int(total or 0), page)

    async def in_category(self, category_id: int, page: Page) -> Paged[Product]:
        return await self._paged(_IN_CATEGORY, {"category_id": category_id}, page)

    async def search(self, words: str, page: Page) -> Paged[Product]:
        pattern = like_pattern(words)
        match = or_(
            _PRODUCTS.c.name.ilike(pattern, escape="\\"),
            _PRODUCTS.c.sku.ilike(pattern, escape="\\"),
            _PRODUCTS.c.description.ilike(pattern, escape="\\"),
        )
        return await self._paged(_count_and_page(and_(_PRODUCTS.c.active, match)), {}, page)

    async def reserve(self, product_id: int, quantity: int) -> bool:
        result = await self.s.execute(_RESERVE, {"product_id": product_id, "quantity": quantity})
        return result.rowcount == 1  # type: ignore[attr-defined]

    async def reserve_and_read(self, product_id: int, quantity: int) -> Product | None:
        # The same UPDATE, with the row it wrote: the caller needs no read after it (on
        # PostgreSQL the reservation holds the row until the commit, domain/checkout/placing.py).
        result = await self.s.execute(
            _RESERVE_AND_READ, {"product_id": product_id, "quantity": quantity}
        )
        row = result.first()
        return product_of(cast(ProductRow, row)) if row is not None else None

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
