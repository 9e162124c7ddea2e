"""Carts, kept in the database so they survive restarts."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import (
    Table,
    bindparam,
    delete,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from domain.cart.model import Cart, CartLine
from storage.base import dialect_insert, utcnow
from storage.catalog import product_of
from storage.tables.cart import CartLineRow
from storage.tables.catalog import CategoryRow, ProductRow

_LINES, _PRODUCTS, _CATEGORIES = (
    cast(Table, CartLineRow.__table__),
    ProductRow.__table__,
    CategoryRow.__table__,
)
# A customer's cart: each line's quantity with its product's row and category name.
_CART = (
    select(_LINES.c.quantity, _PRODUCTS, _CATEGORIES.c.name.label("category_name"))
    .join(_PRODUCTS, _PRODUCTS.c.id == _LINES.c.product_id)
    .join(_CATEGORIES, _CATEGORIES.c.id == _PRODUCTS.c.category_id)
    .where(_LINES.c.customer_id == bindparam("customer_id"))
    .order_by(_LINES.c.added_at, _LINES.c.product_id)
)
# The cart's writes (the card's and the cart's ➕/➖, Add to cart, a placed order's clearing),
# built once too; the upsert per dialect (its ON CONFLICT is the dialect's own).
_SET_QUANTITY: dict[str, Any] = {}
_MINE = _LINES.c.customer_id == bindparam("customer_id")
_REMOVE = delete(_LINES).where(_MINE, _LINES.c.product_id == bindparam("product_id"))
_CLEAR = delete(_LINES).where(_MINE)


class SqlCartRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, customer_id: int) -> Cart:
        # Core rows from a statement built once: nearly every step of a checkout reads the
        # cart, and the ORM's loading cost more than the query (0.29 -> 0.12 ms, issue 13).
        result = await self.s.execute(_CART, {"customer_id": customer_id})
        lines = [
            CartLine(product_of(cast(ProductRow, row), row.category_name), row.quantity)
            for row in result
        ]
        return Cart(customer_id, lines)

    async def set_quantity(self, customer_id: int, product_id: int, quantity: int) -> None:
        # One statement: a new line, or the line's new quantity (it keeps its place).
        dialect = self.s.get_bind().dialect.name
        statement = _SET_QUANTITY.get(dialect)
        if statement is None:
            insert = dialect_insert(self.s)(_LINES).values(
                customer_id=bindparam("customer_id"),
                product_id=bindparam("product_id"),
                quantity=bindparam("quantity"),
                added_at=bindparam("at"),
            )
            statement = _SET_QUANTITY[dialect] = insert.on_conflict_do_update(
                index_elements=["customer_id", "product_id"],
                set_={"quantity": insert.excluded.quantity},
            )
        await self.s.execute(
            statement,
            {
                "customer_id": customer_id,
                "product_id": product_id,
                "quantity": quantity,
                "at": utcnow(),
            },
        )

    async def remove(self, customer_id: int, product_id: int) -> bool:
        result = await self.s.execute(
            _REMOVE, {"customer_id": customer_id, "product_id": product_id}
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def clear(self, customer_id: int) -> None:
        await self.s.execute(_CLEAR, {"customer_id": customer_id})
