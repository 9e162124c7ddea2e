"""A channel's order with a promo code (`ChannelOrders.place`) over the fakes: the code is quoted
and redeemed as at a chat order's Confirm, and an order it leaves nothing to pay for is placed
paid at once with a payment of 0, as a chat order with nothing to pay is."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from domain.channels.orders import ChannelOrders
from domain.checkout.shop_base import ShopConfig
from domain.merchant.rules import MerchantConfig
from domain.merchant.service import Merchant
from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import PaymentMethod
from domain.payments.records import PaymentStatus
from domain.promotions.rules import PromoError
from domain.reactions import order_flow
from domain.shared.clock import FixedClock
from domain.shared.errors import InvalidInputError
from domain.shipping.carriers import DEFAULT_CARRIERS
from tests.unit.channels.test_channel_orders import ADMIN_CHAT, request, usd
from tests.unit.fakes import FakeStore, FakeUnitOfWorkFactory
from tests.unit.promotions.test_promo_checkout import add_code

FREE = PaymentMethod.FREE


@pytest.fixture
def uow() -> FakeUnitOfWorkFactory:
    return FakeUnitOfWorkFactory()


@pytest.fixture
def store(uow: FakeUnitOfWorkFactory) -> FakeStore:
    return uow.store


@pytest.fixture
def channels(uow: FakeUnitOfWorkFactory) -> ChannelOrders:
    clock = FixedClock()
    flow = order_flow(ADMIN_CHAT)
    numbers = (f"CP{n:02d}-AAAA" for n in itertools.count(10))
    merchant = Merchant(uow, clock, MerchantConfig("USD", ADMIN_CHAT, DEFAULT_CARRIERS), flow=flow)
    return ChannelOrders(
        uow,
        clock,
        ShopConfig(currency="USD", shipping_fee=usd(500), admin_chat_id=ADMIN_CHAT),
        merchant,
        order_numbers=lambda: next(numbers),
        flow=flow,
    )


def uses(store: FakeStore, code: str) -> int:
    return next(p.uses for p in store.promos.values() if p.code == code)


async def test_a_code_covering_everything_places_the_order_paid_with_a_payment_of_zero(
    channels: ChannelOrders, store: FakeStore
) -> None:
    tea = store.add_product("Green tea", usd(1250), stock=10)
    add_code(store, "ALLFREE", value=100, free_shipping=True, max_uses=5)
    # cash on delivery named: a total of 0 is paid whatever was named
    asked = replace(request(tea.id, 3, method=PaymentMethod.CASH_ON_DELIVERY), promo_code="allfree")
    placed = await channels.place(asked)
    order = store.orders[placed.order.id or 0]
    assert placed.created
    assert (order.status, order.payment_method, order.total) == (OrderStatus.PAID, FREE, usd(0))
    assert (order.promo_code, order.discount_minor, order.shipping) == ("ALLFREE", 3750, usd(0))
    events = store.order_events[order.id or 0]
    assert [(e.type, e.actor) for e in events] == [
        (OrderEventType.PLACED, "channel:webshop"),
        (OrderEventType.PAID, "channel:webshop"),
    ]
    [payment] = store.payments.payments.values()
    assert (payment.order_id, payment.method, payment.amount, payment.status) == (
        order.id,
        FREE,
        usd(0),
        PaymentStatus.APPLIED,
    )
    product = store.product(tea.id)
    assert (product.stock, product.reserved) == (10 - 3, 0)  # sold, not held
    assert uses(store, "ALLFREE") == 1

    again = await channels.place(asked)  # the channel's retry: its reference
    assert not again.created and again.order.id == order.id
    assert len(store.orders) == 1 and len(store.payments.payments) == 1
    assert uses(store, "ALLFREE") == 1


async def test_nothing_to_pay_named_for_an_order_with_something_to_pay_is_refused(
    channels: ChannelOrders, store: FakeStore
) -> None:
    tea = store.add_product("Green tea", usd(1250), stock=10)
    add_code(store, "HALF", value=50)
    free = replace(request(tea.id, 2, method=FREE), promo_code="HALF")
    with pytest.raises(InvalidInputError) as refused:
        await channels.place(free)
    assert refused.value.key == "checkout.payment_needed"
    assert refused.value.params["total"] == {"$money": [1250 + 500, "USD"]}
    with pytest.raises(InvalidInputError):  # no code at all: the full total is due
        await channels.place(request(tea.id, 2, method=FREE))
    assert store.orders == {} and store.product(tea.id).reserved == 0

    bank = await channels.place(replace(request(tea.id, 2), promo_code="HALF"))
    order = bank.order
    assert (order.status, order.payment_method) == (OrderStatus.PENDING_PAYMENT, "bank")
    assert (order.discount_minor, order.total) == (1250, usd(1250 + 500))
    assert store.payments.payments == {}


async def test_a_code_that_does_not_apply_places_nothing(
    channels: ChannelOrders, store: FakeStore
) -> None:
    tea = store.add_product("Green tea", usd(1250), stock=10)
    add_code(store, "ONCE", value=100, free_shipping=True, max_uses=1)
    with pytest.raises(PromoError) as unknown:
        await channels.place(replace(request(tea.id), promo_code="NOSUCH"))
    assert unknown.value.key == "promo.error.unknown"
    first = await channels.place(replace(request(tea.id, reference="A"), promo_code="ONCE"))
    assert first.order.status == OrderStatus.PAID
    with pytest.raises(PromoError) as used:
        await channels.place(replace(request(tea.id, reference="B"), promo_code="ONCE"))
    assert used.value.key == "promo.error.used_up"
    assert len(store.orders) == 1 and store.product(tea.id).stock == 10 - 2
    assert uses(store, "ONCE") == 1
