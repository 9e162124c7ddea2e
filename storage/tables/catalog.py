"""Tables of catalog: the rows its repositories read and write."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, intpk, timestamp


class CategoryRow(Base):
    __tablename__ = "categories"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(64), unique=True)
    position: Mapped[int] = mapped_column(default=0)


class ProductRow(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= stock", name="reserved_within_stock"),
        Index("ix_products_category_active", "category_id", "active"),
    )

    id: Mapped[intpk]
    sku: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    stock: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    low_stock_threshold: Mapped[int] = mapped_column(default=0)
    photo: Mapped[str | None] = mapped_column(String(1024))
    photo_file_id: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    # Supply settings for stock planning (insight); None: the shop's defaults.
    lead_time_days: Mapped[float | None] = mapped_column(Float)
    lead_time_max_days: Mapped[float | None] = mapped_column(Float)
    order_cost_minor: Mapped[int | None] = mapped_column(BigInteger)
    holding_cost_minor: Mapped[int | None] = mapped_column(BigInteger)  # per unit and year
    # The stock plan's reorder point and EOQ, stored by the restock check (None: unknown, the
    # product had no sales in the planning window); the low-stock alert and report use them.
    reorder_point: Mapped[int | None] = mapped_column(Integer)
    reorder_quantity: Mapped[int | None] = mapped_column(Integer)
    # The rating of the orders that contained it (one count per order line), kept by the
    # review's transaction, so the product card reads two columns instead of every order line
    # of the product (issue 13).
    rating_count: Mapped[int] = mapped_column(default=0, server_default="0")
    rating_sum: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[timestamp]
    updated_at: Mapped[timestamp]


class InventoryLogRow(Base):
    """Every stock change and product edit an admin made, with who and why."""

    __tablename__ = "inventory_log"
    __table_args__ = (Index("ix_inventory_log_product_created", "product_id", "created_at"),)

    id: Mapped[intpk]
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    delta: Mapped[int]
    stock_after: Mapped[int]
    reason: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[timestamp]
