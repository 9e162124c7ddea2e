"""Tables of outbox: the rows its repositories read and write."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UtcDateTime, intpk, timestamp
from storage.crypto import EncryptedJSON


class OutboxRow(Base):
    """Messages owed to someone, written with the change that caused them."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("dedupe_key"),
        Index("ix_outbox_due", "sent_at", "failed_at", "next_attempt_at"),
    )

    id: Mapped[intpk]
    chat_id: Mapped[int] = mapped_column(BigInteger)
    template: Mapped[str] = mapped_column(String(64))
    # Texts owed to people carry names, phones, addresses: encrypted (decision 13).
    params: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON())
    language: Mapped[str | None] = mapped_column(String(8))
    buttons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    dedupe_key: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[timestamp]
    next_attempt_at: Mapped[timestamp]
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


# The outbox sends a chat's rows in order: a row is claimed only when no earlier row of its chat
# is pending. This partial index holds pending rows only, so the check reads the chat's pending
# rows, not its whole history (the admin chat's history is every order's alerts).
PENDING = "sent_at IS NULL AND failed_at IS NULL"
Index(
    "ix_outbox_pending_chat",
    OutboxRow.chat_id,
    OutboxRow.id,
    sqlite_where=text(PENDING),
    postgresql_where=text(PENDING),
)
