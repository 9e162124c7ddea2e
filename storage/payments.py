"""SQLAlchemy repository of the payments feature (uow.payments). It never commits."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import (
    and_,
    exists,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order, PaymentMethod
from domain.payments.records import (
    FlagReason,
    Payment,
    PaymentStatus,
    ReceiptStatus,
    Refund,
    RefundStatus,
    RejectReason,
    TransferReceipt,
)
from domain.shared.errors import DuplicateError
from domain.shared.money import Money
from storage.base import dialect_insert
from storage.orders import SqlOrderRepository
from storage.tables.orders import OrderRow
from storage.tables.payments import PaymentReminderRow, PaymentRow, RefundRow, TransferReceiptRow


def _payment(row: PaymentRow) -> Payment:
    return Payment(
        id=row.id,
        order_id=row.order_id,
        customer_id=row.customer_id,
        method=PaymentMethod(row.method),
        amount=Money(row.amount_minor, row.currency),
        status=PaymentStatus(row.status),
        received_at=row.received_at,
        telegram_charge_id=row.telegram_charge_id,
        provider_charge_id=row.provider_charge_id,
        payload=dict(row.payload or {}),
        flag_reason=FlagReason(row.flag_reason) if row.flag_reason else None,
    )


def _refund(row: RefundRow) -> Refund:
    return Refund(
        id=row.id,
        payment_id=row.payment_id,
        order_id=row.order_id,
        method=PaymentMethod(row.method),
        amount=Money(row.amount_minor, row.currency),
        status=RefundStatus(row.status),
        actor=row.actor,
        created_at=row.created_at,
        note=row.note,
        error=row.error,
        completed_at=row.completed_at,
        request_id=row.request_id,
    )


def _receipt(row: TransferReceiptRow) -> TransferReceipt:
    return TransferReceipt(
        id=row.id,
        order_id=row.order_id,
        customer_id=row.customer_id,
        file_id=row.file_id,
        file_unique_id=row.file_unique_id,
        status=ReceiptStatus(row.status),
        submitted_at=row.submitted_at,
        reviewed_at=row.reviewed_at,
        reviewer=row.reviewer,
        reason=RejectReason(row.reason) if row.reason else None,
    )


class SqlPaymentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # -- payments ----------------------------------------------------------------------------

    async def add(self, payment: Payment) -> int:
        row = PaymentRow(
            order_id=payment.order_id,
            customer_id=payment.customer_id,
            method=payment.method.value,
            amount_minor=payment.amount.amount,
            currency=payment.amount.currency,
            status=payment.status.value,
            flag_reason=payment.flag_reason.value if payment.flag_reason else None,
            telegram_charge_id=payment.telegram_charge_id,
            provider_charge_id=payment.provider_charge_id,
            payload=payment.payload,
            received_at=payment.received_at,
        )
        try:  # in a SAVEPOINT: a refused duplicate leaves the rest of the unit of work intact
            async with self.s.begin_nested():
                self.s.add(row)
        except IntegrityError as exc:
            raise DuplicateError() from exc
        return row.id

    async def get(self, payment_id: int) -> Payment | None:
        row = await self.s.get(PaymentRow, payment_id, populate_existing=True)
        return _payment(row) if row else None

    async def by_charge_id(self, telegram_charge_id: str) -> Payment | None:
        row = await self.s.scalar(
            select(PaymentRow).where(PaymentRow.telegram_charge_id == telegram_charge_id)
        )
        return _payment(row) if row else None

    async def for_order(self, order_id: int) -> list[Payment]:
        rows = await self.s.scalars(
            select(PaymentRow).where(PaymentRow.order_id == order_id).order_by(PaymentRow.id)
        )
        return [_payment(r) for r in rows.all()]

    async def set_status(
        self, payment_id: int, status: PaymentStatus, expected: PaymentStatus
    ) -> bool:
        result = await self.s.execute(
            update(PaymentRow)
            .where(PaymentRow.id == payment_id, PaymentRow.status == expected.value)
            .values(status=status.value)
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # -- refunds -----------------------------------------------------------------------------

    async def add_refund(self, refund: Refund) -> int:
        taken = await (
            self.refund_of(refund.payment_id)
            if refund.request_id is None
            else self.refund_for_request(refund.request_id)
        )
        if taken is not None:
            raise DuplicateError()
        row = RefundRow(
            payment_id=refund.payment_id,
            order_id=refund.order_id,
            request_id=refund.request_id,
            method=refund.method.value,
            amount_minor=refund.amount.amount,
            currency=refund.amount.currency,
            status=refund.status.value,
            actor=refund.actor,
            note=refund.note,
            error=refund.error,
            created_at=refund.created_at,
            completed_at=refund.completed_at,
        )
        try:  # in a SAVEPOINT, as orders.add: the rest of the unit of work stays intact
            async with self.s.begin_nested():
                self.s.add(row)
        except IntegrityError as exc:  # recorded meanwhile by another attempt
            raise DuplicateError() from exc
        return row.id

    async def refund_of(self, payment_id: int) -> Refund | None:
        row = await self.s.scalar(
            select(RefundRow)
            .where(RefundRow.payment_id == payment_id, RefundRow.request_id.is_(None))
            .execution_options(populate_existing=True)
        )
        return _refund(row) if row else None

    async def refund_for_request(self, request_id: int) -> Refund | None:
        row = await self.s.scalar(
            select(RefundRow)
            .where(RefundRow.request_id == request_id)
            .execution_options(populate_existing=True)
        )
        return _refund(row) if row else None

    async def save_refund(self, refund: Refund, expected: RefundStatus) -> bool:
        result = await self.s.execute(
            update(RefundRow)
            .where(RefundRow.id == refund.id, RefundRow.status == expected.value)
            .values(
                status=refund.status.value,
                note=refund.note,
                error=refund.error,
                completed_at=refund.completed_at,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    # -- transfer receipts -------------------------------------------------------------------

    async def add_receipt(self, receipt: TransferReceipt) -> int:
        row = TransferReceiptRow(
            order_id=receipt.order_id,
            customer_id=receipt.customer_id,
            file_id=receipt.file_id,
            file_unique_id=receipt.file_unique_id,
            status=receipt.status.value,
            reason=receipt.reason.value if receipt.reason else None,
            reviewer=receipt.reviewer,
            submitted_at=receipt.submitted_at,
            reviewed_at=receipt.reviewed_at,
        )
        self.s.add(row)
        await self.s.flush()
        return row.id

    async def receipt(self, receipt_id: int) -> TransferReceipt | None:
        row = await self.s.get(TransferReceiptRow, receipt_id, populate_existing=True)
        return _receipt(row) if row else None

    async def receipts_for_order(self, order_id: int) -> list[TransferReceipt]:
        rows = await self.s.scalars(
            select(TransferReceiptRow)
            .where(TransferReceiptRow.order_id == order_id)
            .order_by(TransferReceiptRow.id)
            .execution_options(populate_existing=True)
        )
        return [_receipt(r) for r in rows.all()]

    async def review_receipt(self, receipt: TransferReceipt, expected: ReceiptStatus) -> bool:
        result = await self.s.execute(
            update(TransferReceiptRow)
            .where(
                TransferReceiptRow.id == receipt.id,
                TransferReceiptRow.status == expected.value,
            )
            .values(
                status=receipt.status.value,
                reason=receipt.reason.value if receipt.reason else None,
                reviewer=receipt.reviewer,
                reviewed_at=receipt.reviewed_at,
            )
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def awaiting_transfer(self, customer_id: int) -> list[Order]:
        ids = await self.s.scalars(
            select(OrderRow.id)
            .where(
                OrderRow.customer_id == customer_id,
                OrderRow.status == OrderStatus.PENDING_PAYMENT.value,
                OrderRow.payment_method == PaymentMethod.BANK_TRANSFER.value,
            )
            .order_by(OrderRow.created_at, OrderRow.id)
            .limit(20)
        )
        orders = SqlOrderRepository(self.s)
        found = [await orders.get(order_id) for order_id in ids.all()]
        return [order for order in found if order is not None]

    # -- the payment sweep -------------------------------------------------------------------

    def _due(self, methods: Collection[PaymentMethod], cutoff: datetime) -> list[object]:
        """Unpaid orders whose payment time started at or before `cutoff`."""
        paused_or_restarted = exists().where(
            TransferReceiptRow.order_id == OrderRow.id,
            or_(
                TransferReceiptRow.status == ReceiptStatus.SUBMITTED.value,
                and_(
                    TransferReceiptRow.status == ReceiptStatus.REJECTED.value,
                    TransferReceiptRow.reviewed_at > cutoff,
                ),
            ),
        )
        return [
            OrderRow.status == OrderStatus.PENDING_PAYMENT.value,
            OrderRow.payment_method.in_([m.value for m in methods]),
            OrderRow.created_at <= cutoff,
            ~paused_or_restarted,
        ]

    async def _due_ids(self, where: list[object], limit: int) -> list[int]:
        # SKIP LOCKED (PostgreSQL; nothing on SQLite, whose writers take turns anyway) lets two
        # sweeps at once work on different orders instead of waiting for each other.
        rows = await self.s.scalars(
            select(OrderRow.id)
            .where(*where)  # type: ignore[arg-type]
            .order_by(OrderRow.created_at, OrderRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=OrderRow)
        )
        return list(rows.all())

    async def due_for_expiry(
        self, methods: Collection[PaymentMethod], cutoff: datetime, limit: int
    ) -> list[int]:
        return await self._due_ids(self._due(methods, cutoff), limit)

    async def due_for_reminder(
        self, methods: Collection[PaymentMethod], cutoff: datetime, limit: int
    ) -> list[int]:
        reminded = exists().where(PaymentReminderRow.order_id == OrderRow.id)
        return await self._due_ids([*self._due(methods, cutoff), ~reminded], limit)

    async def claim_reminder(self, order_id: int, at: datetime) -> bool:
        insert = dialect_insert(self.s)
        result = await self.s.execute(
            insert(PaymentReminderRow)
            .values(order_id=order_id, sent_at=at)
            .on_conflict_do_nothing(index_elements=["order_id"])
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]
