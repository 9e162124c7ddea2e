"""The API's request and response bodies, typed (pydantic): FastAPI validates requests with
them and writes the OpenAPI 3.1 document from them. Money is integer minor units with its
ISO 4217 currency, as everywhere in the shop (domain/shared/money.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from domain.catalog.model import Product
from domain.orders.model import Order, OrderEvent

# card and Stars are Telegram invoices; free: nothing to pay (only when a promo code makes the
# total 0, and such an order is placed paid whatever is named)
PaymentMethodIn = Literal["cod", "bank", "free"]


class Strict(BaseModel):
    """A request body: unknown fields are refused, so a misspelt one is not silently lost."""

    model_config = ConfigDict(extra="forbid")


class Price(BaseModel):
    amount_minor: int = Field(description="integer minor units (cents)")
    currency: str = Field(description="ISO 4217 code", examples=["USD"])


class ProductOut(BaseModel):
    id: int
    sku: str
    name: str
    description: str
    category: str
    price: Price
    available: int = Field(description="units that can be ordered now (stock less reserved)")

    @classmethod
    def of(cls, product: Product) -> ProductOut:
        return cls(
            id=product.id,
            sku=product.sku,
            name=product.name,
            description=product.description,
            category=product.category_name,
            price=Price(amount_minor=product.price.amount, currency=product.price.currency),
            available=product.available,
        )


class ProductPage(BaseModel):
    items: list[ProductOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null: last")


class LineIn(Strict):
    product_id: int = Field(ge=1, le=2**31 - 1)
    quantity: int = Field(ge=1, le=99)


class OrderIn(Strict):
    lines: list[LineIn] = Field(min_length=1, max_length=50)
    recipient: str = Field(min_length=1, max_length=200)
    phone: str = Field(min_length=1, max_length=40, examples=["+1 202 555 0143"])
    address: str = Field(
        default="",
        max_length=500,
        description="the delivery address; not needed with a pickup method",
    )
    payment_method: PaymentMethodIn = Field(
        description="cod or bank; free when the promo code leaves nothing to pay. An order "
        "whose total is 0 is placed paid (status paid, payment_method free) whatever is named"
    )
    promo_code: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        description="a promo code of the shop, as a customer types it; refused (422) when it "
        "does not apply or is used up",
        examples=["SPRING10"],
    )
    shipping_method: str | None = Field(
        default=None,
        pattern="^[a-z]{1,8}$",
        description="a delivery method's code (the shop's SHIPPING_METHODS); without it, the "
        "only delivery method that serves the address",
        examples=["express"],
    )
    reference: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="the channel's own order id: placing it again returns the same order",
    )


class ShipIn(Strict):
    carrier: str = Field(
        min_length=1,
        max_length=64,
        description="a carrier code of the shop (CARRIERS; built in: sf, zto, ems, dhl, ups, "
        "fedex, other)",
        examples=["sf"],
    )
    tracking_number: str = Field(min_length=1, max_length=64)


class LineOut(BaseModel):
    product_id: int
    sku: str
    name: str
    quantity: int
    unit_price_minor: int
    discount_minor: int  # this line's share of the order's promo discount


class EventOut(BaseModel):
    type: str
    at: datetime
    actor: str
    from_status: str | None
    to_status: str | None


class OrderOut(BaseModel):
    number: str
    status: str
    channel: str | None
    reference: str | None
    currency: str
    lines: list[LineOut]
    subtotal_minor: int
    discount_minor: int
    promo_code: str | None
    shipping_method: str | None  # the delivery method's code; None: the shop's flat fee
    shipping_minor: int
    total_minor: int
    payment_method: str
    recipient: str
    phone: str
    address: str
    created_at: datetime
    updated_at: datetime | None
    events: list[EventOut]

    @classmethod
    def of(cls, order: Order) -> OrderOut:
        return cls(
            number=order.number,
            status=str(order.status),
            channel=order.channel,
            reference=order.channel_reference,
            currency=order.currency,
            lines=[
                LineOut(
                    product_id=line.product_id,
                    sku=line.sku,
                    name=line.name,
                    quantity=line.quantity,
                    unit_price_minor=line.unit_price.amount,
                    discount_minor=line.discount_minor,
                )
                for line in order.lines
            ],
            subtotal_minor=order.subtotal.amount,
            discount_minor=order.discount_minor,
            promo_code=order.promo_code,
            shipping_method=order.shipping_method.code if order.shipping_method else None,
            shipping_minor=order.shipping.amount,
            total_minor=order.total.amount,
            payment_method=str(order.payment_method),
            recipient=order.recipient,
            phone=order.phone,
            address=order.address_text,
            created_at=order.created_at,
            updated_at=order.updated_at,
            events=[_event(event) for event in order.events],
        )


def _event(event: OrderEvent) -> EventOut:
    return EventOut(
        type=str(event.type),
        at=event.at,
        actor=event.actor,
        from_status=None if event.from_status is None else str(event.from_status),
        to_status=None if event.to_status is None else str(event.to_status),
    )


class OrderPage(BaseModel):
    items: list[OrderOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null: last")


class ProblemOut(BaseModel):
    """application/problem+json (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[dict[str, object]] | None = None
