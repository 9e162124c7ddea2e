"""The payment use cases (`Payments`) over the fake unit of work, with a pinned clock."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from domain.catalog.model import Product
from domain.checkout.flow import CheckoutStep
from domain.checkout.shop import Shop
from domain.checkout.shop_base import ShopConfig
from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import Order, PaymentMethod
from domain.payments.invoices import invoice_items
from domain.payments.ports import StarRefundAnswer, StarRefundResult
from domain.payments.receiving import PaymentOutcome, TelegramCharge
from domain.payments.records import (
    FlagReason,
    PaymentStatus,
    ReceiptStatus,
    RefundStatus,
    RejectReason,
)
from domain.payments.refunds import RefundOutcome
from domain.payments.rules import (
    PaymentError,
    PaymentsConfig,
    Refusal,
    invoice_payload,
    payload_matches,
    payload_number,
)
from domain.payments.service import Payments
from domain.reactions import ORDER_FLOW
from domain.shared.clock import FixedClock
from domain.shared.customers import Customer, Language
from domain.shared.errors import NotFoundError
from domain.shared.money import Money
from domain.shared.notifications import Notification
from domain.shared.numbers import new_order_number
from tests.unit.fakes import FakeStore, FakeUnitOfWorkFactory

ADA, BOB = 1001, 2002
ADMIN_CHAT = -100_500
SECRET = b"s" * 32
TIMEOUT = timedelta(minutes=30)


class Buttons:
    """Actions that say which action they encode, so tests can read them."""

    def pay_now(self, number: str) -> list[list[tuple[str, str]]]:
        return [[("pay.pay_now", f"pay:{number}")]]

    def send_receipt(self, number: str) -> list[list[tuple[str, str]]]:
        return [[("pay.send_receipt", f"receipt:{number}")]]

    def put_back(self, number: str) -> list[list[tuple[str, str]]]:
        return [[("cart.put_back_button", f"put_back:{number}")]]

    def review_receipt(self, receipt_id: int) -> list[list[tuple[str, str]]]:
        return [[("pay.admin.confirm", f"confirm:{receipt_id}")]]

    def refund_payment(self, payment_id: int) -> list[list[tuple[str, str]]]:
        return [[("pay.admin.refund", f"refund:{payment_id}")]]


class FakeStars:
    """refundStarPayment as a script of answers; records the calls."""

    def __init__(self, *answers: StarRefundResult) -> None:
        self.answers = list(answers) or [StarRefundResult.ACCEPTED]
        self.calls: list[tuple[int, str]] = []

    async def refund(self, customer_id: int, telegram_charge_id: str) -> StarRefundAnswer:
        self.calls.append((customer_id, telegram_charge_id))
        result = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return StarRefundAnswer(result, "CHARGE_NOT_FOUND" if result.value == "refused" else None)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def uow() -> FakeUnitOfWorkFactory:
    factory = FakeUnitOfWorkFactory()
    factory.store.customers[ADA] = Customer(ADA, "Ada", "ada", language_code="zh-CN")
    factory.store.customers[BOB] = Customer(BOB, "Bob")
    return factory


@pytest.fixture
def store(uow: FakeUnitOfWorkFactory) -> FakeStore:
    return uow.store


@pytest.fixture
def tea(store: FakeStore) -> Product:
    return store.add_product("Green tea", Money(1250, "USD"), stock=10, sku="TEA")


@pytest.fixture
def stars() -> FakeStars:
    return FakeStars()


@pytest.fixture
def payments(uow: FakeUnitOfWorkFactory, clock: FixedClock, stars: FakeStars) -> Payments:
    config = PaymentsConfig(
        invoice_secret=SECRET,
        timeout=TIMEOUT,
        reminder_after=TIMEOUT / 2,
        admin_chat_id=ADMIN_CHAT,
        batch_size=2,  # small, so the sweeps run several batches
    )
    return Payments(uow, clock, config, Buttons(), stars, flow=ORDER_FLOW)


_RNG = random.Random(11)
_TOKENS = (f"tok{n}" for n in itertools.count(1))


def make_shop(uow: FakeUnitOfWorkFactory, clock: FixedClock, currency: str = "USD") -> Shop:
    return Shop(
        uow,
        clock,
        ShopConfig(
            currency=currency,
            shipping_fee=Money(500 if currency == "USD" else 0, currency),
            admin_chat_id=ADMIN_CHAT,
            payment_methods=tuple(PaymentMethod),
        ),
        order_numbers=lambda: new_order_number(_RNG.choice),
        tokens=lambda: next(_TOKENS),
        flow=ORDER_FLOW,
    )


async def place(
    uow: FakeUnitOfWorkFactory,
    clock: FixedClock,
    product: Product,
    method: PaymentMethod = PaymentMethod.CARD,
    customer_id: int = ADA,
    quantity: int = 2,
) -> Order:
    shop = make_shop(uow, clock, product.price.currency)
    await shop.add_to_cart(customer_id, product.id, quantity)
    view = await shop.start_checkout(customer_id)
    token = view.checkout.token
    if view.checkout.step == CheckoutStep.CHOOSE_ADDRESS:
        await shop.new_address(customer_id, token)
    await shop.give_recipient(customer_id, "Ada Lovelace")
    await shop.give_phone(customer_id, "+1 202 555 0143", from_contact=False)
    await shop.give_address(customer_id, "12 Analytical Engine Way, London")
    await shop.choose_payment(customer_id, token, method.value)
    return (await shop.place_order(customer_id, token)).order


def charge(order: Order, charge_id: str = "tg-1", **changes: Any) -> TelegramCharge:
    base = TelegramCharge(
        customer_id=order.customer_id,
        currency=order.currency,
        total_amount=order.total.amount,
        invoice_payload=invoice_payload(SECRET, order),
        telegram_charge_id=charge_id,
        provider_charge_id="prov-1",
        raw={"telegram_payment_charge_id": charge_id},
    )
    return replace(base, **changes)


def sent(store: FakeStore, template: str) -> list[Notification]:
    return [e.notification for e in store.outbox.values() if e.notification.template == template]


def events(store: FakeStore, order: Order) -> list[OrderEventType]:
    return [e.type for e in store.order_events[order.id or 0]]


# -- invoices ----------------------------------------------------------------------------------


async def test_the_payload_names_the_order_and_is_signed_over_its_total(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, tea: Product
) -> None:
    order = await place(uow, clock, tea)
    payload = invoice_payload(SECRET, order)

    assert payload_number(payload) == order.number
    assert payload_matches(SECRET, payload, order)
    assert len(payload.encode()) <= 128
    assert not payload_matches(b"x" * 32, payload, order), "another shop's secret"
    assert not payload_matches(SECRET, payload, replace(order, shipping=Money(0, "USD")))
    assert not payload_matches(SECRET, payload, replace(order, id=(order.id or 0) + 1))
    assert not payload_matches(SECRET, payload[:-1] + "x", order)
    assert payload_number("nonsense") is None and payload_number("") is None


async def test_an_invoice_has_a_price_per_line_plus_shipping(
    uow: FakeUnitOfWorkFactory,
    clock: FixedClock,
    store: FakeStore,
    tea: Product,
    payments: Payments,
) -> None:
    mug = store.add_product("Mug", Money(800, "USD"), stock=5, sku="MUG")
    shop = make_shop(uow, clock)
    await shop.add_to_cart(ADA, mug.id, 1)
    order = await place(uow, clock, tea)
    clock.advance(minutes=10)

    invoice = await payments.invoice(ADA, order.number.lower())

    assert [(i.kind, i.name, i.quantity, i.amount) for i in invoice.items] == [
        ("line", "Mug", 1, 800),
        ("line", "Green tea", 2, 2500),
        ("shipping", "", 0, 500),
    ]
    assert invoice.total == order.total.amount == 3800
    assert (invoice.currency, invoice.minutes_left) == ("USD", 20)
    assert payload_matches(SECRET, invoice.payload, invoice.order)


async def test_a_stars_invoice_has_exactly_one_price(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    song = store.add_product("Song", Money(25, "XTR"), stock=100, sku="SONG")
    order = await place(uow, clock, song, PaymentMethod.STARS, quantity=3)
    assert [(i.kind, i.amount) for i in invoice_items(order)] == [("total", 75)]


async def test_no_invoice_for_an_order_that_cannot_be_paid_online(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, tea: Product, payments: Payments
) -> None:
    bank = await place(uow, clock, tea, PaymentMethod.BANK_TRANSFER)
    cod = await place(uow, clock, tea, PaymentMethod.CASH_ON_DELIVERY)
    card = await place(uow, clock, tea)
    with pytest.raises(NotFoundError):
        await payments.invoice(BOB, card.number)
    with pytest.raises(PaymentError) as caught:
        await payments.invoice(ADA, bank.number)
    assert caught.value.key == "pay.error.not_payable"
    with pytest.raises(PaymentError) as caught:
        await payments.invoice(ADA, cod.number)
    assert caught.value.params == {"number": cod.number, "status": "confirmed"}
    clock.advance(minutes=30)
    with pytest.raises(PaymentError) as caught:
        await payments.invoice(ADA, card.number)
    assert caught.value.key == "pay.error.expired"


# -- pre-checkout ------------------------------------------------------------------------------


async def test_pre_checkout_accepts_exactly_the_orders_terms(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, tea: Product, payments: Payments
) -> None:
    order = await place(uow, clock, tea)
    payload = invoice_payload(SECRET, order)
    clock.advance(minutes=29, seconds=59)

    opened = len(uow.opened)

    ok = await payments.check_pre_checkout(ADA, payload, "USD", 3000)

    assert ok.ok and ok.order is not None and ok.order.number == order.number
    [transaction] = uow.opened[opened:]
    assert transaction.readonly, "one read-only transaction: answered well within 10 s"
    checks = [
        (BOB, payload, "USD", 3000, Refusal.NOT_YOURS),
        (ADA, payload, "USD", 2999, Refusal.AMOUNT),
        (ADA, payload, "EUR", 3000, Refusal.CURRENCY),
        (ADA, payload[:-2] + "zz", "USD", 3000, Refusal.UNKNOWN),
        (ADA, "ZZZZ-ZZZZ.AAAAAAAAAAAAAAAAAAAAAA", "USD", 3000, Refusal.UNKNOWN),
        (ADA, "", "USD", 3000, Refusal.UNKNOWN),
    ]
    for customer, body, currency, amount, refusal in checks:
        verdict = await payments.check_pre_checkout(customer, body, currency, amount)
        assert verdict.refusal is refusal, (customer, body, currency, amount)
    clock.advance(seconds=1)
    late = await payments.check_pre_checkout(ADA, payload, "USD", 3000)
    assert late.refusal is Refusal.EXPIRED


async def test_pre_checkout_tells_expired_cancelled_and_paid_orders_apart(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, tea: Product, payments: Payments
) -> None:
    expired, cancelled, paid = [await place(uow, clock, tea, quantity=1) for _ in range(3)]
    await make_shop(uow, clock).cancel_my_order(ADA, cancelled.number)
    await payments.record_telegram_payment(charge(paid))
    clock.advance(minutes=30)
    await payments.expire_due()

    for order, refusal in ((expired, Refusal.EXPIRED), (cancelled, Refusal.CANCELLED)):
        verdict = await payments.check_pre_checkout(
            ADA, invoice_payload(SECRET, order), "USD", order.total.amount
        )
        assert verdict.refusal is refusal
    verdict = await payments.check_pre_checkout(ADA, invoice_payload(SECRET, paid), "USD", 1750)
    assert verdict.refusal is Refusal.PAID
    assert Refusal.PAID.key == "pay.error.paid"


# -- money received ----------------------------------------------------------------------------


async def test_a_payment_marks_the_order_paid_commits_stock_and_queues_receipt_and_alert(
    uow: FakeUnitOfWorkFactory,
    clock: FixedClock,
    store: FakeStore,
    tea: Product,
    payments: Payments,
) -> None:
    order = await place(uow, clock, tea)
    clock.advance(minutes=3)

    result = await payments.record_telegram_payment(charge(order))

    assert result.outcome is PaymentOutcome.APPLIED
    assert store.orders[order.id or 0].status == OrderStatus.PAID
    assert (store.product(tea.id).stock, store.product(tea.id).reserved) == (8, 0)
    [payment] = store.payments.payments.values()
    assert (payment.status, payment.method, payment.amount) == (
        PaymentStatus.APPLIED,
        PaymentMethod.CARD,
        Money(3000, "USD"),
    )
    assert (payment.telegram_charge_id, payment.provider_charge_id) == ("tg-1", "prov-1")
    assert payment.payload == {"telegram_payment_charge_id": "tg-1"}
    assert payment.received_at == clock.now()
    assert events(store, order) == [OrderEventType.PLACED, OrderEventType.PAID]
    paid_event = store.order_events[order.id or 0][-1]
    assert paid_event.params["telegram_charge_id"] == "tg-1"
    [receipt] = sent(store, "pay.customer.receipt")
    assert receipt.chat_id == ADA and receipt.language is Language.ZH
    assert receipt.params["lines"] == [[2, "Green tea"]]
    [alert] = sent(store, "admin.order_paid")
    assert alert.chat_id == ADMIN_CHAT and alert.params["number"] == order.number


async def test_the_same_charge_twice_changes_nothing(
    uow: FakeUnitOfWorkFactory,
    clock: FixedClock,
    store: FakeStore,
    tea: Product,
    payments: Payments,
) -> None:
    order = await place(uow, clock, tea)
    await payments.record_telegram_payment(charge(order))
    before = store.snapshot()

    again = await payments.record_telegram_payment(charge(order))

    assert again.outcome is PaymentOutcome.DUPLICATE
    assert store.snapshot() == before


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"total_amount": 2999}, FlagReason.MISMATCH),
        ({"currency": "EUR"}, FlagReason.MISMATCH),
        ({"customer_id": BOB}, FlagReason.NOT_YOURS),
        ({"invoice_payload": "not ours"}, FlagReason.UNKNOWN),
    ],
)
async def test_money_that_does_not_fit_its_order_is_kept_and_flagged(
    uow: FakeUnitOfWorkFactory,
    clock: FixedClock,
    store: FakeStore,
    tea: Product,
    payments: Payments,
    changes: dict[str, Any],
    reason: FlagReason,
) -> None:
    order = await place(uow, clock, tea)

    result = await payments.record_telegram_payment(charge(order, **changes))

    assert result.outcome is PaymentOutcome.FLAGGED
    [payment] = store.payments.payments.values()
    assert (payment.status, payment.flag_reason) == (PaymentStatus.FLAGGED, reason)
    assert store.orders[order.id or 0].status == OrderStatus.PENDING_PAYMENT
    assert store.product(tea.id).reserved == 2
    [alert] = sent(store, "admin.payment_flagged")
    assert alert.buttons == [[("pay.admin.refund", f"refund:{payment.id}")]]
    assert alert.params["why"] == {"$text": f"pay.flag.{reason.value}"}


async def test_a_payment_a_second_after_expiry_is_kept_flagged_and_the_merchant_alerted(
    uow: FakeUnitOfWorkFactory,
    clock: FixedClock,
    store: FakeStore,
    tea: Product,
    payments: Payments,
) -> None:
    order = await place(uow, clock, tea)
    clock.advance(minutes=30)
    assert await payments.expire_due() == 1
    clock.advance(seconds=1)

    result = await payments.record_telegram_payment(charge(order, "tg-late"))

    assert result.outcome is PaymentOutcome.FLAGGED
    [payment] = store.payments.payments.values()
    assert (payment.flag_reason, payment.telegram_charge_id) == (FlagReason.EXPIRED, "tg-late")
    assert store.orders[order.id or 0].status == OrderStatus.CANCELLED
    assert (store.product(tea.id).stock, store.product(tea.id).reserved) == (10, 0)
    assert events(store, order)[-2:] == [OrderEventType.EXPIRED, OrderEventType.PAYMENT_FLAGGED]
    assert len(sent(store, "pay.customer.flagged")) == 1
    assert len(sent(store, "admin.payment_flagged")) == 1


async def test_a_second_payment_of_a_paid_order_is_flagged_not_applied_twice(
    uow: FakeUnitOfWorkFactory,
    clock: FixedClock,
    store: FakeStore,
    tea: Product,
    payments: Payments,
) -> None:
    order = await place(uow, clock, tea)
    await payments.record_telegram_payment(charge(order, "tg-a"))
    result = await payments.record_telegram_payment(charge(order, "tg-b"))
    assert result.outcome is PaymentOutcome.FLAGGED
    assert result.payment is not None and result.payment.flag_reason is FlagReason.PAID
    assert store.product(tea.id).stock == 8


async def test_cash_on_delivery_is_confirmed_at_placement_and_paid_at_delivery(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore, tea: Product
) -> None:
    order = await place(uow, clock, tea, PaymentMethod.CASH_ON_DELIVERY)
    assert store.orders[order.id or 0].status == OrderStatus.CONFIRMED
    assert store.product(tea.id).reserved == 2

    for trigger in ("ship", "deliver"):
        async with uow() as tx:
            current = await tx.orders.get(order.id or 0)
            assert current is not None
            await ORDER_FLOW.step(tx, current, trigger, actor="admin:1", at=clock.now())
            await tx.commit()

    [payment] = store.payments.payments.values()
    assert (payment.method, payment.amount, payment.status) == (
        PaymentMethod.CASH_ON_DELIVERY,
        Money(3000, "USD"),
        PaymentStatus.APPLIED,
    )
    assert events(store, order)[-2:] == [OrderEventType.DELIVERED, OrderEventType.PAID]


# -- bank transfers ----------------------------------------------------------------------------


async def test_a_receipt_goes_to_the_only_order_awaiting_a_transfer_and_to_the_merchant(
    uow: FakeUnitOfWorkFactory,
    clock: FixedClock,
    store: FakeStore,
    tea: Product,
    payments: Payments,
) -> None:
    await place(uow, clock, tea, PaymentMethod.CASH_ON_DELIVERY)
    order = await place(uow, clock, tea, PaymentMethod.BANK_TRANSFER)

    result = await payments.submit_receipt(ADA, None, "file-1", "uniq-1")

    assert result.order.number == order.number
    assert result.receipt.status is ReceiptStatus.SUBMITTED
    [alert] = sent(store, "admin.transfer_receipt")
    assert alert.params["$photo"] == "file-1"
    assert alert.buttons == [[("pay.admin.confirm", f"confirm:{result.receipt.id}")]]
    assert events(store, order)[-1] == OrderEventType.RECEIPT_SUBMITTED

    newer = await payments.submit_receipt(ADA, order.number, "file-2", None)
    statuses = [r.status for r in store.payments.receipts.values()]
    assert statuses == [ReceiptStatus.REPLACED, ReceiptStatus.SUBMITTED]
    with pytest.raises(PaymentError) as caught:
        await payments.confirm_transfer(result.receipt.id or 0, "admin:1")
    assert caught.value.key == "pay.error.receipt_replaced"
    assert newer.receipt.id != result.receipt.id


async def test_a_receipt_with_no_or_several_orders_awaiting_a_transfer_is_refused(
    uow: FakeUnitOfWorkFactory,
    clock: FixedClock,
    store: FakeStore,
    tea: Product,
    payments: Payments,
) -> None:
    with pytest.raises(PaymentError) as caught:
        await payments.submit_receipt(ADA, None, "f", None)
    assert caught.value.key == "pay.error.no_transfer"
    card = await place(uow, clock, tea)
    with pytest.raises(PaymentError) as caught:
        await payments.submit_receipt(ADA, card.number, "f", None)
    assert caught.value.key == "pay.error.not_awaiting_transfer"
    first = await place(uow, clock, tea, PaymentMethod.BANK_TRANSFER, quantity=1)
    second = await place(uow, clock, tea, PaymentMethod.BANK_TRANSFER, quantity=1)
    with pytest.raises(PaymentError) as caught:
        await payments.submit_receipt(ADA, None, "f", None)
    assert caught.value.params == {"numbers": f"{first.number}, {second.number}"}
    with pytest.raises(NotFoundError):
        await payments.submit_receipt(BOB, first.number, "f", None)
    assert store.payments.receipts == {}


async def test_confirming_a_transfer_pays_the_order_once(
    uow: FakeUnitOfWorkFactory,
    clock: FixedClock,
    store: FakeStore,
    tea: Product,
    payments: Payments,
) -> None:
    order = await place(uow, clock, tea, PaymentMethod.BANK_TRANSFER)
    receipt = (await payments.submit_receipt(ADA, None, "file-1", None)).receipt

    result = await payments.confirm_transfer(receipt.id or 0, "admin:9")

    assert store.orders[order.id or 0].status == OrderStatus.PAID
    assert result.payment is not None and result.payment.method is PaymentMethod.BANK_TRANSFER
    assert store.product(tea.id).stock == 8
    [notice] = sent(store, "pay.customer.transfer_confirmed")
    assert notice.chat_id == ADA
    with pytest.raises(PaymentError) as caught:
        await payments.confirm_transfer(receipt.id or 0, "admin:9")
    assert caught.value.key == "pay.error.receipt_confirmed"
    assert len(store.payments.payments) == 1


async def test_confirming_a_transfer_for_an_order_cancelled_meanwhile_flags_the_money(
    uow: FakeUnitOfWorkFactory,
    clock: FixedClock,
    store: FakeStore,
    tea: Product,
    payments: Payments,
) -> None:
    order = await place(uow, clock, tea, PaymentMethod.BANK_TRANSFER)
    receipt = (await payments.submit_receipt(ADA, None, "file-1", None)).receipt
    await make_shop(uow, clock).cancel_my_order(ADA, order.number)

    result = await payments.confirm_transfer(receipt.id or 0, "admin:9")

    assert result.payment is not None
    assert (result.payment.status, result.payment.flag_reason) == (
        PaymentStatus.FLAGGED,
        FlagReason.CANCELLED,
    )
    assert store.orders[order.id or 0].status == OrderStatus.CANCELLED
    assert sent(store, "pay.customer.transfer_confirmed") == []
    assert len(sent(store, "admin.payment_flagged")) == 1


async def test_rejecting_a_receipt_tells_the_customer_why_and_restarts_the_time(
    uow: FakeUnitOfWorkFactory,
    clock: FixedClock,
    store: FakeStore,
    tea: Product,
    payments: Payments,
) -> None:
    order = await place(uow, clock, tea, PaymentMethod.BANK_TRANSFER)
    clock.advance(minutes=25)
    receipt = (await payments.submit_receipt(ADA, None, "file-1", None)).receipt
    clock.advance(hours=2)
    assert await payments.expire_due() == 0, "paused while the receipt is reviewed"

    await payments.reject_transfer(receipt.id or 0, RejectReason.AMOUNT, "admin:9")

    [notice] = sent(store, "pay.customer.rejected_amount")
    assert notice.buttons == [[("pay.send_receipt", f"receipt:{order.number}")]]
    assert notice.params["minutes"] == 30
    assert store.orders[order.id or 0].status == OrderStatus.PENDING_PAYMENT
    clock.advance(minutes=29)
    assert await payments.expire_due() == 0
    clock.advance(minutes=1)
    assert await payments.expire_due() == 1
    assert store.product(tea.id).reserved == 0


# -- the sweep ---------------------------------------------------------------------------------


async def test_the_sweep_reminds_once_at_half_time_and_expires_at_the_timeout(
    uow: FakeUnitOfWorkFactory,
    clock: FixedClock,
    store: FakeStore,
    tea: Product,
    payments: Payments,
) -> None:
    placed = [await place(uow, clock, tea, quantity=1) for _ in range(5)]
    bank = await place(uow, clock, tea, PaymentMethod.BANK_TRANSFER, quantity=1)
    cod = await place(uow, clock, tea, PaymentMethod.CASH_ON_DELIVERY, quantity=1)
    clock.advance(minutes=14)
    assert (await payments.sweep()).reminded == 0
    clock.advance(minutes=1)

    stats = await payments.sweep()

    assert (stats.reminded, stats.expired) == (6, 0), "batches of 2 until none is left"
    reminders = sent(store, "pay.customer.reminder")
    assert len(reminders) == 5 and reminders[0].buttons[0][0][0] == "pay.pay_now"
    assert reminders[0].params["minutes"] == 15
    [bank_reminder] = sent(store, "pay.customer.reminder_bank")
    assert bank_reminder.params["number"] == bank.number
    assert (await payments.sweep()).reminded == 0
    clock.advance(minutes=15)

    stats = await payments.sweep()

    assert (stats.reminded, stats.expired) == (0, 6)
    for order in [*placed, bank]:
        assert store.orders[order.id or 0].status == OrderStatus.CANCELLED
        assert events(store, order)[-1] == OrderEventType.EXPIRED
    assert store.orders[cod.id or 0].status == OrderStatus.CONFIRMED
    assert store.product(tea.id).reserved == 1  # the COD order's unit only
    assert len(sent(store, "pay.customer.expired")) == 6
    assert (await payments.sweep()).expired == 0


async def test_no_reminder_when_it_is_switched_off(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore, tea: Product
) -> None:
    quiet = Payments(
        uow, clock, PaymentsConfig(SECRET, TIMEOUT, reminder_after=None), flow=ORDER_FLOW
    )
    await place(uow, clock, tea)
    clock.advance(minutes=29)
    assert (await quiet.sweep()).reminded == 0
    assert sent(store, "pay.customer.reminder") == []


# -- refunds -----------------------------------------------------------------------------------


async def test_a_card_refund_is_recorded_with_the_merchants_note_and_cancels_the_order(
    uow: FakeUnitOfWorkFactory,
    clock: FixedClock,
    store: FakeStore,
    tea: Product,
    payments: Payments,
    stars: FakeStars,
) -> None:
    order = await place(uow, clock, tea)
    payment = (await payments.record_telegram_payment(charge(order))).payment
    assert payment is not None and payment.id is not None
    assert (await payments.paid_payment(order.number)).id == payment.id
    plan = await payments.refund_plan(payment.id)
    assert plan.cancels_order and plan.refund is None

    result = await payments.refund(payment.id, "admin:9", "  ref R-1  ")

    assert result.outcome is RefundOutcome.DONE
    assert stars.calls == []
    [refund] = store.payments.refunds.values()
    assert (refund.status, refund.note, refund.actor) == (RefundStatus.DONE, "ref R-1", "admin:9")
    assert store.payments.payments[payment.id].status is PaymentStatus.REFUNDED
    assert store.orders[order.id or 0].status == OrderStatus.CANCELLED
    assert (store.product(tea.id).stock, store.product(tea.id).reserved) == (10, 0)
    assert events(store, order)[-2:] == [OrderEventType.CANCELLED, OrderEventType.REFUNDED]
    assert len(sent(store, "pay.customer.refunded_card")) == 1
    again = await payments.refund(payment.id, "admin:9")
    assert again.outcome is RefundOutcome.ALREADY
    assert len(store.payments.refunds) == 1
    with pytest.raises(PaymentError) as caught:
        await payments.refund_plan(payment.id)
    assert caught.value.key == "pay.error.already_refunded"


async def test_a_stars_refund_asks_telegram_once_and_survives_a_failed_call(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    song = store.add_product("Song", Money(25, "XTR"), stock=100, sku="SONG")
    stars = FakeStars(
        StarRefundResult.UNAVAILABLE,
        StarRefundResult.REFUSED,
        StarRefundResult.ALREADY_REFUNDED,
    )
    payments = Payments(
        uow, clock, PaymentsConfig(SECRET, admin_chat_id=ADMIN_CHAT), None, stars, flow=ORDER_FLOW
    )
    order = await place(uow, clock, song, PaymentMethod.STARS)
    payment = (await payments.record_telegram_payment(charge(order, "stx-1"))).payment
    assert payment is not None and payment.id is not None

    first = await payments.refund(payment.id, "admin:9")
    assert first.outcome is RefundOutcome.RETRY
    [refund] = store.payments.refunds.values()
    assert refund.status is RefundStatus.PENDING, "on record before Telegram was asked"
    assert store.orders[order.id or 0].status == OrderStatus.PAID

    second = await payments.refund(payment.id, "admin:9")
    assert (second.outcome, second.error) == (RefundOutcome.FAILED, "CHARGE_NOT_FOUND")
    assert store.payments.refunds[refund.id or 0].status is RefundStatus.FAILED
    assert events(store, order)[-1] == OrderEventType.REFUND_FAILED

    third = await payments.refund(payment.id, "admin:9")
    assert third.outcome is RefundOutcome.DONE
    assert stars.calls == [(ADA, "stx-1")] * 3
    assert store.orders[order.id or 0].status == OrderStatus.CANCELLED
    assert store.product(song.id).stock == 100
    assert len(store.payments.refunds) == 1
    assert len(sent(store, "pay.customer.refunded_stars")) == 1


async def test_a_flagged_payment_is_refunded_without_touching_its_order(
    uow: FakeUnitOfWorkFactory,
    clock: FixedClock,
    store: FakeStore,
    tea: Product,
    payments: Payments,
) -> None:
    order = await place(uow, clock, tea)
    await payments.record_telegram_payment(charge(order, "tg-a"))
    duplicate = (await payments.record_telegram_payment(charge(order, "tg-b"))).payment
    assert duplicate is not None and duplicate.id is not None
    plan = await payments.refund_plan(duplicate.id)
    assert not plan.cancels_order

    result = await payments.refund(duplicate.id, "admin:9", "double payment")

    assert result.outcome is RefundOutcome.DONE
    assert store.orders[order.id or 0].status == OrderStatus.PAID
    assert store.product(tea.id).stock == 8


async def test_a_shipped_order_is_not_refunded_from_the_payment_button(
    uow: FakeUnitOfWorkFactory,
    clock: FixedClock,
    store: FakeStore,
    tea: Product,
    payments: Payments,
) -> None:
    order = await place(uow, clock, tea)
    payment = (await payments.record_telegram_payment(charge(order))).payment
    assert payment is not None and payment.id is not None
    async with uow() as tx:
        current = await tx.orders.get(order.id or 0)
        assert current is not None
        await ORDER_FLOW.step(tx, current, "ship", actor="admin:1", at=clock.now())
        await tx.commit()
    with pytest.raises(PaymentError) as caught:
        await payments.refund(payment.id, "admin:9")
    assert caught.value.params == {"number": order.number, "status": "shipped"}
    assert store.payments.refunds == {}
    with pytest.raises(NotFoundError):
        await payments.paid_payment("ZZZZ-ZZZZ")


async def test_every_payment_notification_renders_in_both_languages(
    uow: FakeUnitOfWorkFactory,
    clock: FixedClock,
    store: FakeStore,
    tea: Product,
    payments: Payments,
) -> None:
    from bot.notify import TelegramSender
    from bot.texts import Texts

    paid = await place(uow, clock, tea, quantity=1)
    await payments.record_telegram_payment(charge(paid, "tg-1"))
    await payments.record_telegram_payment(charge(paid, "tg-2"))  # flagged: paid twice
    refunded = store.payments.payments[max(store.payments.payments)]
    await payments.refund(refunded.id or 0, "admin:9", "dup")
    rejected = await place(uow, clock, tea, PaymentMethod.BANK_TRANSFER, quantity=1)
    receipt = (await payments.submit_receipt(ADA, rejected.number, "f1", None)).receipt
    for reason in RejectReason:
        await payments.reject_transfer(receipt.id or 0, reason, "admin:9")
        receipt = (await payments.submit_receipt(ADA, rejected.number, "f2", None)).receipt
    await payments.confirm_transfer(receipt.id or 0, "admin:9")
    await place(uow, clock, tea, quantity=1)
    await place(uow, clock, tea, PaymentMethod.BANK_TRANSFER, quantity=1)
    clock.advance(minutes=15)
    await payments.sweep()
    clock.advance(minutes=15)
    await payments.sweep()

    notifications = [e.notification for e in store.outbox.values()]
    templates = {n.template for n in notifications}
    assert {
        "pay.customer.receipt",
        "pay.customer.flagged",
        "pay.customer.refunded_card",
        "pay.customer.rejected_amount",
        "pay.customer.rejected_missing",
        "pay.customer.rejected_unclear",
        "pay.customer.transfer_confirmed",
        "pay.customer.reminder",
        "pay.customer.reminder_bank",
        "pay.customer.expired",
        "admin.order_paid",
        "admin.payment_flagged",
        "admin.transfer_receipt",
    } <= templates
    texts = Texts()
    for language in Language:
        sender = TelegramSender(None, texts, uow, language)  # type: ignore[arg-type]
        for notification in notifications:
            text, _ = sender.render(replace(notification, language=language))
            assert "{" not in text and "$money" not in text, (language, notification.template)


# -- the audit log -----------------------------------------------------------------------------


async def test_transfer_reviews_and_refunds_are_in_the_audit_log_with_their_order(
    uow: FakeUnitOfWorkFactory,
    clock: FixedClock,
    store: FakeStore,
    tea: Product,
    payments: Payments,
) -> None:
    order = await place(uow, clock, tea, PaymentMethod.BANK_TRANSFER)
    first = (await payments.submit_receipt(ADA, None, "file-1", None)).receipt
    await payments.reject_transfer(first.id or 0, RejectReason.AMOUNT, "admin:9")
    second = (await payments.submit_receipt(ADA, None, "file-2", None)).receipt
    paid = await payments.confirm_transfer(second.id or 0, "admin:9")
    assert paid.payment is not None and paid.payment.id is not None

    await payments.refund(paid.payment.id, "admin:9", "bank ref 77")
    await payments.refund(paid.payment.id, "admin:9")  # done already: no second entry

    assert [(e.actor, e.action, e.order_id) for e in store.audit] == [
        ("admin:9", "receipt_reject", order.id),
        ("admin:9", "receipt_confirm", order.id),
        ("admin:9", "refund", order.id),
    ]
    assert store.audit[0].details["reason"] == RejectReason.AMOUNT.value
    assert store.audit[2].details["amount"] == {"$money": [order.total.amount, "USD"]}
