"""Tables of the HTTP API (issue 17): API keys, the Idempotency-Key record of POSTs, and the
per-key request counts that rate limiting reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UtcDateTime, intpk, timestamp
from storage.crypto import EncryptedJSON


class ApiKeyRow(Base):
    """One API key of a sales channel. Only the SHA-256 of its token is kept (the token is a
    random 32 bytes, so a plain hash cannot be brute-forced); the first characters of the token
    (`prefix`) are shown in listings so the merchant can tell keys apart."""

    __tablename__ = "api_keys"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(64), unique=True)  # the channel: webshop, ...
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256 of the token
    prefix: Mapped[str] = mapped_column(String(16))
    scopes: Mapped[str] = mapped_column(String(200))  # space-separated: orders:read admin ...
    created_at: Mapped[timestamp]
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class ApiIdempotencyRow(Base):
    """One POST's Idempotency-Key: the request's hash and, once answered, the answer. A row
    without `status` is a request still running (a second one meanwhile is refused with 409).
    The answer may quote the recipient, phone and address, so it is encrypted (decision 13)."""

    __tablename__ = "api_idempotency"
    __table_args__ = (Index("ix_api_idempotency_created", "created_at"),)

    key_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer)
    response: Mapped[dict[str, Any] | None] = mapped_column(EncryptedJSON())
    created_at: Mapped[timestamp]


class ApiRateRow(Base):
    """Requests of one key in one fixed window (shared by every web process)."""

    __tablename__ = "api_rate_windows"
    __table_args__ = (Index("ix_api_rate_windows_start", "window_start"),)

    key_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UtcDateTime(), primary_key=True)
    requests: Mapped[int] = mapped_column(Integer)
