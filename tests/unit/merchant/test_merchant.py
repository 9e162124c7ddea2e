"""The merchant's use cases (`Merchant`) over the fake unit of work: order actions, the ship
dialog, cancelling, notes and messages, products, stock and its log, low-stock alerts."""

from __future__ import annotations

import itertools

import pytest

from domain.catalog.stock import crossed_low, queue_low_stock_alerts
from domain.merchant.rules import (
    AdminAction,
    MerchantConfig,
    OrderFilter,
    order_actions,
    parse_stock_change,
)
from domain.merchant.service import Merchant
from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import Order, OrderLine, PaymentMethod
from domain.reactions import ORDER_FLOW
from domain.shared.clock import FixedClock
from domain.shared.customers import Customer, Language
from domain.shared.dialogs import DialogKind, StaleDialogError
from domain.shared.errors import (
    IllegalTransitionError,
    InvalidInputError,
    NotFoundError,
    ProductUnavailableError,
)
from domain.shared.money import Money
from domain.shipping.carriers import DEFAULT_CARRIERS, CarrierConfigError, carriers_from_json
from tests.unit.fakes import FakeStore, FakeUnitOfWorkFactory

ADA, ANN, BEN = 1001, 5001, 5002
ADMIN_CHAT = -100_500
PRIVATE = ANN  # an admin's private chat has the admin's id


def usd(amount: int) -> Money:
    return Money(amount, "USD")


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def uow() -> FakeUnitOfWorkFactory:
    factory = FakeUnitOfWorkFactory()
    factory.store.customers[ADA] = Customer(ADA, "Ada", "ada", language_code="zh-hans")
    factory.store.customers[ANN] = Customer(ANN, "Ann")
    return factory


@pytest.fixture
def store(uow: FakeUnitOfWorkFactory) -> FakeStore:
    return uow.store


@pytest.fixture
def merchant(uow: FakeUnitOfWorkFactory, clock: FixedClock) -> Merchant:
    tokens = (f"tok{n}" for n in itertools.count(1))
    skus = (f"P-SKU{n}" for n in itertools.count(1))
    return Merchant(
        uow,
        clock,
        MerchantConfig("USD", ADMIN_CHAT, DEFAULT_CARRIERS, page_size=3),
        tokens=lambda: next(tokens),
        skus=lambda: next(skus),
        flow=ORDER_FLOW,
    )


async def add_order(
    uow: FakeUnitOfWorkFactory,
    clock: FixedClock,
    status: OrderStatus = OrderStatus.CONFIRMED,
    *,
    number: str = "7KQ2-M9XD",
    payment: PaymentMethod = PaymentMethod.CASH_ON_DELIVERY,
    quantity: int = 2,
) -> Order:
    """An order holding (or having taken) `quantity` units of a product with 10 in stock."""
    store = uow.store
    tea = store.add_product("Green tea", usd(1250), stock=10, sku=f"TEA-{number}")
    product = store.products[tea.id]
    if status in (OrderStatus.PENDING_PAYMENT, OrderStatus.CONFIRMED):
        product.reserved = quantity
    elif status != OrderStatus.CANCELLED:
        product.stock -= quantity
    order = Order(
        number=number,
        customer_id=ADA,
        status=status,
        currency="USD",
        lines=[OrderLine(tea.id, tea.sku, tea.name, tea.price, quantity)],
        shipping=usd(500),
        payment_method=payment,
        recipient="Ada",
        phone="+12025550143",
        address_text="1 Main Street",
        created_at=clock.now(),
    )
    async with uow() as tx:
        order.id = await tx.orders.add(order)
        await tx.commit()
    clock.advance(minutes=1)
    return order


def outbox(store: FakeStore) -> list[tuple[int, str, dict[str, object]]]:
    return [
        (e.notification.chat_id, e.notification.template, e.notification.params)
        for e in store.outbox.values()
    ]


# -- which actions an order offers --------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "payment", "actions"),
    [
        (OrderStatus.PENDING_PAYMENT, PaymentMethod.CASH_ON_DELIVERY, ["cod", "cancel"]),
        (OrderStatus.PENDING_PAYMENT, PaymentMethod.BANK_TRANSFER, ["cancel"]),
        (OrderStatus.CONFIRMED, PaymentMethod.CASH_ON_DELIVERY, ["ship", "cancel"]),
        (OrderStatus.PAID, PaymentMethod.BANK_TRANSFER, ["ship", "refund"]),
        (OrderStatus.SHIPPED, PaymentMethod.BANK_TRANSFER, ["deliver"]),
        (OrderStatus.DELIVERED, PaymentMethod.BANK_TRANSFER, ["complete"]),
        (OrderStatus.COMPLETED, PaymentMethod.BANK_TRANSFER, []),
        (OrderStatus.CANCELLED, PaymentMethod.BANK_TRANSFER, []),
    ],
)
async def test_an_order_offers_exactly_the_steps_its_status_allows(
    uow: FakeUnitOfWorkFactory,
    clock: FixedClock,
    status: OrderStatus,
    payment: PaymentMethod,
    actions: list[str],
) -> None:
    order = await add_order(uow, clock, status, payment=payment)
    assert [a.value for a in order_actions(order)] == actions


# -- shipping -----------------------------------------------------------------------------------


async def ship(merchant: Merchant, number: str, admin: int = ANN, chat: int = ADMIN_CHAT) -> str:
    """Run the ship dialog up to its confirmation; returns the dialog token."""
    dialog = await merchant.start_ship(chat, admin, number)
    await merchant.choose_carrier(chat, admin, dialog.token, "sf")
    result = await merchant.answer(chat, admin, " sf1234 5678 9012 ")
    assert result is not None and result.dialog.step == "note"
    result = await merchant.skip(chat, admin, dialog.token)
    assert result.dialog.step == "confirm" and not result.done
    return dialog.token


async def test_shipping_records_the_shipment_moves_the_order_and_tells_the_customer(
    merchant: Merchant, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await add_order(uow, clock)
    token = await ship(merchant, order.number)
    assert store.orders[order.id or 0].status == OrderStatus.CONFIRMED, "nothing before confirm"

    result = await merchant.confirm(ADMIN_CHAT, ANN, token)

    assert result.done and result.shipment is not None
    assert store.orders[order.id or 0].status == OrderStatus.SHIPPED
    [shipment] = store.merchant.shipments.values()
    assert (shipment.carrier_code, shipment.tracking_number, shipment.actor) == (
        "sf",
        "SF123456789012",
        f"admin:{ANN}",
    )
    assert shipment.tracking_url and shipment.tracking_url.endswith("/SF123456789012")
    product = store.products[order.lines[0].product_id]
    assert (product.stock, product.reserved) == (8, 0), "a COD order takes its units at shipping"
    event = store.order_events[order.id or 0][-1]
    assert (event.type, event.actor, event.params) == (
        OrderEventType.SHIPPED,
        f"admin:{ANN}",
        {"carrier": "sf", "tracking": "SF123456789012"},
    )
    [told] = [n for n in store.outbox.values() if n.notification.chat_id == ADA]
    assert told.notification.template == "adm.notify.shipped"
    assert told.notification.language == Language.ZH, "in the customer's language"
    assert told.notification.params["url"] == shipment.tracking_url
    assert store.merchant.dialogs == {}, "the dialog is over"


async def test_the_second_of_two_admins_confirming_is_told_already_shipped(
    merchant: Merchant, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await add_order(uow, clock)
    first = await ship(merchant, order.number, ANN)
    second = await ship(merchant, order.number, BEN)
    await merchant.confirm(ADMIN_CHAT, ANN, first)

    with pytest.raises(IllegalTransitionError) as refused:
        await merchant.confirm(ADMIN_CHAT, BEN, second)

    assert refused.value.key == "adm.error.already_shipped"
    assert refused.value.params["number"] == order.number
    assert len(store.merchant.shipments) == 1
    assert [e.type for e in store.order_events[order.id or 0]].count(OrderEventType.SHIPPED) == 1
    assert (ADMIN_CHAT, BEN) not in store.merchant.dialogs, "the moot dialog is dropped"
    with pytest.raises(IllegalTransitionError, match="already_shipped"):
        await merchant.start_ship(ADMIN_CHAT, BEN, order.number)


async def test_a_replayed_confirmation_makes_no_second_shipment(
    merchant: Merchant, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await add_order(uow, clock)
    token = await ship(merchant, order.number)
    await merchant.confirm(ADMIN_CHAT, ANN, token)
    with pytest.raises(StaleDialogError):
        await merchant.confirm(ADMIN_CHAT, ANN, token)
    assert len(store.merchant.shipments) == 1


async def test_an_unpaid_order_cannot_be_shipped(
    merchant: Merchant, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await add_order(
        uow, clock, OrderStatus.PENDING_PAYMENT, payment=PaymentMethod.BANK_TRANSFER
    )
    with pytest.raises(IllegalTransitionError) as refused:
        await merchant.start_ship(ADMIN_CHAT, ANN, order.number)
    assert refused.value.params["status"] == "pending_payment"
    assert store.merchant.dialogs == {}


async def test_a_wrong_tracking_number_keeps_the_dialog_where_it_was(
    merchant: Merchant, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await add_order(uow, clock)
    dialog = await merchant.start_ship(ADMIN_CHAT, ANN, order.number)
    await merchant.choose_carrier(ADMIN_CHAT, ANN, dialog.token, "ups")
    with pytest.raises(InvalidInputError) as wrong:
        await merchant.answer(ADMIN_CHAT, ANN, "12345")
    assert wrong.value.key == "adm.error.tracking_pattern"
    assert wrong.value.params == {"carrier": "UPS", "example": "1Z999AA10123456784"}
    assert store.merchant.dialogs[(ADMIN_CHAT, ANN)].step == "tracking"


async def test_text_typed_while_a_button_is_expected_is_refused(
    merchant: Merchant, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await add_order(uow, clock)
    await merchant.start_ship(ADMIN_CHAT, BEN, order.number)
    with pytest.raises(InvalidInputError, match="use_buttons"):
        await merchant.answer(ADMIN_CHAT, BEN, "SF123456789012")
    assert store.merchant.dialogs[(ADMIN_CHAT, BEN)].step == "carrier"


@pytest.mark.parametrize(
    ("code", "typed", "expected"),
    [
        ("sf", "sf 1234567890123", "SF1234567890123"),
        ("ems", "ea123456789cn", "EA123456789CN"),
        ("dhl", "12345 67890", "1234567890"),
        ("other", "local-42", "LOCAL-42"),
    ],
)
def test_tracking_numbers_are_normalised_and_checked_per_carrier(
    code: str, typed: str, expected: str
) -> None:
    carrier = next(c for c in DEFAULT_CARRIERS if c.code == code)
    assert carrier.check(typed) == expected


@pytest.mark.parametrize(
    ("code", "typed"),
    [("sf", "1234567890123"), ("ems", "EA12345678CN"), ("other", "x"), ("other", "a/b")],
)
def test_tracking_numbers_that_do_not_fit_are_refused(code: str, typed: str) -> None:
    carrier = next(c for c in DEFAULT_CARRIERS if c.code == code)
    with pytest.raises(InvalidInputError):
        carrier.check(typed)


def test_the_carriers_setting_is_a_json_list_checked_entry_by_entry() -> None:
    assert carriers_from_json("") == DEFAULT_CARRIERS
    [yto] = carriers_from_json(
        '[{"code": "yto", "name": "YTO", "url": "https://t.example/q?n={number}",'
        ' "pattern": "YT\\\\d{13}"}]'
    )
    assert yto.link("YT1234567890123") == "https://t.example/q?n=YT1234567890123"
    assert yto.check("yt1234567890123") == "YT1234567890123"
    for bad, why in [
        ("{", "JSON"),
        ("[]", "non-empty"),
        ('[{"code": "Y1", "name": "x"}]', "lower-case"),
        ('[{"code": "a", "name": "x"}, {"code": "a", "name": "y"}]', "twice"),
        ('[{"code": "a", "name": "x", "url": "ftp://x/{number}"}]', "http"),
        ('[{"code": "a", "name": "x", "url": "https://x/"}]', "{number}"),
        ('[{"code": "a", "name": "x", "pattern": "("}]', "pattern"),
        ('[{"code": "a", "name": "x", "colour": "red"}]', "unknown"),
    ]:
        with pytest.raises(CarrierConfigError, match=why):
            carriers_from_json(bad)


# -- other order actions ------------------------------------------------------------------------


async def test_cancelling_asks_a_reason_releases_the_stock_and_tells_the_customer(
    merchant: Merchant, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await add_order(uow, clock)
    dialog = await merchant.start_cancel(PRIVATE, ANN, order.number)
    with pytest.raises(InvalidInputError):
        await merchant.answer(PRIVATE, ANN, "x")
    await merchant.answer(PRIVATE, ANN, "  Out of   stock  ")
    assert store.orders[order.id or 0].status == OrderStatus.CONFIRMED

    result = await merchant.confirm(PRIVATE, ANN, dialog.token)

    assert result.order is not None and result.order.status == OrderStatus.CANCELLED
    assert store.products[order.lines[0].product_id].reserved == 0
    event = store.order_events[order.id or 0][-1]
    assert (event.type, event.actor, event.note) == (
        OrderEventType.CANCELLED,
        f"admin:{ANN}",
        "Out of stock",
    )
    assert (ADA, "adm.notify.cancelled", {"number": order.number, "reason": "Out of stock"}) in (
        outbox(store)
    )


async def test_a_paid_order_is_cancelled_only_with_a_refund(
    merchant: Merchant, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await add_order(uow, clock, OrderStatus.PAID, payment=PaymentMethod.BANK_TRANSFER)
    with pytest.raises(IllegalTransitionError) as refused:
        await merchant.start_cancel(ADMIN_CHAT, ANN, order.number)
    assert refused.value.key == "adm.error.refund_needed"
    assert store.orders[order.id or 0].status == OrderStatus.PAID
    assert AdminAction.REFUND in order_actions(order)


async def test_delivering_twice_is_refused_with_the_status_it_has_now(
    merchant: Merchant, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await add_order(uow, clock, OrderStatus.SHIPPED)
    delivered = await merchant.deliver(ANN, order.number)
    assert delivered.status == OrderStatus.DELIVERED
    with pytest.raises(IllegalTransitionError) as again:
        await merchant.deliver(BEN, order.number)
    assert again.value.params["status"] == "delivered"
    assert [n[1] for n in outbox(store)] == ["adm.notify.delivered"]
    completed = await merchant.complete(BEN, order.number)
    assert completed.status == OrderStatus.COMPLETED
    steps = [
        (e.type, e.actor)
        for e in store.order_events[order.id or 0]
        if e.type in (OrderEventType.DELIVERED, OrderEventType.COMPLETED)
    ]
    assert steps == [
        (OrderEventType.DELIVERED, f"admin:{ANN}"),
        (OrderEventType.COMPLETED, f"admin:{BEN}"),
    ]


async def test_only_cash_on_delivery_orders_are_confirmed_by_the_merchant(
    merchant: Merchant, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    cod = await add_order(uow, clock, OrderStatus.PENDING_PAYMENT, number="AAAA-AAAA")
    bank = await add_order(
        uow,
        clock,
        OrderStatus.PENDING_PAYMENT,
        number="BBBB-BBBB",
        payment=PaymentMethod.BANK_TRANSFER,
    )
    assert (await merchant.confirm_cod(ANN, cod.number)).status == OrderStatus.CONFIRMED
    with pytest.raises(IllegalTransitionError):
        await merchant.confirm_cod(ANN, bank.number)
    assert store.orders[bank.id or 0].status == OrderStatus.PENDING_PAYMENT


async def test_notes_stay_internal_and_messages_reach_the_customer_whose_reply_comes_back(
    merchant: Merchant, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await add_order(uow, clock)
    await merchant.start_note(ADMIN_CHAT, ANN, order.number)
    noted = await merchant.answer(ADMIN_CHAT, ANN, "Call before delivery")
    assert noted is not None and noted.done
    await merchant.start_message(ADMIN_CHAT, ANN, order.number)
    await merchant.answer(ADMIN_CHAT, ANN, "Hello!\nAny preference?")

    with pytest.raises(NotFoundError):
        await merchant.start_reply(BEN, order.number)
    reply = await merchant.start_reply(ADA, order.number)
    assert reply.kind == DialogKind.REPLY and (reply.chat_id, reply.user_id) == (ADA, ADA)
    done = await merchant.answer(ADA, ADA, "Tins, please")
    assert done is not None and done.done

    events = store.order_events[order.id or 0]
    assert [(e.actor, e.note, e.params["kind"]) for e in events] == [
        (f"admin:{ANN}", "Call before delivery", "note"),
        (f"admin:{ANN}", "Hello!\nAny preference?", "message_out"),
        (f"customer:{ADA}", "Tins, please", "message_in"),
    ]
    assert all(e.params["internal"] for e in events)
    assert outbox(store) == [
        (ADA, "adm.relay.to_customer", {"number": order.number, "text": "Hello!\nAny preference?"}),
        (
            ADMIN_CHAT,
            "adm.relay.from_customer",
            {"number": order.number, "customer": "Ada (@ada)", "text": "Tins, please"},
        ),
    ]
    assert await merchant.answer(ADA, ADA, "more text") is None, "the reply was used up"


async def test_a_dialog_left_for_a_day_no_longer_takes_typed_text(
    merchant: Merchant, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await add_order(uow, clock)
    await merchant.start_note(ADMIN_CHAT, ANN, order.number)
    clock.advance(hours=25)
    assert await merchant.answer(ADMIN_CHAT, ANN, "late note") is None
    assert await merchant.current_dialog(ADMIN_CHAT, ANN) is None
    assert len(store.order_events[order.id or 0]) == 0


async def test_stale_tokens_and_skips_of_required_steps_change_nothing(
    merchant: Merchant, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await add_order(uow, clock)
    old = await merchant.start_ship(ADMIN_CHAT, ANN, order.number)
    new = await merchant.start_ship(ADMIN_CHAT, ANN, order.number)
    with pytest.raises(StaleDialogError):
        await merchant.choose_carrier(ADMIN_CHAT, ANN, old.token, "sf")
    with pytest.raises(StaleDialogError):
        await merchant.choose_carrier(ADMIN_CHAT, ANN, new.token, "pigeon")
    with pytest.raises(StaleDialogError):
        await merchant.skip(ADMIN_CHAT, ANN, new.token)
    with pytest.raises(StaleDialogError):
        await merchant.confirm(ADMIN_CHAT, ANN, new.token)
    with pytest.raises(StaleDialogError):
        await merchant.cancel_dialog(ADMIN_CHAT, BEN, new.token)
    assert store.merchant.dialogs[(ADMIN_CHAT, ANN)].step == "carrier"
    await merchant.cancel_dialog(ADMIN_CHAT, ANN, new.token)
    assert (
        store.merchant.dialogs == {} and store.orders[order.id or 0].status == OrderStatus.CONFIRMED
    )


# -- lists --------------------------------------------------------------------------------------


async def test_the_order_book_filters_pages_and_has_no_after_sales_yet(
    merchant: Merchant, uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    numbers = [f"AAAA-000{i}" for i in range(5)]
    for number in numbers:
        await add_order(uow, clock, number=number)
    await add_order(uow, clock, OrderStatus.SHIPPED, number="SHIP-0001")

    first = await merchant.orders(OrderFilter.TO_SHIP, 0)
    second = await merchant.orders(OrderFilter.TO_SHIP, 1)
    assert [o.number for o in first.items + second.items] == numbers, "oldest first"
    assert (first.total, first.pages) == (5, 2)
    everything = await merchant.orders(OrderFilter.ALL, 0)
    assert everything.items[0].number == "SHIP-0001", "newest first"
    assert [o.number for o in (await merchant.orders(OrderFilter.SHIPPED, 0)).items] == [
        "SHIP-0001"
    ]
    assert (await merchant.orders(OrderFilter.AFTER_SALES, 0)).total == 0

    file = await merchant.order_file("aaaa0001")
    assert file.order.number == "AAAA-0001" and file.customer is not None
    with pytest.raises(NotFoundError):
        await merchant.order_file("nope")


# -- products and stock -------------------------------------------------------------------------


async def test_adding_a_product_by_dialog_creates_it_with_its_photo_and_logs_the_stock(
    merchant: Merchant, store: FakeStore
) -> None:
    dialog = await merchant.start_add_product(ADMIN_CHAT, ANN)
    for typed in ("Matcha 30 g", "Tea", "19", "12"):
        await merchant.answer(ADMIN_CHAT, ANN, typed)
    await merchant.skip(ADMIN_CHAT, ANN, dialog.token)  # no description
    with pytest.raises(InvalidInputError, match="use_buttons"):
        await merchant.answer(ADMIN_CHAT, ANN, "a photo, in words")
    waiting = await merchant.give_photo(ADMIN_CHAT, ANN, "file-123")
    assert waiting is not None and waiting.dialog.step == "confirm"

    result = await merchant.confirm(ADMIN_CHAT, ANN, dialog.token)

    product = result.product
    assert product is not None and product.active
    assert (product.sku, product.name, product.price, product.stock) == (
        "P-SKU1",
        "Matcha 30 g",
        usd(1900),
        12,
    )
    assert product.photo_file_id == "file-123" and product.category_name == "Tea"
    [entry] = store.merchant.inventory.values()
    assert (entry.delta, entry.stock_after, entry.reason, entry.actor) == (
        12,
        12,
        "new product",
        f"admin:{ANN}",
    )


@pytest.mark.parametrize(
    ("typed", "parsed"), [("+5", ("+", 5)), ("-2", ("-", 2)), ("=25", ("=", 25)), ("7", ("=", 7))]
)
def test_a_stock_change_is_typed_as_plus_minus_or_equals(
    typed: str, parsed: tuple[str, int]
) -> None:
    assert parse_stock_change(typed) == parsed


@pytest.mark.parametrize("typed", ["", "+", "+0", "lots", "5 5", "-99999999"])
def test_a_stock_change_that_is_not_one_is_refused(typed: str) -> None:
    with pytest.raises(InvalidInputError):
        parse_stock_change(typed)


async def test_stock_changes_are_logged_never_go_below_reserved_and_alert_when_low(
    merchant: Merchant, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await add_order(uow, clock)  # 10 in stock, 2 reserved
    product_id = order.lines[0].product_id
    store.products[product_id].low_stock_threshold = 3
    await merchant.start_stock(ADMIN_CHAT, ANN, product_id)
    with pytest.raises(InvalidInputError, match="below_reserved"):
        await merchant.answer(ADMIN_CHAT, ANN, "=1")
    with pytest.raises(InvalidInputError, match="unchanged"):
        await merchant.answer(ADMIN_CHAT, ANN, "=10")
    await merchant.answer(ADMIN_CHAT, ANN, "-5")
    result = await merchant.answer(ADMIN_CHAT, ANN, "Broken in transit")

    assert result is not None and result.product is not None and result.product.stock == 5
    [entry] = store.merchant.inventory.values()
    assert (entry.delta, entry.stock_after, entry.reason, entry.actor) == (
        -5,
        5,
        "Broken in transit",
        f"admin:{ANN}",
    )
    [alert] = [n for n in outbox(store) if n[1] == "adm.alert.low_stock"]
    assert (
        alert[0] == ADMIN_CHAT
        and alert[2]["available"] == 3
        and alert[2]["product_id"] == product_id
    )

    file = await merchant.product_file(product_id)
    assert file.names == {f"admin:{ANN}": "Ann"}


async def test_edits_and_deactivation_are_logged_and_an_unknown_product_is_refused(
    merchant: Merchant, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await add_order(uow, clock)
    product_id = order.lines[0].product_id
    await merchant.start_edit(ADMIN_CHAT, ANN, product_id, "price")
    with pytest.raises(InvalidInputError, match="price_invalid"):
        await merchant.answer(ADMIN_CHAT, ANN, "0")
    await merchant.answer(ADMIN_CHAT, ANN, "13,5")
    dialog = await merchant.start_edit(ADMIN_CHAT, ANN, product_id, "desc")
    await merchant.skip(ADMIN_CHAT, ANN, dialog.token)
    off = await merchant.set_active(BEN, product_id, False)
    again = await merchant.set_active(BEN, product_id, False)
    assert not off.active and not again.active
    assert store.products[product_id].price == usd(1350)
    reasons = [(e.reason, e.actor) for e in store.merchant.inventory.values()]
    assert reasons == [
        ("price: 12.50 -> 13.50 USD", f"admin:{ANN}"),
        ("description cleared", f"admin:{ANN}"),
        ("deactivated", f"admin:{BEN}"),
    ]
    with pytest.raises(ProductUnavailableError):
        await merchant.start_stock(ADMIN_CHAT, ANN, 999_999)
    with pytest.raises(StaleDialogError):
        await merchant.start_edit(ADMIN_CHAT, ANN, product_id, "sku")


# -- low-stock alerts -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "taken", "threshold", "crossed"),
    [
        (5, 1, 5, True),  # 6 -> 5: reaches the threshold
        (4, 3, 5, True),  # 7 -> 4: jumps over it
        (4, 1, 5, False),  # 5 -> 4: was already low
        (6, 1, 5, False),  # 7 -> 6: still above
        (0, 3, 0, False),  # threshold 0: alerts are off
    ],
)
def test_a_low_stock_alert_is_due_only_when_availability_crosses_the_threshold(
    after: int, taken: int, threshold: int, crossed: bool
) -> None:
    assert crossed_low(after, taken, threshold) is crossed


async def test_low_stock_alerts_are_queued_once_per_crossing(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    tea = store.add_product("Tea", usd(100), stock=6)
    store.products[tea.id].low_stock_threshold = 5
    store.products[tea.id].reserved = 1
    for cause in ("order:A", "order:A", "order:B"):
        async with uow() as tx:
            await queue_low_stock_alerts(tx, ADMIN_CHAT, clock.now(), {tea.id: 1}, cause)
            await tx.commit()
    alerts = [n for n in outbox(store) if n[1] == "adm.alert.low_stock"]
    assert len(alerts) == 2, "a replayed cause alerts once"
    async with uow() as tx:
        assert await queue_low_stock_alerts(tx, None, clock.now(), {tea.id: 1}, "x") == 0


async def test_importing_a_catalog_logs_new_stock_and_never_rewrites_existing_stock(
    merchant: Merchant, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    from domain.catalog.importing import ProductDraft

    tea = store.add_product("Tea", usd(100), stock=6, sku="TEA")
    drafts = [
        ProductDraft("TEA", "Tea", "Tea", usd(100), 4),
        ProductDraft("NEW", "New tea", "Tea", usd(200), 9),
    ]
    assert await merchant.import_catalog(ANN, drafts, "spring.csv") == (1, 1)
    log = sorted((e.delta, e.stock_after, e.reason) for e in store.merchant.inventory.values())
    assert log == [(9, 9, "csv import spring.csv")]
    assert store.products[tea.id].stock == 6, "units sold since the export stay sold"
    assert {e.actor for e in store.merchant.inventory.values()} == {f"admin:{ANN}"}


async def test_exports_are_in_the_audit_log_with_their_size(
    merchant: Merchant, store: FakeStore
) -> None:
    store.add_product("Tea", usd(100), stock=4)

    products = await merchant.export_products(ANN)
    orders = await merchant.export_orders(ANN)

    assert [(e.actor, e.action, e.details) for e in store.audit] == [
        (f"admin:{ANN}", "export_products", {"products": len(products)}),
        (f"admin:{ANN}", "export_orders", {"orders": len(orders)}),
    ]


async def test_a_known_reorder_point_replaces_the_threshold_of_the_low_stock_alert(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    tea = store.add_product("Tea", usd(100), stock=10)  # after 2 left: 12 -> 10
    cup = store.add_product("Cup", usd(100), stock=10)
    for product in (tea, cup):
        store.products[product.id].low_stock_threshold = 5
    store.products[tea.id].reorder_point = 10  # 12 -> 10 reaches it; 5 is far below
    async with uow() as tx:
        queued = await queue_low_stock_alerts(
            tx, ADMIN_CHAT, clock.now(), {tea.id: 2, cup.id: 2}, "order:A"
        )
        await tx.commit()
    assert queued == 1, "the cup has no reorder point: its threshold 5 is not reached"
    [params] = [n[2] for n in outbox(store) if n[1] == "adm.alert.low_stock"]
    assert (params["sku"], params["available"], params["threshold"]) == (
        store.products[tea.id].sku,
        10,
        10,
    )
