"""Tables of merchant: the rows its repositories read and write."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, timestamp
from storage.crypto import EncryptedJSON


class DialogRow(Base):
    """A merchant-feature dialog in progress, one per chat and user."""

    __tablename__ = "merchant_dialogs"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    token: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON())  # personal, encrypted
    updated_at: Mapped[timestamp]
