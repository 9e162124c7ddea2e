"""Tables of payments: the rows its repositories read and write."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UtcDateTime, intpk, timestamp
from storage.crypto import EncryptedJSON

# --- payments ---


class PaymentRow(Base):
    """Money received: a Telegram charge (unique id: a replayed update takes effect once), a
    bank transfer the merchant confirmed, or cash collected on delivery."""

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("telegram_charge_id"),)

    id: Mapped[intpk]
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(16))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    flag_reason: Mapped[str | None] = mapped_column(String(16))
    telegram_charge_id: Mapped[str | None] = mapped_column(String(255))
    provider_charge_id: Mapped[str | None] = mapped_column(String(255))
    # Telegram's successful_payment, with its order_info (name, phone, address): encrypted.
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON())
    received_at: Mapped[timestamp]


class RefundRow(Base):
    """Money of a payment given back, recorded as pending before Telegram is asked: the whole
    payment (request_id NULL, at most one per payment) or what an after-sales request gives
    back (at most one per request). Both rules are partial unique indexes."""

    __tablename__ = "refunds"
    __table_args__ = (
        Index(
            "uq_refunds_whole_payment",
            "payment_id",
            unique=True,
            sqlite_where=text("request_id IS NULL"),
            postgresql_where=text("request_id IS NULL"),
        ),
        Index(
            "uq_refunds_request_id",
            "request_id",
            unique=True,
            sqlite_where=text("request_id IS NOT NULL"),
            postgresql_where=text("request_id IS NOT NULL"),
        ),
    )

    id: Mapped[intpk]
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("after_sales_requests.id", ondelete="CASCADE")
    )
    method: Mapped[str] = mapped_column(String(16))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[timestamp]
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class TransferReceiptRow(Base):
    """A photo of a bank transfer receipt sent by the customer, and the merchant's review."""

    __tablename__ = "transfer_receipts"
    __table_args__ = (Index("ix_transfer_receipts_order_status", "order_id", "status"),)

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(BigInteger)
    file_id: Mapped[str] = mapped_column(String(256))
    file_unique_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(16))
    reviewer: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[timestamp]
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class PaymentReminderRow(Base):
    """The payment reminder of an order went out (its primary key makes that happen once)."""

    __tablename__ = "payment_reminders"

    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    sent_at: Mapped[timestamp]
