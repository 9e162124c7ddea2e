"""Tables of promo codes: the codes and each order's use of one (issue 16)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UtcDateTime, intpk, tg_id, timestamp


class PromoCodeRow(Base):
    __tablename__ = "promo_codes"
    __table_args__ = (
        # The redemption's conditional UPDATE keeps this; the CHECK is the last line of defence.
        CheckConstraint("uses >= 0", name="uses_not_negative"),
        CheckConstraint("max_uses IS NULL OR uses <= max_uses", name="uses_within_max"),
    )

    id: Mapped[intpk]
    code: Mapped[str] = mapped_column(String(32), unique=True)  # normalised: upper case
    kind: Mapped[str] = mapped_column(String(16))  # percent | fixed
    value: Mapped[int] = mapped_column(BigInteger)  # percent, or minor units
    currency: Mapped[str] = mapped_column(String(3))
    min_subtotal_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    valid_from: Mapped[datetime | None] = mapped_column(UtcDateTime())
    valid_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    max_uses: Mapped[int | None]
    max_uses_per_customer: Mapped[int | None]
    # Scope as comma-separated ids ('' = every product), read with the code, never queried.
    product_ids: Mapped[str] = mapped_column(String(512), default="")
    category_ids: Mapped[str] = mapped_column(String(512), default="")
    free_shipping: Mapped[bool] = mapped_column(default=False)
    paused: Mapped[bool] = mapped_column(default=False)
    uses: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[timestamp]


class PromoRedemptionRow(Base):
    """One order's use of a code: at most one per order (the unique order_id makes a replayed
    confirmation redeem once); `returned_at` is set when the order is cancelled or expires and
    its use goes back, once."""

    __tablename__ = "promo_redemptions"
    __table_args__ = (
        # per-customer limits: a customer's redemptions of a code
        Index("ix_promo_redemptions_promo_customer", "promo_id", "customer_id"),
        # ... and a buyer's without Telegram, by their phone's blind index term
        Index("ix_promo_redemptions_promo_buyer", "promo_id", "buyer_term"),
    )

    id: Mapped[intpk]
    promo_id: Mapped[int] = mapped_column(ForeignKey("promo_codes.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    customer_id: Mapped[tg_id]
    created_at: Mapped[timestamp]
    returned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # A buyer without Telegram (another sales channel's): the blind index term of their
    # order's phone (storage/crypto.py), what a per-customer limit counts them by; re-indexed
    # when the keys rotate (`reindex_promo_buyers`). None for a Telegram customer.
    buyer_term: Mapped[str | None] = mapped_column(String(64))


class PromoSalesRow(Base):
    """Orders placed with a code, by the code and the order's current status: how many, their
    totals and their discounts. Kept with the sales rollups (storage/rollups.py) in the
    transaction that places an order or changes its status, so a code's card reads a row per
    status instead of every order that used the code (issue 13)."""

    __tablename__ = "promo_sales"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    status: Mapped[str] = mapped_column(String(32), primary_key=True)
    orders: Mapped[int]
    total_minor: Mapped[int] = mapped_column(BigInteger)
    discount_minor: Mapped[int] = mapped_column(BigInteger)
