"""Bank transfers: the customer's receipt photo, and the merchant's review of it (confirmed:
the order is paid; rejected: the payment time starts again)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.orders import transitions as orders
from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import Order, PaymentMethod
from domain.payments.ports import (
    PaymentsUnitOfWork,
)
from domain.payments.receiving import Receiving, note_payment
from domain.payments.records import (
    Payment,
    PaymentStatus,
    ReceiptStatus,
    RejectReason,
    TransferReceipt,
)
from domain.payments.rules import (
    _FLAG_FOR_REFUSAL,
    _REVIEWED_KEYS,
    REJECT_TEMPLATES,
    PaymentError,
    Refusal,
    _closed_refusal,
    _error,
    _minutes,
    payment_deadline,
)
from domain.shared.audit import Target, record
from domain.shared.customers import customer_actor, display_name, language_of
from domain.shared.errors import IllegalTransitionError, NotFoundError
from domain.shared.money import money_param
from domain.shared.notifications import Notification
from domain.shared.numbers import normalize_order_number


@dataclass
class ReceiptResult:
    """A receipt submitted or reviewed, with its order."""

    receipt: TransferReceipt
    order: Order
    payment: Payment | None = None


class TransferReceipts(Receiving):
    """Bank transfer receipts and their review (a confirmed transfer is money received)."""

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
            note_payment(payment, order.number)
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
            await record(
                uow,
                actor,
                "receipt_confirm",
                Target(order_id=order.id, customer_id=order.customer_id),
                {"number": order.number, "receipt_id": receipt_id, "payment_id": payment.id},
                at=now,
            )
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
            await record(
                uow,
                actor,
                "receipt_reject",
                Target(order_id=order.id, customer_id=order.customer_id),
                {"number": order.number, "receipt_id": receipt_id, "reason": reason.value},
                at=now,
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
