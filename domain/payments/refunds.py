"""The one refund path: money of a payment given back, the whole payment (the payments
feature's refund button) or what an after-sales request gives back (a return).

A refund is recorded as pending first; a unique key (one whole-payment refund per payment, one
refund per request) makes a double tap a no-op, and a failed one may be tried again. Card,
bank and cash refunds were made by the merchant outside Telegram: they finish at once, with
the merchant's note. A Stars refund is two units of work around the Telegram call, so a crash
in between leaves a pending refund that the next attempt finishes (Telegram answers "already
refunded" if the money went back). Finishing is a compare-and-set on the refund's status, then
the refunding feature's consequences run in the same unit of work (`RefundCase`).
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from domain.orders.model import PaymentMethod
from domain.payments.ports import PaymentsUnitOfWork, StarRefundResult, StarRefunds
from domain.payments.records import Payment, Refund, RefundStatus
from domain.shared.clock import Clock
from domain.shared.errors import DuplicateError
from domain.shared.money import Money
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
    return case.result(RefundOutcome.DONE, refund, None)
