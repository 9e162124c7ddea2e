"""Carts, kept in the database so they survive restarts."""

from __future__ import annotations

from sqlalchemy import (
    delete,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from domain.cart.model import Cart, CartLine
from storage.base import dialect_insert, utcnow
from storage.catalog import product_of
from storage.tables.cart import CartLineRow
from storage.tables.catalog import CategoryRow, ProductRow


class SqlCartRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, customer_id: int) -> Cart:
        result = await self.s.execute(
            select(CartLineRow.quantity, ProductRow, CategoryRow.name)
            .join(ProductRow, ProductRow.id == CartLineRow.product_id)
            .join(CategoryRow, CategoryRow.id == ProductRow.category_id)
            .where(CartLineRow.customer_id == customer_id)
            .order_by(CartLineRow.added_at, CartLineRow.product_id)
        )
        lines = [CartLine(product_of(p, c), q) for q, p, c in result.all()]
        return Cart(customer_id, lines)

    async def set_quantity(self, customer_id: int, product_id: int, quantity: int) -> None:
        # One statement: a new line, or the line's new quantity (it keeps its place).
        statement = dialect_insert(self.s)(CartLineRow).values(
            customer_id=customer_id, product_id=product_id, quantity=quantity, added_at=utcnow()
        )
        await self.s.execute(
            statement.on_conflict_do_update(
                index_elements=[CartLineRow.customer_id, CartLineRow.product_id],
                set_={"quantity": statement.excluded.quantity},
            )
        )

    async def remove(self, customer_id: int, product_id: int) -> bool:
        result = await self.s.execute(
            delete(CartLineRow).where(
                CartLineRow.customer_id == customer_id, CartLineRow.product_id == product_id
            )
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def clear(self, customer_id: int) -> None:
        await self.s.execute(delete(CartLineRow).where(CartLineRow.customer_id == customer_id))
