"""What the customer-facing use cases share: the settings, the unit of work, the clock, the
order flow, and the customers (a small cache of who was seen recently)."""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from domain.checkout.ports import CheckoutUnitOfWork
from domain.checkout.shipping_methods import ShippingMethod, ShippingMethods
from domain.orders.model import Order, PaymentMethod
from domain.orders.transitions import OrderFlow
from domain.shared.clock import Clock
from domain.shared.customers import Customer, Language, display_name
from domain.shared.errors import (
    NotFoundError,
)
from domain.shared.money import Money, money_param
from domain.shared.notifications import Notification
from domain.shared.numbers import NumberSource, new_order_number
from domain.shared.ports import UnitOfWorkFactory

CUSTOMER_CACHE_TTL = timedelta(seconds=60)


CUSTOMER_CACHE_SIZE = 10_000


@dataclass(frozen=True)
class ShopConfig:
    """The shop's settings that rules depend on."""

    currency: str
    shipping_fee: Money
    admin_chat_id: int | None = None
    phone_region: str | None = None
    page_size: int = 6
    payment_methods: tuple[PaymentMethod, ...] = (
        PaymentMethod.CASH_ON_DELIVERY,
        PaymentMethod.BANK_TRANSFER,
    )
    # SHIPPING_METHODS; none: one implicit method at the flat `shipping_fee`
    shipping_methods: tuple[ShippingMethod, ...] = ()

    @property
    def shipping(self) -> ShippingMethods:
        """The shop's shipping methods (the implicit flat fee when none are configured)."""
        return ShippingMethods(self.shipping_methods, self.shipping_fee)


@dataclass(frozen=True)
class SeenCustomer:
    """Who is talking, as recorded. `new`: seen for the first time just now (their row was
    missing), so nothing of theirs exists yet: no cart, no orders (those rows need it)."""

    customer: Customer
    new: bool = False


class ShopBase:
    """What the customer-facing use cases share (see `Shop`)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[CheckoutUnitOfWork],
        clock: Clock,
        config: ShopConfig,
        order_numbers: NumberSource = new_order_number,
        tokens: Callable[[], str] = lambda: secrets.token_urlsafe(6),
        *,
        flow: OrderFlow,
    ) -> None:
        self._uow = uow
        self._flow = flow
        self._clock = clock
        self.config = config
        self._order_numbers = order_numbers
        self._tokens = tokens
        # Who was seen recently, so most updates need no database round trip just to say hello.
        self._seen: OrderedDict[int, tuple[Customer, datetime]] = OrderedDict()

    async def touch_customer(
        self, customer_id: int, first_name: str, username: str | None, language_code: str | None
    ) -> Customer:
        """Record who is talking to the shop (see `remember_customer`)."""
        seen = await self.remember_customer(customer_id, first_name, username, language_code)
        return seen.customer

    async def remember_customer(
        self, customer_id: int, first_name: str, username: str | None, language_code: str | None
    ) -> SeenCustomer:
        """Record who is talking to the shop; writes only when something changed.
        Recently seen customers come from memory (for at most a minute, so a language chosen
        through another bot process shows up soon)."""
        now = self._clock.now()
        cached = self._seen.get(customer_id)
        if cached is not None and now - cached[1] < CUSTOMER_CACHE_TTL:
            known: Customer | None = cached[0]
        else:
            async with self._uow(readonly=True) as uow:
                known = await uow.customers.get(customer_id)
        if (
            known is not None
            and known.first_name == first_name
            and known.username == username
            and known.language_code == language_code
            and known.reachable
        ):
            if cached is None or cached[0] is not known:
                self._remember(known, now)
            return SeenCustomer(replace(known))
        customer = Customer(
            id=customer_id,
            first_name=first_name,
            username=username,
            language_code=language_code,
            language=known.language if known else None,
            reachable=True,
        )
        async with self._uow() as uow:
            await uow.customers.upsert(customer)
            await uow.commit()
        self._remember(customer, now)
        return SeenCustomer(replace(customer), new=known is None)

    def _remember(self, customer: Customer, at: datetime) -> None:
        self._seen[customer.id] = (replace(customer), at)
        self._seen.move_to_end(customer.id)
        while len(self._seen) > CUSTOMER_CACHE_SIZE:
            self._seen.popitem(last=False)

    async def set_language(self, customer_id: int, language: Language) -> Customer:
        """Remember the customer's language choice."""
        async with self._uow() as uow:
            customer = await uow.customers.get(customer_id)
            if customer is None:
                raise NotFoundError()
            await uow.customers.set_language(customer_id, language.value)
            await uow.commit()
        customer.language = language
        self._remember(customer, self._clock.now())
        return customer

    async def set_optional_messages(self, customer_id: int, wanted: bool) -> Customer:
        """Turn messages that are not about an order's progress (review invitations) on or
        off for the customer; order updates always go out."""
        async with self._uow() as uow:
            customer = await uow.customers.get(customer_id)
            if customer is None:
                raise NotFoundError()
            await uow.customers.set_optional_messages(customer_id, wanted)
            await uow.commit()
        customer.optional_messages = wanted
        self._remember(customer, self._clock.now())
        return customer

    async def _alert_admin(
        self,
        uow: CheckoutUnitOfWork,
        template: str,
        order: Order,
        customer: Customer | None,
        now: object,
        **params: object,
    ) -> None:
        if self.config.admin_chat_id is None:
            return
        who = display_name(customer, order.customer_id)
        await uow.outbox.add(
            Notification(
                chat_id=self.config.admin_chat_id,
                template=template,
                params={
                    "number": order.number,
                    "customer": who,
                    "total": money_param(order.total),
                    **params,
                },
                dedupe_key=f"{template}:{order.number}",
            ),
            self._clock.now(),
        )
