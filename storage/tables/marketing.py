"""Tables of marketing (issue 16, bringing customers back): back-in-stock subscriptions,
broadcasts and each broadcast's recipients."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UtcDateTime, intpk, timestamp


class BackInStockRow(Base):
    """A customer waiting for a sold-out product. Notified once: `notified_at` is set in the
    transaction that queues the message; subscribing again clears it."""

    __tablename__ = "back_in_stock_subscriptions"
    __table_args__ = (UniqueConstraint("customer_id", "product_id"),)

    id: Mapped[intpk]
    customer_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("customers.id", ondelete="CASCADE")
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    created_at: Mapped[timestamp]
    notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


# Who still waits for a product, and nothing else: the restock hook reads this partial index,
# so its cost is the product's waiting subscribers, not every subscription ever made.
WAITING = "notified_at IS NULL"
Index(
    "ix_back_in_stock_waiting",
    BackInStockRow.product_id,
    BackInStockRow.id,
    sqlite_where=text(WAITING),
    postgresql_where=text(WAITING),
)


class BroadcastRow(Base):
    """A message the merchant sent to all customers or an RFM segment. The fan-out job queues
    it to recipients in batches after `cursor` (the last customer id done); the counters move
    with the recipients' outcomes."""

    __tablename__ = "broadcasts"
    __table_args__ = (Index("ix_broadcasts_status", "status", "id"),)

    id: Mapped[intpk]
    audience: Mapped[str] = mapped_column(String(16))  # "all" or a Segment value
    text_html: Mapped[str] = mapped_column(Text)  # the merchant's text (not personal data)
    photo_file_id: Mapped[str | None] = mapped_column(String(256))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    language: Mapped[str | None] = mapped_column(String(8))  # of the admin who sent it
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[timestamp]
    status: Mapped[str] = mapped_column(String(16))  # fanning_out, delivering, done
    audience_count: Mapped[int] = mapped_column(Integer, default=0)  # as previewed
    cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    fanned_out_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    queued: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    blocked: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0)
    # The merchant's card of it (kept up to date by the fan-out job as the counts move).
    card_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    card_message_id: Mapped[int | None] = mapped_column(Integer)


class BroadcastRecipientRow(Base):
    """One customer of a broadcast: keyed (broadcast, customer), so a fan-out batch run twice
    (a crash, a second runner) neither doubles nor loses a message. `outcome`: queued, then
    sent, failed or blocked; or skipped (opted out) at once."""

    __tablename__ = "broadcast_recipients"
    __table_args__ = (
        PrimaryKeyConstraint("broadcast_id", "customer_id"),
        Index("ix_broadcast_recipients_outcome", "broadcast_id", "outcome"),
    )

    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(BigInteger)
    outcome: Mapped[str] = mapped_column(String(8))
