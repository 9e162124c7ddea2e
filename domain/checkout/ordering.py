"""Checkout and placing the order: the checkout dialog (address, recipient, phone, payment),
kept in the database, and the one transaction that reserves stock and places the order
(once per checkout)."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from domain.cart.model import Cart
from domain.checkout.flow import Checkout, CheckoutDraft, CheckoutStep, advance, first_step
from domain.checkout.model import Address
from domain.checkout.placing import (
    NewOrder,
    announce_and_reserve,
    pay_if_nothing_due,
    place_new_order,
)
from domain.checkout.ports import CheckoutUnitOfWork
from domain.checkout.shipping_methods import (
    NoShippingMethodError,
    ShippingChangedError,
    ShippingMethod,
    ShippingOption,
)
from domain.checkout.shop_base import ShopBase
from domain.checkout.sold_out import refuse_if_sold_out
from domain.checkout.validation import check_address, check_phone, check_recipient
from domain.orders.model import Order, PaymentMethod
from domain.promotions.redemption import quote_code, redeem_code
from domain.promotions.rules import (
    Discount,
    PromoError,
    PromoLine,
    PromoNoLongerAppliesError,
    reason_of,
)
from domain.shared.customers import customer_actor, display_name
from domain.shared.errors import (
    CartEmptyError,
    DuplicateError,
    OutOfStockError,
    PriceChangedError,
    ProductUnavailableError,
    StaleCheckoutError,
)
from domain.shared.money import Money, money_param

# Checkout steps that go back or out, allowed with an empty cart.
STEPS_WITHOUT_A_CART = frozenset({"back", "abandon"})

log = logging.getLogger(__name__)


@dataclass
class CheckoutView:
    """Everything a checkout screen shows."""

    checkout: Checkout
    cart: Cart
    addresses: list[Address]
    subtotal: Money
    shipping: Money
    payment_methods: tuple[PaymentMethod, ...] = ()
    # The chosen shipping method (None before the choice, or for an unknown code); the
    # delivery methods serving the address (CHOOSE_SHIPPING); pickup at the shop, offered
    # with the addresses (CHOOSE_ADDRESS).
    shipping_method: ShippingMethod | None = None
    shipping_options: list[ShippingOption] = field(default_factory=list)
    pickups: list[ShippingOption] = field(default_factory=list)
    # The promo code's discount (issue 16; free shipping is already in `shipping`), or why
    # the code in the draft does not apply any more.
    discount: Discount | None = None
    promo_problem: PromoError | None = None

    @property
    def discount_amount(self) -> Money:
        """What the code takes off the lines."""
        return Money(self.discount.amount if self.discount else 0, self.subtotal.currency)

    @property
    def total(self) -> Money:
        """Cart less the discount, plus shipping."""
        return self.subtotal - self.discount_amount + self.shipping

    @property
    def nothing_to_pay(self) -> bool:
        """The total is 0 (a code covers it all): no payment is asked, the order is placed
        paid."""
        return self.total.amount == 0


def promo_lines(cart: Cart) -> list[PromoLine]:
    """The cart's lines as a promo code sees them."""
    return [
        PromoLine(line.product.id, line.product.category_id, line.total.amount)
        for line in cart.lines
    ]


class PaymentNeededError(StaleCheckoutError):
    """At Confirm the total is no longer 0 though nothing to pay was chosen: the customer
    chooses how to pay (params: total). A stale review, so the bot shows the step it moved
    to, as for any stale checkout."""

    key = "checkout.payment_needed"


def ask_payment_if_due(checkout: Checkout, total: Money) -> bool:
    """Back to the payment choice when nothing to pay was chosen and `total` is not 0 (the
    code no longer covers it); True if so. The caller saves the checkout."""
    if checkout.draft.payment_method != PaymentMethod.FREE or total.amount == 0:
        return False
    if checkout.step == CheckoutStep.REVIEW:
        advance(checkout, "payment_needed")
    return True


@dataclass
class PlacedOrder:
    """The result of placing an order; `created` is False when it had been placed already."""

    order: Order
    created: bool = True


class Ordering(ShopBase):
    """Checkout and placing the order."""

    async def _view(
        self, uow: CheckoutUnitOfWork, checkout: Checkout, cart: Cart | None = None
    ) -> CheckoutView:
        if cart is None:
            cart = await uow.carts.get(checkout.customer_id)
        # A customer without saved addresses (the checkout counted them) has none to list.
        addresses = (
            await uow.addresses.list(checkout.customer_id) if checkout.saved_address_count else []
        )
        subtotal = cart.subtotal(self.config.currency)
        shipping = self.config.shipping
        method = shipping.get(checkout.draft.shipping_method)
        step = checkout.step
        fee = method.fee_for(subtotal) if method else self.config.shipping_fee
        discount, problem = await self._promo(uow, checkout, cart)
        options = (
            shipping.delivering_to(checkout.draft.address_text or "", subtotal)
            if step == CheckoutStep.CHOOSE_SHIPPING
            else []
        )
        pickups = shipping.pickups(subtotal) if step == CheckoutStep.CHOOSE_ADDRESS else []
        if discount is not None and discount.free_shipping:
            # The code ships free whatever the method: say so on the methods too (Back to them).
            fee = Money.zero(self.config.currency)
            options = [replace(option, fee=fee) for option in options]
            pickups = [replace(option, fee=fee) for option in pickups]
        view = CheckoutView(
            checkout,
            cart,
            addresses,
            subtotal,
            fee,
            self.config.payment_methods,
            discount=discount,
            promo_problem=problem,
            shipping_method=None if shipping.implicit else method,
            shipping_options=options,
            pickups=pickups,
        )
        if view.nothing_to_pay:
            # No invoice can ask for 0 (Telegram refuses it), nor a transfer or the courier:
            # the one way on is to place the order with nothing to pay.
            view.payment_methods = (PaymentMethod.FREE,)
        return view

    async def _promo(
        self, uow: CheckoutUnitOfWork, checkout: Checkout, cart: Cart
    ) -> tuple[Discount | None, PromoError | None]:
        """The draft's code quoted on the cart now, or why it no longer applies."""
        code = checkout.draft.promo_code
        if not code:
            return None, None
        try:
            lines = promo_lines(cart)
            return await quote_code(uow, code, lines, checkout.customer_id, self._clock.now()), None
        except PromoError as problem:
            return None, problem

    def _settle_shipping(self, checkout: Checkout, cart: Cart) -> None:
        """Arriving at the delivery method step: no method serves the address -> refused
        (nothing changes, the customer gives another address); one -> taken at once, no
        needless question; several -> the customer chooses."""
        if checkout.step != CheckoutStep.CHOOSE_SHIPPING:
            return
        draft = checkout.draft
        options = self.config.shipping.delivering_to(
            draft.address_text or "", cart.subtotal(self.config.currency)
        )
        if not options:
            # With pickup offered, say it is still possible (it sits with the addresses).
            raise NoShippingMethodError(
                "checkout.shipping.no_method_pickup" if draft.pickup_offered else None
            )
        draft.shipping_chosen = len(options) > 1
        draft.shipping_method = None
        if len(options) == 1:
            draft.shipping_method = options[0].method.code
            advance(checkout, "choose_shipping")

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
            pickup = bool(self.config.shipping.pickups(cart.subtotal(self.config.currency)))
            checkout = Checkout(
                customer_id=customer_id,
                token=self._tokens(),
                step=first_step(saved, pickup),
                draft=CheckoutDraft(new_address=saved == 0, pickup_offered=pickup),
                saved_address_count=saved,
                updated_at=self._clock.now(),
            )
            await uow.checkouts.save(checkout)
            view = await self._view(uow, checkout, cart)
            await uow.commit()
        return view

    async def checkout_in_progress(self, customer_id: int) -> Checkout | None:
        """The customer's checkout if one is in progress, without its screen (one read): what
        a typed answer needs to know which step it answers."""
        async with self._uow(readonly=True) as uow:
            checkout = await uow.checkouts.get(customer_id)
        return checkout if checkout is not None and checkout.active else None

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
        apply: Callable[[Checkout, CheckoutUnitOfWork, Cart], object] | None = None,
        read: Checkout | None = None,
    ) -> CheckoutView:
        """One step of the checkout in one transaction. `read`: the checkout as the caller
        read it just before (a typed answer's, issue 13), written over only if it is still
        that one instead of being read again."""
        async with self._uow() as uow:
            if read is None:
                checkout = await uow.checkouts.get(customer_id)
            else:
                checkout = copy.deepcopy(read)  # the caller's stays as it was read
            if (
                checkout is None
                or checkout.customer_id != customer_id
                or (token is not None and checkout.token != token)
            ):
                raise StaleCheckoutError()
            # Read once: the step's check, its apply and its screen show the same cart.
            cart = await uow.carts.get(customer_id)
            if trigger not in STEPS_WITHOUT_A_CART and cart.empty:
                # The cart was emptied (from /cart) during checkout: no step leads on to a
                # summary of nothing.
                raise CartEmptyError()
            if apply is not None:
                result = apply(checkout, uow, cart)
                if hasattr(result, "__await__"):
                    await result  # type: ignore[misc]
            advance(checkout, trigger)
            if trigger != "back":
                self._settle_shipping(checkout, cart)
            checkout.updated_at = self._clock.now()
            if read is None:
                await uow.checkouts.save(checkout)
            elif not await uow.checkouts.save_if_unchanged(checkout, read):
                raise StaleCheckoutError()  # another update moved it on since it was read
            view = await self._view(uow, checkout, cart)
            await uow.commit()
        return view

    async def use_saved_address(
        self, customer_id: int, token: str, address_id: int
    ) -> CheckoutView:
        """Deliver to one of the customer's saved addresses."""

        async def apply(checkout: Checkout, uow: CheckoutUnitOfWork, _cart: Cart) -> None:
            address = await uow.addresses.get(address_id)
            if address is None or address.customer_id != customer_id:
                raise StaleCheckoutError()
            checkout.draft.address_id = address.id
            checkout.draft.recipient = address.recipient
            checkout.draft.phone = address.phone
            checkout.draft.address_text = address.text
            checkout.draft.new_address = False
            checkout.draft.pickup = False

        return await self._step(customer_id, token, "use_saved_address", apply)

    async def new_address(self, customer_id: int, token: str) -> CheckoutView:
        """Start entering a new address."""

        def apply(checkout: Checkout, _uow: CheckoutUnitOfWork, _cart: Cart) -> None:
            checkout.draft.new_address = True
            checkout.draft.address_id = None
            checkout.draft.pickup = False
            checkout.draft.shipping_method = None

        return await self._step(customer_id, token, "new_address", apply)

    async def pick_up(self, customer_id: int, token: str, code: str) -> CheckoutView:
        """Collect the order at the shop: a name and a phone number follow, no address."""
        method = self.config.shipping.get(code)
        if method is None or not method.pickup:
            raise StaleCheckoutError()

        def apply(checkout: Checkout, _uow: CheckoutUnitOfWork, _cart: Cart) -> None:
            draft = checkout.draft
            draft.pickup = True
            draft.shipping_method = method.code
            draft.shipping_chosen = False
            draft.new_address = False
            draft.address_id = None
            draft.address_text = None

        return await self._step(customer_id, token, "pick_up", apply)

    async def choose_shipping(self, customer_id: int, token: str, code: str) -> CheckoutView:
        """Pick a delivery method among those that serve the address (a method that does
        not, or an old button, is stale)."""

        def apply(checkout: Checkout, _uow: CheckoutUnitOfWork, cart: Cart) -> None:
            options = self.config.shipping.delivering_to(
                checkout.draft.address_text or "", cart.subtotal(self.config.currency)
            )
            if not any(option.method.code == code for option in options):
                raise StaleCheckoutError()
            checkout.draft.shipping_method = code

        return await self._step(customer_id, token, "choose_shipping", apply)

    async def give_recipient(
        self, customer_id: int, text: str, read: Checkout | None = None
    ) -> CheckoutView:
        """Take the recipient's name typed by the customer (`read`: see `_step`)."""
        name = check_recipient(text)

        def apply(checkout: Checkout, _uow: CheckoutUnitOfWork, _cart: Cart) -> None:
            checkout.draft.recipient = name

        return await self._step(customer_id, None, "give_recipient", apply, read)

    async def give_phone(
        self,
        customer_id: int,
        text: str,
        *,
        from_contact: bool,
        own: bool = False,
        read: Checkout | None = None,
    ) -> CheckoutView:
        """Take a phone number, typed or shared as a contact. `own`: the contact is the
        customer's own Telegram account's (Telegram vouches for the number), so it is kept as
        their verified phone: orders from other sales channels with it are theirs (issue 17)."""
        phone = check_phone(text, self.config.phone_region, from_contact=from_contact)

        async def apply(checkout: Checkout, uow: CheckoutUnitOfWork, _cart: Cart) -> None:
            checkout.draft.phone = phone
            if own and from_contact:
                await uow.customers.set_verified_phone(customer_id, phone)

        return await self._step(customer_id, None, "give_phone", apply, read)

    async def give_address(
        self, customer_id: int, text: str, read: Checkout | None = None
    ) -> CheckoutView:
        """Take the delivery address text (`read`: see `_step`)."""
        address = check_address(text)

        def apply(checkout: Checkout, _uow: CheckoutUnitOfWork, _cart: Cart) -> None:
            checkout.draft.address_text = address

        return await self._step(customer_id, None, "give_address", apply, read)

    async def choose_payment(self, customer_id: int, token: str, method: str) -> CheckoutView:
        """Pick how to pay; only the shop's enabled methods are accepted."""
        try:
            chosen = PaymentMethod(method)
        except ValueError as exc:
            raise StaleCheckoutError() from exc
        if chosen not in self.config.payment_methods and chosen != PaymentMethod.FREE:
            raise StaleCheckoutError()

        async def apply(checkout: Checkout, uow: CheckoutUnitOfWork, cart: Cart) -> None:
            if (
                chosen == PaymentMethod.FREE
                and not (await self._view(uow, checkout, cart)).nothing_to_pay
            ):
                raise StaleCheckoutError()  # nothing to pay only while the total is 0
            checkout.draft.payment_method = chosen
            subtotal = cart.subtotal(self.config.currency)
            checkout.draft.quoted_subtotal = subtotal.amount
            method = self.config.shipping.get(checkout.draft.shipping_method)
            fee = method.fee_for(subtotal) if method else self.config.shipping_fee
            checkout.draft.quoted_shipping = fee.amount

        return await self._step(customer_id, token, "choose_payment", apply)

    async def have_code(self, customer_id: int, token: str) -> CheckoutView:
        """The review's "Have a code?": the customer types it next."""
        return await self._step(customer_id, token, "have_code")

    async def give_code(
        self, customer_id: int, text: str, read: Checkout | None = None
    ) -> CheckoutView:
        """Take a typed promo code and go back to the review with its discount; a code that
        does not apply raises PromoError saying why, and nothing changes."""

        async def apply(checkout: Checkout, uow: CheckoutUnitOfWork, cart: Cart) -> None:
            now = self._clock.now()
            discount = await quote_code(uow, text, promo_lines(cart), customer_id, now)
            checkout.draft.promo_code = discount.code
            checkout.draft.quoted_discount = discount.amount

        return await self._step(customer_id, None, "give_code", apply, read)

    async def remove_code(self, customer_id: int, token: str) -> CheckoutView:
        """Take the promo code off the review (doing it twice changes nothing more)."""

        def apply(checkout: Checkout, _uow: CheckoutUnitOfWork, _cart: Cart) -> None:
            checkout.draft.promo_code = None
            checkout.draft.quoted_discount = None

        return await self._step(customer_id, token, "remove_code", apply)

    async def checkout_back(self, customer_id: int, token: str) -> CheckoutView:
        """One step back (from the first step, out of checkout)."""
        return await self._step(customer_id, token, "back")

    async def abandon_checkout(self, customer_id: int, token: str) -> CheckoutView:
        """Leave checkout; the cart stays as it is."""
        return await self._step(customer_id, token, "abandon")

    def _shipping_at_confirm(self, checkout: Checkout) -> ShippingMethod | None:
        """The draft's shipping method if it still exists and still serves the address (a
        draft from before shipping methods had none: the implicit flat fee)."""
        shipping = self.config.shipping
        draft = checkout.draft
        code = draft.shipping_method
        if code is None and shipping.implicit:
            return shipping.all[0]
        method = shipping.get(code)
        if method is None or method.pickup != draft.pickup:
            return None
        if not method.pickup and not method.serves(draft.address_text or ""):
            return None
        return method

    async def _choose_shipping_again(
        self, uow: CheckoutUnitOfWork, checkout: Checkout, subtotal: Money, now: datetime
    ) -> None:
        """Back to the delivery methods that serve the address, or to the address when none
        does (or pickup is no longer offered); committed, so the next screen shows it."""
        draft = checkout.draft
        options = (
            []
            if draft.pickup
            else self.config.shipping.delivering_to(draft.address_text or "", subtotal)
        )
        draft.shipping_method = None
        draft.quoted_shipping = None
        draft.shipping_chosen = bool(options)
        if draft.pickup:  # pickup is gone: the address now asked is a new one, to remember
            draft.new_address = True
        draft.pickup = False
        draft.pickup_offered = bool(self.config.shipping.pickups(subtotal))
        advance(checkout, "shipping_changed")
        checkout.updated_at = now
        await uow.checkouts.save(checkout)
        await uow.commit()

    async def place_order(self, customer_id: int, token: str) -> PlacedOrder:
        """Reserve stock, snapshot prices and address, empty the cart and alert the merchant.
        A second confirmation of the same checkout returns the order already placed."""
        await refuse_if_sold_out(self._uow, customer_id, token)  # read first (issue 13)
        try:
            return await self._place_order(customer_id, token)
        except PromoError as lost:
            # The code's last use went to another order between the check and the
            # redemption: nothing was placed; drop the code and say why, as at the check.
            raise await self._drop_code(customer_id, token, lost) from lost
        except DuplicateError:
            async with self._uow(readonly=True) as uow:
                checkout = await uow.checkouts.get(customer_id)
                if checkout and checkout.order_id:
                    order = await uow.orders.get(checkout.order_id)
                    if order is not None:
                        return PlacedOrder(order, created=False)
            raise

    async def _drop_code(
        self, customer_id: int, token: str, problem: PromoError
    ) -> PromoNoLongerAppliesError:
        """Take the code that could not be redeemed off the checkout (committed) and say
        why, with the total without it."""
        async with self._uow() as uow:
            checkout = await uow.checkouts.get(customer_id, for_update=True)
            code = checkout.draft.promo_code if checkout is not None else None
            if checkout is None or checkout.token != token or not code:
                return PromoNoLongerAppliesError(
                    code=code or "", reason={"$text": "promo.why.used_up"}, total=""
                )
            checkout.draft.promo_code = checkout.draft.quoted_discount = None
            checkout.updated_at = self._clock.now()
            await uow.checkouts.save(checkout)
            view = await self._view(uow, checkout)
            checkout.draft.quoted_subtotal = view.subtotal.amount
            checkout.draft.quoted_shipping = view.shipping.amount
            ask_payment_if_due(checkout, view.total)
            await uow.checkouts.save(checkout)
            await uow.commit()
        return PromoNoLongerAppliesError(
            code=code,
            reason={"$text": f"promo.why.{reason_of(problem)}"},
            total=money_param(view.total),
        )

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
                draft.recipient
                and draft.phone
                and (draft.address_text or draft.pickup)
                and draft.payment_method
            ):
                raise StaleCheckoutError()
            cart = await uow.carts.get(customer_id)
            if cart.empty:
                raise CartEmptyError()
            subtotal = cart.subtotal(self.config.currency)
            method = self._shipping_at_confirm(checkout)
            if method is None:
                # The method is gone or no longer serves the address (the settings changed):
                # choose again rather than ship some other way.
                await self._choose_shipping_again(uow, checkout, subtotal, now)
                raise ShippingChangedError()
            shipping_fee = method.fee_for(subtotal)
            # The promo code, checked again in this transaction: one that no longer applies
            # places nothing; the customer is told why and shown the total without it.
            discount: Discount | None = None
            if draft.promo_code:
                try:
                    discount = await quote_code(
                        uow, draft.promo_code, promo_lines(cart), customer_id, now
                    )
                except PromoError as problem:
                    code = draft.promo_code
                    draft.promo_code = draft.quoted_discount = None
                    draft.quoted_subtotal = subtotal.amount
                    draft.quoted_shipping = shipping_fee.amount
                    ask_payment_if_due(checkout, subtotal + shipping_fee)
                    checkout.updated_at = now
                    await uow.checkouts.save(checkout)
                    await uow.commit()
                    raise PromoNoLongerAppliesError(
                        code=code,
                        reason={"$text": f"promo.why.{reason_of(problem)}"},
                        total=money_param(subtotal + shipping_fee),
                    ) from problem
            off = Money(discount.amount if discount else 0, self.config.currency)
            charged = (
                Money.zero(self.config.currency)
                if discount and discount.free_shipping
                else shipping_fee
            )
            if (
                (draft.quoted_subtotal is not None and subtotal.amount != draft.quoted_subtotal)
                or (
                    draft.quoted_shipping is not None
                    and shipping_fee.amount != draft.quoted_shipping
                )
                or (discount is not None and discount.amount != draft.quoted_discount)
            ):
                # Never charge a total the customer has not seen: re-quote and ask again.
                draft.quoted_subtotal = subtotal.amount
                draft.quoted_shipping = shipping_fee.amount
                draft.quoted_discount = discount.amount if discount else None
                ask_payment_if_due(checkout, subtotal - off + charged)
                checkout.updated_at = now
                await uow.checkouts.save(checkout)
                await uow.commit()
                raise PriceChangedError(total=money_param(subtotal - off + charged))
            total = subtotal - off + charged
            if ask_payment_if_due(checkout, total):
                # Nothing to pay was chosen while the total was 0 and it is not 0 now: never
                # place an order nobody pays for; ask how to pay (the paths above already do
                # for a dropped code or a changed price).
                checkout.updated_at = now
                await uow.checkouts.save(checkout)
                await uow.commit()
                raise PaymentNeededError(total=money_param(total))
            # A total of 0 is placed paid, whatever was chosen before the code covered it.
            paying = PaymentMethod.FREE if total.amount == 0 else draft.payment_method
            # What needs no order goes first: the stock reservation comes last
            # (announce_and_reserve), as on PostgreSQL it holds the product's row until the
            # commit (domain/checkout/placing.py), so every statement after it makes the next
            # order of that product wait longer.
            if draft.new_address and draft.address_text:
                await uow.addresses.add(
                    Address(0, customer_id, draft.recipient, draft.phone, draft.address_text)
                )
            await uow.carts.clear(customer_id)
            customer = await uow.customers.get(customer_id)
            order = await place_new_order(
                uow,
                NewOrder(
                    customer_id=customer_id,
                    actor=customer_actor(customer_id),
                    lines=[(line.product, line.quantity) for line in cart.lines],
                    payment_method=paying,
                    recipient=draft.recipient,
                    phone=draft.phone,
                    address_text=draft.address_text or "",
                    currency=self.config.currency,
                    shipping=charged,
                    shipping_method=self.config.shipping.snapshot(method),
                    checkout_token=checkout.token,
                    discount=discount,
                ),
                flow=self._flow,
                numbers=self._order_numbers,
                now=now,
            )
            if discount is not None:
                # One conditional UPDATE of the code's uses, in this transaction: with N uses
                # left, at most N concurrent confirmations get one (PromoError for the rest).
                await redeem_code(uow, discount, order, now)
            advance(checkout, "confirm")
            checkout.order_id = order.id
            checkout.updated_at = now
            await uow.checkouts.save(checkout)
            await announce_and_reserve(
                uow,
                self.config.admin_chat_id,
                "admin.new_order",
                order,
                now,
                customer=display_name(customer, customer_id),
            )
            await pay_if_nothing_due(
                uow, self._flow, order, paying, customer_actor(customer_id), now
            )
            await uow.commit()
        return PlacedOrder(order, created=True)
