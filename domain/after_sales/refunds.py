"""Refunds of returns, through the payments feature's one refund path
(domain/payments/refunds.py): a return's refund is a `Refund` of the payment that paid the
order, carrying the request's id (one per request), since a return may give back only part
of a payment. Telegram refunds a Stars charge whole only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from domain.after_sales.ports import AfterSalesUnitOfWork
from domain.after_sales.records import (
    AfterSalesError,
    AfterSalesEvent,
    AfterSalesRequest,
    RequestEventType,
    RequestKind,
    RequestStatus,
)
from domain.after_sales.rules import REFUND_TEXTS, next_status, refund_amount
from domain.after_sales.steps import AfterSalesBase, _load, step, tell_customer
from domain.orders import transitions as orders
from domain.orders.lifecycle import OrderEventType
from domain.orders.model import Order, PaymentMethod
from domain.payments.records import Payment, PaymentStatus, Refund, RefundStatus
from domain.payments.refunds import Claim, RefundCase, RefundOutcome, give_back
from domain.shared.customers import (
    admin_actor,
)
from domain.shared.dialogs import Dialog, DialogKind
from domain.shared.money import Money, money_param

if TYPE_CHECKING:
    pass


@dataclass
class RefundResult:
    """What a refund attempt did (the payments feature's outcomes)."""

    outcome: RefundOutcome
    request: AfterSalesRequest
    refund: Refund | None = None
    error: str | None = None


async def earlier_returns(
    uow: AfterSalesUnitOfWork, request: AfterSalesRequest, order: Order
) -> dict[int, int]:
    """Order line id -> units of the order's returns asked before this one (not declined):
    what their refunds already took of the lines' promo discount shares. Read only for an
    order with a discount."""
    if order.id is None or not any(line.discount_minor for line in order.lines):
        return {}
    units: dict[int, int] = {}
    for other in await uow.after_sales.for_order(order.id):
        if (
            other.id is None
            or request.id is None
            or other.id >= request.id
            or other.kind != RequestKind.RETURN
            or other.status == RequestStatus.DECLINED
        ):
            continue
        for line in other.lines:
            units[line.order_line_id] = units.get(line.order_line_id, 0) + line.quantity
    return units


class RequestRefund(RefundCase[AfterSalesUnitOfWork, RefundResult]):
    """The money of a return given back, through the payment that paid its order: possibly
    part of it (a Stars charge goes back whole only)."""

    def __init__(self, request_id: int) -> None:
        self.request_id = self._id = request_id
        self.label = f"request {request_id}"
        self.request: AfterSalesRequest | None = None
        self.order: Order | None = None
        self.payment: Payment | None = None

    async def open(self, uow: AfterSalesUnitOfWork, refund: Refund | None) -> Claim | None:
        self.request = request = await _load(uow, self._id)
        self.label = request.number
        if refund is not None and refund.status == RefundStatus.DONE:
            return None
        next_status(request.status, request.kind, "refund", request.number)
        self.order = order = await uow.orders.get(request.order_id)
        assert order is not None
        self.payment = payment = await ReturnRefunds._payment(uow, order)
        earlier = await earlier_returns(uow, request, order)
        amount = ReturnRefunds._amount(request, order, payment, earlier)
        return Claim(payment, amount, request.customer_id)

    async def reload(self, uow: AfterSalesUnitOfWork) -> None:
        self.request = request = await _load(uow, self._id)
        self.order = await uow.orders.get(request.order_id)
        assert self.payment is not None and self.payment.id is not None
        self.payment = await uow.payments.get(self.payment.id) or self.payment

    async def failed(
        self, uow: AfterSalesUnitOfWork, refund: Refund, actor: str, now: datetime
    ) -> None:
        await uow.after_sales.add_event(
            self._id,
            AfterSalesEvent(
                RequestEventType.REFUND_FAILED, actor, now, params={"error": refund.error}
            ),
        )

    async def completed(
        self, uow: AfterSalesUnitOfWork, refund: Refund, actor: str, now: datetime
    ) -> bool:
        request, order, payment = self.request, self.order, self.payment
        assert request is not None and order is not None and payment is not None
        await step(
            uow,
            request,
            "refund",
            actor=actor,
            at=now,
            note=refund.note,
            params={"amount": money_param(refund.amount), "method": refund.method.value},
        )
        assert payment.id is not None and order.id is not None
        if refund.amount.amount >= payment.amount.amount:
            await uow.payments.set_status(
                payment.id, PaymentStatus.REFUNDED, expected=PaymentStatus.APPLIED
            )
        await orders.record(
            uow,
            order,
            OrderEventType.REFUNDED,
            actor=actor,
            at=now,
            note=refund.note,
            params={
                "after_sales": request.number,
                "payment_id": payment.id,
                "amount": money_param(refund.amount),
                "method": refund.method.value,
            },
        )
        await tell_customer(
            uow,
            request,
            "as.customer.refunded",
            now,
            total=money_param(refund.amount),
            how={"$text": REFUND_TEXTS[refund.method]},
        )
        return True

    def result(
        self, outcome: RefundOutcome, refund: Refund | None, error: str | None
    ) -> RefundResult:
        assert self.request is not None
        return RefundResult(outcome, self.request, refund, error)


class ReturnRefunds(AfterSalesBase):
    """The merchant refunds a return."""

    @staticmethod
    async def _payment(uow: AfterSalesUnitOfWork, order: Order) -> Payment:
        assert order.id is not None
        for payment in await uow.payments.for_order(order.id):
            if payment.status in (PaymentStatus.APPLIED, PaymentStatus.REFUNDED):
                return payment
        raise AfterSalesError("as.error.no_payment", number=order.number)

    @staticmethod
    def _amount(
        request: AfterSalesRequest,
        order: Order,
        payment: Payment,
        earlier: Mapping[int, int] | None = None,
    ) -> Money:
        if payment.method == PaymentMethod.STARS:
            return payment.amount  # Telegram gives a Stars charge back whole
        amount = refund_amount(request, order, earlier)
        if amount.currency != payment.amount.currency or amount.amount > payment.amount.amount:
            return payment.amount
        return amount

    async def refund_plan(self, request_id: int) -> tuple[AfterSalesRequest, Payment, Money]:
        """What refunding a return would give back, and through which payment."""
        async with self._uow(readonly=True) as uow:
            request = await _load(uow, request_id)
            next_status(request.status, request.kind, "refund", request.number)
            order = await uow.orders.get(request.order_id)
            assert order is not None
            payment = await self._payment(uow, order)
            earlier = await earlier_returns(uow, request, order)
        return request, payment, self._amount(request, order, payment, earlier)

    async def start_refund_note(self, chat_id: int, admin_id: int, request_id: int) -> Dialog:
        """A return paid by card, bank transfer or cash is refunded outside Telegram: the
        merchant's note (e.g. the refund reference) is asked, then the refund is recorded."""
        request, payment, _ = await self.refund_plan(request_id)
        if payment.method == PaymentMethod.STARS:
            raise AfterSalesError("as.error.stale")
        async with self._uow() as uow:
            dialog = Dialog(
                chat_id,
                admin_id,
                DialogKind.AS_REFUND,
                self._tokens(),
                "note",
                {"request_id": request.id, "request": request.number},
                self._clock.now(),
            )
            await uow.dialogs.save(dialog)
            await uow.commit()
        return dialog

    async def refund(self, admin_id: int, request_id: int, note: str | None = None) -> RefundResult:
        """Give the money of a return back, once. Stars go back through Telegram (recorded as
        pending first, so a crash or a lost answer is finished by the next attempt); card, bank
        and cash payments were refunded by the merchant outside Telegram and are recorded with
        their note. The request becomes refunded, the order's timeline shows it and the
        customer is told; a refund of the whole payment marks the payment refunded."""
        case = RequestRefund(request_id)
        return await give_back(
            self._uow, self._clock, self.stars, case, admin_actor(admin_id), note
        )
