"""Placing an order, whoever places it: the part a chat checkout (`Ordering.place_order`) and
an order from another sales channel (`domain/channels/`) share. In the caller's unit of work:
`place_new_order` snapshots names and prices, takes a fresh order number, stores the order
with its PLACED event and accepts a cash-on-delivery order at once (through the order flow);
the caller writes what else the order changes (its checkout, its code's use);
`announce_and_reserve` queues the admin chat's alert, reserves every line's units (one
conditional UPDATE each: never oversold) and queues the low-stock alerts they cause; then the
caller takes any step that sells the reserved units (an order paid as it is placed) and
commits.

The reservation is the last write but those that need it (issue 13). On PostgreSQL the UPDATE
locks the product's row until the commit, and every other order of that product waits for
it: in a flash sale the orders pass through that row one at a time, each holding it for its
statements from the reservation to the commit (20 when the reservation came first, now the
rollups'; tests/e2e/test_stock_hold.py counts them). So the lines are checked against the
stock as read first (a line short as read raises before anything is written), the order's
own rows are written before the reservation, and the reservation returns the product as it
left it, which the low-stock alert reads instead of reading it again."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.catalog.model import Product
from domain.catalog.stock import queue_low_stock_alerts
from domain.checkout.ports import CheckoutUnitOfWork
from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import Order, OrderEvent, OrderLine, PaymentMethod
from domain.orders.shipping_choice import ShippingChoice
from domain.orders.transitions import OrderFlow
from domain.promotions.rules import Discount
from domain.shared import journal
from domain.shared.errors import DuplicateError, OutOfStockError, ProductUnavailableError
from domain.shared.money import Money, money_param
from domain.shared.notifications import Notification
from domain.shared.numbers import NumberSource

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class NewOrder:
    """What an order is placed from: who, which products (as read in this unit of work) and
    how many, where to and how it is paid."""

    customer_id: int
    actor: str  # the PLACED event's actor: "customer:<id>", "channel:<name>"
    lines: Sequence[tuple[Product, int]]
    payment_method: PaymentMethod
    recipient: str
    phone: str
    address_text: str
    currency: str
    shipping: Money
    checkout_token: str | None = None
    # A promo code's discount (issue 16): its shares go on the lines, in their order.
    discount: Discount | None = None
    channel: str | None = None
    channel_reference: str | None = None
    shipping_method: ShippingChoice | None = None  # None: the shop's flat fee


def check_lines(lines: Sequence[tuple[Product, int]]) -> None:
    """Raise, before anything is written, when a line's product is off sale or short of stock
    as read in this unit of work (on SQLite under the write lock, so current; on PostgreSQL
    as last committed, so the reservation checks again)."""
    for product, quantity in lines:
        if not product.active:
            raise ProductUnavailableError(name=product.name)
        if product.available < quantity:
            raise OutOfStockError(name=product.name, available=product.available)


async def reserve_lines(uow: CheckoutUnitOfWork, order: Order) -> dict[int, Product]:
    """Reserve each line's units, or raise (the caller's transaction is rolled back); returns
    the products as the reservations left them."""
    left: dict[int, Product] = {}
    for line in order.lines:
        product = await uow.products.reserve_and_read(line.product_id, line.quantity)
        if product is None:
            # Taken (or taken off sale) since it was read: say what is left now.
            fresh = await uow.products.get(line.product_id)
            if fresh is None or not fresh.active:
                raise ProductUnavailableError(name=line.name)
            raise OutOfStockError(name=line.name, available=fresh.available)
        left[line.product_id] = product
    return left


async def fresh_number(uow: CheckoutUnitOfWork, numbers: NumberSource) -> str:
    """An order number not taken yet."""
    for _ in range(8):
        number = numbers()
        if not await uow.orders.number_taken(number):
            return number
    raise DuplicateError("error.generic")  # 40 random bits colliding 8 times: not in practice


async def place_new_order(
    uow: CheckoutUnitOfWork,
    new: NewOrder,
    *,
    flow: OrderFlow,
    numbers: NumberSource,
    now: datetime,
) -> Order:
    """Store the order and its PLACED event, confirm cash on delivery (see the module); its
    units are reserved by `announce_and_reserve`, which the caller runs before committing.
    Raises DuplicateError when the checkout token or the channel's reference was taken
    meanwhile."""
    check_lines(new.lines)
    number = await fresh_number(uow, numbers)
    order = Order(
        number=number,
        customer_id=new.customer_id,
        status=OrderStatus.PENDING_PAYMENT,
        currency=new.currency,
        lines=[
            OrderLine(
                product_id=product.id,
                sku=product.sku,
                name=product.name,
                unit_price=product.price,
                quantity=quantity,
            )
            for product, quantity in new.lines
        ],
        shipping=new.shipping,
        payment_method=new.payment_method,
        recipient=new.recipient,
        phone=new.phone,
        address_text=new.address_text,
        created_at=now,
        updated_at=now,
        checkout_token=new.checkout_token,
        channel=new.channel,
        channel_reference=new.channel_reference,
        shipping_method=new.shipping_method,
    )
    if new.discount is not None:
        order.promo_code = new.discount.code
        order.discount_minor = new.discount.amount
        for line, share in zip(order.lines, new.discount.shares, strict=True):
            line.discount_minor = share
    order.id = await uow.orders.add(order)
    event = OrderEvent(
        type=OrderEventType.PLACED, actor=new.actor, at=now, to_status=OrderStatus.PENDING_PAYMENT
    )
    await uow.orders.add_event(order.id, event)
    order.events.append(event)
    journal.note(
        log,
        "order %s placed by %s: %d units, %s %s, %s",
        number,
        journal.who(new.actor),
        sum(line.quantity for line in order.lines),
        order.total.to_major(),
        order.currency,
        order.payment_method.value,
        order=number,
        event=OrderEventType.PLACED.value,
    )
    if order.payment_method == PaymentMethod.CASH_ON_DELIVERY:
        # Cash on delivery goes on to fulfilment unpaid; the courier collects the money. The
        # order keeps its units reserved (no stock moves), so this may precede the reservation.
        await flow.step(uow, order, "confirm_cod", actor=new.actor, at=now)
    return order


def shipping_param(order: Order) -> dict[str, object]:
    """The order's shipping method for a notification (none for the flat fee)."""
    method = order.shipping_method
    return {"shipping_method": method.to_dict()} if method else {}


async def announce_and_reserve(
    uow: CheckoutUnitOfWork,
    admin_chat_id: int | None,
    template: str,
    order: Order,
    now: datetime,
    **params: object,
) -> None:
    """Tell the admin chat of a placed order (`template` with its lines, payment, address and
    delivery method, once per order), reserve its units (OutOfStockError or
    ProductUnavailableError when they are gone: the caller's transaction is rolled back) and
    queue the low-stock alerts that causes. Last before the commit (see the module) but for a
    step that sells the reserved units. A chat order and a channel's say who placed it in
    `params`."""
    if admin_chat_id is not None:
        await uow.outbox.add(
            Notification(
                chat_id=admin_chat_id,
                template=template,
                params={
                    "number": order.number,
                    "total": money_param(order.total),
                    "lines": [[line.quantity, line.name] for line in order.lines],
                    "payment": str(order.payment_method),
                    "address": order.address_text,
                    **shipping_param(order),
                    **params,
                },
                dedupe_key=f"{template}:{order.number}",
            ),
            now,
        )
    left = await reserve_lines(uow, order)
    await queue_low_stock_alerts(
        uow,
        admin_chat_id,
        now,
        {line.product_id: line.quantity for line in order.lines},
        f"order:{order.number}",
        left=left,
    )


async def pay_if_nothing_due(
    uow: CheckoutUnitOfWork,
    flow: OrderFlow,
    order: Order,
    method: PaymentMethod,
    actor: str,
    now: datetime,
) -> None:
    """An order that costs nothing (PaymentMethod.FREE) is paid as it is placed, through the
    flow: the reserved units are sold, and the payment of 0 is recorded by the PAID reaction
    (domain/reactions.py). Run after `announce_and_reserve`, before the commit; a chat's
    Confirm and a channel's order alike."""
    if method == PaymentMethod.FREE:
        await flow.step(
            uow, order, "pay", actor=actor, at=now, params={"method": PaymentMethod.FREE.value}
        )
