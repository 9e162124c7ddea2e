"""Tables of checkout: the rows its repositories read and write."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ForeignKey,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, intpk, timestamp
from storage.crypto import Encrypted, EncryptedJSON


class AddressRow(Base):
    __tablename__ = "addresses"

    id: Mapped[intpk]
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    # Personal data, encrypted (decision 13).
    recipient: Mapped[str] = mapped_column(Encrypted())
    phone: Mapped[str] = mapped_column(Encrypted())
    text: Mapped[str] = mapped_column(Encrypted())
    created_at: Mapped[timestamp]


class CheckoutRow(Base):
    """One checkout per customer; a new checkout replaces the row and its token."""

    __tablename__ = "checkouts"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    draft: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON())  # personal, encrypted
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    updated_at: Mapped[timestamp]
