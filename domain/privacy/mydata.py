"""A customer's own data (issue 12): what the shop stores about them, as a document, and its
erasure on their request.

`export` gathers the profile, saved addresses, orders (lines, status, dates), after-sales
requests and reviews, decrypted, for the customer to keep. `erase` removes the person and keeps
the merchant's books: orders keep their amounts, lines, statuses and events, without the name,
phone or address. It is refused while an order still needs the address (not yet delivered, or
with an after-sales request in progress). Both are recorded in the audit log, with no personal
data in the entry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order
from domain.privacy.ports import Erasure, PrivacyUnitOfWork
from domain.shared.audit import Target, record
from domain.shared.clock import Clock
from domain.shared.customers import customer_actor
from domain.shared.money import Money
from domain.shared.paging import Page
from domain.shared.ports import UnitOfWorkFactory

PLACEHOLDER = "[erased]"  # what a customer's name and their orders' address read as afterwards
# Orders that still need the person: the shop has to reach them, ship or take goods back.
OPEN = frozenset(
    {OrderStatus.PENDING_PAYMENT, OrderStatus.CONFIRMED, OrderStatus.PAID, OrderStatus.SHIPPED}
)
BATCH = 50  # orders and requests read per page while exporting
FORMAT = "orderbot.mydata.v1"


class OrdersStillOpenError(Exception):
    """Erasure refused: these orders (numbers) still need the customer's address."""

    def __init__(self, numbers: list[str]) -> None:
        super().__init__(", ".join(numbers))
        self.numbers = numbers


def _money(value: Money) -> str:
    return str(value.to_major())


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _order(order: Order) -> dict[str, Any]:
    return {
        "number": order.number,
        "status": order.status.value,
        "placed_at": _time(order.created_at),
        "updated_at": _time(order.updated_at),
        "currency": order.currency,
        "lines": [
            {
                "sku": line.sku,
                "name": line.name,
                "unit_price": _money(line.unit_price),
                "quantity": line.quantity,
            }
            for line in order.lines
        ],
        "shipping": _money(order.shipping),
        "total": _money(order.total),
        "payment_method": order.payment_method.value,
        "recipient": order.recipient,
        "phone": order.phone,
        "address": order.address_text,
    }


class MyData:
    """A customer's /mydata: their data as a document, and its erasure."""

    def __init__(self, uow: UnitOfWorkFactory[PrivacyUnitOfWork], clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def _orders(self, uow: PrivacyUnitOfWork, customer_id: int) -> list[Order]:
        found: list[Order] = []
        page = 0
        while True:
            paged = await uow.orders.list_for_customer(customer_id, Page(page, BATCH))
            found += paged.items
            if not paged.has_next:
                return found
            page += 1

    async def export(self, customer_id: int) -> dict[str, Any]:
        """Everything the shop stores about the customer, decrypted, as JSON-ready data."""
        now = self._clock.now()
        async with self._uow() as uow:
            customer = await uow.customers.get(customer_id)
            addresses = await uow.personal.addresses(customer_id)
            orders = await self._orders(uow, customer_id)
            requests = []
            page = 0
            while True:
                paged = await uow.after_sales.for_customer(customer_id, Page(page, BATCH))
                requests += paged.items
                if not paged.has_next:
                    break
                page += 1
            reviews = []
            for order in orders:
                review = await uow.reviews.get(order.id or 0, customer_id)
                if review is not None:
                    reviews.append((order.number, review))
            await record(
                uow,
                customer_actor(customer_id),
                "customer_export",
                Target(customer_id=customer_id),
                {"orders": len(orders)},
                at=now,
            )
            await uow.commit()
        return {
            "format": FORMAT,
            "exported_at": _time(now),
            "customer": {
                "telegram_id": customer_id,
                "first_name": customer.first_name if customer else None,
                "username": customer.username if customer else None,
                "language": customer.language.value if customer and customer.language else None,
                "verified_phone": customer.verified_phone if customer else None,
            },
            "addresses": [
                {"recipient": a.recipient, "phone": a.phone, "address": a.text} for a in addresses
            ],
            "orders": [_order(o) for o in orders],
            "after_sales": [
                {
                    "number": r.number,
                    "order": r.order_number,
                    "kind": r.kind.value,
                    "status": r.status.value,
                    "reason": r.reason.value,
                    "details": r.details,
                    "photos": len(r.photos),
                    "created_at": _time(r.created_at),
                }
                for r in requests
            ],
            "reviews": [
                {
                    "order": number,
                    "rating": review.rating,
                    "comment": review.comment,
                    "created_at": _time(review.created_at),
                }
                for number, review in reviews
            ],
        }

    async def open_orders(self, customer_id: int) -> list[str]:
        """Numbers of the customer's orders that still need their address (erasure waits)."""
        async with self._uow(readonly=True) as uow:
            return [o.number for o in await self._orders(uow, customer_id) if _still_open(o)]

    async def erase(self, customer_id: int) -> Erasure:
        """Erase the customer's personal data and record it; OrdersStillOpenError while an
        order still needs them (nothing changes then)."""
        now = self._clock.now()
        async with self._uow() as uow:
            still_open = [o.number for o in await self._orders(uow, customer_id) if _still_open(o)]
            if still_open:
                raise OrdersStillOpenError(still_open)
            erased = await uow.personal.erase(customer_id, PLACEHOLDER, now)
            await record(
                uow,
                customer_actor(customer_id),
                "customer_erase",
                Target(customer_id=customer_id),
                {
                    "orders": erased.orders,
                    "addresses": erased.addresses,
                    "requests": erased.requests,
                    "reviews": erased.reviews,
                    "messages": erased.messages,
                },
                at=now,
            )
            await uow.commit()
        return erased


def _still_open(order: Order) -> bool:
    return order.status in OPEN or order.after_sales_open > 0
