"""Tables of customers: the rows its repositories read and write."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, timestamp


class CustomerRow(Base):
    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_name: Mapped[str] = mapped_column(String(128))
    username: Mapped[str | None] = mapped_column(String(64))
    language_code: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(8))
    reachable: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[timestamp]
    updated_at: Mapped[timestamp]
