"""Use cases of the customer side. Each opens one unit of work: load, apply the rules, commit."""

from __future__ import annotations

import logging
import secrets
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from domain.cart.model import Cart
from domain.catalog.importing import ProductDraft
from domain.catalog.model import Category, Product
from domain.catalog.stock import queue_low_stock_alerts
from domain.checkout.flow import Checkout, CheckoutDraft, CheckoutStep, advance, first_step
from domain.checkout.model import Address
from domain.checkout.ports import CheckoutUnitOfWork
from domain.checkout.validation import check_address, check_phone, check_quantity, check_recipient
from domain.orders import lifecycle
from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import Order, OrderEvent, OrderLine, PaymentMethod
from domain.orders.transitions import OrderFlow
from domain.shared.clock import Clock
from domain.shared.customers import Customer, Language, customer_actor
from domain.shared.errors import (
    CartEmptyError,
    DuplicateError,
    IllegalTransitionError,
    NotFoundError,
    NotInCartError,
    OutOfStockError,
    PriceChangedError,
    ProductUnavailableError,
    StaleCheckoutError,
)
from domain.shared.money import Money, money_param
from domain.shared.notifications import Notification
from domain.shared.numbers import NumberSource, new_order_number, normalize_order_number
from domain.shared.paging import Page, Paged
from domain.shared.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)
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


@dataclass
class CheckoutView:
    """Everything a checkout screen shows."""

    checkout: Checkout
    cart: Cart
    addresses: list[Address]
    subtotal: Money
    shipping: Money
    payment_methods: tuple[PaymentMethod, ...] = ()

    @property
    def total(self) -> Money:
        """Cart plus shipping."""
        return self.subtotal + self.shipping


@dataclass
class PlacedOrder:
    """The result of placing an order; `created` is False when it had been placed already."""

    order: Order
    created: bool = True


@dataclass
class CartChange:
    """A cart after a change, and the product concerned."""

    cart: Cart
    product: Product | None = None
    quantity: int = 0
    notes: list[str] = field(default_factory=list)


class Shop:
    """The customer-facing use cases of one shop."""

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

    # -- customers -----------------------------------------------------------------------

    async def touch_customer(
        self, customer_id: int, first_name: str, username: str | None, language_code: str | None
    ) -> Customer:
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
            return replace(known)
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
        return replace(customer)

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

    # -- catalog -------------------------------------------------------------------------

    async def categories(self) -> list[Category]:
        """Categories that have active products."""
        async with self._uow(readonly=True) as uow:
            return await uow.products.categories()

    async def category(self, category_id: int) -> Category:
        """One category, or NotFoundError."""
        async with self._uow(readonly=True) as uow:
            category = await uow.products.category(category_id)
        if category is None:
            raise NotFoundError()
        return category

    async def products_in(self, category_id: int, page: int) -> Paged[Product]:
        """A page of a category's active products."""
        async with self._uow(readonly=True) as uow:
            return await uow.products.in_category(
                category_id, Page(max(page, 0), self.config.page_size)
            )

    async def search(self, words: str, page: int) -> Paged[Product]:
        """Active products whose name, SKU or description contains the words."""
        async with self._uow(readonly=True) as uow:
            return await uow.products.search(
                words.strip()[:64], Page(max(page, 0), self.config.page_size)
            )

    async def product(self, product_id: int) -> Product:
        """An active product, or ProductUnavailableError."""
        async with self._uow(readonly=True) as uow:
            product = await uow.products.get(product_id)
        if product is None or not product.active:
            raise ProductUnavailableError()
        return product

    async def remember_photo(self, product_id: int, file_id: str) -> None:
        """Keep Telegram's file id of an uploaded product photo, so it is uploaded once."""
        async with self._uow() as uow:
            await uow.products.set_photo_file_id(product_id, file_id)
            await uow.commit()

    async def import_catalog(self, drafts: Sequence[ProductDraft]) -> tuple[int, int]:
        """Create or update all products in one transaction; returns (created, updated)."""
        async with self._uow() as uow:
            result = await uow.products.upsert_drafts(drafts)
            await uow.commit()
        return result

    # -- cart ----------------------------------------------------------------------------

    async def cart(self, customer_id: int) -> Cart:
        """The customer's cart with current prices."""
        async with self._uow(readonly=True) as uow:
            return await uow.carts.get(customer_id)

    async def add_to_cart(self, customer_id: int, product_id: int, quantity: int) -> CartChange:
        """Add units of a product; the cart's total for it may not exceed what is available."""
        check_quantity(quantity)
        async with self._uow() as uow:
            product = await uow.products.get(product_id)
            if product is None or not product.active:
                raise ProductUnavailableError()
            cart = await uow.carts.get(customer_id)
            wanted = cart.quantity_of(product_id) + quantity
            check_quantity(wanted)
            if wanted > product.available:
                raise OutOfStockError(name=product.name, available=product.available)
            await uow.carts.set_quantity(customer_id, product_id, wanted)
            cart = await uow.carts.get(customer_id)
            await uow.commit()
        return CartChange(cart=cart, product=product, quantity=wanted)

    async def change_quantity(self, customer_id: int, product_id: int, delta: int) -> CartChange:
        """+1 / -1 on a cart line; going below one removes the line."""
        async with self._uow() as uow:
            cart = await uow.carts.get(customer_id)
            current = cart.quantity_of(product_id)
            if current == 0:
                raise NotInCartError()
            line = next(line for line in cart.lines if line.product.id == product_id)
            wanted = current + delta
            if wanted <= 0:
                await uow.carts.remove(customer_id, product_id)
            else:
                check_quantity(wanted)
                if not line.product.active:
                    raise ProductUnavailableError()
                if delta > 0 and wanted > line.product.available:
                    raise OutOfStockError(name=line.product.name, available=line.product.available)
                await uow.carts.set_quantity(customer_id, product_id, wanted)
            cart = await uow.carts.get(customer_id)
            await uow.commit()
        return CartChange(cart=cart, product=line.product, quantity=max(wanted, 0))

    async def remove_from_cart(self, customer_id: int, product_id: int) -> CartChange:
        """Drop a line from the cart."""
        async with self._uow() as uow:
            if not await uow.carts.remove(customer_id, product_id):
                raise NotInCartError()
            cart = await uow.carts.get(customer_id)
            await uow.commit()
        return CartChange(cart=cart)

    # -- checkout ------------------------------------------------------------------------

    async def _view(self, uow: CheckoutUnitOfWork, checkout: Checkout) -> CheckoutView:
        cart = await uow.carts.get(checkout.customer_id)
        addresses = await uow.addresses.list(checkout.customer_id)
        subtotal = cart.subtotal(self.config.currency)
        return CheckoutView(
            checkout,
            cart,
            addresses,
            subtotal,
            self.config.shipping_fee,
            self.config.payment_methods,
        )

    async def start_checkout(self, customer_id: int) -> CheckoutView:
        """Begin a fresh checkout of the cart (any earlier one becomes stale)."""
        async with self._uow() as uow:
            cart = await uow.carts.get(customer_id)
            if cart.empty:
                raise CartEmptyError()
            for line in cart.lines:
                if not line.product.active:
                    raise ProductUnavailableError(name=line.product.name)
                if line.quantity > line.product.available:
                    raise OutOfStockError(name=line.product.name, available=line.product.available)
            saved = await uow.addresses.count(customer_id)
            checkout = Checkout(
                customer_id=customer_id,
                token=self._tokens(),
                step=first_step(saved),
                draft=CheckoutDraft(new_address=saved == 0),
                saved_address_count=saved,
                updated_at=self._clock.now(),
            )
            await uow.checkouts.save(checkout)
            view = await self._view(uow, checkout)
            await uow.commit()
        return view

    async def current_checkout(self, customer_id: int) -> CheckoutView | None:
        """The customer's checkout if one is in progress."""
        async with self._uow(readonly=True) as uow:
            checkout = await uow.checkouts.get(customer_id)
            if checkout is None or not checkout.active:
                return None
            return await self._view(uow, checkout)

    async def _step(
        self,
        customer_id: int,
        token: str | None,
        trigger: str,
        apply: Callable[[Checkout, CheckoutUnitOfWork], object] | None = None,
    ) -> CheckoutView:
        async with self._uow() as uow:
            checkout = await uow.checkouts.get(customer_id)
            if checkout is None or (token is not None and checkout.token != token):
                raise StaleCheckoutError()
            if apply is not None:
                result = apply(checkout, uow)
                if hasattr(result, "__await__"):
                    await result  # type: ignore[misc]
            advance(checkout, trigger)
            checkout.updated_at = self._clock.now()
            await uow.checkouts.save(checkout)
            view = await self._view(uow, checkout)
            await uow.commit()
        return view

    async def use_saved_address(
        self, customer_id: int, token: str, address_id: int
    ) -> CheckoutView:
        """Deliver to one of the customer's saved addresses."""

        async def apply(checkout: Checkout, uow: CheckoutUnitOfWork) -> None:
            address = await uow.addresses.get(address_id)
            if address is None or address.customer_id != customer_id:
                raise StaleCheckoutError()
            checkout.draft.address_id = address.id
            checkout.draft.recipient = address.recipient
            checkout.draft.phone = address.phone
            checkout.draft.address_text = address.text
            checkout.draft.new_address = False

        return await self._step(customer_id, token, "use_saved_address", apply)

    async def new_address(self, customer_id: int, token: str) -> CheckoutView:
        """Start entering a new address."""

        def apply(checkout: Checkout, _: CheckoutUnitOfWork) -> None:
            checkout.draft.new_address = True
            checkout.draft.address_id = None

        return await self._step(customer_id, token, "new_address", apply)

    async def give_recipient(self, customer_id: int, text: str) -> CheckoutView:
        """Take the recipient's name typed by the customer."""
        name = check_recipient(text)

        def apply(checkout: Checkout, _: CheckoutUnitOfWork) -> None:
            checkout.draft.recipient = name

        return await self._step(customer_id, None, "give_recipient", apply)

    async def give_phone(self, customer_id: int, text: str, *, from_contact: bool) -> CheckoutView:
        """Take a phone number, typed or shared as a contact."""
        phone = check_phone(text, self.config.phone_region, from_contact=from_contact)

        def apply(checkout: Checkout, _: CheckoutUnitOfWork) -> None:
            checkout.draft.phone = phone

        return await self._step(customer_id, None, "give_phone", apply)

    async def give_address(self, customer_id: int, text: str) -> CheckoutView:
        """Take the delivery address text."""
        address = check_address(text)

        def apply(checkout: Checkout, _: CheckoutUnitOfWork) -> None:
            checkout.draft.address_text = address

        return await self._step(customer_id, None, "give_address", apply)

    async def choose_payment(self, customer_id: int, token: str, method: str) -> CheckoutView:
        """Pick how to pay; only the shop's enabled methods are accepted."""
        try:
            chosen = PaymentMethod(method)
        except ValueError as exc:
            raise StaleCheckoutError() from exc
        if chosen not in self.config.payment_methods:
            raise StaleCheckoutError()

        async def apply(checkout: Checkout, uow: CheckoutUnitOfWork) -> None:
            checkout.draft.payment_method = chosen
            cart = await uow.carts.get(customer_id)
            checkout.draft.quoted_subtotal = cart.subtotal(self.config.currency).amount

        return await self._step(customer_id, token, "choose_payment", apply)

    async def checkout_back(self, customer_id: int, token: str) -> CheckoutView:
        """One step back (from the first step, out of checkout)."""
        return await self._step(customer_id, token, "back")

    async def abandon_checkout(self, customer_id: int, token: str) -> CheckoutView:
        """Leave checkout; the cart stays as it is."""
        return await self._step(customer_id, token, "abandon")

    async def place_order(self, customer_id: int, token: str) -> PlacedOrder:
        """Reserve stock, snapshot prices and address, empty the cart and alert the merchant.
        A second confirmation of the same checkout returns the order already placed."""
        try:
            return await self._place_order(customer_id, token)
        except DuplicateError:
            async with self._uow(readonly=True) as uow:
                checkout = await uow.checkouts.get(customer_id)
                if checkout and checkout.order_id:
                    order = await uow.orders.get(checkout.order_id)
                    if order is not None:
                        return PlacedOrder(order, created=False)
            raise

    async def _place_order(self, customer_id: int, token: str) -> PlacedOrder:
        now = self._clock.now()
        async with self._uow() as uow:
            # Locked, so a second confirmation waits and then finds the order already placed.
            checkout = await uow.checkouts.get(customer_id, for_update=True)
            if checkout is None or checkout.token != token:
                raise StaleCheckoutError()
            if checkout.step == CheckoutStep.PLACED and checkout.order_id is not None:
                order = await uow.orders.get(checkout.order_id)
                if order is not None:
                    return PlacedOrder(order, created=False)
            if checkout.step != CheckoutStep.REVIEW:
                raise StaleCheckoutError()
            draft = checkout.draft
            if not (
                draft.recipient and draft.phone and draft.address_text and draft.payment_method
            ):
                raise StaleCheckoutError()
            cart = await uow.carts.get(customer_id)
            if cart.empty:
                raise CartEmptyError()
            subtotal = cart.subtotal(self.config.currency)
            if draft.quoted_subtotal is not None and subtotal.amount != draft.quoted_subtotal:
                # Never charge a total the customer has not seen: re-quote and ask again.
                draft.quoted_subtotal = subtotal.amount
                checkout.updated_at = now
                await uow.checkouts.save(checkout)
                await uow.commit()
                raise PriceChangedError(total=money_param(subtotal + self.config.shipping_fee))
            for line in cart.lines:
                product = line.product
                if not product.active:
                    raise ProductUnavailableError(name=product.name)
                if not await uow.products.reserve(product.id, line.quantity):
                    fresh = await uow.products.get(product.id)
                    raise OutOfStockError(
                        name=product.name, available=fresh.available if fresh else 0
                    )
            number = await self._fresh_number(uow)
            order = Order(
                number=number,
                customer_id=customer_id,
                status=OrderStatus.PENDING_PAYMENT,
                currency=self.config.currency,
                lines=[
                    OrderLine(
                        product_id=line.product.id,
                        sku=line.product.sku,
                        name=line.product.name,
                        unit_price=line.product.price,
                        quantity=line.quantity,
                    )
                    for line in cart.lines
                ],
                shipping=self.config.shipping_fee,
                payment_method=draft.payment_method,
                recipient=draft.recipient,
                phone=draft.phone,
                address_text=draft.address_text,
                created_at=now,
                updated_at=now,
                checkout_token=checkout.token,
            )
            order.id = await uow.orders.add(order)
            event = OrderEvent(
                type=OrderEventType.PLACED,
                actor=customer_actor(customer_id),
                at=now,
                to_status=OrderStatus.PENDING_PAYMENT,
            )
            await uow.orders.add_event(order.id, event)
            order.events.append(event)
            if order.payment_method == PaymentMethod.CASH_ON_DELIVERY:
                # Cash on delivery goes on to fulfilment unpaid; the courier collects the money.
                await self._flow.step(
                    uow, order, "confirm_cod", actor=customer_actor(customer_id), at=now
                )
            if draft.new_address:
                await uow.addresses.add(
                    Address(0, customer_id, draft.recipient, draft.phone, draft.address_text)
                )
            await uow.carts.clear(customer_id)
            advance(checkout, "confirm")
            checkout.order_id = order.id
            checkout.updated_at = now
            await uow.checkouts.save(checkout)
            customer = await uow.customers.get(customer_id)
            await self._alert_admin(
                uow,
                "admin.new_order",
                order,
                customer,
                now,
                lines=[[line.quantity, line.name] for line in order.lines],
                payment=str(order.payment_method),
                address=order.address_text,
            )
            await queue_low_stock_alerts(
                uow,
                self.config.admin_chat_id,
                now,
                {line.product_id: line.quantity for line in order.lines},
                f"order:{order.number}",
            )
            await uow.commit()
        return PlacedOrder(order, created=True)

    async def _fresh_number(self, uow: CheckoutUnitOfWork) -> str:
        for _ in range(8):
            number = self._order_numbers()
            if not await uow.orders.number_taken(number):
                return number
        raise DuplicateError("error.generic")  # 40 random bits colliding 8 times: not in practice

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
        who = customer.first_name if customer else str(order.customer_id)
        if customer and customer.username:
            who = f"{who} (@{customer.username})"
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

    # -- orders --------------------------------------------------------------------------

    async def my_orders(self, customer_id: int, page: int) -> Paged[Order]:
        """The customer's orders, newest first."""
        async with self._uow(readonly=True) as uow:
            return await uow.orders.list_for_customer(
                customer_id, Page(max(page, 0), self.config.page_size)
            )

    async def my_order(self, customer_id: int, number: str) -> Order:
        """One of the customer's orders with its timeline; someone else's is 'not found'."""
        normalized = normalize_order_number(number)
        if normalized is None:
            raise NotFoundError()
        async with self._uow(readonly=True) as uow:
            order = await uow.orders.get_by_number(normalized)
            if order is None or order.customer_id != customer_id:
                raise NotFoundError()
            assert order.id is not None
            order.events = await uow.orders.events(order.id)
        return order

    async def cancel_my_order(self, customer_id: int, number: str) -> Order:
        """Cancel an unpaid order: release its stock, record the event, tell the merchant."""
        normalized = normalize_order_number(number)
        if normalized is None:
            raise NotFoundError()
        now = self._clock.now()
        async with self._uow() as uow:
            order = await uow.orders.get_by_number(normalized)
            if order is None or order.customer_id != customer_id:
                raise NotFoundError()
            assert order.id is not None
            if order.status not in lifecycle.CANCELLABLE_BY_CUSTOMER:
                raise IllegalTransitionError(status=str(order.status), action="cancel")
            order.events = await uow.orders.events(order.id)
            await self._flow.step(
                uow,
                order,
                "cancel",
                actor=customer_actor(customer_id),
                at=now,
                note="cancelled by customer",
            )
            customer = await uow.customers.get(customer_id)
            await self._alert_admin(uow, "admin.order_cancelled", order, customer, now)
            await uow.commit()
        return order
