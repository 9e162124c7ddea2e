"""An order whose total is 0 (a code covering the lines, with free shipping or pickup), over the
fakes: no payment is asked, the order is placed paid through the order flow with a payment of 0,
its units are sold as a paid order's are, and a refund of it gives back 0."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.catalog.model import Product
from domain.checkout.flow import CheckoutStep
from domain.checkout.ordering import PaymentNeededError
from domain.checkout.shop import Shop
from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import PaymentMethod
from domain.payments.records import PaymentStatus, RefundStatus
from domain.payments.refunds import RefundOutcome
from domain.payments.rules import PaymentsConfig
from domain.payments.service import Payments
from domain.promotions.model import PromoKind
from domain.promotions.rules import PromoNoLongerAppliesError
from domain.reactions import ORDER_FLOW
from domain.shared.clock import FixedClock
from domain.shared.errors import PriceChangedError, StaleCheckoutError
from domain.shared.money import Money
from tests.unit.checkout.test_shop import ADA, BOB, reach_review, usd
from tests.unit.fakes import FakeStore
from tests.unit.payments.test_payments import Buttons, FakeStars
from tests.unit.promotions.test_promo_checkout import add_code

FREE = PaymentMethod.FREE


def add_free_code(store: FakeStore, code: str = "ALLFREE", **fields: object) -> None:
    """100 % off the lines and free shipping: the total is 0."""
    promo = add_code(store, code, value=100, free_shipping=True)
    for name, value in fields.items():
        setattr(promo, name, value)


async def review_with(shop: Shop, code: str, method: str = "bank") -> str:
    """Ada reaches the review paying `method`, then enters `code`; returns the token."""
    token = await reach_review(shop, method=method)
    await shop.have_code(ADA, token)
    await shop.give_code(ADA, code)
    return token


def payments_of(shop: Shop, clock: FixedClock) -> Payments:
    return Payments(
        shop._uow,  # type: ignore[arg-type]
        clock,
        PaymentsConfig(invoice_secret=b"s" * 32, timeout=timedelta(minutes=30)),
        Buttons(),
        FakeStars(),
        flow=ORDER_FLOW,
    )


async def test_a_code_covering_the_total_offers_only_nothing_to_pay(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    add_free_code(store)
    await shop.add_to_cart(ADA, tea.id, 2)
    token = await review_with(shop, "ALLFREE")
    view = await shop.current_checkout(ADA)
    assert view is not None and view.total == usd(0) and view.nothing_to_pay
    back = await shop.checkout_back(ADA, token)  # to the payment step
    assert back.checkout.step == CheckoutStep.CHOOSE_PAYMENT
    assert back.payment_methods == (FREE,)
    chosen = await shop.choose_payment(ADA, token, "free")
    assert chosen.checkout.step == CheckoutStep.REVIEW
    assert store.checkouts[ADA].draft.payment_method == FREE


async def test_nothing_to_pay_cannot_be_chosen_while_there_is_something_to_pay(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    await shop.add_to_cart(ADA, tea.id, 1)
    view = await shop.start_checkout(ADA)
    token = view.checkout.token
    await shop.give_recipient(ADA, "Ada Lovelace")
    await shop.give_phone(ADA, "+1 202 555 0143", from_contact=False)
    view = await shop.give_address(ADA, "12 Analytical Engine Way, London")
    assert view.checkout.step == CheckoutStep.CHOOSE_PAYMENT
    assert FREE not in view.payment_methods
    before = store.snapshot()
    with pytest.raises(StaleCheckoutError):
        await shop.choose_payment(ADA, token, "free")
    assert store.snapshot() == before


async def test_an_order_with_nothing_to_pay_is_placed_paid_with_a_payment_of_zero(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    add_free_code(store, max_uses=5)
    await shop.add_to_cart(ADA, tea.id, 3)
    token = await review_with(shop, "ALLFREE", method="bank")  # chosen before the code
    placed = await shop.place_order(ADA, token)
    order = store.orders[placed.order.id or 0]
    assert (order.status, order.payment_method, order.total) == (OrderStatus.PAID, FREE, usd(0))
    events = store.order_events[order.id or 0]
    assert [e.type for e in events] == [OrderEventType.PLACED, OrderEventType.PAID]
    assert events[1].params == {"method": "free"}
    [payment] = store.payments.payments.values()
    assert (payment.order_id, payment.method, payment.amount, payment.status) == (
        order.id,
        FREE,
        usd(0),
        PaymentStatus.APPLIED,
    )
    # sold as a paid order's units are: out of stock, not held
    product = store.products[tea.id]
    assert (product.stock, product.reserved) == (10 - 3, 0)
    assert store.promos[next(iter(store.promos))].uses == 1

    again = await shop.place_order(ADA, token)  # a second tap
    assert not again.created and again.order.id == order.id
    assert len(store.orders) == 1 and len(store.payments.payments) == 1
    assert store.promos[next(iter(store.promos))].uses == 1


async def test_a_fixed_code_above_the_subtotal_with_free_shipping_costs_nothing(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    add_code(store, "GIFT50", kind=PromoKind.FIXED, value=5000, free_shipping=True)
    await shop.add_to_cart(ADA, tea.id, 2)  # 25.00
    token = await review_with(shop, "GIFT50", method="cod")
    placed = await shop.place_order(ADA, token)
    assert placed.order.discount == usd(2500)  # never more than the lines
    assert (placed.order.total, placed.order.payment_method) == (usd(0), FREE)
    assert placed.order.status == OrderStatus.PAID  # not a cash-on-delivery order to confirm


async def test_removing_the_code_after_choosing_nothing_to_pay_asks_how_to_pay(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    add_free_code(store)
    await shop.add_to_cart(ADA, tea.id, 1)
    token = await review_with(shop, "ALLFREE")
    await shop.checkout_back(ADA, token)
    await shop.choose_payment(ADA, token, "free")
    view = await shop.remove_code(ADA, token)
    assert view.checkout.step == CheckoutStep.CHOOSE_PAYMENT
    assert view.total == usd(1250 + 500) and FREE not in view.payment_methods


async def test_removing_the_code_after_choosing_a_method_keeps_the_review(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    add_free_code(store)
    await shop.add_to_cart(ADA, tea.id, 1)
    token = await review_with(shop, "ALLFREE", method="bank")
    view = await shop.remove_code(ADA, token)
    assert view.checkout.step == CheckoutStep.REVIEW and not view.nothing_to_pay
    placed = await shop.place_order(ADA, token)
    assert placed.order.payment_method == PaymentMethod.BANK_TRANSFER
    assert placed.order.status == OrderStatus.PENDING_PAYMENT


async def test_a_code_used_up_before_confirm_with_nothing_to_pay_asks_how_to_pay(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    add_free_code(store, max_uses=1)
    await shop.add_to_cart(ADA, tea.id, 1)
    token = await review_with(shop, "ALLFREE")
    await shop.checkout_back(ADA, token)
    await shop.choose_payment(ADA, token, "free")
    store.promos[next(iter(store.promos))].uses = 1  # another order took the last use
    with pytest.raises(PromoNoLongerAppliesError):
        await shop.place_order(ADA, token)
    assert store.orders == {}
    checkout = store.checkouts[ADA]
    assert checkout.step == CheckoutStep.CHOOSE_PAYMENT and checkout.draft.promo_code is None


async def test_a_price_rise_with_nothing_to_pay_chosen_asks_how_to_pay(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    add_code(store, "GIFT20", kind=PromoKind.FIXED, value=2000, free_shipping=True)
    await shop.add_to_cart(ADA, tea.id, 1)  # 12.50: the code covers it
    token = await review_with(shop, "GIFT20")
    await shop.checkout_back(ADA, token)
    await shop.choose_payment(ADA, token, "free")
    store.products[tea.id].price = usd(2600)  # now above the code
    with pytest.raises(PriceChangedError) as refused:
        await shop.place_order(ADA, token)
    assert refused.value.params == {"total": {"$money": [600, "USD"]}}
    assert store.orders == {}
    assert store.checkouts[ADA].step == CheckoutStep.CHOOSE_PAYMENT


async def test_nothing_to_pay_chosen_with_a_total_above_zero_is_never_placed(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    add_free_code(store)
    await shop.add_to_cart(ADA, tea.id, 1)
    token = await review_with(shop, "ALLFREE")
    await shop.checkout_back(ADA, token)
    await shop.choose_payment(ADA, token, "free")
    # The code is gone from the draft behind the checkout's back (as an old draft may be),
    # with the quote of the total now due: Confirm asks how to pay instead of placing.
    draft = store.checkouts[ADA].draft
    draft.promo_code = draft.quoted_discount = None
    with pytest.raises(PaymentNeededError) as refused:
        await shop.place_order(ADA, token)
    assert refused.value.params == {"total": {"$money": [1750, "USD"]}}
    assert store.orders == {}
    assert store.checkouts[ADA].step == CheckoutStep.CHOOSE_PAYMENT


async def test_refunding_an_order_with_nothing_to_pay_gives_back_zero_and_restocks(
    shop: Shop, store: FakeStore, tea: Product, clock: FixedClock
) -> None:
    add_free_code(store, max_uses=1)
    await shop.add_to_cart(ADA, tea.id, 2)
    token = await review_with(shop, "ALLFREE")
    placed = await shop.place_order(ADA, token)
    payments = payments_of(shop, clock)
    payment = await payments.paid_payment(placed.order.number)
    assert (payment.method, payment.amount) == (FREE, usd(0))
    plan = await payments.refund_plan(payment.id or 0)
    assert plan.cancels_order
    done = await payments.refund(payment.id or 0, "admin:1")
    assert done.outcome == RefundOutcome.DONE
    [refund] = store.payments.refunds.values()
    assert (refund.amount, refund.method, refund.status) == (usd(0), FREE, RefundStatus.DONE)
    order = store.orders[placed.order.id or 0]
    assert order.status == OrderStatus.CANCELLED
    product = store.products[tea.id]
    assert (product.stock, product.reserved) == (10, 0)
    assert store.promos[next(iter(store.promos))].uses == 0  # the use went back
    again = await payments.refund(payment.id or 0, "admin:1")  # a second tap
    assert again.outcome == RefundOutcome.ALREADY and len(store.payments.refunds) == 1
    told = [
        e.notification
        for e in store.outbox.values()
        if e.notification.template == "pay.customer.refunded_free"
    ]
    assert [(n.chat_id, n.params["total"]) for n in told] == [(ADA, {"$money": [0, "USD"]})]


async def test_an_order_that_costs_something_is_not_placed_as_free(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    add_code(store, "HALF", value=50, free_shipping=True)
    await shop.add_to_cart(ADA, tea.id, 2)
    token = await review_with(shop, "HALF")
    placed = await shop.place_order(ADA, token)
    assert placed.order.total == Money(1250, "USD")
    assert (placed.order.payment_method, placed.order.status) == (
        PaymentMethod.BANK_TRANSFER,
        OrderStatus.PENDING_PAYMENT,
    )
    assert store.payments.payments == {}
    assert BOB not in store.checkouts
