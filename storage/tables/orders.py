"""Tables of orders: the rows its repositories read and write."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ForeignKey,
    Index,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, UtcDateTime, intpk, json_dict, timestamp
from storage.crypto import Encrypted

# An order with after-sales requests open: the partial index below holds only those. Queries
# spell it the same way with 0 in the SQL text (storage/merchant.py), so every plan can use the
# index: with a bound parameter SQLite's plan before binding (EXPLAIN's) and PostgreSQL's
# generic plan cannot, and only their re-planning with the value could.
AFTER_SALES_OPEN = "after_sales_open > 0"


class OrderRow(Base):
    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_customer_created", "customer_id", "created_at"),
        # insight: every report is a period; the admin's /orders all pages newest first
        Index("ix_orders_created", "created_at", "id"),
        # insight: a period's buyers and its orders' refunds read from the index alone (a
        # month at a million orders is ~200k rows: table lookups cost seconds on SQLite)
        Index("ix_orders_period", "created_at", "currency", "status", "customer_id"),
        # the admin's listings by status, newest or oldest first (issue 13)
        Index("ix_orders_status_created", "status", "created_at", "id"),
        # auto-completion: delivered orders by delivery time, so the sweep reads due rows only
        Index("ix_orders_status_delivered", "status", "delivered_at", "id"),
        # other sales channels (issue 17): one order per channel's own id; the sync's keyset
        Index("uq_orders_channel_reference", "channel", "channel_reference", unique=True),
        Index("ix_orders_updated", "updated_at", "id"),
        # the admin's after-sales filter (/orders "after"), oldest first: only the orders with a
        # request open, so its pages and count cost those orders, not the history (issue 13)
        Index(
            "ix_orders_after_sales_open",
            "created_at",
            "id",
            sqlite_where=text(AFTER_SALES_OPEN),
            postgresql_where=text(AFTER_SALES_OPEN),
        ),
    )

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(String(16), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    checkout_token: Mapped[str | None] = mapped_column(String(32), unique=True)
    # NULL: placed in the Telegram chat; else the sales channel (API key) and its own order id.
    channel: Mapped[str | None] = mapped_column(String(32))
    channel_reference: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_minor: Mapped[int] = mapped_column(BigInteger)
    shipping_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)  # subtotal - discount + shipping
    # The promo code the order was placed with (issue 16) and what it took off the lines.
    promo_code: Mapped[str | None] = mapped_column(String(32))
    discount_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    payment_method: Mapped[str] = mapped_column(String(16))
    # Personal data, encrypted (decision 13); found through order_search_terms.
    recipient: Mapped[str] = mapped_column(Encrypted())
    phone: Mapped[str] = mapped_column(Encrypted())
    address_text: Mapped[str] = mapped_column(Encrypted())
    # The shipping method it was placed with (domain/orders/shipping_choice.py: code, kind,
    # names, pickup place; its fee is shipping_minor); NULL: the flat SHIPPING_FEE.
    shipping_method: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # After-sales requests still open on this order (kept by the after-sales use cases);
    # auto-completion skips orders where it is not zero.
    after_sales_open: Mapped[int] = mapped_column(default=0, server_default="0")
    # The latest DELIVERED event's time, written with that event (auto-completion's clock).
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[timestamp]
    updated_at: Mapped[timestamp]


class OrderLineRow(Base):
    __tablename__ = "order_lines"

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    sku: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128))
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int]
    # The line's share of the order's discount: a return refunds what was paid for its units.
    discount_minor: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class OrderEventRow(Base):
    __tablename__ = "order_events"
    # insight: the flow metrics count status changes of a period
    __table_args__ = (Index("ix_order_events_to_status_created", "to_status", "created_at"),)

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Encrypted())  # personal, encrypted
    params: Mapped[json_dict]
    created_at: Mapped[timestamp]


class OrderSearchTermRow(Base):
    """Blind index of an order (decision 13): a keyed hash of each word of its names, of its
    phone's last digits and of the customer's @username, so /find answers by an index lookup
    without plaintext (storage/crypto.py). Written with the order; rewritten by rotate-keys."""

    __tablename__ = "order_search_terms"

    term: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True, index=True
    )
