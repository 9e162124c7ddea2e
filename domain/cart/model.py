"""The cart: a customer's products and quantities, kept in the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from domain.catalog.model import Product
from domain.shared.money import Money

MIN_QUANTITY = 1


MAX_QUANTITY = 99


@dataclass
class CartLine:
    """A product and quantity in a customer's cart."""

    product: Product
    quantity: int

    @property
    def total(self) -> Money:
        """Price times quantity."""
        return self.product.price * self.quantity


@dataclass
class Cart:
    """A customer's cart; it lives in the database, so it survives restarts."""

    customer_id: int
    lines: list[CartLine] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when there is nothing in it."""
        return not self.lines

    def subtotal(self, currency: str) -> Money:
        """Sum of line totals."""
        total = Money.zero(currency)
        for line in self.lines:
            total += line.total
        return total

    @property
    def item_count(self) -> int:
        """Units in the cart, all lines together."""
        return sum(line.quantity for line in self.lines)

    def quantity_of(self, product_id: int) -> int:
        """How many of a product the cart holds."""
        return sum(line.quantity for line in self.lines if line.product.id == product_id)

    def with_quantity(self, product: Product, quantity: int) -> Cart:
        """The cart as it reads once the product's line holds `quantity` (none: no line); a
        new line comes last, as the repository orders lines by when they were added."""
        lines = [
            CartLine(product, quantity) if line.product.id == product.id else line
            for line in self.lines
            if line.product.id != product.id or quantity > 0
        ]
        if quantity > 0 and not any(line.product.id == product.id for line in self.lines):
            lines.append(CartLine(product, quantity))
        return Cart(self.customer_id, lines)


class CartRepository(Protocol):
    async def get(self, customer_id: int) -> Cart: ...
    async def set_quantity(self, customer_id: int, product_id: int, quantity: int) -> None: ...
    async def remove(self, customer_id: int, product_id: int) -> bool: ...
    async def clear(self, customer_id: int) -> None: ...
