"""Tables of inbox: the rows its repositories read and write."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, timestamp
from storage.crypto import EncryptedJSON

# --- update inbox (durable payments) ---


class UpdateInboxRow(Base):
    """Payment updates as fetched from Telegram, written before the offset is confirmed, so
    a crash before the payment is recorded cannot lose it (see bot/inbox.py)."""

    __tablename__ = "update_inbox"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    telegram_charge_id: Mapped[str] = mapped_column(String(255), index=True)
    # The update as Telegram sent it (names, order info): encrypted (decision 13).
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON())
    received_at: Mapped[timestamp]
    replayed: Mapped[int] = mapped_column(default=0)


# --- handled updates (every update takes effect once) ---


class HandledUpdateRow(Base):
    """An update whose handling committed a change: written in the same transaction as the
    first change, so a second delivery of the same update finds it and changes nothing
    (see storage/updates.py). Kept for `HANDLED_UPDATES_KEPT`, then swept."""

    __tablename__ = "handled_updates"
    __table_args__ = (Index("ix_handled_updates_handled_at", "handled_at"),)

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    handled_at: Mapped[timestamp]
