"""The payments repository and sweep on SQLite and PostgreSQL: a Telegram charge counts once,
refunds are one per payment, the due-row queries honour paused receipts, and two sweeps
running at once expire and remind each order exactly once."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import Order, PaymentMethod
from domain.payments.receiving import PaymentOutcome, TelegramCharge
from domain.payments.records import (
    Payment,
    PaymentStatus,
    ReceiptStatus,
    Refund,
    RefundStatus,
    TransferReceipt,
)
from domain.payments.rules import TIMED_METHODS, PaymentsConfig, invoice_payload
from domain.payments.service import Payments
from domain.reactions import ORDER_FLOW
from domain.shared.clock import FixedClock
from domain.shared.errors import DuplicateError
from domain.shared.money import Money
from storage.db import Database
from storage.tables.orders import OrderEventRow
from storage.tables.outbox import OutboxRow
from storage.tables.payments import PaymentReminderRow
from tests.integration.helpers import (
    T0,
    add_customer,
    count,
    draft,
    make_order,
    product_by_sku,
)

SECRET = b"k" * 32
TIMEOUT = timedelta(minutes=30)


def payments_on(db: Database, clock: FixedClock, batch_size: int = 100) -> Payments:
    config = PaymentsConfig(
        SECRET, TIMEOUT, reminder_after=TIMEOUT / 2, admin_chat_id=-1, batch_size=batch_size
    )
    return Payments(db, clock, config, flow=ORDER_FLOW)  # type: ignore[arg-type]


async def place(
    db: Database,
    product_id: int,
    number: str,
    *,
    method: PaymentMethod = PaymentMethod.CARD,
    created_at: datetime = T0,
    customer_id: int = 7,
) -> Order:
    """An unpaid order holding 2 units, as checkout leaves it."""
    order = replace(
        make_order(customer_id, number, product_id=product_id, created_at=created_at),
        payment_method=method,
    )
    async with db.uow() as uow:
        assert await uow.products.reserve(product_id, 2)
        order.id = await uow.orders.add(order)
        await uow.commit()
    return order


def payment(order_id: int | None, charge: str | None, method: PaymentMethod) -> Payment:
    return Payment(
        order_id=order_id,
        customer_id=7,
        method=method,
        amount=Money(2500, "USD"),
        status=PaymentStatus.APPLIED,
        received_at=T0,
        telegram_charge_id=charge,
        payload={"raw": True},
    )


@pytest.fixture
async def tea(db: Database, seed) -> int:  # type: ignore[no-untyped-def]
    ids = await seed(draft("TEA", stock=100))
    await add_customer(db, 7)
    await add_customer(db, 8, "Ben")
    return int(ids["TEA"])


async def test_a_telegram_charge_id_is_stored_once_and_offline_payments_need_none(
    db: Database, tea: int
) -> None:
    order = await place(db, tea, "AAAA-0001")
    async with db.uow() as uow:
        first = await uow.payments.add(payment(order.id, "tg-1", PaymentMethod.CARD))
        await uow.payments.add(payment(order.id, None, PaymentMethod.CASH_ON_DELIVERY))
        await uow.payments.add(payment(order.id, None, PaymentMethod.BANK_TRANSFER))
        await uow.commit()
    async with db.uow() as uow:
        with pytest.raises(DuplicateError):
            await uow.payments.add(payment(None, "tg-1", PaymentMethod.CARD))
    async with db.uow(readonly=True) as uow:
        stored = await uow.payments.by_charge_id("tg-1")
        assert stored is not None and stored.id == first
        assert stored.payload == {"raw": True} and stored.received_at == T0
        assert len(await uow.payments.for_order(order.id or 0)) == 3


async def test_the_same_payment_reported_twice_at_once_is_applied_once(
    db: Database, tea: int
) -> None:
    clock = FixedClock(T0)
    order = await place(db, tea, "AAAA-0002")
    paying = TelegramCharge(
        customer_id=7,
        currency="USD",
        total_amount=order.total.amount,
        invoice_payload=invoice_payload(SECRET, order),
        telegram_charge_id="tg-race",
        provider_charge_id="prov",
        raw={},
    )

    results = await asyncio.gather(
        payments_on(db, clock).record_telegram_payment(paying),
        payments_on(db, clock).record_telegram_payment(paying),
    )

    assert sorted(r.outcome.value for r in results) == ["applied", "duplicate"]
    product = await product_by_sku(db, "TEA")
    assert (product.stock, product.reserved) == (98, 0)
    async with db.uow(readonly=True) as uow:
        [stored] = await uow.payments.for_order(order.id or 0)
        assert stored.status is PaymentStatus.APPLIED
        saved = await uow.orders.get(order.id or 0)
        assert saved is not None and saved.status == OrderStatus.PAID


async def test_one_refund_per_payment_and_its_status_moves_only_from_the_expected_one(
    db: Database, tea: int
) -> None:
    order = await place(db, tea, "AAAA-0003")
    async with db.uow() as uow:
        payment_id = await uow.payments.add(payment(order.id, "tg-3", PaymentMethod.STARS))
        refund = Refund(
            payment_id=payment_id,
            order_id=order.id,
            method=PaymentMethod.STARS,
            amount=Money(25, "XTR"),
            status=RefundStatus.PENDING,
            actor="admin:1",
            created_at=T0,
        )
        refund.id = await uow.payments.add_refund(refund)
        await uow.commit()
    async with db.uow() as uow:
        with pytest.raises(DuplicateError):
            await uow.payments.add_refund(replace(refund, id=None))
    async with db.uow() as uow:
        done = replace(refund, status=RefundStatus.DONE, completed_at=T0, note="ok")
        assert await uow.payments.save_refund(done, expected=RefundStatus.PENDING)
        assert not await uow.payments.save_refund(done, expected=RefundStatus.PENDING)
        assert await uow.payments.set_status(
            payment_id, PaymentStatus.REFUNDED, PaymentStatus.APPLIED
        )
        assert not await uow.payments.set_status(
            payment_id, PaymentStatus.REFUNDED, PaymentStatus.APPLIED
        )
        await uow.commit()
    async with db.uow(readonly=True) as uow:
        stored = await uow.payments.refund_of(payment_id)
        assert stored is not None
        assert (stored.status, stored.note, stored.completed_at) == (RefundStatus.DONE, "ok", T0)
        assert stored.amount == Money(25, "XTR")


async def test_due_rows_skip_paid_cash_and_reviewed_orders_and_restart_after_rejection(
    db: Database, tea: int
) -> None:
    due = await place(db, tea, "DUE0-0001", method=PaymentMethod.STARS)
    await place(db, tea, "COD0-0001", method=PaymentMethod.CASH_ON_DELIVERY)
    fresh = await place(db, tea, "NEW0-0001", created_at=T0 + timedelta(minutes=45))
    paused = await place(db, tea, "BNK0-0001", method=PaymentMethod.BANK_TRANSFER)
    restarted = await place(db, tea, "BNK0-0002", method=PaymentMethod.BANK_TRANSFER)
    async with db.uow() as uow:
        for order, status, reviewed in (
            (paused, ReceiptStatus.SUBMITTED, None),
            (restarted, ReceiptStatus.REJECTED, T0 + timedelta(minutes=40)),
        ):
            await uow.payments.add_receipt(
                TransferReceipt(
                    order_id=order.id or 0,
                    customer_id=7,
                    file_id="file",
                    status=status,
                    submitted_at=T0,
                    reviewed_at=reviewed,
                )
            )
        await uow.commit()

    async def due_at(minutes: int) -> list[int]:
        async with db.uow() as uow:
            return await uow.payments.due_for_expiry(
                TIMED_METHODS, T0 + timedelta(minutes=minutes) - TIMEOUT, 10
            )

    assert await due_at(30) == [due.id]
    assert await due_at(69) == [due.id]
    assert sorted(await due_at(75)) == sorted([due.id, fresh.id, restarted.id])
    async with db.uow(readonly=True) as uow:
        waiting = await uow.payments.awaiting_transfer(7)
    assert [o.number for o in waiting] == [paused.number, restarted.number]


async def test_two_sweeps_at_once_expire_every_order_once(db: Database, tea: int) -> None:
    clock = FixedClock(T0)
    placed = [await place(db, tea, f"EXP0-{n:04d}") for n in range(12)]
    await place(db, tea, "KEEP-0001", created_at=T0 + TIMEOUT)  # not due: its hold must stay
    clock.advance(minutes=30)

    counts = await asyncio.gather(
        payments_on(db, clock, batch_size=5).expire_due(),
        payments_on(db, clock, batch_size=5).expire_due(),
    )

    assert sum(counts) == 12
    product = await product_by_sku(db, "TEA")
    assert (product.stock, product.reserved) == (100, 2)  # released once each
    async with db.uow(readonly=True) as uow:
        for order in placed:
            saved = await uow.orders.get(order.id or 0)
            assert saved is not None and saved.status == OrderStatus.CANCELLED
    expired_events = select(func.count()).where(OrderEventRow.type == OrderEventType.EXPIRED.value)
    assert await count(db, expired_events) == 12
    notices = select(func.count()).where(OutboxRow.template == "pay.customer.expired")
    assert await count(db, notices) == 12
    assert await payments_on(db, clock).expire_due() == 0


async def test_two_sweeps_at_once_remind_every_order_once(db: Database, tea: int) -> None:
    clock = FixedClock(T0)
    for n in range(9):
        await place(db, tea, f"REM0-{n:04d}", customer_id=7 + n % 2)
    clock.advance(minutes=15)

    counts = await asyncio.gather(
        payments_on(db, clock, batch_size=4).remind_due(),
        payments_on(db, clock, batch_size=4).remind_due(),
    )

    assert sum(counts) == 9
    assert await count(db, select(func.count()).select_from(PaymentReminderRow)) == 9
    reminders = select(func.count()).where(OutboxRow.template == "pay.customer.reminder")
    assert await count(db, reminders) == 9
    reminded = select(func.count()).where(
        OrderEventRow.type == OrderEventType.PAYMENT_REMINDED.value
    )
    assert await count(db, reminded) == 9
    clock.advance(minutes=5)
    assert await payments_on(db, clock).remind_due() == 0
    async with db.uow() as uow:
        assert not await uow.payments.claim_reminder(1, T0)


async def test_a_payment_for_an_order_that_just_expired_is_kept_and_flagged(
    db: Database, tea: int
) -> None:
    clock = FixedClock(T0)
    order = await place(db, tea, "LATE-0001")
    clock.advance(minutes=30)
    await payments_on(db, clock).expire_due()

    result = await payments_on(db, clock).record_telegram_payment(
        TelegramCharge(7, "USD", order.total.amount, invoice_payload(SECRET, order), "tg-l", None)
    )

    assert result.outcome is PaymentOutcome.FLAGGED
    async with db.uow(readonly=True) as uow:
        [stored] = await uow.payments.for_order(order.id or 0)
    assert (stored.status, stored.flag_reason.value if stored.flag_reason else None) == (
        PaymentStatus.FLAGGED,
        "expired",
    )
    product = await product_by_sku(db, "TEA")
    assert (product.stock, product.reserved) == (100, 0)
