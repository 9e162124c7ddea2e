"""Tables of insight: restock requests (purchase order drafts)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
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
