"""Tables of after sales: the rows its repositories read and write."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UtcDateTime, intpk, json_dict, timestamp
from storage.crypto import Encrypted, EncryptedJSON

# --- after-sales and reviews ---


class AfterSalesRequestRow(Base):
    """A customer's return, exchange or repair of units of one order (domain/after_sales.py)."""

    __tablename__ = "after_sales_requests"
    __table_args__ = (
        UniqueConstraint("number"),
        Index("ix_after_sales_requests_status_created", "status", "created_at"),
        Index("ix_after_sales_requests_customer_created", "customer_id", "created_at"),
    )

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(String(16))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(16))
    details: Mapped[str | None] = mapped_column(Encrypted())  # personal, encrypted
    photos: Mapped[list[Any]] = mapped_column(JSON, default=list)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    disposition: Mapped[str | None] = mapped_column(String(16))
    # The customer's parcel back to the shop.
    return_carrier_code: Mapped[str | None] = mapped_column(String(16))
    return_carrier_name: Mapped[str | None] = mapped_column(String(64))
    return_tracking: Mapped[str | None] = mapped_column(String(64))
    return_url: Mapped[str | None] = mapped_column(String(512))
    returned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The shop's parcel to the customer: the replacement, or the repaired goods.
    ship_carrier_code: Mapped[str | None] = mapped_column(String(16))
    ship_carrier_name: Mapped[str | None] = mapped_column(String(64))
    ship_tracking: Mapped[str | None] = mapped_column(String(64))
    ship_url: Mapped[str | None] = mapped_column(String(512))
    shipped_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[timestamp]
    updated_at: Mapped[timestamp]


class AfterSalesLineRow(Base):
    """Units of one order line a request covers."""

    __tablename__ = "after_sales_lines"
    __table_args__ = (
        UniqueConstraint("request_id", "order_line_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[intpk]
    request_id: Mapped[int] = mapped_column(
        ForeignKey("after_sales_requests.id", ondelete="CASCADE")
    )
    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("order_lines.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int]


class AfterSalesEventRow(Base):
    """A request's timeline: who did what, when, from which status to which."""

    __tablename__ = "after_sales_events"

    id: Mapped[intpk]
    request_id: Mapped[int] = mapped_column(
        ForeignKey("after_sales_requests.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Encrypted())  # personal, encrypted
    params: Mapped[json_dict]
    created_at: Mapped[timestamp]


class AfterSalesDialogRow(Base):
    """A customer's after-sales dialog in progress (a request, a return parcel, a review's
    comment), one per customer; a new one replaces the row and its token."""

    __tablename__ = "after_sales_dialogs"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    kind: Mapped[str] = mapped_column(String(16))
    token: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON())  # personal, encrypted
    updated_at: Mapped[timestamp]
