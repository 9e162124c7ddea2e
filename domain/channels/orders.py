"""Orders from other sales channels (issue 17): a web shop, a marketplace, staff taking phone
orders, each an API key by name. They share the bot's catalog, stock, lifecycle, notifications
and admin chat; the HTTP layer (bot/api/) calls these use cases and nothing else.

The interface, as the HTTP layer codes against it:

    ChannelOrders.place(request) -> PlacedOrder            # PlacedOrder(order, created)
    ChannelOrders.get(number, channel=None) -> Order | None  # with its events
    ChannelOrders.cancel_unpaid(channel, number) -> Order
    ChannelOrders.mark_paid(channel, number) -> Order      # admin scope
    ChannelOrders.ship(channel, number, carrier, tracking) -> Order   # admin scope
    ChannelOrders.changed_since(since, after, limit) -> list[Order]   # admin scope; keyset

Every refusal is a DomainError with a locale key (domain/shared/errors.py): InvalidInputError
(a field; its key says which), ProductUnavailableError, OutOfStockError, NotFoundError,
IllegalTransitionError (the order's status forbids the step). Nothing is changed then.

Rules, the same as a chat order's (domain/checkout/placing.py places both): the fields are
checked as the checkout checks what a customer types; prices are the catalog's at placing
time; the delivery method is the channel's choice among the shop's SHIPPING_METHODS (its code;
without one, the only method serving the address), checked as the checkout checks it (it must
serve the address; pickup needs no address) and snapshotted with its fee, or the flat
SHIPPING_FEE of a shop without methods; stock is reserved by the same conditional UPDATE; the order
number comes from the same generator; the PLACED event's actor is `channel:<name>`; a cash on
delivery order is confirmed at once; the admin chat is alerted, naming the channel, through the
outbox in the same transaction, with its low-stock alerts. Card and Stars payments are Telegram
invoices, which only a Telegram customer can pay: refused.

A promo code (issue 16) is quoted and redeemed as at a chat order's Confirm (one conditional
UPDATE of its uses in the order's transaction; PromoError, a 422, when it does not apply or is
used up; a per-customer limit counts the order's customer, and each buyer without Telegram by
their order's phone, not the channel's row that stands for them all). An order the code leaves
nothing to pay for (a total of 0: 100 % off with free shipping or pickup) is placed paid,
whatever method was named, as a chat order with nothing to pay is: payment method `free`,
stepped `pay` through the order flow (its reserved units sold), and the PAID reaction records a
payment of 0. `free` named for an order with something to pay is refused (InvalidInputError
checkout.payment_needed, with the total).

Who it belongs to: the Telegram customer who shared the order's phone as their own contact in
checkout (a verified phone), so it shows in their My orders and they are told of its progress;
otherwise the channel's customer row, one per channel, which has no Telegram chat (its id lies
below every Telegram id, and the outbox skips notifications to it)."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.channels.ports import ChannelsUnitOfWork
from domain.checkout.ordering import PlacedOrder
from domain.checkout.placing import (
    NewOrder,
    announce_and_reserve,
    pay_if_nothing_due,
    place_new_order,
)
from domain.checkout.shipping_methods import ShippingMethod
from domain.checkout.shop_base import ShopConfig
from domain.checkout.validation import check_address, check_phone, check_quantity, check_recipient
from domain.merchant.orders import MerchantOrders
from domain.orders import lifecycle
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order, PaymentMethod
from domain.orders.transitions import OrderFlow
from domain.payments.receiving import note_payment
from domain.payments.records import Payment, PaymentStatus
from domain.promotions.redemption import quote_code, redeem_code
from domain.promotions.rules import Discount, PromoLine
from domain.shared.audit import Target, record
from domain.shared.clock import Clock
from domain.shared.customers import CHANNEL_CUSTOMER_BASE, display_name, language_of
from domain.shared.errors import (
    DuplicateError,
    IllegalTransitionError,
    InvalidInputError,
    NotFoundError,
    ProductUnavailableError,
)
from domain.shared.money import Money, money_param
from domain.shared.notifications import Notification
from domain.shared.numbers import NumberSource, new_order_number, normalize_order_number
from domain.shared.ports import UnitOfWorkFactory

__all__ = [
    "ChannelLine",
    "ChannelOrderRequest",
    "ChannelOrders",
    "PlacedOrder",
    "channel_actor",
    "channel_customer_id",
]

log = logging.getLogger(__name__)

CHANNEL_MAX = 32  # orders.channel
REFERENCE_MAX = 64  # orders.channel_reference
LINES_MAX = 50
CHANNEL_PAYMENTS = (PaymentMethod.CASH_ON_DELIVERY, PaymentMethod.BANK_TRANSFER)
PAGE_MAX = 500  # changed_since's largest page


@dataclass(frozen=True)
class ChannelLine:
    """One product and how many (1 to 99, as in a cart)."""

    product_id: int
    quantity: int


@dataclass(frozen=True)
class ChannelOrderRequest:
    """An order as another sales channel sends it."""

    channel: str  # the API key's name, e.g. "webshop"
    reference: str | None  # the channel's own order id; unique per channel (idempotent)
    lines: list[ChannelLine]
    recipient: str
    phone: str
    address_text: str
    # cod or bank (card and stars are Telegram invoices); free: nothing to pay, taken only
    # when a code makes the total 0 (which is placed paid whatever is named)
    payment_method: PaymentMethod
    # A code of SHIPPING_METHODS (issue 16); None: the only delivery method serving the
    # address. A pickup method needs no address.
    shipping_method: str | None = None
    promo_code: str | None = None  # a promo code, as a customer would type it (issue 16)


def channel_actor(channel: str) -> str:
    """Who did it, in an event's or audit entry's `actor`: a sales channel (its API key)."""
    return f"channel:{channel}"


def channel_customer_id(channel: str) -> int:
    """The id of the customer row that stands for a channel's buyers without a Telegram
    account: below every Telegram id (domain/shared/customers.py), the same for a name on
    every process (48 bits of BLAKE2b of the name, so two channels do not share one)."""
    digest = hashlib.blake2b(channel.encode(), digest_size=6).digest()
    return CHANNEL_CUSTOMER_BASE - 1 - int.from_bytes(digest, "big")


def _aware(at: datetime) -> datetime:
    """A time without a zone is taken as UTC (stored times are UTC)."""
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _check_channel(channel: str) -> str:
    name = (channel or "").strip()
    if not name or len(name) > CHANNEL_MAX:
        raise InvalidInputError("channel.error.channel", max=CHANNEL_MAX)
    return name


def _check_reference(reference: str | None) -> str | None:
    if reference is None:
        return None
    text = reference.strip()
    if not text or len(text) > REFERENCE_MAX or not text.isprintable():
        raise InvalidInputError("channel.error.reference", max=REFERENCE_MAX)
    return text


class ChannelOrders:
    """Orders from other sales channels. Built once by the composition root (bot/app.py) and
    reachable as `services.channels`."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[ChannelsUnitOfWork],
        clock: Clock,
        config: ShopConfig,
        merchant: MerchantOrders,
        order_numbers: NumberSource = new_order_number,
        *,
        flow: OrderFlow,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self.config = config
        self._merchant = merchant
        self._order_numbers = order_numbers
        self._flow = flow

    # -- placing ---------------------------------------------------------------------------

    def _payment_method(self, method: PaymentMethod | str) -> PaymentMethod:
        allowed = [m for m in CHANNEL_PAYMENTS if m in self.config.payment_methods]
        try:
            chosen = PaymentMethod(method)
        except ValueError:
            chosen = None
        if chosen == PaymentMethod.FREE:
            return chosen  # checked against the total when the order is placed
        if chosen not in allowed:
            raise InvalidInputError(
                "channel.error.payment_method", methods=", ".join(m.value for m in allowed)
            )
        assert chosen is not None
        return chosen

    async def place(self, request: ChannelOrderRequest) -> PlacedOrder:
        """Place the channel's order (see the module for the rules). Placing it again with the
        same (channel, reference) returns the first order with `created=False`, also when both
        arrive at once; without a reference every call places a new order."""
        channel = _check_channel(request.channel)
        reference = _check_reference(request.reference)
        if not request.lines:
            raise InvalidInputError("channel.error.no_lines", max=LINES_MAX)
        if len(request.lines) > LINES_MAX:
            raise InvalidInputError("channel.error.too_many_lines", max=LINES_MAX)
        wanted: dict[int, int] = {}  # a product named twice is one line
        for line in request.lines:
            check_quantity(line.quantity)
            wanted[line.product_id] = check_quantity(wanted.get(line.product_id, 0) + line.quantity)
        recipient = check_recipient(request.recipient)
        phone = check_phone(request.phone, self.config.phone_region)
        shipping = self.config.shipping
        chosen = shipping.get(request.shipping_method) if request.shipping_method else None
        if request.shipping_method and chosen is None:
            raise InvalidInputError(
                "channel.error.shipping_unknown",
                method=request.shipping_method,
                methods=", ".join(m.code for m in shipping.all),
            )
        if chosen is not None and chosen.pickup:
            address = (request.address_text or "").strip()  # collected at the shop
        else:
            address = check_address(request.address_text)
        method = self._payment_method(request.payment_method)
        code = (request.promo_code or "").strip() or None
        if reference is not None:
            known = await self._by_reference(channel, reference)
            if known is not None:
                return PlacedOrder(known, created=False)
        try:
            return await self._place(
                channel, reference, wanted, recipient, phone, address, method, chosen, code
            )
        except DuplicateError:
            # Placed meanwhile by a concurrent call with the same reference (the unique index
            # refused this one, whose reservations were rolled back with it).
            if reference is not None:
                known = await self._by_reference(channel, reference)
                if known is not None:
                    return PlacedOrder(known, created=False)
            raise

    async def _by_reference(self, channel: str, reference: str) -> Order | None:
        async with self._uow(readonly=True) as uow:
            order = await uow.channels.by_reference(channel, reference)
            if order is not None and order.id is not None:
                order.events = await uow.orders.events(order.id)
        return order

    async def _place(
        self,
        channel: str,
        reference: str | None,
        wanted: dict[int, int],
        recipient: str,
        phone: str,
        address: str,
        method: PaymentMethod,
        chosen: ShippingMethod | None,
        code: str | None,
    ) -> PlacedOrder:
        now = self._clock.now()
        async with self._uow() as uow:
            lines = []
            subtotal = Money.zero(self.config.currency)
            for product_id, quantity in wanted.items():
                product = await uow.products.get(product_id)
                if product is None:
                    raise ProductUnavailableError(name=f"#{product_id}")
                lines.append((product, quantity))
                subtotal += product.price * quantity
            delivery = self._delivery(chosen, address)
            customer_id = await uow.channels.customer_with_phone(phone)
            if customer_id is None:
                customer_id = channel_customer_id(channel)
                await uow.channels.ensure_channel_customer(customer_id, channel)
            fee = delivery.fee_for(subtotal)
            discount: Discount | None = None
            if code is not None:
                # PromoError (nothing written yet) when the code does not apply.
                promo_lines = [
                    PromoLine(product.id, product.category_id, (product.price * quantity).amount)
                    for product, quantity in lines
                ]
                discount = await quote_code(uow, code, promo_lines, customer_id, now, phone=phone)
            off = Money(discount.amount if discount else 0, self.config.currency)
            charged = (
                Money.zero(self.config.currency) if discount and discount.free_shipping else fee
            )
            total = subtotal - off + charged
            if total.amount == 0:
                # Nothing to pay (the code covers it all): placed paid, as a chat order is.
                method = PaymentMethod.FREE
            elif method == PaymentMethod.FREE:
                raise InvalidInputError("checkout.payment_needed", total=money_param(total))
            # Read before placing: the order's stock reservation, last before the commit,
            # holds the product's row until then (domain/checkout/placing.py).
            customer = await uow.customers.get(customer_id)
            order = await place_new_order(
                uow,
                NewOrder(
                    customer_id=customer_id,
                    actor=channel_actor(channel),
                    lines=lines,
                    payment_method=method,
                    recipient=recipient,
                    phone=phone,
                    address_text=address,
                    currency=self.config.currency,
                    shipping=charged,
                    shipping_method=self.config.shipping.snapshot(delivery),
                    discount=discount,
                    channel=channel,
                    channel_reference=reference,
                ),
                flow=self._flow,
                numbers=self._order_numbers,
                now=now,
            )
            if discount is not None:
                # One conditional UPDATE of the code's uses (PromoError when none is left);
                # a call that lost the race for the reference never gets here.
                await redeem_code(uow, discount, order, now)
            await announce_and_reserve(
                uow,
                self.config.admin_chat_id,
                "admin.channel_order",
                order,
                now,
                customer=display_name(customer, customer_id),
                channel=channel,
            )
            await pay_if_nothing_due(uow, self._flow, order, method, channel_actor(channel), now)
            await uow.commit()
        return PlacedOrder(order, created=True)

    def _delivery(self, chosen: ShippingMethod | None, address: str) -> ShippingMethod:
        """The method the order ships by: the one chosen, if it may serve the address, or
        else the only delivery method that serves it."""
        shipping = self.config.shipping
        if chosen is not None:
            if chosen.pickup or chosen.serves(address):
                return chosen
            raise InvalidInputError("channel.error.shipping_not_served", method=chosen.code)
        serving = [m for m in shipping.all if not m.pickup and m.serves(address)]
        if len(serving) == 1:
            return serving[0]
        if not serving:
            raise InvalidInputError("channel.error.shipping_none")
        raise InvalidInputError(
            "channel.error.shipping_choose", methods=", ".join(m.code for m in serving)
        )

    async def _alert_admin(
        self, uow: ChannelsUnitOfWork, template: str, order: Order, now: datetime, **params: object
    ) -> None:
        if self.config.admin_chat_id is None:
            return
        await uow.outbox.add(
            Notification(
                chat_id=self.config.admin_chat_id,
                template=template,
                params={
                    "number": order.number,
                    "channel": order.channel or "telegram",
                    "total": money_param(order.total),
                    **params,
                },
                dedupe_key=f"{template}:{order.number}",
            ),
            now,
        )

    # -- reading ---------------------------------------------------------------------------

    async def get(self, number: str, channel: str | None = None) -> Order | None:
        """One order with its events, by number; with `channel`, only that channel's orders
        (another's is None, as an unknown one is)."""
        normalized = normalize_order_number(number)
        if normalized is None:
            return None
        async with self._uow(readonly=True) as uow:
            order = await uow.orders.get_by_number(normalized)
            if order is None or (channel is not None and order.channel != channel):
                return None
            assert order.id is not None
            order.events = await uow.orders.events(order.id)
        return order

    async def changed_since(
        self, since: datetime, after: tuple[datetime, int] | None, limit: int
    ) -> list[Order]:
        """Orders of every channel (the chat's too) changed at or after `since`, oldest change
        first, a page of at most `limit` (1 to 500) starting after `after`, the (updated_at,
        id) of the previous page's last order. Any status change moves an order's updated_at,
        so a sync that pages until an empty page and remembers the last key misses none."""
        limit = max(1, min(limit, PAGE_MAX))
        since = _aware(since)
        if after is not None:
            after = (_aware(after[0]), after[1])
        async with self._uow(readonly=True) as uow:
            return await uow.channels.changed_since(since, after, limit)

    # -- steps -----------------------------------------------------------------------------

    async def _load(
        self, uow: ChannelsUnitOfWork, number: str, channel: str | None = None
    ) -> Order:
        normalized = normalize_order_number(number)
        order = await uow.orders.get_by_number(normalized) if normalized else None
        if order is None or (channel is not None and order.channel != channel):
            raise NotFoundError()
        assert order.id is not None
        return order

    async def cancel_unpaid(self, channel: str, number: str) -> Order:
        """Cancel one of the channel's orders that is not paid and not shipped: waiting for a
        bank transfer (pending payment), or cash on delivery not yet shipped (confirmed), as a
        customer may in My orders. Its units go back on sale; the admin chat is told, and the
        customer if they are a Telegram customer. An order already cancelled is returned as
        it is (a retry changes nothing); paid or shipped: IllegalTransitionError
        (channel.error.not_cancellable; a paid order needs a refund, from the admin chat)."""
        channel = _check_channel(channel)
        now = self._clock.now()
        try:
            async with self._uow() as uow:
                order = await self._load(uow, number, channel)
                if order.status == OrderStatus.CANCELLED:
                    return order
                if order.status not in lifecycle.CANCELLABLE_BY_CUSTOMER:
                    raise self._not_cancellable(order)
                await self._flow.step(
                    uow,
                    order,
                    "cancel",
                    actor=channel_actor(channel),
                    at=now,
                    note=f"cancelled by {channel}",
                    params={"channel": channel},
                )
                await record(
                    uow,
                    channel_actor(channel),
                    "order_cancel",
                    Target(order_id=order.id),
                    {"number": order.number, "reason": f"cancelled by {channel}"},
                    at=now,
                )
                await self._alert_admin(uow, "admin.channel_cancelled", order, now)
                customer = await uow.customers.get(order.customer_id)
                await uow.outbox.add(
                    Notification(
                        chat_id=order.customer_id,
                        template="channel.notify.cancelled",
                        params={"number": order.number, "channel": channel},
                        language=language_of(customer),
                        dedupe_key=f"cancelled:{order.number}",
                    ),
                    now,
                )
                await uow.commit()
        except IllegalTransitionError as exc:
            if not exc.params.get("concurrent"):
                raise
            # Someone moved it meanwhile (paid, expired, cancelled): answer from what it is now.
            async with self._uow(readonly=True) as uow:
                order = await self._load(uow, number, channel)
            if order.status != OrderStatus.CANCELLED:
                raise self._not_cancellable(order) from None
        return order

    @staticmethod
    def _not_cancellable(order: Order) -> IllegalTransitionError:
        return IllegalTransitionError(
            "channel.error.not_cancellable", number=order.number, status=str(order.status)
        )

    async def mark_paid(self, channel: str, number: str) -> Order:
        """The shop received the bank transfer of an order waiting for one (the admin scope:
        any channel's order, the chat's too): the order is paid (its units committed) with a
        bank transfer payment, the customer told, the step audited under `channel:<name>`.
        Marking a paid order paid again returns it unchanged; anything else (cash on
        delivery, a cancelled or shipped order) is IllegalTransitionError
        (channel.error.not_awaiting_transfer)."""
        channel = _check_channel(channel)
        actor = channel_actor(channel)
        now = self._clock.now()
        try:
            async with self._uow() as uow:
                order = await self._load(uow, number)
                if self._paid_by_transfer(order):
                    return order
                if (
                    order.payment_method != PaymentMethod.BANK_TRANSFER
                    or order.status != OrderStatus.PENDING_PAYMENT
                ):
                    raise self._not_awaiting(order)
                await self._flow.step(
                    uow,
                    order,
                    "pay",
                    actor=actor,
                    at=now,
                    params={"method": PaymentMethod.BANK_TRANSFER.value},
                )
                payment = Payment(
                    order_id=order.id,
                    customer_id=order.customer_id,
                    method=PaymentMethod.BANK_TRANSFER,
                    amount=order.total,
                    status=PaymentStatus.APPLIED,
                    received_at=now,
                    payload={"marked_paid_by": actor},
                )
                payment.id = await uow.payments.add(payment)
                note_payment(payment, order.number)
                customer = await uow.customers.get(order.customer_id)
                await uow.outbox.add(
                    Notification(
                        chat_id=order.customer_id,
                        template="pay.customer.transfer_confirmed",
                        params={"number": order.number, "total": money_param(order.total)},
                        language=language_of(customer),
                        dedupe_key=f"pay.transfer_marked_paid:{order.number}",
                    ),
                    now,
                )
                await record(
                    uow,
                    actor,
                    "order_mark_paid",
                    Target(order_id=order.id, customer_id=order.customer_id),
                    {"number": order.number, "payment_id": payment.id},
                    at=now,
                )
                await uow.commit()
        except IllegalTransitionError as exc:
            if not exc.params.get("concurrent"):
                raise
            async with self._uow(readonly=True) as uow:
                order = await self._load(uow, number)
            if not self._paid_by_transfer(order):
                raise self._not_awaiting(order) from None
        return order

    @staticmethod
    def _paid_by_transfer(order: Order) -> bool:
        return (
            order.payment_method == PaymentMethod.BANK_TRANSFER and order.status == OrderStatus.PAID
        )

    @staticmethod
    def _not_awaiting(order: Order) -> IllegalTransitionError:
        return IllegalTransitionError(
            "channel.error.not_awaiting_transfer", number=order.number, status=str(order.status)
        )

    async def ship(self, channel: str, number: str, carrier: str, tracking: str) -> Order:
        """Hand a paid (or cash on delivery) order to a carrier (the admin scope): the ship
        dialog's use case without the dialog (`MerchantOrders.ship_order`): the step, the
        shipment the tracking job follows, the audit entry under `channel:<name>`, the
        customer's notice. The same carrier and tracking number again returns the order as it
        is; another shipment of a shipped order is adm.error.already_shipped; an unknown
        carrier code or a bad tracking number is InvalidInputError."""
        channel = _check_channel(channel)
        normalized = normalize_order_number(number)
        if normalized is None:
            raise NotFoundError()
        try:
            order, _ = await self._merchant.ship_order(
                channel_actor(channel), normalized, carrier, tracking, key=f"ship:{normalized}"
            )
        except IllegalTransitionError:
            async with self._uow(readonly=True) as uow:
                order = await self._load(uow, normalized)
                assert order.id is not None
                shipped = (await uow.shipments.for_orders([order.id])).get(order.id, [])
            code = self._merchant.config.carrier(carrier)
            wanted = code.check(tracking) if code is not None else None
            if any(s.carrier_code == carrier and s.tracking_number == wanted for s in shipped):
                return order
            raise
        return order
