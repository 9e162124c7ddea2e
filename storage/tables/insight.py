"""Tables of insight: restock requests (purchase order drafts) and the sales rollups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UtcDateTime, intpk, timestamp


class RestockRequestRow(Base):
    """A purchase order draft for a product that reached its reorder point. At most one is
    active (open or approved, not closed) per product: a partial unique index."""

    __tablename__ = "restock_requests"
    __table_args__ = (
        Index(
            "uq_restock_requests_active",
            "product_id",
            unique=True,
            sqlite_where=text("closed_at IS NULL"),
            postgresql_where=text("closed_at IS NULL"),
        ),
        Index("ix_restock_requests_status_created", "status", "created_at"),
    )

    id: Mapped[intpk]
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    quantity: Mapped[int]
    reorder_point: Mapped[int]
    available: Mapped[int]  # when it was created
    status: Mapped[str] = mapped_column(String(16))
    supplier_note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(64))  # who decided last
    created_at: Mapped[timestamp]
    updated_at: Mapped[timestamp]
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())  # dismissed or received


class SalesHourRow(Base):
    """Orders by the UTC hour they were placed, their currency, current status and payment
    method: how many, their totals and units. Kept by the orders repository in the
    transaction that places an order or changes its status (storage/rollups.py), so a report
    reads hours, not orders (issue 18)."""

    __tablename__ = "sales_hours"

    hour: Mapped[str] = mapped_column(String(13), primary_key=True)  # 'YYYY-MM-DD HH', UTC
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    status: Mapped[str] = mapped_column(String(32), primary_key=True)
    payment_method: Mapped[str] = mapped_column(String(16), primary_key=True)
    orders: Mapped[int]
    total_minor: Mapped[int] = mapped_column(BigInteger)
    units: Mapped[int]


class ProductSalesDayRow(Base):
    """Order lines by the UTC day their order was placed, its currency and current status, and
    product: units and revenue, with the sku and name of the lines. Kept like SalesHourRow."""

    __tablename__ = "product_sales_days"
    # A product's days (the daily low-stock report's units sold): the key leads with the day,
    # so without it a product's month read every product's month.
    __table_args__ = (Index("ix_product_sales_days_product_day", "product_id", "day"),)

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # 'YYYY-MM-DD', UTC
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    status: Mapped[str] = mapped_column(String(32), primary_key=True)
    product_id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128))
    units: Mapped[int]
    revenue_minor: Mapped[int] = mapped_column(BigInteger)
