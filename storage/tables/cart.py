"""Tables of cart: the rows its repositories read and write."""

from __future__ import annotations

from sqlalchemy import (
    ForeignKey,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, timestamp


class CartLineRow(Base):
    __tablename__ = "cart_lines"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    quantity: Mapped[int]
    added_at: Mapped[timestamp]
