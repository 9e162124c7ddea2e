"""Tables of inbox: the rows its repositories read and write."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Index,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UtcDateTime, timestamp
from storage.crypto import EncryptedJSON

# --- update inbox (durable updates: every webhook update, polled payment updates) ---


class UpdateInboxRow(Base):
    """Updates kept from the moment they arrive until they are handled (see storage/inbox.py).

    The webhook (bot/web/) writes every update before it answers 200, with `done_at` NULL; the
    process that handles it deletes the row, or, for a payment update, sets `done_at` and keeps
    it until its payment is recorded. Polling (bot/payments/inbox.py) writes payment updates
    only, before the getUpdates offset is confirmed, with `done_at` set (PTB's queue has them)."""

    __tablename__ = "update_inbox"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # Set for a successful_payment update: the payment inbox replays it until it is recorded.
    telegram_charge_id: Mapped[str | None] = mapped_column(String(255), index=True)
    # The update as Telegram sent it (names, order info): encrypted (decision 13).
    payload: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON())
    received_at: Mapped[timestamp]
    replayed: Mapped[int] = mapped_column(default=0)
    # Until when the process that stored (or took over) the update is handling it.
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # When its handling finished (NULL: still to be handled).
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


# Updates still to be handled, by lease: a process looking for ones whose handler died reads
# this small partial index, not the payment rows kept until their payment is recorded.
INBOX_PENDING = "done_at IS NULL"
Index(
    "ix_update_inbox_pending",
    UpdateInboxRow.lease_until,
    sqlite_where=text(INBOX_PENDING),
    postgresql_where=text(INBOX_PENDING),
)


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
