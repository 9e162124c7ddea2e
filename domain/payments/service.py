"""Payments: invoices, pre-checkout, money received, bank transfer receipts, refunds, and the
sweep that reminds about and expires unpaid orders.

Each use case is one unit of work; every status change goes through `orders.transition`, and
every step leaves an order event. A Stars refund is two units of work around the Telegram
call: the refund is recorded as pending first, so a crash in between leaves a pending refund
that the next attempt finishes (Telegram answers "already refunded" if the money went back).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from domain.orders import lifecycle
from domain.orders import transitions as orders
from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import Order, OrderEvent, PaymentMethod
from domain.orders.transitions import OrderFlow
from domain.payments.ports import (
    NoActions,
    PaymentActions,
    PaymentsUnitOfWork,
    StarRefunds,
)
from domain.payments.records import (
    FlagReason,
    Payment,
    PaymentStatus,
    ReceiptStatus,
    Refund,
    RejectReason,
    TransferReceipt,
)
from domain.payments.refunds import Claim, RefundCase, RefundOutcome, give_back
from domain.shared.clock import Clock
from domain.shared.customers import Customer, customer_actor, display_name, language_of
from domain.shared.errors import DomainError, DuplicateError, IllegalTransitionError, NotFoundError
from domain.shared.money import Money, money_param
from domain.shared.notifications import Notification
from domain.shared.numbers import normalize_order_number
from domain.shared.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)

ONLINE_METHODS = frozenset({PaymentMethod.CARD, PaymentMethod.STARS})  # paid by invoice
TIMED_METHODS = ONLINE_METHODS | {PaymentMethod.BANK_TRANSFER}  # unpaid orders of these expire
STARS = "XTR"
SYSTEM_ACTOR = "system:payments"
_PAYLOAD = re.compile(r"([0-9A-Z]{4}-[0-9A-Z]{4})\.([A-Za-z0-9_-]{22})")


# -- errors -----------------------------------------------------------------------------------


class PaymentError(DomainError):
    """A payment step is not possible now; the key says why (params: number, status...)."""

    key = "pay.error.generic"


class Refusal(StrEnum):
    """Why an invoice cannot be paid (answered at pre-checkout, or when one is asked for)."""

    UNKNOWN = "unknown"  # not an invoice we issued, or issued for other terms
    NOT_YOURS = "not_yours"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    PAID = "paid"
    NOT_PAYABLE = "not_payable"  # e.g. cash on delivery, or shipped
    AMOUNT = "amount"
    CURRENCY = "currency"

    @property
    def key(self) -> str:
        """The text explaining the refusal."""
        return _REFUSAL_KEYS[self]


_REFUSAL_KEYS = {
    Refusal.UNKNOWN: "pay.refused.unknown",
    Refusal.NOT_YOURS: "pay.refused.not_yours",
    Refusal.CANCELLED: "pay.error.cancelled",
    Refusal.EXPIRED: "pay.error.expired",
    Refusal.PAID: "pay.error.paid",
    Refusal.NOT_PAYABLE: "pay.error.not_payable",
    Refusal.AMOUNT: "pay.refused.amount",
    Refusal.CURRENCY: "pay.refused.currency",
}
_FLAG_FOR_REFUSAL = {
    Refusal.UNKNOWN: FlagReason.UNKNOWN,
    Refusal.NOT_YOURS: FlagReason.NOT_YOURS,
    Refusal.CANCELLED: FlagReason.CANCELLED,
    Refusal.EXPIRED: FlagReason.EXPIRED,
    Refusal.PAID: FlagReason.PAID,
    Refusal.NOT_PAYABLE: FlagReason.NOT_PAYABLE,
    Refusal.AMOUNT: FlagReason.MISMATCH,
    Refusal.CURRENCY: FlagReason.MISMATCH,
}
FLAG_TEXTS = {  # what the merchant is told about a flagged payment
    FlagReason.UNKNOWN: "pay.flag.unknown",
    FlagReason.NOT_YOURS: "pay.flag.not_yours",
    FlagReason.MISMATCH: "pay.flag.mismatch",
    FlagReason.EXPIRED: "pay.flag.expired",
    FlagReason.CANCELLED: "pay.flag.cancelled",
    FlagReason.PAID: "pay.flag.paid",
    FlagReason.NOT_PAYABLE: "pay.flag.not_payable",
}
REJECT_TEMPLATES = {  # what the customer is told when a transfer receipt is not accepted
    RejectReason.AMOUNT: "pay.customer.rejected_amount",
    RejectReason.MISSING: "pay.customer.rejected_missing",
    RejectReason.UNCLEAR: "pay.customer.rejected_unclear",
}
REFUNDED_TEMPLATES = {  # what the customer is told when a payment is given back
    PaymentMethod.STARS: "pay.customer.refunded_stars",
    PaymentMethod.CARD: "pay.customer.refunded_card",
    PaymentMethod.BANK_TRANSFER: "pay.customer.refunded_bank",
    PaymentMethod.CASH_ON_DELIVERY: "pay.customer.refunded_bank",
}
_REVIEWED_KEYS = {
    ReceiptStatus.CONFIRMED: "pay.error.receipt_confirmed",
    ReceiptStatus.REJECTED: "pay.error.receipt_rejected",
    ReceiptStatus.REPLACED: "pay.error.receipt_replaced",
}


# -- configuration and results ----------------------------------------------------------------


@dataclass(frozen=True)
class PaymentsConfig:
    """The settings payment rules depend on."""

    invoice_secret: bytes  # signs invoice payloads (derived from the bot token)
    timeout: timedelta = timedelta(minutes=30)
    reminder_after: timedelta | None = timedelta(minutes=15)  # None: no reminder
    admin_chat_id: int | None = None
    batch_size: int = 100


@dataclass(frozen=True)
class InvoiceItem:
    """One price of an invoice: a line, the shipping, or (Stars) the whole order."""

    kind: str  # "line" | "shipping" | "total"
    amount: int
    name: str = ""
    quantity: int = 0


@dataclass(frozen=True)
class Invoice:
    """What to send as a Telegram invoice for an order."""

    order: Order
    payload: str
    currency: str
    items: tuple[InvoiceItem, ...]
    expires_at: datetime
    minutes_left: int  # to pay, when the invoice was made

    @property
    def total(self) -> int:
        """Sum of the prices: exactly the order's total."""
        return sum(item.amount for item in self.items)


@dataclass(frozen=True)
class PreCheckoutVerdict:
    """Whether to accept a pre-checkout query, and if not, why."""

    refusal: Refusal | None
    order: Order | None = None

    @property
    def ok(self) -> bool:
        """True when the payment may go ahead."""
        return self.refusal is None


@dataclass(frozen=True)
class TelegramCharge:
    """A successful_payment as Telegram reported it."""

    customer_id: int
    currency: str
    total_amount: int
    invoice_payload: str
    telegram_charge_id: str
    provider_charge_id: str | None
    raw: dict[str, Any] = field(default_factory=dict)


class PaymentOutcome(StrEnum):
    """What recording a payment did."""

    APPLIED = "applied"  # the order is paid
    FLAGGED = "flagged"  # kept, and the merchant was asked to refund or settle it
    DUPLICATE = "duplicate"  # seen before: nothing changed


@dataclass
class RecordedPayment:
    """The result of recording a payment."""

    outcome: PaymentOutcome
    payment: Payment | None = None
    order: Order | None = None


@dataclass
class ReceiptResult:
    """A receipt submitted or reviewed, with its order."""

    receipt: TransferReceipt
    order: Order
    payment: Payment | None = None


@dataclass(frozen=True)
class RefundPlan:
    """What a refund of a payment would do, shown to the merchant before confirming."""

    payment: Payment
    order: Order | None
    cancels_order: bool
    refund: Refund | None = None  # an earlier attempt, if any


@dataclass
class RefundResult:
    """The result of a refund attempt."""

    outcome: RefundOutcome
    payment: Payment
    order: Order | None
    refund: Refund | None = None
    error: str | None = None


@dataclass
class SweepStats:
    """What one payment sweep did."""

    reminded: int = 0
    expired: int = 0


# -- pure rules -------------------------------------------------------------------------------


def _signature(secret: bytes, order: Order) -> str:
    message = f"{order.id}|{order.number}|{order.total.amount}|{order.currency}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:22]


def invoice_payload(secret: bytes, order: Order) -> str:
    """The invoice payload: the order number and an HMAC over (id, number, total, currency),
    so nothing the client sends back is trusted."""
    return f"{order.number}.{_signature(secret, order)}"


def payload_number(payload: str) -> str | None:
    """The order number a payload names (not yet verified), or None if it is not ours."""
    match = _PAYLOAD.fullmatch(payload or "")
    return match.group(1) if match else None


def payload_matches(secret: bytes, payload: str, order: Order) -> bool:
    """Whether the payload was issued by us for exactly this order and total."""
    match = _PAYLOAD.fullmatch(payload or "")
    return bool(
        match
        and match.group(1) == order.number
        and hmac.compare_digest(match.group(2), _signature(secret, order))
    )


def invoice_items(order: Order) -> tuple[InvoiceItem, ...]:
    """One price per line plus shipping; a Stars invoice has exactly one price."""
    if order.currency == STARS:
        return (InvoiceItem("total", order.total.amount),)
    items = [
        InvoiceItem("line", line.total.amount, line.name, line.quantity) for line in order.lines
    ]
    if order.shipping.amount:
        items.append(InvoiceItem("shipping", order.shipping.amount))
    return tuple(items)


def payment_deadline(
    order: Order, receipts: list[TransferReceipt], timeout: timedelta
) -> datetime | None:
    """When an unpaid order expires; None while a transfer receipt awaits review. A rejected
    receipt starts the payment time again."""
    if any(r.status == ReceiptStatus.SUBMITTED for r in receipts):
        return None
    start = order.created_at
    for receipt in receipts:
        if receipt.status == ReceiptStatus.REJECTED and receipt.reviewed_at is not None:
            start = max(start, receipt.reviewed_at)
    return start + timeout


def _closed_refusal(order: Order) -> Refusal:
    """Why an order that is not pending payment cannot take one."""
    if order.status == OrderStatus.CANCELLED:
        expired = any(e.type == OrderEventType.EXPIRED for e in order.events)
        return Refusal.EXPIRED if expired else Refusal.CANCELLED
    if order.status in lifecycle.STOCK_COMMITTED:
        return Refusal.PAID
    return Refusal.NOT_PAYABLE


def _error(refusal: Refusal, order: Order) -> PaymentError:
    return PaymentError(refusal.key, number=order.number, status=str(order.status))


def _minutes(span: timedelta) -> int:
    """Whole minutes, rounded up, at least one."""
    return max(math.ceil(span.total_seconds() / 60), 1)


async def record_cash_on_delivery(
    uow: PaymentsUnitOfWork, order: Order, *, actor: str, at: datetime
) -> Payment:
    """A cash-on-delivery order was delivered: the courier took the money. Called by
    the order flow on "deliver" (see `record_cash_if_cod`), in the same unit of work."""
    assert order.id is not None
    payment = Payment(
        order_id=order.id,
        customer_id=order.customer_id,
        method=PaymentMethod.CASH_ON_DELIVERY,
        amount=order.total,
        status=PaymentStatus.APPLIED,
        received_at=at,
        payload={"collected_by": actor},
    )
    payment.id = await uow.payments.add(payment)
    await orders.record(
        uow,
        order,
        OrderEventType.PAID,
        actor=actor,
        at=at,
        params={"method": PaymentMethod.CASH_ON_DELIVERY.value, "payment_id": payment.id},
    )
    return payment


async def record_cash_if_cod(uow: PaymentsUnitOfWork, order: Order, event: OrderEvent) -> None:
    """Reaction to DELIVERED (domain/reactions.py): the courier of a cash-on-delivery order
    collected the money."""
    if order.payment_method == PaymentMethod.CASH_ON_DELIVERY:
        await record_cash_on_delivery(uow, order, actor=event.actor, at=event.at)


# -- use cases --------------------------------------------------------------------------------


class Payments:
    """The payment use cases of one shop."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[PaymentsUnitOfWork],
        clock: Clock,
        config: PaymentsConfig,
        actions: PaymentActions | None = None,
        stars: StarRefunds | None = None,
        *,
        flow: OrderFlow,
    ) -> None:
        self._uow = uow
        self._flow = flow
        self._clock = clock
        self.config = config
        self.actions: PaymentActions = actions or NoActions()
        self.stars = stars

    # -- invoices and pre-checkout -----------------------------------------------------------

    async def invoice(self, customer_id: int, number: str) -> Invoice:
        """The invoice for one of the customer's orders, if it can be paid online now."""
        normalized = normalize_order_number(number)
        if normalized is None:
            raise NotFoundError()
        now = self._clock.now()
        async with self._uow(readonly=True) as uow:
            order = await uow.orders.get_by_number(normalized)
            if order is None or order.customer_id != customer_id:
                raise NotFoundError()
            assert order.id is not None
            order.events = await uow.orders.events(order.id)
        refusal = self._payable(order, now)
        if refusal is not None:
            raise _error(refusal, order)
        return Invoice(
            order=order,
            payload=invoice_payload(self.config.invoice_secret, order),
            currency=order.currency,
            items=invoice_items(order),
            expires_at=order.created_at + self.config.timeout,
            minutes_left=_minutes(order.created_at + self.config.timeout - now),
        )

    def _payable(self, order: Order, now: datetime) -> Refusal | None:
        if order.status != OrderStatus.PENDING_PAYMENT:
            return _closed_refusal(order)
        if order.payment_method not in ONLINE_METHODS:
            return Refusal.NOT_PAYABLE
        if now >= order.created_at + self.config.timeout:
            return Refusal.EXPIRED  # due for the sweep, which may not have run yet
        return None

    async def check_pre_checkout(
        self, customer_id: int, payload: str, currency: str, total_amount: int
    ) -> PreCheckoutVerdict:
        """Accept only our own invoice, for the asker's order, still pending and within its
        time, for exactly its total and currency. One read-only transaction: Telegram waits
        for the answer at most 10 seconds."""
        number = payload_number(payload)
        if number is None:
            return PreCheckoutVerdict(Refusal.UNKNOWN)
        now = self._clock.now()
        async with self._uow(readonly=True) as uow:
            order = await uow.orders.get_by_number(number)
            if order is None or not payload_matches(self.config.invoice_secret, payload, order):
                return PreCheckoutVerdict(Refusal.UNKNOWN)
            assert order.id is not None
            if order.customer_id != customer_id:
                return PreCheckoutVerdict(Refusal.NOT_YOURS)
            if order.status != OrderStatus.PENDING_PAYMENT:
                order.events = await uow.orders.events(order.id)
        refusal = self._payable(order, now)
        if refusal is None and currency != order.currency:
            refusal = Refusal.CURRENCY
        if refusal is None and total_amount != order.total.amount:
            refusal = Refusal.AMOUNT
        return PreCheckoutVerdict(refusal, order)

    # -- money received ----------------------------------------------------------------------

    async def record_telegram_payment(self, charge: TelegramCharge) -> RecordedPayment:
        """Mark the order paid exactly once (keyed by the Telegram charge id), commit its stock,
        keep the payment, queue the receipt and the merchant's alert. Money the order cannot
        take (expired a second earlier, cancelled, paid already) is kept too, flagged, and the
        merchant is asked to refund it."""
        now = self._clock.now()
        method = PaymentMethod.STARS if charge.currency == STARS else PaymentMethod.CARD
        async with self._uow() as uow:
            if await uow.payments.by_charge_id(charge.telegram_charge_id) is not None:
                return RecordedPayment(PaymentOutcome.DUPLICATE)
            order = await self._order_for_payload(uow, charge.invoice_payload)
            refusal = self._charge_refusal(order, charge)
            if order is not None and refusal is None:
                try:
                    await self._flow.step(
                        uow,
                        order,
                        "pay",
                        actor=customer_actor(charge.customer_id),
                        at=now,
                        params={
                            "method": method.value,
                            "telegram_charge_id": charge.telegram_charge_id,
                            "provider_charge_id": charge.provider_charge_id,
                        },
                    )
                except IllegalTransitionError:
                    # Moved on since we read it (the sweep expired it this very moment).
                    assert order.id is not None
                    order = await uow.orders.get(order.id)
                    assert order is not None
                    order.events = await uow.orders.events(order.id or 0)
                    refusal = _closed_refusal(order)
            payment = Payment(
                order_id=order.id if order else None,
                customer_id=charge.customer_id,
                method=method,
                amount=Money(charge.total_amount, charge.currency),
                status=PaymentStatus.APPLIED if refusal is None else PaymentStatus.FLAGGED,
                received_at=now,
                telegram_charge_id=charge.telegram_charge_id,
                provider_charge_id=charge.provider_charge_id or None,
                payload=dict(charge.raw),
                flag_reason=_FLAG_FOR_REFUSAL[refusal] if refusal else None,
            )
            try:
                payment.id = await uow.payments.add(payment)
            except DuplicateError:  # the same update, handled at this moment elsewhere
                return RecordedPayment(PaymentOutcome.DUPLICATE)
            customer = await uow.customers.get(charge.customer_id)
            if refusal is None:
                assert order is not None
                await self._notify_paid(uow, order, payment, customer, now)
                outcome = PaymentOutcome.APPLIED
            else:
                actor = customer_actor(charge.customer_id)
                await self._flag(uow, payment, order, customer, now, actor)
                outcome = PaymentOutcome.FLAGGED
            await uow.commit()
        return RecordedPayment(outcome, payment, order)

    async def _order_for_payload(self, uow: PaymentsUnitOfWork, payload: str) -> Order | None:
        number = payload_number(payload)
        if number is None:
            return None
        order = await uow.orders.get_by_number(number)
        if order is None or not payload_matches(self.config.invoice_secret, payload, order):
            return None
        assert order.id is not None
        order.events = await uow.orders.events(order.id)
        return order

    def _charge_refusal(self, order: Order | None, charge: TelegramCharge) -> Refusal | None:
        if order is None:
            return Refusal.UNKNOWN
        if order.customer_id != charge.customer_id:
            return Refusal.NOT_YOURS
        if order.status != OrderStatus.PENDING_PAYMENT:
            return _closed_refusal(order)
        if charge.currency != order.currency:
            return Refusal.CURRENCY
        if charge.total_amount != order.total.amount:
            return Refusal.AMOUNT
        # Past the deadline but not swept yet: the reservation is still held, so take it.
        return None

    async def _notify_paid(
        self,
        uow: PaymentsUnitOfWork,
        order: Order,
        payment: Payment,
        customer: Customer | None,
        now: datetime,
    ) -> None:
        await uow.outbox.add(
            Notification(
                chat_id=order.customer_id,
                template="pay.customer.receipt",
                params={
                    "number": order.number,
                    "total": money_param(payment.amount),
                    "payment": payment.method.value,
                    "lines": [[line.quantity, line.name] for line in order.lines],
                    "charge": payment.telegram_charge_id or "—",
                },
                language=language_of(customer),
                dedupe_key=f"pay.receipt:{payment.id}",
            ),
            now,
        )
        await self._alert_admin(
            uow,
            Notification(
                chat_id=0,
                template="admin.order_paid",
                params={
                    "number": order.number,
                    "customer": display_name(customer, order.customer_id),
                    "total": money_param(payment.amount),
                    "payment": payment.method.value,
                },
                dedupe_key=f"admin.order_paid:{order.number}",
            ),
            now,
        )

    async def _flag(
        self,
        uow: PaymentsUnitOfWork,
        payment: Payment,
        order: Order | None,
        customer: Customer | None,
        now: datetime,
        actor: str,
    ) -> None:
        assert payment.id is not None and payment.flag_reason is not None
        number = order.number if order else "—"
        if order is not None:
            await orders.record(
                uow,
                order,
                OrderEventType.PAYMENT_FLAGGED,
                actor=actor,
                at=now,
                params={
                    "payment_id": payment.id,
                    "reason": payment.flag_reason.value,
                    "amount": money_param(payment.amount),
                },
            )
        if payment.customer_id is not None:
            await uow.outbox.add(
                Notification(
                    chat_id=payment.customer_id,
                    template="pay.customer.flagged",
                    params={"number": number, "total": money_param(payment.amount)},
                    language=language_of(customer),
                    dedupe_key=f"pay.flagged:{payment.id}",
                ),
                now,
            )
        await self._alert_admin(
            uow,
            Notification(
                chat_id=0,
                template="admin.payment_flagged",
                params={
                    "number": number,
                    "customer": display_name(customer, payment.customer_id),
                    "total": money_param(payment.amount),
                    "payment": payment.method.value,
                    "why": {"$text": FLAG_TEXTS[payment.flag_reason]},
                    "charge": payment.telegram_charge_id or "—",
                },
                buttons=self.actions.refund_payment(payment.id),
                dedupe_key=f"admin.payment_flagged:{payment.id}",
            ),
            now,
        )

    async def _alert_admin(
        self, uow: PaymentsUnitOfWork, notification: Notification, now: datetime
    ) -> None:
        if self.config.admin_chat_id is None:
            return
        notification.chat_id = self.config.admin_chat_id
        await uow.outbox.add(notification, now)

    # -- bank transfers ----------------------------------------------------------------------

    async def submit_receipt(
        self, customer_id: int, number: str | None, file_id: str, file_unique_id: str | None
    ) -> ReceiptResult:
        """Keep a transfer receipt photo for the customer's order awaiting a transfer (the one
        named, or the only one) and send it to the merchant for review. The order's expiry
        is paused until the merchant decides."""
        now = self._clock.now()
        async with self._uow() as uow:
            order = await self._order_awaiting_transfer(uow, customer_id, number, now)
            assert order.id is not None
            receipts = await uow.payments.receipts_for_order(order.id)
            for earlier in receipts:
                if earlier.status == ReceiptStatus.SUBMITTED:
                    earlier.status = ReceiptStatus.REPLACED
                    earlier.reviewed_at = now
                    await uow.payments.review_receipt(earlier, expected=ReceiptStatus.SUBMITTED)
            receipt = TransferReceipt(
                order_id=order.id,
                customer_id=customer_id,
                file_id=file_id,
                file_unique_id=file_unique_id,
                status=ReceiptStatus.SUBMITTED,
                submitted_at=now,
            )
            receipt.id = await uow.payments.add_receipt(receipt)
            await orders.record(
                uow,
                order,
                OrderEventType.RECEIPT_SUBMITTED,
                actor=customer_actor(customer_id),
                at=now,
                params={"receipt_id": receipt.id},
            )
            customer = await uow.customers.get(customer_id)
            await self._alert_admin(
                uow,
                Notification(
                    chat_id=0,
                    template="admin.transfer_receipt",
                    params={
                        "number": order.number,
                        "customer": display_name(customer, customer_id),
                        "total": money_param(order.total),
                        "$photo": file_id,
                    },
                    buttons=self.actions.review_receipt(receipt.id),
                    dedupe_key=f"admin.transfer_receipt:{receipt.id}",
                ),
                now,
            )
            await uow.commit()
        return ReceiptResult(receipt, order)

    async def _order_awaiting_transfer(
        self, uow: PaymentsUnitOfWork, customer_id: int, number: str | None, now: datetime
    ) -> Order:
        if number is None:
            waiting = []
            for candidate in await uow.payments.awaiting_transfer(customer_id):
                assert candidate.id is not None
                receipts = await uow.payments.receipts_for_order(candidate.id)
                deadline = payment_deadline(candidate, receipts, self.config.timeout)
                if deadline is None or now < deadline:
                    waiting.append(candidate)
            if not waiting:
                raise PaymentError("pay.error.no_transfer")
            if len(waiting) > 1:
                raise PaymentError(
                    "pay.error.several_transfers", numbers=", ".join(o.number for o in waiting)
                )
            return waiting[0]
        normalized = normalize_order_number(number)
        order = await uow.orders.get_by_number(normalized) if normalized else None
        if order is None or order.customer_id != customer_id:
            raise NotFoundError()
        assert order.id is not None
        if (
            order.status != OrderStatus.PENDING_PAYMENT
            or order.payment_method != PaymentMethod.BANK_TRANSFER
        ):
            raise PaymentError(
                "pay.error.not_awaiting_transfer", number=order.number, status=str(order.status)
            )
        receipts = await uow.payments.receipts_for_order(order.id)
        deadline = payment_deadline(order, receipts, self.config.timeout)
        if deadline is not None and now >= deadline:
            raise _error(Refusal.EXPIRED, order)
        return order

    async def _receipt_for_review(
        self, uow: PaymentsUnitOfWork, receipt_id: int
    ) -> tuple[TransferReceipt, Order]:
        receipt = await uow.payments.receipt(receipt_id)
        if receipt is None:
            raise NotFoundError()
        order = await uow.orders.get(receipt.order_id)
        if order is None:
            raise NotFoundError()
        if receipt.status != ReceiptStatus.SUBMITTED:
            raise PaymentError(_REVIEWED_KEYS[receipt.status], number=order.number)
        assert order.id is not None
        order.events = await uow.orders.events(order.id)
        return receipt, order

    async def confirm_transfer(self, receipt_id: int, actor: str) -> ReceiptResult:
        """The merchant saw the money: the order is paid (stock committed) and the customer
        told. If the order was cancelled meanwhile, the payment is kept and flagged."""
        now = self._clock.now()
        async with self._uow() as uow:
            receipt, order = await self._receipt_for_review(uow, receipt_id)
            receipt.status = ReceiptStatus.CONFIRMED
            receipt.reviewed_at = now
            receipt.reviewer = actor
            if not await uow.payments.review_receipt(receipt, expected=ReceiptStatus.SUBMITTED):
                raise PaymentError("pay.error.receipt_confirmed", number=order.number)
            refusal: Refusal | None = None
            try:
                await self._flow.step(
                    uow,
                    order,
                    "pay",
                    actor=actor,
                    at=now,
                    params={"method": PaymentMethod.BANK_TRANSFER.value, "receipt_id": receipt_id},
                )
            except IllegalTransitionError:
                refusal = _closed_refusal(order)
            payment = Payment(
                order_id=order.id,
                customer_id=order.customer_id,
                method=PaymentMethod.BANK_TRANSFER,
                amount=order.total,
                status=PaymentStatus.APPLIED if refusal is None else PaymentStatus.FLAGGED,
                received_at=now,
                payload={"receipt_id": receipt_id, "file_id": receipt.file_id},
                flag_reason=_FLAG_FOR_REFUSAL[refusal] if refusal else None,
            )
            payment.id = await uow.payments.add(payment)
            customer = await uow.customers.get(order.customer_id)
            if refusal is None:
                await uow.outbox.add(
                    Notification(
                        chat_id=order.customer_id,
                        template="pay.customer.transfer_confirmed",
                        params={"number": order.number, "total": money_param(order.total)},
                        language=language_of(customer),
                        dedupe_key=f"pay.transfer_confirmed:{receipt_id}",
                    ),
                    now,
                )
            else:
                await self._flag(uow, payment, order, customer, now, actor)
            await uow.commit()
        return ReceiptResult(receipt, order, payment)

    async def reject_transfer(
        self, receipt_id: int, reason: RejectReason, actor: str
    ) -> ReceiptResult:
        """The merchant did not accept the receipt: the customer is told why; the order stays
        open and its payment time starts again."""
        now = self._clock.now()
        async with self._uow() as uow:
            receipt, order = await self._receipt_for_review(uow, receipt_id)
            receipt.status = ReceiptStatus.REJECTED
            receipt.reviewed_at = now
            receipt.reviewer = actor
            receipt.reason = reason
            if not await uow.payments.review_receipt(receipt, expected=ReceiptStatus.SUBMITTED):
                raise PaymentError("pay.error.receipt_rejected", number=order.number)
            await orders.record(
                uow,
                order,
                OrderEventType.RECEIPT_REJECTED,
                actor=actor,
                at=now,
                params={"receipt_id": receipt_id, "reason": reason.value},
            )
            customer = await uow.customers.get(order.customer_id)
            pending = order.status == OrderStatus.PENDING_PAYMENT
            await uow.outbox.add(
                Notification(
                    chat_id=order.customer_id,
                    template=REJECT_TEMPLATES[reason],
                    params={
                        "number": order.number,
                        "total": money_param(order.total),
                        "minutes": _minutes(self.config.timeout),
                    },
                    language=language_of(customer),
                    buttons=self.actions.send_receipt(order.number) if pending else [],
                    dedupe_key=f"pay.transfer_rejected:{receipt_id}",
                ),
                now,
            )
            await uow.commit()
        return ReceiptResult(receipt, order)

    # -- refunds -----------------------------------------------------------------------------

    async def paid_payment(self, number: str) -> Payment:
        """The payment that paid an order (what "refund order" gives back)."""
        normalized = normalize_order_number(number)
        if normalized is None:
            raise NotFoundError()
        async with self._uow(readonly=True) as uow:
            order = await uow.orders.get_by_number(normalized)
            if order is None:
                raise NotFoundError()
            assert order.id is not None
            for payment in await uow.payments.for_order(order.id):
                if payment.status == PaymentStatus.APPLIED:
                    return payment
                refunded = payment.status == PaymentStatus.REFUNDED
                if refunded and order.status == OrderStatus.CANCELLED:
                    return payment  # refunded already: the plan says so
        raise PaymentError("pay.error.nothing_to_refund", number=order.number)

    async def refund_plan(self, payment_id: int) -> RefundPlan:
        """What refunding a payment would do; refuses what cannot be refunded here."""
        async with self._uow(readonly=True) as uow:
            payment, order = await self._refundable(uow, payment_id)
            refund = await uow.payments.refund_of(payment_id)
        cancels = payment.status == PaymentStatus.APPLIED
        return RefundPlan(payment, order, cancels, refund)

    async def _refundable(
        self, uow: PaymentsUnitOfWork, payment_id: int
    ) -> tuple[Payment, Order | None]:
        payment = await uow.payments.get(payment_id)
        if payment is None:
            raise NotFoundError()
        order = await uow.orders.get(payment.order_id) if payment.order_id else None
        number = order.number if order else "—"
        if payment.status == PaymentStatus.REFUNDED:
            raise PaymentError("pay.error.already_refunded", number=number)
        if (
            payment.status == PaymentStatus.APPLIED
            and order is not None
            and order.status != OrderStatus.PAID
        ):
            # Shipped or delivered goods come back through after-sales, not a refund button.
            raise PaymentError(
                "pay.error.refund_not_possible", number=number, status=str(order.status)
            )
        return payment, order

    async def refund(self, payment_id: int, actor: str, note: str | None = None) -> RefundResult:
        """Give a payment back. A payment that paid its order also cancels the order (its
        stock is restocked). Stars go back through Telegram; card and bank payments are
        refunded by the merchant outside Telegram and recorded here with their note.
        Idempotent: a second attempt never refunds twice."""
        case = WholePaymentRefund(self, payment_id)
        return await give_back(self._uow, self._clock, self.stars, case, actor, note)

    # -- the sweep ---------------------------------------------------------------------------

    async def sweep(self) -> SweepStats:
        """Expire what is overdue, then remind what is due (expired orders get no reminder).
        Safe to run on several runners at once."""
        expired = await self.expire_due()
        reminded = await self.remind_due()
        return SweepStats(reminded=reminded, expired=expired)

    async def expire_due(self) -> int:
        """Cancel unpaid orders whose payment time is over, release their stock, tell the
        customers; in batches, each batch one transaction."""
        total = 0
        for _ in range(10_000):  # a bound, not a limit: each batch removes its rows from view
            now = self._clock.now()
            async with self._uow() as uow:
                due = await uow.payments.due_for_expiry(
                    TIMED_METHODS, now - self.config.timeout, self.config.batch_size
                )
                for order_id in due:
                    total += await self._expire(uow, order_id, now)
                await uow.commit()
            if len(due) < self.config.batch_size:
                break
        return total

    async def _expire(self, uow: PaymentsUnitOfWork, order_id: int, now: datetime) -> int:
        order = await uow.orders.get(order_id)
        if order is None or order.status != OrderStatus.PENDING_PAYMENT:
            return 0
        try:
            await self._flow.step(
                uow,
                order,
                "expire",
                actor=SYSTEM_ACTOR,
                at=now,
                note="not paid in time",
                params={"timeout_minutes": _minutes(self.config.timeout)},
            )
        except IllegalTransitionError:
            return 0  # paid or cancelled by someone else a moment ago
        customer = await uow.customers.get(order.customer_id)
        await uow.outbox.add(
            Notification(
                chat_id=order.customer_id,
                template="pay.customer.expired",
                params={
                    "number": order.number,
                    "total": money_param(order.total),
                    "minutes": _minutes(self.config.timeout),
                },
                language=language_of(customer),
                dedupe_key=f"pay.expired:{order.number}",
            ),
            now,
        )
        return 1

    async def remind_due(self) -> int:
        """Remind customers whose unpaid order is past the reminder time, once per order."""
        if self.config.reminder_after is None:
            return 0
        total = 0
        for _ in range(10_000):
            now = self._clock.now()
            async with self._uow() as uow:
                due = await uow.payments.due_for_reminder(
                    TIMED_METHODS, now - self.config.reminder_after, self.config.batch_size
                )
                for order_id in due:
                    total += await self._remind(uow, order_id, now)
                await uow.commit()
            if len(due) < self.config.batch_size:
                break
        return total

    async def _remind(self, uow: PaymentsUnitOfWork, order_id: int, now: datetime) -> int:
        order = await uow.orders.get(order_id)
        if order is None or order.status != OrderStatus.PENDING_PAYMENT:
            return 0
        receipts = await uow.payments.receipts_for_order(order_id)
        deadline = payment_deadline(order, receipts, self.config.timeout)
        if deadline is None or deadline <= now:
            return 0
        if not await uow.payments.claim_reminder(order_id, now):
            return 0  # another runner sent it
        await orders.record(uow, order, OrderEventType.PAYMENT_REMINDED, actor=SYSTEM_ACTOR, at=now)
        customer = await uow.customers.get(order.customer_id)
        online = order.payment_method in ONLINE_METHODS
        await uow.outbox.add(
            Notification(
                chat_id=order.customer_id,
                template="pay.customer.reminder" if online else "pay.customer.reminder_bank",
                params={
                    "number": order.number,
                    "total": money_param(order.total),
                    "minutes": _minutes(deadline - now),
                },
                language=language_of(customer),
                buttons=(
                    self.actions.pay_now(order.number)
                    if online
                    else self.actions.send_receipt(order.number)
                ),
                dedupe_key=f"pay.reminder:{order.number}",
            ),
            now,
        )
        return 1


class WholePaymentRefund(RefundCase[PaymentsUnitOfWork, RefundResult]):
    """A payment given back whole: it cancels the order it paid (if not shipped yet), the
    order's timeline shows the refund and the customer is told."""

    def __init__(self, payments: Payments, payment_id: int) -> None:
        self._payments = payments
        self.payment_id = self._id = payment_id
        self.label = f"payment {payment_id}"
        self.payment: Payment | None = None
        self.order: Order | None = None

    async def open(self, uow: PaymentsUnitOfWork, refund: Refund | None) -> Claim | None:
        try:
            self.payment, self.order = await self._payments._refundable(uow, self._id)
        except PaymentError as error:
            if error.key != "pay.error.already_refunded":
                raise
            self.payment = await uow.payments.get(self._id)
            assert self.payment is not None
            order_id = self.payment.order_id
            self.order = await uow.orders.get(order_id) if order_id else None
            return None
        if self.order is not None:
            self.label = f"order {self.order.number}"
        return Claim(self.payment, self.payment.amount, self.payment.customer_id)

    async def reload(self, uow: PaymentsUnitOfWork) -> None:
        self.payment = await uow.payments.get(self._id) or self.payment
        order = self.order
        self.order = await uow.orders.get(order.id) if order and order.id else order

    async def failed(
        self, uow: PaymentsUnitOfWork, refund: Refund, actor: str, now: datetime
    ) -> None:
        if self.order is not None:
            await orders.record(
                uow,
                self.order,
                OrderEventType.REFUND_FAILED,
                actor=actor,
                at=now,
                params={"payment_id": self._id, "error": refund.error},
            )

    async def completed(
        self, uow: PaymentsUnitOfWork, refund: Refund, actor: str, now: datetime
    ) -> bool:
        payment, order = self.payment, self.order
        assert payment is not None and payment.id is not None
        if not await uow.payments.set_status(
            payment.id, PaymentStatus.REFUNDED, expected=payment.status
        ):
            return False
        cancels = payment.status == PaymentStatus.APPLIED
        payment.status = PaymentStatus.REFUNDED
        if order is not None:
            assert order.id is not None
            order.events = await uow.orders.events(order.id)
            if cancels and order.status == OrderStatus.PAID:
                await self._payments._flow.step(
                    uow,
                    order,
                    "cancel",
                    actor=actor,
                    at=now,
                    note=refund.note or "refunded by the merchant",
                    params={"refund_id": refund.id, "payment_id": payment.id},
                )
            await orders.record(
                uow,
                order,
                OrderEventType.REFUNDED,
                actor=actor,
                at=now,
                note=refund.note,
                params={
                    "payment_id": payment.id,
                    "refund_id": refund.id,
                    "amount": money_param(payment.amount),
                    "method": payment.method.value,
                },
            )
        if payment.customer_id is not None:
            customer = await uow.customers.get(payment.customer_id)
            await uow.outbox.add(
                Notification(
                    chat_id=payment.customer_id,
                    template=REFUNDED_TEMPLATES[payment.method],
                    params={
                        "number": order.number if order else "—",
                        "total": money_param(payment.amount),
                    },
                    language=language_of(customer),
                    dedupe_key=f"pay.refunded:{refund.id}",
                ),
                now,
            )
        return True

    def result(
        self, outcome: RefundOutcome, refund: Refund | None, error: str | None
    ) -> RefundResult:
        assert self.payment is not None
        return RefundResult(outcome, self.payment, self.order, refund, error)
