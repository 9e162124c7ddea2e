"""Orders from other sales channels (`ChannelOrders`) over the fake unit of work: placing (the
chat's rules, idempotent by reference, who the order belongs to), reading, cancelling, marking
paid, shipping and the sync's pages."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import timedelta

import pytest

from domain.channels.orders import (
    ChannelLine,
    ChannelOrderRequest,
    ChannelOrders,
    channel_customer_id,
)
from domain.checkout.flow import CheckoutStep
from domain.checkout.shipping_methods import shipping_methods_from_json
from domain.checkout.shop_base import ShopConfig
from domain.merchant.rules import MerchantConfig
from domain.merchant.service import Merchant
from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import PaymentMethod
from domain.reactions import order_flow
from domain.shared.clock import FixedClock
from domain.shared.customers import Customer, has_chat
from domain.shared.errors import (
    IllegalTransitionError,
    InvalidInputError,
    InvalidQuantityError,
    NotFoundError,
    OutOfStockError,
    ProductUnavailableError,
)
from domain.shared.money import Money
from domain.shared.notifications import Notification
from domain.shared.paging import Page
from domain.shipping.carriers import DEFAULT_CARRIERS
from tests.unit.checkout.test_shop import make_shop
from tests.unit.fakes import FakeStore, FakeUnitOfWorkFactory

ADMIN_CHAT = -100_500
ADA = 1001  # a Telegram customer who verified +12025550143
PHONE = "+12025550143"
OTHER_PHONE = "+12025550199"


def usd(amount: int) -> Money:
    return Money(amount, "USD")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def uow() -> FakeUnitOfWorkFactory:
    factory = FakeUnitOfWorkFactory()
    factory.store.customers[ADA] = Customer(ADA, "Ada", "ada")
    return factory


@pytest.fixture
def store(uow: FakeUnitOfWorkFactory) -> FakeStore:
    return uow.store


@pytest.fixture
def channels(uow: FakeUnitOfWorkFactory, clock: FixedClock) -> ChannelOrders:
    flow = order_flow(ADMIN_CHAT)
    numbers = (f"CH{n:02d}-AAAA" for n in itertools.count(10))
    merchant = Merchant(uow, clock, MerchantConfig("USD", ADMIN_CHAT, DEFAULT_CARRIERS), flow=flow)
    return ChannelOrders(
        uow,
        clock,
        ShopConfig(currency="USD", shipping_fee=usd(500), admin_chat_id=ADMIN_CHAT),
        merchant,
        order_numbers=lambda: next(numbers),
        flow=flow,
    )


def request(
    product_id: int,
    quantity: int = 2,
    *,
    reference: str | None = "WS-1",
    phone: str = OTHER_PHONE,
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER,
    channel: str = "webshop",
) -> ChannelOrderRequest:
    return ChannelOrderRequest(
        channel=channel,
        reference=reference,
        lines=[ChannelLine(product_id, quantity)],
        recipient="Bob Stone",
        phone=phone,
        address_text="2 High Street, Springfield",
        payment_method=method,
    )


def templates(store: FakeStore, chat_id: int) -> list[str]:
    return [
        e.notification.template for e in store.outbox.values() if e.notification.chat_id == chat_id
    ]


async def test_placing_reserves_stock_at_catalog_prices_and_alerts_the_admin_with_the_channel(
    channels: ChannelOrders, store: FakeStore
) -> None:
    tea = store.add_product("Green tea", usd(1250), stock=10)
    placed = await channels.place(request(tea.id, 3))
    order = placed.order
    assert placed.created
    assert (order.channel, order.channel_reference) == ("webshop", "WS-1")
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert order.total == usd(3 * 1250 + 500)
    assert order.lines[0].unit_price == usd(1250)
    assert store.product(tea.id).reserved == 3
    assert order.events[0].type == OrderEventType.PLACED
    assert order.events[0].actor == "channel:webshop"
    alert = next(
        e.notification for e in store.outbox.values() if e.notification.chat_id == ADMIN_CHAT
    )
    assert alert.template == "admin.channel_order"
    assert alert.params["channel"] == "webshop"
    assert alert.params["number"] == order.number
    assert alert.params["customer"] == "webshop"


async def test_an_order_without_a_verified_phone_belongs_to_the_channels_customer_without_chat(
    channels: ChannelOrders, store: FakeStore
) -> None:
    tea = store.add_product("Green tea", usd(1250), stock=10)
    order = (await channels.place(request(tea.id))).order
    assert order.customer_id == channel_customer_id("webshop")
    assert not has_chat(order.customer_id)
    assert store.customers[order.customer_id].first_name == "webshop"
    # Marking it paid would tell the customer: the outbox skips a customer without chat.
    await channels.mark_paid("admin-key", order.number)
    assert templates(store, order.customer_id) == []
    assert channel_customer_id("webshop") != channel_customer_id("market")


async def test_an_order_with_a_verified_phone_is_the_telegram_customers(
    channels: ChannelOrders, store: FakeStore, uow: FakeUnitOfWorkFactory
) -> None:
    async with uow() as tx:
        await tx.customers.set_verified_phone(ADA, PHONE)
        await tx.commit()
    tea = store.add_product("Green tea", usd(1250), stock=10)
    order = (await channels.place(request(tea.id, phone="+1 202-555-0143"))).order
    assert order.customer_id == ADA
    async with uow(readonly=True) as tx:
        mine = await tx.orders.list_for_customer(ADA, Page(0, 5))
    assert [o.number for o in mine.items] == [order.number]


async def test_the_same_reference_again_returns_the_first_order_and_changes_nothing(
    channels: ChannelOrders, store: FakeStore
) -> None:
    tea = store.add_product("Green tea", usd(1250), stock=10)
    first = await channels.place(request(tea.id, 2))
    outbox_before = len(store.outbox)
    again = await channels.place(request(tea.id, 2))
    assert not again.created
    assert again.order.number == first.order.number
    assert store.product(tea.id).reserved == 2
    assert len(store.outbox) == outbox_before
    # Another channel's same reference, or no reference, is another order.
    other = await channels.place(request(tea.id, 1, channel="market"))
    loose = await channels.place(request(tea.id, 1, reference=None))
    assert other.created and loose.created
    assert store.product(tea.id).reserved == 4


async def test_taking_a_product_to_its_low_mark_alerts_the_admin_once(
    channels: ChannelOrders, store: FakeStore
) -> None:
    tea = store.add_product("Green tea", usd(1250), stock=5)
    store.products[tea.id].low_stock_threshold = 3
    order = (await channels.place(request(tea.id, 2))).order
    alerts = [
        e.notification
        for e in store.outbox.values()
        if e.notification.template == "adm.alert.low_stock"
    ]
    assert [(a.chat_id, a.params["available"]) for a in alerts] == [(ADMIN_CHAT, 3)]
    assert templates(store, ADMIN_CHAT) == ["admin.channel_order", "adm.alert.low_stock"]
    await channels.place(request(tea.id, 2))  # the same reference: nothing new
    assert len(store.outbox) == 2 and order.number


async def test_cash_on_delivery_is_confirmed_at_once(
    channels: ChannelOrders, store: FakeStore
) -> None:
    tea = store.add_product("Green tea", usd(1250), stock=10)
    order = (await channels.place(request(tea.id, method=PaymentMethod.CASH_ON_DELIVERY))).order
    assert order.status == OrderStatus.CONFIRMED
    assert [e.type for e in order.events] == [OrderEventType.PLACED, OrderEventType.CONFIRMED]


@pytest.mark.parametrize(
    ("change", "error", "key"),
    [
        ({"phone": "12"}, InvalidInputError, "error.phone_invalid"),
        ({"recipient": "B"}, InvalidInputError, "error.recipient_invalid"),
        ({"address_text": "x"}, InvalidInputError, "error.address_too_short"),
        ({"payment_method": PaymentMethod.CARD}, InvalidInputError, "channel.error.payment_method"),
        ({"payment_method": "stars"}, InvalidInputError, "channel.error.payment_method"),
        ({"lines": []}, InvalidInputError, "channel.error.no_lines"),
        ({"reference": " "}, InvalidInputError, "channel.error.reference"),
        ({"reference": "r" * 65}, InvalidInputError, "channel.error.reference"),
        ({"channel": ""}, InvalidInputError, "channel.error.channel"),
    ],
)
async def test_bad_input_is_refused_and_changes_nothing(
    channels: ChannelOrders,
    store: FakeStore,
    change: dict[str, object],
    error: type[Exception],
    key: str,
) -> None:
    tea = store.add_product("Green tea", usd(1250), stock=10)
    base = request(tea.id)
    bad = ChannelOrderRequest(**{**vars(base), **change})  # type: ignore[arg-type]
    with pytest.raises(error) as raised:
        await channels.place(bad)
    assert getattr(raised.value, "key", None) == key
    assert store.orders == {} and store.outbox == {}
    assert store.product(tea.id).reserved == 0


async def test_quantities_unknown_products_and_short_stock_are_refused(
    channels: ChannelOrders, store: FakeStore
) -> None:
    tea = store.add_product("Green tea", usd(1250), stock=3)
    gone = store.add_product("Old tea", usd(900), stock=5, active=False)
    with pytest.raises(InvalidQuantityError):
        await channels.place(request(tea.id, 0))
    with pytest.raises(InvalidQuantityError):  # 60 + 60 of one product is over 99
        await channels.place(
            ChannelOrderRequest(**{**vars(request(tea.id)), "lines": [ChannelLine(tea.id, 60)] * 2})
        )
    with pytest.raises(ProductUnavailableError):
        await channels.place(request(999_999))
    with pytest.raises(ProductUnavailableError):
        await channels.place(request(gone.id, 1))
    with pytest.raises(OutOfStockError) as short:
        await channels.place(request(tea.id, 4))
    assert short.value.params["available"] == 3
    assert store.orders == {}
    assert store.product(tea.id).reserved == 0


async def test_get_shows_the_order_with_events_and_only_to_its_channel(
    channels: ChannelOrders, store: FakeStore
) -> None:
    tea = store.add_product("Green tea", usd(1250), stock=10)
    order = (await channels.place(request(tea.id))).order
    found = await channels.get(order.number.lower().replace("-", ""))
    assert found is not None and found.events[0].type == OrderEventType.PLACED
    assert await channels.get(order.number, channel="webshop") is not None
    assert await channels.get(order.number, channel="market") is None
    assert await channels.get("nonsense") is None


async def test_cancel_unpaid_releases_stock_once_and_refuses_paid_orders(
    channels: ChannelOrders, store: FakeStore
) -> None:
    tea = store.add_product("Green tea", usd(1250), stock=10)
    bank = (await channels.place(request(tea.id, 2))).order
    cod = (
        await channels.place(
            request(tea.id, 1, reference="WS-2", method=PaymentMethod.CASH_ON_DELIVERY)
        )
    ).order
    with pytest.raises(NotFoundError):  # another channel's order
        await channels.cancel_unpaid("market", bank.number)
    cancelled = await channels.cancel_unpaid("webshop", bank.number)
    assert cancelled.status == OrderStatus.CANCELLED
    assert cancelled.events[-1].actor == "channel:webshop"
    assert store.product(tea.id).reserved == 1
    again = await channels.cancel_unpaid("webshop", bank.number)  # a retry changes nothing
    assert again.status == OrderStatus.CANCELLED and store.product(tea.id).reserved == 1
    assert templates(store, ADMIN_CHAT).count("admin.channel_cancelled") == 1
    # Cash on delivery not yet shipped is unpaid too.
    assert (await channels.cancel_unpaid("webshop", cod.number)).status == OrderStatus.CANCELLED
    assert store.product(tea.id).reserved == 0
    paid = (await channels.place(request(tea.id, 1, reference="WS-3"))).order
    await channels.mark_paid("admin-key", paid.number)
    with pytest.raises(IllegalTransitionError) as refused:
        await channels.cancel_unpaid("webshop", paid.number)
    assert refused.value.key == "channel.error.not_cancellable"
    assert store.product(tea.id).stock == 9  # the paid unit stays sold


async def test_mark_paid_commits_stock_records_a_payment_and_is_idempotent(
    channels: ChannelOrders, store: FakeStore
) -> None:
    tea = store.add_product("Green tea", usd(1250), stock=10)
    order = (await channels.place(request(tea.id, 2))).order
    paid = await channels.mark_paid("admin-key", order.number)
    assert paid.status == OrderStatus.PAID
    assert paid.events[-1].actor == "channel:admin-key"
    product = store.product(tea.id)
    assert (product.stock, product.reserved) == (8, 0)
    payments = list(store.payments.payments.values())
    assert [(p.method, p.amount) for p in payments] == [(PaymentMethod.BANK_TRANSFER, order.total)]
    assert [a.action for a in store.audit] == ["order_mark_paid"]
    again = await channels.mark_paid("admin-key", order.number)
    assert again.status == OrderStatus.PAID
    assert len(store.payments.payments) == 1
    cod = (
        await channels.place(
            request(tea.id, 1, reference="WS-2", method=PaymentMethod.CASH_ON_DELIVERY)
        )
    ).order
    with pytest.raises(IllegalTransitionError) as refused:
        await channels.mark_paid("admin-key", cod.number)
    assert refused.value.key == "channel.error.not_awaiting_transfer"


async def test_ship_makes_the_shipment_the_tracking_job_follows_and_a_retry_changes_nothing(
    channels: ChannelOrders, store: FakeStore, uow: FakeUnitOfWorkFactory
) -> None:
    async with uow() as tx:
        await tx.customers.set_verified_phone(ADA, PHONE)
        await tx.commit()
    tea = store.add_product("Green tea", usd(1250), stock=10)
    order = (await channels.place(request(tea.id, 1, phone=PHONE))).order
    with pytest.raises(IllegalTransitionError):  # not paid yet
        await channels.ship("admin-key", order.number, "sf", "SF1234567890123")
    await channels.mark_paid("admin-key", order.number)
    with pytest.raises(InvalidInputError) as unknown:
        await channels.ship("admin-key", order.number, "pigeon", "SF1234567890123")
    assert unknown.value.key == "adm.error.unknown_carrier"
    with pytest.raises(InvalidInputError):
        await channels.ship("admin-key", order.number, "sf", "12")
    shipped = await channels.ship("admin-key", order.number, "sf", "sf1234567890123")
    assert shipped.status == OrderStatus.SHIPPED
    shipments = list(store.merchant.shipments.values())
    assert [(s.carrier_code, s.tracking_number) for s in shipments] == [("sf", "SF1234567890123")]
    assert "adm.notify.shipped" in templates(store, ADA)  # the Telegram customer is told
    again = await channels.ship("admin-key", order.number, "sf", "SF1234567890123")
    assert again.status == OrderStatus.SHIPPED and len(store.merchant.shipments) == 1
    with pytest.raises(IllegalTransitionError) as other:
        await channels.ship("admin-key", order.number, "zto", "731234567890")
    assert other.value.key == "adm.error.already_shipped"


async def test_changed_since_pages_by_updated_at_and_id(
    channels: ChannelOrders, store: FakeStore, clock: FixedClock
) -> None:
    tea = store.add_product("Green tea", usd(100), stock=50)
    start = clock.now()
    numbers = []
    for n in range(5):
        numbers.append((await channels.place(request(tea.id, 1, reference=f"R{n}"))).order.number)
        clock.advance(minutes=1)
    await channels.mark_paid("admin-key", numbers[0])  # moves to the end
    seen: list[str] = []
    after = None
    while True:
        page = await channels.changed_since(start, after, 2)
        if not page:
            break
        assert len(page) <= 2
        seen += [o.number for o in page]
        last = page[-1]
        assert last.updated_at is not None and last.id is not None
        after = (last.updated_at, last.id)
    assert seen == numbers[1:] + numbers[:1]
    later = await channels.changed_since(start + timedelta(minutes=5), None, 10)
    assert [o.number for o in later] == numbers[:1]
    naive = (start + timedelta(minutes=5)).replace(tzinfo=None)  # taken as UTC
    assert [o.number for o in await channels.changed_since(naive, None, 10)] == numbers[:1]


async def test_outbox_skips_only_customers_without_chat(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    async with uow() as tx:
        await tx.outbox.add(
            Notification(chat_id=channel_customer_id("x"), template="t"), clock.now()
        )
        await tx.outbox.add(Notification(chat_id=-1001234567890, template="t"), clock.now())
        await tx.commit()
    assert [e.notification.chat_id for e in uow.store.outbox.values()] == [-1001234567890]


@pytest.mark.parametrize(
    ("from_contact", "own", "verified"),
    [(True, True, True), (True, False, False), (False, False, False), (False, True, False)],
)
async def test_only_the_customers_own_contact_in_checkout_verifies_their_phone(
    uow: FakeUnitOfWorkFactory,
    clock: FixedClock,
    store: FakeStore,
    from_contact: bool,
    own: bool,
    verified: bool,
) -> None:
    shop = make_shop(uow, clock)
    tea = store.add_product("Green tea", usd(1250), stock=10)
    await shop.add_to_cart(ADA, tea.id, 1)
    view = await shop.start_checkout(ADA)
    if view.checkout.step == CheckoutStep.CHOOSE_ADDRESS:
        await shop.new_address(ADA, view.checkout.token)
    await shop.give_recipient(ADA, "Ada Lovelace")
    await shop.give_phone(ADA, "+1 202 555 0143", from_contact=from_contact, own=own)
    assert store.verified_phones == ({ADA: PHONE} if verified else {})


# -- delivery methods (issue 16's SHIPPING_METHODS) ------------------------------------------

SHIPPING_METHODS = """[
  {"code": "std", "name": "Standard", "fee": "5.00", "free_from": "50.00"},
  {"code": "express", "name": "Express", "fee": "15.00", "postcodes": ["100"]},
  {"code": "pickup", "kind": "pickup", "name": "Pickup", "fee": "0", "place": "1 Shop St"}
]"""
BEIJING = "88 Jianguo Road, Beijing 100022"
LONDON = "12 Engine Way, London"


@pytest.fixture
def with_methods(uow: FakeUnitOfWorkFactory, clock: FixedClock) -> ChannelOrders:
    flow = order_flow(ADMIN_CHAT)
    numbers = (f"CM{n:02d}-AAAA" for n in itertools.count(10))
    merchant = Merchant(uow, clock, MerchantConfig("USD", ADMIN_CHAT, DEFAULT_CARRIERS), flow=flow)
    config = ShopConfig(
        currency="USD",
        shipping_fee=usd(500),
        admin_chat_id=ADMIN_CHAT,
        shipping_methods=shipping_methods_from_json(SHIPPING_METHODS, "USD"),
    )
    return ChannelOrders(
        uow, clock, config, merchant, order_numbers=lambda: next(numbers), flow=flow
    )


def shipped_to(
    product_id: int, address: str, method: str | None, quantity: int = 1
) -> ChannelOrderRequest:
    return replace(
        request(product_id, quantity, reference=None),
        address_text=address,
        shipping_method=method,
    )


async def test_a_channel_order_ships_by_the_method_it_names_with_its_fee_and_snapshot(
    with_methods: ChannelOrders, store: FakeStore
) -> None:
    tea = store.add_product("Green tea", usd(1250), stock=10)
    order = (await with_methods.place(shipped_to(tea.id, BEIJING, "express"))).order
    assert order.shipping == usd(1500)
    assert order.shipping_method is not None and order.shipping_method.code == "express"
    assert order.total == usd(1250 + 1500)
    alert = next(
        e.notification for e in store.outbox.values() if e.notification.chat_id == ADMIN_CHAT
    )
    assert alert.params["shipping_method"]["code"] == "express"
    # Free over the threshold, as in the chat.
    big = (await with_methods.place(shipped_to(tea.id, LONDON, "std", quantity=4))).order
    assert (big.shipping, big.shipping_method and big.shipping_method.code) == (usd(0), "std")


async def test_without_a_method_the_only_one_serving_the_address_is_taken_else_asked(
    with_methods: ChannelOrders, store: FakeStore
) -> None:
    tea = store.add_product("Green tea", usd(1250), stock=10)
    order = (await with_methods.place(shipped_to(tea.id, LONDON, None))).order
    assert order.shipping_method is not None and order.shipping_method.code == "std"
    assert order.shipping == usd(500)
    with pytest.raises(InvalidInputError) as asked:  # Beijing: std and express both serve
        await with_methods.place(shipped_to(tea.id, BEIJING, None))
    assert asked.value.key == "channel.error.shipping_choose"
    assert asked.value.params["methods"] == "std, express"
    assert store.product(tea.id).reserved == 1  # the refused one reserved nothing


async def test_a_method_that_does_not_serve_the_address_or_does_not_exist_is_refused(
    with_methods: ChannelOrders, store: FakeStore
) -> None:
    tea = store.add_product("Green tea", usd(1250), stock=10)
    with pytest.raises(InvalidInputError) as wrong:
        await with_methods.place(shipped_to(tea.id, LONDON, "express"))
    assert wrong.value.key == "channel.error.shipping_not_served"
    with pytest.raises(InvalidInputError) as unknown:
        await with_methods.place(shipped_to(tea.id, LONDON, "drone"))
    assert unknown.value.key == "channel.error.shipping_unknown"
    assert unknown.value.params["methods"] == "std, express, pickup"
    assert store.product(tea.id).reserved == 0
    assert not store.orders


async def test_pickup_needs_no_address(with_methods: ChannelOrders, store: FakeStore) -> None:
    tea = store.add_product("Green tea", usd(1250), stock=10)
    order = (await with_methods.place(shipped_to(tea.id, "", "pickup"))).order
    assert order.shipping_method is not None and order.shipping_method.pickup
    assert (order.shipping, order.address_text) == (usd(0), "")
    with pytest.raises(InvalidInputError):  # a delivery still needs one
        await with_methods.place(shipped_to(tea.id, "", "std"))


async def test_a_shop_without_methods_charges_its_flat_fee_and_keeps_no_snapshot(
    channels: ChannelOrders, store: FakeStore
) -> None:
    tea = store.add_product("Green tea", usd(1250), stock=10)
    order = (await channels.place(shipped_to(tea.id, LONDON, None))).order
    assert (order.shipping, order.shipping_method) == (usd(500), None)
    with pytest.raises(InvalidInputError):
        await channels.place(shipped_to(tea.id, LONDON, "express"))
