"""The one refund path: money of a payment given back, the whole payment (the payments
feature's refund button) or what an after-sales request gives back (a return).

A refund is recorded as pending first; a unique key (one whole-payment refund per payment, one
refund per request) makes a double tap a no-op, and a failed one may be tried again. Card,
bank and cash refunds were made by the merchant outside Telegram: they finish at once, with
the merchant's note. A Stars refund is two units of work around the Telegram call, so a crash
in between leaves a pending refund that the next attempt finishes (Telegram answers "already
refunded" if the money went back). Finishing is a compare-and-set on the refund's status, then
the refunding feature's consequences run in the same unit of work (`RefundCase`).

The payments feature's own refund (`Refunding`, `WholePaymentRefund`) is below; the after-sales
one is in domain/after_sales/refunds.py.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from domain.orders import transitions as orders
from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import Order, PaymentMethod
from domain.payments.base import PaymentsBase
from domain.payments.ports import (
    PaymentsUnitOfWork,
    StarRefundResult,
    StarRefunds,
)
from domain.payments.records import (
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)
from domain.payments.rules import REFUNDED_TEMPLATES, PaymentError
from domain.shared import journal
from domain.shared.audit import Target, record
from domain.shared.clock import Clock
from domain.shared.customers import language_of
from domain.shared.errors import DuplicateError, NotFoundError
from domain.shared.money import Money, money_param
from domain.shared.notifications import Notification
from domain.shared.numbers import normalize_order_number
from domain.shared.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)

NOTE_MAX = 500
R = TypeVar("R")
U = TypeVar("U", bound=PaymentsUnitOfWork)


class RefundOutcome(StrEnum):
    """What a refund attempt did."""

    DONE = "done"
    ALREADY = "already"  # done before: nothing happened twice
    FAILED = "failed"  # Telegram refused; recorded, may be tried again
    RETRY = "retry"  # Telegram did not answer; the refund stays pending


@dataclass(frozen=True)
class Claim:
    """What a refund gives back: how much of which payment, and to whom (Stars)."""

    payment: Payment
    amount: Money
    customer_id: int | None


class RefundCase(ABC, Generic[U, R]):
    """One refund as the refunding feature sees it: what is refunded, and what follows.
    An instance serves one attempt and keeps what it loaded for its result."""

    payment_id: int | None = None  # a whole-payment refund: the payment
    request_id: int | None = None  # an after-sales refund: the request
    label: str = "?"  # names the refund in the log

    async def stored(self, uow: U) -> Refund | None:
        """The refund recorded for what is refunded, if any."""
        if self.request_id is not None:
            return await uow.payments.refund_for_request(self.request_id)
        assert self.payment_id is not None
        return await uow.payments.refund_of(self.payment_id)

    @abstractmethod
    async def open(self, uow: U, refund: Refund | None) -> Claim | None:
        """Load and check what is refunded (raise a domain error to refuse); None when it was
        given back already."""

    @abstractmethod
    async def reload(self, uow: U) -> None:
        """Read again what `open` loaded, in the unit of work after Telegram answered."""

    @abstractmethod
    async def completed(self, uow: U, refund: Refund, actor: str, now: datetime) -> bool:
        """The refund is done: carry out what follows; False if it had happened already."""

    @abstractmethod
    async def failed(self, uow: U, refund: Refund, actor: str, now: datetime) -> None:
        """Telegram refused (recorded once): leave a trace of it."""

    @abstractmethod
    def result(self, outcome: RefundOutcome, refund: Refund | None, error: str | None) -> R:
        """What the attempt answers."""


def clean_note(note: str | None) -> str | None:
    """The merchant's note as kept: trimmed, at most `NOTE_MAX` characters, None if empty."""
    return (note or "").strip()[:NOTE_MAX] or None


async def give_back(
    uow_factory: UnitOfWorkFactory[U],
    clock: Clock,
    stars: StarRefunds | None,
    case: RefundCase[U, R],
    actor: str,
    note: str | None = None,
) -> R:
    """Run one refund attempt: pending first, then (Stars) Telegram, then done or failed.
    Idempotent: a second attempt never gives the money back twice."""
    now = clock.now()
    note = clean_note(note)
    async with uow_factory() as uow:
        refund = await case.stored(uow)
        claim = await case.open(uow, refund)
        if claim is None:
            return case.result(RefundOutcome.ALREADY, refund, None)
        payment = claim.payment
        assert payment.id is not None
        if refund is None:
            refund = Refund(
                payment_id=payment.id,
                order_id=payment.order_id,
                request_id=case.request_id,
                method=payment.method,
                amount=claim.amount,
                status=RefundStatus.PENDING,
                actor=actor,
                created_at=now,
                note=note,
            )
            try:
                refund.id = await uow.payments.add_refund(refund)
            except DuplicateError:  # another attempt is under way right now
                return case.result(RefundOutcome.RETRY, None, None)
        elif refund.status == RefundStatus.FAILED:
            refund.status, refund.error = RefundStatus.PENDING, None
            refund.note = note or refund.note
            if not await uow.payments.save_refund(refund, expected=RefundStatus.FAILED):
                return case.result(RefundOutcome.RETRY, refund, None)
        elif note and not refund.note:
            refund.note = note
            await uow.payments.save_refund(refund, expected=refund.status)
        if payment.method != PaymentMethod.STARS:
            result = await _finish(uow, case, refund, actor, now)
            await uow.commit()
            return result
        await uow.commit()  # the pending refund is on record before Telegram is asked
    if stars is None or payment.telegram_charge_id is None or claim.customer_id is None:
        return case.result(RefundOutcome.RETRY, refund, "no Stars refunder")
    answer = await stars.refund(claim.customer_id, payment.telegram_charge_id)
    if answer.result in (StarRefundResult.UNAVAILABLE, StarRefundResult.REFUSED):
        log.warning("Stars refund of %s: %s (%s)", case.label, answer.result.value, answer.error)
    if answer.result == StarRefundResult.UNAVAILABLE:
        return case.result(RefundOutcome.RETRY, refund, answer.error)
    now = clock.now()
    async with uow_factory() as uow:
        await case.reload(uow)
        stored = await case.stored(uow)
        if stored is None or stored.status == RefundStatus.DONE:
            return case.result(RefundOutcome.ALREADY, stored, None)
        if answer.result == StarRefundResult.REFUSED:
            stored.status, stored.error = RefundStatus.FAILED, answer.error
            if await uow.payments.save_refund(stored, expected=RefundStatus.PENDING):
                await case.failed(uow, stored, actor, now)
                await uow.commit()
            return case.result(RefundOutcome.FAILED, stored, answer.error)
        result = await _finish(uow, case, stored, actor, now)
        await uow.commit()
    return result


async def _finish(uow: U, case: RefundCase[U, R], refund: Refund, actor: str, now: datetime) -> R:
    """Mark the refund done (compare-and-set), then run what follows."""
    expected = refund.status
    refund.status, refund.completed_at, refund.error = RefundStatus.DONE, now, None
    if not await uow.payments.save_refund(refund, expected=expected):
        return case.result(RefundOutcome.ALREADY, refund, None)
    if not await case.completed(uow, refund, actor, now):
        return case.result(RefundOutcome.ALREADY, refund, None)
    details: dict[str, object] = {
        "refund_id": refund.id,
        "payment_id": refund.payment_id,
        "amount": money_param(refund.amount),
        "method": refund.method.value,
    }
    if refund.request_id is not None:
        details["request_id"] = refund.request_id
    await record(uow, actor, "refund", Target(order_id=refund.order_id), details, at=now)
    journal.note(
        log,
        "refund %s of %s done by %s: %s %s by %s",
        refund.id,
        case.label,
        journal.who(actor),
        refund.amount.to_major(),
        refund.amount.currency,
        refund.method.value,
        event="refunded",
    )
    return case.result(RefundOutcome.DONE, refund, None)


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


class WholePaymentRefund(RefundCase[PaymentsUnitOfWork, RefundResult]):
    """A payment given back whole: it cancels the order it paid (if not shipped yet), the
    order's timeline shows the refund and the customer is told."""

    def __init__(self, payments: Refunding, payment_id: int) -> None:
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


class Refunding(PaymentsBase):
    """The merchant's refund of a payment."""

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
