"""Tables of the shop (SQLAlchemy 2 typed declarative). Enums are stored as strings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every engine (SQLite keeps them as naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


intpk = Annotated[int, mapped_column(Integer, primary_key=True, autoincrement=True)]
tg_id = Annotated[int, mapped_column(BigInteger)]
timestamp = Annotated[datetime, mapped_column(UtcDateTime())]
json_dict = Annotated[dict[str, Any], mapped_column(JSON)]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


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


class CategoryRow(Base):
    __tablename__ = "categories"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(64), unique=True)
    position: Mapped[int] = mapped_column(default=0)


class ProductRow(Base):
    __tablename__ = "products"
    __table_args__ = (
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("reserved <= stock", name="reserved_within_stock"),
        Index("ix_products_category_active", "category_id", "active"),
    )

    id: Mapped[intpk]
    sku: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    description: Mapped[str] = mapped_column(Text, default="")
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    stock: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    low_stock_threshold: Mapped[int] = mapped_column(default=0)
    photo: Mapped[str | None] = mapped_column(String(1024))
    photo_file_id: Mapped[str | None] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[timestamp]
    updated_at: Mapped[timestamp]


class CartLineRow(Base):
    __tablename__ = "cart_lines"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    quantity: Mapped[int]
    added_at: Mapped[timestamp]


class AddressRow(Base):
    __tablename__ = "addresses"

    id: Mapped[intpk]
    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    recipient: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[timestamp]


class CheckoutRow(Base):
    """One checkout per customer; a new checkout replaces the row and its token."""

    __tablename__ = "checkouts"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    draft: Mapped[json_dict]
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    updated_at: Mapped[timestamp]


class OrderRow(Base):
    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_customer_created", "customer_id", "created_at"),)

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(String(16), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    checkout_token: Mapped[str | None] = mapped_column(String(32), unique=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_minor: Mapped[int] = mapped_column(BigInteger)
    shipping_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    payment_method: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(32))
    address_text: Mapped[str] = mapped_column(String(300))
    # After-sales requests still open on this order (kept by the after-sales use cases);
    # auto-completion skips orders where it is not zero.
    after_sales_open: Mapped[int] = mapped_column(default=0, server_default="0")
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


class OrderEventRow(Base):
    __tablename__ = "order_events"

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    params: Mapped[json_dict]
    created_at: Mapped[timestamp]


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
    params: Mapped[json_dict]
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


# --- merchant (admin chat) ---


class ShipmentRow(Base):
    """A parcel handed to a carrier; `key` (the ship dialog's token) makes recording it once."""

    __tablename__ = "shipments"
    __table_args__ = (UniqueConstraint("key"),)

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    carrier_code: Mapped[str] = mapped_column(String(16))
    carrier_name: Mapped[str] = mapped_column(String(64))
    tracking_number: Mapped[str] = mapped_column(String(64))
    tracking_url: Mapped[str | None] = mapped_column(String(512))
    note: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(32))
    shipped_at: Mapped[timestamp]


class DialogRow(Base):
    """A merchant-feature dialog in progress, one per chat and user."""

    __tablename__ = "merchant_dialogs"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    token: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(32))
    data: Mapped[json_dict]
    updated_at: Mapped[timestamp]


class InventoryLogRow(Base):
    """Every stock change and product edit an admin made, with who and why."""

    __tablename__ = "inventory_log"
    __table_args__ = (Index("ix_inventory_log_product_created", "product_id", "created_at"),)

    id: Mapped[intpk]
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    delta: Mapped[int]
    stock_after: Mapped[int]
    reason: Mapped[str] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[timestamp]


# --- payments ---


class PaymentRow(Base):
    """Money received: a Telegram charge (unique id: a replayed update takes effect once), a
    bank transfer the merchant confirmed, or cash collected on delivery."""

    __tablename__ = "payments"
    __table_args__ = (UniqueConstraint("telegram_charge_id"),)

    id: Mapped[intpk]
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(16))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    flag_reason: Mapped[str | None] = mapped_column(String(16))
    telegram_charge_id: Mapped[str | None] = mapped_column(String(255))
    provider_charge_id: Mapped[str | None] = mapped_column(String(255))
    payload: Mapped[json_dict]
    received_at: Mapped[timestamp]


class RefundRow(Base):
    """A payment given back; one per payment, recorded as pending before Telegram is asked."""

    __tablename__ = "refunds"
    __table_args__ = (UniqueConstraint("payment_id"),)

    id: Mapped[intpk]
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[timestamp]
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class TransferReceiptRow(Base):
    """A photo of a bank transfer receipt sent by the customer, and the merchant's review."""

    __tablename__ = "transfer_receipts"
    __table_args__ = (Index("ix_transfer_receipts_order_status", "order_id", "status"),)

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(BigInteger)
    file_id: Mapped[str] = mapped_column(String(256))
    file_unique_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(16))
    reviewer: Mapped[str | None] = mapped_column(String(64))
    submitted_at: Mapped[timestamp]
    reviewed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class PaymentReminderRow(Base):
    """The payment reminder of an order went out (its primary key makes that happen once)."""

    __tablename__ = "payment_reminders"

    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    sent_at: Mapped[timestamp]


# --- update inbox (durable payments) ---


class UpdateInboxRow(Base):
    """Payment updates as fetched from Telegram, written before the offset is confirmed, so
    a crash before the payment is recorded cannot lose it (see bot/inbox.py)."""

    __tablename__ = "update_inbox"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    telegram_charge_id: Mapped[str] = mapped_column(String(255), index=True)
    payload: Mapped[json_dict]
    received_at: Mapped[timestamp]
    replayed: Mapped[int] = mapped_column(default=0)


# --- jobs and tracking ---

# The outbox sends a chat's rows in order: a row is claimed only when no earlier row of its chat
# is pending, which this index answers without a scan.
Index("ix_outbox_chat_id_id", OutboxRow.chat_id, OutboxRow.id)


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


class JobRunRow(Base):
    """One run of a scheduled job: when, how long, and what it did (the last few per job)."""

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started", "job", "started_at"),)

    id: Mapped[intpk]
    job: Mapped[str] = mapped_column(String(32))
    runner: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[timestamp]
    finished_at: Mapped[timestamp]
    duration_ms: Mapped[int]
    ok: Mapped[bool]
    summary: Mapped[str] = mapped_column(Text, default="")


class JobLockRow(Base):
    """Who runs a job now (SQLite; PostgreSQL uses advisory locks): a lease that the holder
    renews while it runs and that another runner may take once it has expired."""

    __tablename__ = "job_locks"

    job: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    locked_until: Mapped[timestamp]


# --- after-sales and reviews ---


class AfterSalesRequestRow(Base):
    """A customer's return, exchange or repair of units of one order (domain/after_sales.py)."""

    __tablename__ = "after_sales_requests"
    __table_args__ = (
        UniqueConstraint("number"),
        Index("ix_after_sales_requests_status_created", "status", "created_at"),
        Index("ix_after_sales_requests_customer_created", "customer_id", "created_at"),
    )

    id: Mapped[intpk]
    number: Mapped[str] = mapped_column(String(16))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(16))
    details: Mapped[str | None] = mapped_column(Text)
    photos: Mapped[list[Any]] = mapped_column(JSON, default=list)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    disposition: Mapped[str | None] = mapped_column(String(16))
    # The customer's parcel back to the shop.
    return_carrier_code: Mapped[str | None] = mapped_column(String(16))
    return_carrier_name: Mapped[str | None] = mapped_column(String(64))
    return_tracking: Mapped[str | None] = mapped_column(String(64))
    return_url: Mapped[str | None] = mapped_column(String(512))
    returned_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The shop's parcel to the customer: the replacement, or the repaired goods.
    ship_carrier_code: Mapped[str | None] = mapped_column(String(16))
    ship_carrier_name: Mapped[str | None] = mapped_column(String(64))
    ship_tracking: Mapped[str | None] = mapped_column(String(64))
    ship_url: Mapped[str | None] = mapped_column(String(512))
    shipped_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[timestamp]
    updated_at: Mapped[timestamp]


class AfterSalesLineRow(Base):
    """Units of one order line a request covers."""

    __tablename__ = "after_sales_lines"
    __table_args__ = (
        UniqueConstraint("request_id", "order_line_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[intpk]
    request_id: Mapped[int] = mapped_column(
        ForeignKey("after_sales_requests.id", ondelete="CASCADE")
    )
    order_line_id: Mapped[int] = mapped_column(
        ForeignKey("order_lines.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int]


class AfterSalesEventRow(Base):
    """A request's timeline: who did what, when, from which status to which."""

    __tablename__ = "after_sales_events"

    id: Mapped[intpk]
    request_id: Mapped[int] = mapped_column(
        ForeignKey("after_sales_requests.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    params: Mapped[json_dict]
    created_at: Mapped[timestamp]


class AfterSalesRefundRow(Base):
    """The money of a return given back; one per request, pending before Telegram is asked."""

    __tablename__ = "after_sales_refunds"
    __table_args__ = (UniqueConstraint("request_id"),)

    id: Mapped[intpk]
    request_id: Mapped[int] = mapped_column(
        ForeignKey("after_sales_requests.id", ondelete="CASCADE")
    )
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    method: Mapped[str] = mapped_column(String(16))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[timestamp]
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class AfterSalesDialogRow(Base):
    """A customer's after-sales dialog in progress (a request, a return parcel, a review's
    comment), one per customer; a new one replaces the row and its token."""

    __tablename__ = "after_sales_dialogs"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    kind: Mapped[str] = mapped_column(String(16))
    token: Mapped[str] = mapped_column(String(32))
    step: Mapped[str] = mapped_column(String(16))
    data: Mapped[json_dict]
    updated_at: Mapped[timestamp]


class ReviewRow(Base):
    """A customer's rating (1-5) of a completed order; one per order and customer."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("order_id", "customer_id"),
        CheckConstraint("rating >= 1 AND rating <= 5", name="rating_range"),
    )

    id: Mapped[intpk]
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(BigInteger)
    rating: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[timestamp]
    updated_at: Mapped[timestamp]
