"""Tables of shipping: the rows its repositories read and write."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UtcDateTime, intpk, timestamp

# --- merchant (admin chat) ---


class ShipmentRow(Base):
    """A parcel handed to a carrier; `key` (the ship dialog's token) makes recording it once."""

    __tablename__ = "shipments"
    __table_args__ = (UniqueConstraint("key"),)

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    carrier_code: Mapped[str] = mapped_column(String(16))
    carrier_name: Mapped[str] = mapped_column(String(64))
    tracking_number: Mapped[str] = mapped_column(String(64), index=True)  # /find by number
    tracking_url: Mapped[str | None] = mapped_column(String(512))
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(32))
    shipped_at: Mapped[timestamp]


class ShipmentTrackingRow(Base):
    """Where a shipment's tracking stands: the latest status, and when to ask the carrier
    again (errors back off; a delivered shipment is no longer polled)."""

    __tablename__ = "shipment_tracking"

    shipment_id: Mapped[int] = mapped_column(
        ForeignKey("shipments.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    status: Mapped[str | None] = mapped_column(String(32))
    polls: Mapped[int] = mapped_column(default=0)
    streak: Mapped[int] = mapped_column(default=0)  # polls in a row that failed or saw trouble
    last_polled_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    next_poll_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[timestamp]


class TrackingCheckpointRow(Base):
    """A checkpoint of a shipment; (shipment, key) is unique, so one seen twice is kept once."""

    __tablename__ = "tracking_checkpoints"
    __table_args__ = (UniqueConstraint("shipment_id", "key"),)

    id: Mapped[intpk]
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    happened_at: Mapped[timestamp]
    location: Mapped[str] = mapped_column(String(200), default="")
    message: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[timestamp]
