"""Tables of customers: the rows its repositories read and write."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, timestamp
from storage.crypto import Encrypted


class CustomerRow(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # Personal data, encrypted (decision 13); @username is found through order_search_terms.
    first_name: Mapped[str] = mapped_column(Encrypted())
    username: Mapped[str | None] = mapped_column(Encrypted())
    language_code: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(8))
    reachable: Mapped[bool] = mapped_column(default=True)
    # Review invitations and other messages not about an order's progress (/notifications).
    optional_messages: Mapped[bool] = mapped_column(default=True)
    # The phone the customer shared as their own contact in checkout (issue 17: an order from
    # another sales channel with this phone is theirs), encrypted, found by its blind index.
    verified_phone: Mapped[str | None] = mapped_column(Encrypted())
    verified_phone_term: Mapped[str | None] = mapped_column(String(64), index=True)
    created_at: Mapped[timestamp]
    updated_at: Mapped[timestamp]
