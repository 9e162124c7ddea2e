"""Money received: a Telegram payment marks its order paid exactly once (keyed by the charge
id), or is kept and flagged when no order can take it; cash is recorded on delivery."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.orders import transitions as orders
from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import Order, OrderEvent, PaymentMethod
from domain.payments.base import PaymentsBase
from domain.payments.ports import (
    PaymentsUnitOfWork,
)
from domain.payments.records import (
    Payment,
    PaymentStatus,
)
from domain.payments.rules import (
    _FLAG_FOR_REFUSAL,
    FLAG_TEXTS,
    STARS,
    Refusal,
    _closed_refusal,
    payload_matches,
    payload_number,
)
from domain.shared import journal
from domain.shared.customers import Customer, customer_actor, display_name, language_of
from domain.shared.errors import DuplicateError, IllegalTransitionError
from domain.shared.money import Money, money_param
from domain.shared.notifications import Notification

log = logging.getLogger(__name__)


def note_payment(payment: Payment, number: str | None) -> None:
    """One log line for a payment recorded, once its transaction commits."""
    journal.note(
        log,
        "payment %s recorded for order %s: %s %s by %s%s",
        payment.id,
        number or "(none)",
        payment.amount.to_major(),
        payment.amount.currency,
        payment.method.value,
        f", flagged ({payment.flag_reason.value})" if payment.flag_reason else "",
        order=number,
        event="payment_recorded",
    )


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
    note_payment(payment, order.number)
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


async def record_free_payment(uow: PaymentsUnitOfWork, order: Order, event: OrderEvent) -> None:
    """Reaction to PAID (domain/reactions.py): an order with nothing to pay (a code covered
    its total) keeps a payment of 0, so it reads as paid everywhere a payment is looked for
    (the merchant's refund, after-sales) and a refund of it gives back 0."""
    if order.payment_method != PaymentMethod.FREE:
        return
    assert order.id is not None
    payment = Payment(
        order_id=order.id,
        customer_id=order.customer_id,
        method=PaymentMethod.FREE,
        amount=order.total,
        status=PaymentStatus.APPLIED,
        received_at=event.at,
        payload={"nothing_due": True, "promo_code": order.promo_code},
    )
    payment.id = await uow.payments.add(payment)
    note_payment(payment, order.number)


class Receiving(PaymentsBase):
    """Money received."""

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
            note_payment(payment, order.number if order else None)
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
        # An order with a promo code says what the code took off (issue 16).
        promo = (
            {"code": order.promo_code, "discount": money_param(order.discount)}
            if order.promo_code
            else {}
        )
        await uow.outbox.add(
            Notification(
                chat_id=order.customer_id,
                template="pay.customer.receipt_promo" if promo else "pay.customer.receipt",
                params={
                    "number": order.number,
                    "total": money_param(payment.amount),
                    "payment": payment.method.value,
                    "lines": [[line.quantity, line.name] for line in order.lines],
                    "charge": payment.telegram_charge_id or "—",
                    **promo,
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
