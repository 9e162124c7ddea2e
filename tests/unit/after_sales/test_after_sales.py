"""The after-sales use cases (`AfterSales`) over the fake unit of work with a pinned clock: asking
within the rules, the merchant's steps with their stock and money effects, the customer's
dialog, and what everyone is told."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from domain.after_sales.records import (
    AfterSalesError,
    AfterSalesStepError,
    DraftKind,
    RequestEventType,
    RequestKind,
    RequestStatus,
)
from domain.after_sales.service import AfterSales
from domain.after_sales.steps import AfterSalesConfig
from domain.merchant.rules import MerchantConfig, OrderFilter
from domain.merchant.service import Merchant
from domain.orders import transitions as orders
from domain.orders.model import Order, OrderLine, PaymentMethod
from domain.payments.ports import StarRefundAnswer, StarRefundResult
from domain.payments.records import Payment, PaymentStatus, RefundStatus
from domain.payments.refunds import RefundOutcome
from domain.reactions import ORDER_FLOW
from domain.shared.clock import FixedClock
from domain.shared.customers import Customer, Language
from domain.shared.dialogs import DialogKind
from domain.shared.errors import InvalidInputError, NotFoundError
from domain.shared.money import Money
from tests.unit.fakes import FakeStore, FakeUnitOfWorkFactory

ADA, BEA, ANN = 1001, 1002, 5001
ADMIN_CHAT = -100_500
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ADDRESS = "Returns desk, 9 Dock Road"


class FakeStars:
    """refundStarPayment answering from a script; records who was asked."""

    def __init__(self, *answers: StarRefundResult) -> None:
        self.answers = list(answers)
        self.calls: list[tuple[int, str]] = []

    async def refund(self, customer_id: int, telegram_charge_id: str) -> StarRefundAnswer:
        self.calls.append((customer_id, telegram_charge_id))
        result = self.answers.pop(0)
        return StarRefundAnswer(result, "CHARGE_NOT_FOUND" if result == "refused" else None)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def uow() -> FakeUnitOfWorkFactory:
    factory = FakeUnitOfWorkFactory()
    store = factory.store
    store.customers[ADA] = Customer(ADA, "Ada", "ada", language_code="zh-hans")
    store.customers[BEA] = Customer(BEA, "Bea")
    store.customers[ANN] = Customer(ANN, "Ann")
    store.add_product("Longjing", Money(1250, "USD"), stock=10, sku="TEA")
    store.add_product("Cup", Money(800, "USD"), stock=5, sku="CUP")
    return factory


@pytest.fixture
def store(uow: FakeUnitOfWorkFactory) -> FakeStore:
    return uow.store


@pytest.fixture
def stars() -> FakeStars:
    return FakeStars()


@pytest.fixture
def service(uow: FakeUnitOfWorkFactory, clock: FixedClock, stars: FakeStars) -> AfterSales:
    numbers = (f"R-{n:06d}" for n in itertools.count(1))
    tokens = (f"tok{n}" for n in itertools.count(1))
    return AfterSales(
        uow,
        clock,
        AfterSalesConfig(return_address=ADDRESS, admin_chat_id=ADMIN_CHAT),
        stars,
        numbers=lambda: next(numbers),
        tokens=lambda: next(tokens),
    )


def product(store: FakeStore, sku: str) -> int:
    return next(p.id for p in store.products.values() if p.sku == sku)


async def place(
    uow: FakeUnitOfWorkFactory,
    clock: FixedClock,
    *,
    customer: int = ADA,
    number: str = "7KQ2-M9XD",
    method: PaymentMethod = PaymentMethod.CARD,
    steps: tuple[str, ...] = ("ship", "deliver"),
) -> Order:
    """3 Longjing and 1 Cup ($45.50 with shipping), paid (by `method`), then `steps`."""
    store = uow.store
    currency = "XTR" if method == PaymentMethod.STARS else "USD"
    async with uow() as work:
        order = Order(
            number=number,
            customer_id=customer,
            status=orders.OrderStatus.PENDING_PAYMENT,
            currency=currency,
            lines=[
                OrderLine(product(store, "TEA"), "TEA", "Longjing", Money(1250, currency), 3),
                OrderLine(product(store, "CUP"), "CUP", "Cup", Money(800, currency), 1),
            ],
            shipping=Money(500, currency),
            payment_method=method,
            recipient="Ada",
            phone="+12025550143",
            address_text="1 Main Street",
            created_at=clock.now(),
        )
        order.id = await work.orders.add(order)
        first = "confirm_cod" if method == PaymentMethod.CASH_ON_DELIVERY else "pay"
        for trigger in (first, *steps):
            await ORDER_FLOW.step(work, order, trigger, actor="admin:1", at=clock.now())
        if method != PaymentMethod.CASH_ON_DELIVERY:
            await work.payments.add(
                Payment(
                    order.id,
                    customer,
                    method,
                    order.total,
                    PaymentStatus.APPLIED,
                    clock.now(),
                    telegram_charge_id=f"charge-{number}",
                )
            )
        await work.commit()
    return order


def lines(order: Order) -> tuple[int, int]:
    """The ids of the order's tea and cup lines."""
    tea, cup = order.lines
    assert tea.id is not None and cup.id is not None
    return tea.id, cup.id


def outbox(store: FakeStore) -> list[tuple[int, str]]:
    return [(e.notification.chat_id, e.notification.template) for e in store.outbox.values()]


def told(store: FakeStore, template: str) -> dict[str, object]:
    [params] = [
        e.notification.params for e in store.outbox.values() if e.notification.template == template
    ]
    return params


# -- asking ----------------------------------------------------------------------------------


async def test_a_customer_asks_within_the_window_and_the_merchant_gets_the_photos(
    service: AfterSales, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await place(uow, clock)
    tea, _ = lines(order)
    clock.advance(days=15)  # the last moment of the window

    request = await service.request(
        ADA, order.number.lower(), "return", {tea: 2}, "damaged", "  Crushed\x00 tin ", ["p1", "p2"]
    )

    assert (request.number, request.status, request.kind) == (
        "R-000001",
        RequestStatus.REQUESTED,
        RequestKind.RETURN,
    )
    assert request.details == "Crushed tin" and request.photos == ["p1", "p2"]
    assert store.orders[order.id or 0].after_sales_open == 1
    assert store.after_sales.locks == [order.id], "the order's row was locked to count units"
    assert [e.type for e in store.after_sales.events[request.id or 0]] == [
        RequestEventType.REQUESTED
    ]
    alert = told(store, "as.adm.new")
    assert alert["$photo"] == "p1" and alert["request"] == "R-000001"
    assert alert["lines"] == [[2, "Longjing"]] and alert["number"] == order.number
    assert told(store, "as.adm.photo")["$photo"] == "p2"
    assert {chat for chat, _ in outbox(store) if _.startswith("as.")} == {ADMIN_CHAT}


async def test_a_request_after_the_window_is_refused(
    service: AfterSales, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await place(uow, clock)
    tea, _ = lines(order)
    clock.advance(days=15, seconds=1)

    with pytest.raises(AfterSalesError) as refused:
        await service.request(ADA, order.number, "return", {tea: 1}, "mind")

    assert refused.value.key == "as.error.window_closed"
    assert refused.value.params["days"] == 15 and refused.value.params["until"] == T0 + timedelta(
        days=15
    )
    assert store.after_sales.requests == {}
    with pytest.raises(AfterSalesError):
        await service.start_request(ADA, order.number)


async def test_an_order_never_delivered_takes_no_request(
    service: AfterSales, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await place(uow, clock, steps=("ship",))
    tea, _ = lines(order)

    with pytest.raises(AfterSalesError) as refused:
        await service.request(ADA, order.number, "repair", {tea: 1}, "defect")

    assert refused.value.key == "as.error.not_delivered"
    assert refused.value.params["status"] == "shipped"
    assert store.after_sales.requests == {} and store.orders[order.id or 0].after_sales_open == 0


async def test_more_units_than_bought_are_refused(
    service: AfterSales, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await place(uow, clock)
    tea, cup = lines(order)

    with pytest.raises(AfterSalesError) as refused:
        await service.request(ADA, order.number, "return", {tea: 4}, "mind")
    assert (refused.value.key, refused.value.params) == (
        "as.error.too_many",
        {"name": "Longjing", "bought": 3},
    )
    for wrong in ({}, {tea: 0}, {cup + 1000: 1}, {tea: -1}):
        with pytest.raises(AfterSalesError):
            await service.request(ADA, order.number, "return", wrong, "mind")
    assert store.after_sales.requests == {}


async def test_units_already_asked_for_are_refused_until_that_request_is_declined(
    service: AfterSales, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await place(uow, clock)
    tea, cup = lines(order)
    first = await service.request(ADA, order.number, "exchange", {tea: 2}, "defect")
    assert first.id is not None

    with pytest.raises(AfterSalesError) as refused:
        await service.request(ADA, order.number, "return", {tea: 2, cup: 1}, "mind")
    assert (refused.value.key, refused.value.params) == (
        "as.error.already_covered",
        {"name": "Longjing", "left": 1},
    )
    second = await service.request(ADA, order.number, "return", {tea: 1, cup: 1}, "mind")
    assert store.orders[order.id or 0].after_sales_open == 2
    with pytest.raises(AfterSalesError) as nothing:
        await service.start_request(ADA, order.number)
    assert nothing.value.key == "as.error.nothing_left"

    await service.decline(ANN, first.id, "Not covered by warranty")

    third = await service.request(ADA, order.number, "repair", {tea: 2}, "defect")
    assert {second.number, third.number} < {r.number for r in store.after_sales.requests.values()}
    assert store.orders[order.id or 0].after_sales_open == 2


async def test_another_customers_order_is_not_found(
    service: AfterSales, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await place(uow, clock)
    tea, _ = lines(order)
    for attempt in (
        service.request(BEA, order.number, "return", {tea: 1}, "mind"),
        service.start_request(BEA, order.number),
        service.order_summary(BEA, order.number),
        service.request(ADA, "not a number", "return", {tea: 1}, "mind"),
    ):
        with pytest.raises(NotFoundError):
            await attempt
    request = await service.request(ADA, order.number, "return", {tea: 1}, "mind")
    with pytest.raises(NotFoundError):
        await service.my_request(BEA, request.id or 0)
    with pytest.raises(NotFoundError):
        await service.start_send_back(BEA, request.id or 0)


async def test_a_stars_return_must_take_back_the_whole_order_other_kinds_need_not(
    service: AfterSales, uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    order = await place(uow, clock, method=PaymentMethod.STARS)
    tea, cup = lines(order)

    with pytest.raises(AfterSalesError) as refused:
        await service.request(ADA, order.number, "return", {tea: 3}, "mind")
    assert refused.value.key == "as.error.stars_whole"
    repair = await service.request(ADA, order.number, "repair", {cup: 1}, "defect")
    with pytest.raises(AfterSalesError):  # the cup is in the repair: the whole order is not
        await service.request(ADA, order.number, "return", {tea: 3}, "mind")
    await service.decline(ANN, repair.id or 0, "Worn by use")
    whole = await service.request(ADA, order.number, "return", {tea: 3, cup: 1}, "mind")
    assert whole.units == 4


# -- the merchant's steps ----------------------------------------------------------------------


async def test_approving_tells_the_customer_where_to_send_the_goods(
    service: AfterSales, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await place(uow, clock)
    request = await service.request(ADA, order.number, "return", {lines(order)[0]: 1}, "mind")

    approved = await service.approve(ANN, request.id or 0)

    assert approved.status == RequestStatus.APPROVED
    notice = [e.notification for e in store.outbox.values()][-1]
    assert (notice.chat_id, notice.template, notice.language) == (
        ADA,
        "as.customer.approved",
        Language.ZH,
    )
    assert notice.params["address"] == ADDRESS and notice.params["request"] == request.number
    events = store.after_sales.events[request.id or 0]
    assert [(e.type, e.actor, e.from_status, e.to_status) for e in events][-1] == (
        RequestEventType.APPROVED,
        f"admin:{ANN}",
        RequestStatus.REQUESTED,
        RequestStatus.APPROVED,
    )
    with pytest.raises(AfterSalesStepError):
        await service.approve(ANN, request.id or 0)


async def test_a_declined_request_cannot_be_approved_and_its_reason_reaches_the_customer(
    service: AfterSales, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await place(uow, clock)
    request = await service.request(ADA, order.number, "exchange", {lines(order)[0]: 1}, "mind")
    with pytest.raises(InvalidInputError):
        await service.decline(ANN, request.id or 0, "x")

    await service.decline(ANN, request.id or 0, "Opened and used")

    with pytest.raises(AfterSalesStepError) as refused:
        await service.approve(ANN, request.id or 0)
    assert refused.value.key == "as.error.illegal"
    assert refused.value.params["state"] == {"$text": "as.status.declined"}
    assert told(store, "as.customer.declined")["reason"] == "Opened and used"
    assert store.orders[order.id or 0].after_sales_open == 0


async def test_returned_goods_go_back_in_stock_or_are_written_off_in_the_inventory_log(
    service: AfterSales, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await place(uow, clock)
    tea, cup = lines(order)
    back = await service.request(ADA, order.number, "return", {tea: 2}, "mind")
    broken = await service.request(ADA, order.number, "exchange", {cup: 1}, "damaged")
    for request in (back, broken):
        await service.approve(ANN, request.id or 0)
    tea_stock = store.products[product(store, "TEA")].stock
    cup_stock = store.products[product(store, "CUP")].stock

    with pytest.raises(AfterSalesError):
        await service.receive(ANN, back.id or 0, "keep")  # only a repair keeps the goods
    await service.receive(ANN, back.id or 0, "restock")
    await service.receive(ANN, broken.id or 0, "writeoff")

    assert store.products[product(store, "TEA")].stock == tea_stock + 2
    assert store.products[product(store, "CUP")].stock == cup_stock
    log = sorted(store.merchant.inventory.values(), key=lambda e: e.id or 0)
    assert [(e.delta, e.actor) for e in log] == [(2, f"admin:{ANN}"), (0, f"admin:{ANN}")]
    assert back.number in log[0].reason and "restocked" in log[0].reason
    assert "1 written off" in log[1].reason
    received = [
        e.notification.params["request"]
        for e in store.outbox.values()
        if e.notification.template == "as.customer.received"
    ]
    assert received == [back.number, broken.number]


async def test_a_card_return_is_refunded_once_with_the_merchants_note(
    service: AfterSales, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await place(uow, clock)
    request = await service.request(ADA, order.number, "return", {lines(order)[0]: 2}, "mind")
    with pytest.raises(AfterSalesStepError):
        await service.refund(ANN, request.id or 0, "too early")  # the goods are not back
    await service.approve(ANN, request.id or 0)
    await service.receive(ANN, request.id or 0, "restock")

    result = await service.refund(ANN, request.id or 0, " re_123 ")
    again = await service.refund(ANN, request.id or 0, "twice?")

    assert result.outcome == RefundOutcome.DONE and again.outcome == RefundOutcome.ALREADY
    [refund] = store.payments.refunds.values()
    assert (refund.amount, refund.method, refund.status, refund.note) == (
        Money(2500, "USD"),
        PaymentMethod.CARD,
        RefundStatus.DONE,
        "re_123",
    )
    assert store.after_sales.requests[request.id or 0].status == RequestStatus.REFUNDED
    [payment] = store.payments.payments.values()
    assert payment.status == PaymentStatus.APPLIED, "only part of the payment went back"
    refunded = [e for e in store.order_events[order.id or 0] if e.type.value == "refunded"]
    assert [e.params["after_sales"] for e in refunded] == [request.number]
    assert told(store, "as.customer.refunded")["total"] == {"$money": [2500, "USD"]}
    assert told(store, "as.customer.refunded")["how"] == {"$text": "as.refund_how.card"}


async def test_a_whole_order_returned_gives_back_the_shipping_and_the_payment_is_refunded(
    service: AfterSales, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await place(uow, clock, method=PaymentMethod.CASH_ON_DELIVERY)
    tea, cup = lines(order)
    request = await service.request(ADA, order.number, "return", {tea: 3, cup: 1}, "mind")
    await service.approve(ANN, request.id or 0)
    await service.receive(ANN, request.id or 0, "restock")

    result = await service.refund(ANN, request.id or 0, "cash back at the counter")

    assert result.refund is not None and result.refund.amount == order.total == Money(5050, "USD")
    [payment] = store.payments.payments.values()
    assert (payment.method, payment.status) == (
        PaymentMethod.CASH_ON_DELIVERY,
        PaymentStatus.REFUNDED,
    )


async def test_a_stars_return_goes_back_through_telegram_once_even_when_it_fails_first(
    service: AfterSales,
    uow: FakeUnitOfWorkFactory,
    clock: FixedClock,
    store: FakeStore,
    stars: FakeStars,
) -> None:
    order = await place(uow, clock, method=PaymentMethod.STARS)
    tea, cup = lines(order)
    request = await service.request(ADA, order.number, "return", {tea: 3, cup: 1}, "mind")
    await service.approve(ANN, request.id or 0)
    await service.receive(ANN, request.id or 0, "writeoff")
    stars.answers = [
        StarRefundResult.UNAVAILABLE,
        StarRefundResult.REFUSED,
        StarRefundResult.ALREADY_REFUNDED,
    ]

    first = await service.refund(ANN, request.id or 0)
    assert first.outcome == RefundOutcome.RETRY
    [pending] = store.payments.refunds.values()
    assert pending.status == RefundStatus.PENDING, "recorded before Telegram was asked"
    second = await service.refund(ANN, request.id or 0)
    assert second.outcome == RefundOutcome.FAILED
    assert [r.status for r in store.payments.refunds.values()] == [RefundStatus.FAILED]
    third = await service.refund(ANN, request.id or 0)
    fourth = await service.refund(ANN, request.id or 0)

    assert (third.outcome, fourth.outcome) == (RefundOutcome.DONE, RefundOutcome.ALREADY)
    assert stars.calls == [(ADA, f"charge-{order.number}")] * 3
    [refund] = store.payments.refunds.values()
    assert (refund.amount, refund.status) == (Money(5050, "XTR"), RefundStatus.DONE)
    assert [p.status for p in store.payments.payments.values()] == [PaymentStatus.REFUNDED]
    assert told(store, "as.customer.refunded")["how"] == {"$text": "as.refund_how.stars"}
    types = [e.type for e in store.after_sales.events[request.id or 0]]
    assert types.count(RequestEventType.REFUNDED) == 1
    assert RequestEventType.REFUND_FAILED in types


async def test_an_exchange_ships_its_replacement_with_the_merchants_ship_dialog(
    service: AfterSales, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await place(uow, clock)
    tea, _ = lines(order)
    request = await service.request(ADA, order.number, "exchange", {tea: 2}, "defect")
    await service.approve(ANN, request.id or 0)
    with pytest.raises(AfterSalesStepError):
        await service.start_ship(ADMIN_CHAT, ANN, request.id or 0)  # the goods are not back
    await service.receive(ANN, request.id or 0, "writeoff")
    merchant = Merchant(uow, clock, MerchantConfig("USD", ADMIN_CHAT), flow=ORDER_FLOW)
    stock = store.products[product(store, "TEA")].stock

    dialog = await service.start_ship(ADMIN_CHAT, ANN, request.id or 0)
    assert (dialog.kind, dialog.data["number"], dialog.data["request"]) == (
        DialogKind.SHIP,
        order.number,
        request.id,
    )
    await merchant.choose_carrier(ADMIN_CHAT, ANN, dialog.token, "sf")
    await merchant.answer(ADMIN_CHAT, ANN, "sf 1234 5678 9012 3")
    await merchant.skip(ADMIN_CHAT, ANN, dialog.token)
    result = await merchant.confirm(ADMIN_CHAT, ANN, dialog.token)

    assert result.done and result.shipment is not None
    shipped = store.after_sales.requests[request.id or 0]
    assert shipped.status == RequestStatus.REPLACEMENT_SHIPPED
    assert shipped.shipped is not None and shipped.shipped.tracking == "SF1234567890123"
    assert store.orders[order.id or 0].status == orders.OrderStatus.DELIVERED, "order untouched"
    assert store.merchant.shipments == {}, "the order's shipments are the order's own"
    assert store.products[product(store, "TEA")].stock == stock - 2
    last = max(store.merchant.inventory.values(), key=lambda e: e.id or 0)
    assert (last.delta, last.reason) == (-2, f"after-sales {request.number}: replacement shipped")
    notice = told(store, "as.customer.replacement_shipped")
    assert notice["tracking"] == "SF1234567890123" and str(notice["url"]).endswith(
        "/SF1234567890123"
    )
    with pytest.raises(AfterSalesStepError):
        await service.start_ship(ADMIN_CHAT, ANN, request.id or 0)

    await service.close(ANN, request.id or 0)
    assert store.orders[order.id or 0].after_sales_open == 0


async def test_a_repair_is_received_and_sent_back_without_touching_stock(
    service: AfterSales, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await place(uow, clock)
    _, cup = lines(order)
    request = await service.request(ADA, order.number, "repair", {cup: 1}, "defect")
    await service.approve(ANN, request.id or 0)
    with pytest.raises(AfterSalesError):
        await service.receive(ANN, request.id or 0, "restock")
    await service.receive(ANN, request.id or 0, "keep")
    with pytest.raises(AfterSalesStepError):
        await service.refund(ANN, request.id or 0)  # only returns are refunded
    merchant = Merchant(uow, clock, MerchantConfig("USD", ADMIN_CHAT), flow=ORDER_FLOW)
    stock = store.products[product(store, "CUP")].stock

    dialog = await service.start_ship(ADMIN_CHAT, ANN, request.id or 0)
    await merchant.choose_carrier(ADMIN_CHAT, ANN, dialog.token, "other")
    await merchant.answer(ADMIN_CHAT, ANN, "City Courier")
    await merchant.answer(ADMIN_CHAT, ANN, "RET-42")
    await merchant.answer(ADMIN_CHAT, ANN, "glued the handle")
    await merchant.confirm(ADMIN_CHAT, ANN, dialog.token)

    assert store.after_sales.requests[request.id or 0].status == RequestStatus.REPAIRED_SHIPPED
    assert store.products[product(store, "CUP")].stock == stock
    assert store.merchant.inventory == {}
    assert told(store, "as.customer.repaired_shipped")["url"] == {"$text": "as.customer.no_link"}


# -- the customer's dialogs --------------------------------------------------------------------


async def test_the_customers_dialog_collects_a_request_and_a_double_tap_sends_it_once(
    service: AfterSales, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await place(uow, clock)
    tea, cup = lines(order)

    started = await service.start_request(ADA, order.number)
    token = started.draft.token
    await service.choose_kind(ADA, token, "return")
    with pytest.raises(AfterSalesError):
        await service.lines_chosen(ADA, token)  # nothing chosen yet
    for _ in range(3):
        await service.change_line(ADA, token, tea, 1)
    with pytest.raises(AfterSalesError) as too_many:
        await service.change_line(ADA, token, tea, 1)
    assert too_many.value.params == {"name": "Longjing", "left": 3}
    await service.change_line(ADA, token, tea, -1)
    await service.lines_chosen(ADA, token)
    with pytest.raises(AfterSalesError):
        await service.choose_reason(ADA, token, "bored")
    await service.choose_reason(ADA, token, "damaged")
    with pytest.raises(InvalidInputError):
        await service.give_text(ADA, " " * 3)
    await service.give_text(ADA, "Dented")
    assert await service.give_text(ADA, "not asked") is None
    for n in range(5):
        await service.give_photo(ADA, f"photo{n}")
    draft = await service.current_draft(ADA)
    assert draft is not None and draft.step == "confirm", "five photos: on to the summary"

    sent = await service.submit(ADA, token)
    again = await service.submit(ADA, token)

    assert sent.request is not None and again.request is not None
    assert again.request.number == sent.request.number
    assert len(store.after_sales.requests) == 1
    made = sent.request
    assert {line.order_line_id: line.quantity for line in made.lines} == {tea: 2}
    assert (made.reason.value, made.details, len(made.photos)) == ("damaged", "Dented", 5)
    with pytest.raises(AfterSalesError):
        await service.cancel_draft(ADA, token)
    del cup


async def test_the_return_parcel_is_given_after_approval_and_the_merchant_is_told(
    service: AfterSales, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await place(uow, clock)
    request = await service.request(ADA, order.number, "return", {lines(order)[0]: 1}, "mind")
    with pytest.raises(AfterSalesStepError):
        await service.start_send_back(ADA, request.id or 0)  # not approved yet
    await service.approve(ANN, request.id or 0)

    draft = await service.start_send_back(ADA, request.id or 0)
    assert draft.kind == DraftKind.TRACKING
    await service.choose_return_carrier(ADA, draft.token, "ems")
    with pytest.raises(InvalidInputError):
        await service.give_text(ADA, "12345")
    result = await service.give_text(ADA, "ea123456789cn")

    assert result is not None and result.request is not None
    stored = store.after_sales.requests[request.id or 0]
    assert stored.returned is not None and stored.returned.tracking == "EA123456789CN"
    assert stored.status == RequestStatus.APPROVED
    assert told(store, "as.adm.returned")["tracking"] == "EA123456789CN"
    assert store.after_sales.drafts == {}


async def test_the_merchants_after_sales_filter_lists_orders_with_open_requests(
    service: AfterSales, uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    order = await place(uow, clock)
    await place(uow, clock, number="AAAA-BBBB")
    merchant = Merchant(uow, clock, MerchantConfig("USD", ADMIN_CHAT), flow=ORDER_FLOW)
    assert (await merchant.orders(OrderFilter.AFTER_SALES, 0)).total == 0

    request = await service.request(ADA, order.number, "repair", {lines(order)[1]: 1}, "defect")

    listed = await merchant.orders(OrderFilter.AFTER_SALES, 0)
    assert [o.number for o in listed.items] == [order.number]
    await service.decline(ANN, request.id or 0, "No fault found")
    assert (await merchant.orders(OrderFilter.AFTER_SALES, 0)).total == 0


async def test_every_notification_renders_in_both_languages_with_its_buttons(
    service: AfterSales, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    from bot.notify import TelegramSender
    from bot.texts import Texts

    order = await place(uow, clock)
    tea, cup = lines(order)
    back = await service.request(
        ADA, order.number, "return", {tea: 1}, "mind", "<b>x</b>", ["a", "b"]
    )
    swap = await service.request(ADA, order.number, "exchange", {cup: 1}, "wrong")
    fix = await service.request(ADA, order.number, "repair", {tea: 1}, "defect")
    no = await service.request(ADA, order.number, "return", {tea: 1}, "other")
    merchant = Merchant(uow, clock, MerchantConfig("USD", ADMIN_CHAT), flow=ORDER_FLOW)
    await service.decline(ANN, no.id or 0, "Out of policy")
    for request, how in ((back, "restock"), (swap, "writeoff"), (fix, "keep")):
        await service.approve(ANN, request.id or 0)
        if request is back:
            draft = await service.start_send_back(ADA, back.id or 0)
            await service.choose_return_carrier(ADA, draft.token, "sf")
            await service.give_text(ADA, "SF1234567890123")
        await service.receive(ANN, request.id or 0, how)
    await service.refund(ANN, back.id or 0, "ref")
    for request in (swap, fix):
        dialog = await service.start_ship(ADMIN_CHAT, ANN, request.id or 0)
        await merchant.choose_carrier(ADMIN_CHAT, ANN, dialog.token, "sf")
        await merchant.answer(ADMIN_CHAT, ANN, "SF1234567890123")
        await merchant.skip(ADMIN_CHAT, ANN, dialog.token)
        await merchant.confirm(ADMIN_CHAT, ANN, dialog.token)
    for request in (back, swap, fix):
        await service.close(ANN, request.id or 0)
    async with uow() as work:
        stored = await work.orders.get(order.id or 0)
        assert stored is not None
        await ORDER_FLOW.step(work, stored, "complete", actor="system:jobs", at=clock.now())
        await work.commit()

    notices = [e.notification for e in store.outbox.values()]
    templates = {n.template for n in notices}
    assert {
        "as.adm.new",
        "as.adm.photo",
        "as.adm.returned",
        "as.customer.approved",
        "as.customer.declined",
        "as.customer.received",
        "as.customer.refunded",
        "as.customer.replacement_shipped",
        "as.customer.repaired_shipped",
        "as.customer.closed",
        "review.invite",
    } <= templates
    texts = Texts()
    for language in Language:
        sender = TelegramSender(None, texts, uow, language)  # type: ignore[arg-type]
        for notice in notices:
            text, markup = sender.render(notice)
            assert "{" not in text and "$text" not in text, (notice.template, text)
            labels = [
                b.callback_data for row in (markup.inline_keyboard if markup else ()) for b in row
            ]
            if notice.template == "as.adm.new":
                assert labels[:3] == [
                    f"saa:{notice.params['request_id']}",
                    f"sad:{notice.params['request_id']}",
                    f"sao:{notice.params['request_id']}",
                ]
            elif notice.template == "as.customer.approved":
                rid = notice.params["request_id"]
                assert labels == [f"st:{rid}", f"sv:{rid}"]
            elif notice.template.startswith("as.customer."):
                assert labels == [f"sv:{notice.params['request_id']}"]
            elif notice.template == "review.invite":
                assert labels == [f"vr:{order.number}:{n}" for n in range(1, 6)]
    [new_alert] = [
        n for n in notices if n.template == "as.adm.new" and n.params["request"] == back.number
    ]
    rendered = TelegramSender(None, texts, uow, Language.EN).render(new_alert)[0]  # type: ignore[arg-type]
    assert "&lt;b&gt;x&lt;/b&gt;" in rendered, "the customer's words are escaped"
    assert "• 1 × Longjing" in rendered and "Photos: 2" in rendered


async def test_the_merchants_steps_on_a_request_are_in_the_audit_log(
    service: AfterSales, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await place(uow, clock)
    first = await service.request(ADA, order.number, "exchange", {lines(order)[0]: 1}, "mind")
    await service.decline(ANN, first.id or 0, "Opened and used")
    second = await service.request(ADA, order.number, "return", {lines(order)[0]: 1}, "mind")
    await service.approve(ANN, second.id or 0)
    await service.close(ANN, second.id or 0)

    assert [(e.actor, e.action, e.order_id, e.details["request"]) for e in store.audit] == [
        (f"admin:{ANN}", "as_decline", order.id, first.number),
        (f"admin:{ANN}", "as_approve", order.id, second.number),
        (f"admin:{ANN}", "as_close", order.id, second.number),
    ]
