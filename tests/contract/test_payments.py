"""Payments, refunds, bank transfer receipts and the payment sweep's queries."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.orders.lifecycle import OrderStatus
from domain.orders.model import PaymentMethod
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
from tests.contract import seed
from tests.contract.seed import Factory, at

BANK, CARD, COD = PaymentMethod.BANK_TRANSFER, PaymentMethod.CARD, PaymentMethod.CASH_ON_DELIVERY


def _payment(order_id: int | None, charge: str | None = None, **fields: object) -> Payment:
    values: dict[str, object] = {
        "order_id": order_id,
        "customer_id": 7,
        "method": CARD,
        "amount": Money(3500, "USD"),
        "status": PaymentStatus.APPLIED,
        "received_at": at(1),
        "telegram_charge_id": charge,
    }
    values.update(fields)
    return Payment(**values)  # type: ignore[arg-type]


async def test_an_added_payment_comes_back_by_id_charge_and_order(uow_factory: Factory) -> None:
    order_id = await seed.order(uow_factory)
    flagged = _payment(
        None,
        "ch-2",
        customer_id=None,
        status=PaymentStatus.FLAGGED,
        flag_reason=FlagReason.UNKNOWN,
        provider_charge_id="pr-2",
        payload={"raw": [1, "x"]},
    )
    async with uow_factory() as uow:
        second = await uow.payments.add(_payment(order_id, "ch-1b"))
        first = await uow.payments.add(_payment(order_id, "ch-1"))
        orphan = await uow.payments.add(flagged)
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert await uow.payments.get(orphan) == replace(flagged, id=orphan)
        assert await uow.payments.by_charge_id("ch-2") == replace(flagged, id=orphan)
        assert await uow.payments.by_charge_id("ch-9") is None
        assert await uow.payments.get(orphan + 1000) is None
        assert [p.id for p in await uow.payments.for_order(order_id)] == [second, first]
        assert await uow.payments.for_order(order_id + 1000) == []


async def test_a_telegram_charge_is_recorded_once(uow_factory: Factory) -> None:
    order_id = await seed.order(uow_factory)
    async with uow_factory() as uow:
        await uow.payments.add(_payment(order_id, "ch-1"))
        await uow.payments.add(_payment(order_id, None, method=BANK))
        await uow.payments.add(_payment(order_id, None, method=BANK))  # no charge id: no clash
        with pytest.raises(DuplicateError):
            await uow.payments.add(_payment(order_id, "ch-1"))


async def test_set_status_compares_and_sets(uow_factory: Factory) -> None:
    order_id = await seed.order(uow_factory)
    async with uow_factory() as uow:
        payment_id = await uow.payments.add(_payment(order_id, "ch-1"))
        refunded, applied = PaymentStatus.REFUNDED, PaymentStatus.APPLIED
        assert not await uow.payments.set_status(payment_id, refunded, PaymentStatus.FLAGGED)
        assert await uow.payments.set_status(payment_id, refunded, applied)
        assert not await uow.payments.set_status(payment_id, refunded, applied)
        assert not await uow.payments.set_status(payment_id + 1000, refunded, applied)
        found = await uow.payments.get(payment_id)
    assert found is not None and found.status == PaymentStatus.REFUNDED


def _refund(payment_id: int, order_id: int | None) -> Refund:
    return Refund(
        payment_id, order_id, CARD, Money(3500, "USD"), RefundStatus.PENDING, "admin:1", at(2)
    )


async def test_a_payment_is_refunded_at_most_once(uow_factory: Factory) -> None:
    order_id = await seed.order(uow_factory)
    async with uow_factory() as uow:
        payment_id = await uow.payments.add(_payment(order_id, "ch-1"))
        other = await uow.payments.add(_payment(None, "ch-2"))
        refund_id = await uow.payments.add_refund(_refund(payment_id, order_id))
        await uow.payments.add_refund(_refund(other, None))
        with pytest.raises(DuplicateError):
            await uow.payments.add_refund(_refund(payment_id, order_id))
    async with uow_factory() as uow:
        payment_id = await uow.payments.add(_payment(order_id, "ch-1"))
        refund_id = await uow.payments.add_refund(_refund(payment_id, order_id))
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert await uow.payments.refund_of(payment_id) == replace(
            _refund(payment_id, order_id), id=refund_id
        )
        assert await uow.payments.refund_of(payment_id + 1000) is None


async def test_save_refund_compares_and_sets_its_outcome(uow_factory: Factory) -> None:
    order_id = await seed.order(uow_factory)
    async with uow_factory() as uow:
        payment_id = await uow.payments.add(_payment(order_id, "ch-1"))
        refund = _refund(payment_id, order_id)
        refund.id = await uow.payments.add_refund(refund)
        done = replace(
            refund,
            status=RefundStatus.DONE,
            note="ok",
            error="none",
            completed_at=at(3),
            actor="someone else",
            amount=Money(1, "EUR"),  # never changed by save_refund
        )
        assert not await uow.payments.save_refund(done, RefundStatus.FAILED)
        assert await uow.payments.save_refund(done, RefundStatus.PENDING)
        assert not await uow.payments.save_refund(done, RefundStatus.PENDING)
        assert not await uow.payments.save_refund(
            replace(done, id=refund.id + 1000), RefundStatus.DONE
        )
        found = await uow.payments.refund_of(payment_id)
    assert found == replace(
        refund, status=RefundStatus.DONE, note="ok", error="none", completed_at=at(3)
    )


def _receipt(order_id: int, minutes: float = 1, **fields: object) -> TransferReceipt:
    values: dict[str, object] = {
        "order_id": order_id,
        "customer_id": 7,
        "file_id": "F1",
        "file_unique_id": "U1",
        "status": ReceiptStatus.SUBMITTED,
        "submitted_at": at(minutes),
    }
    values.update(fields)
    return TransferReceipt(**values)  # type: ignore[arg-type]


async def test_receipts_are_kept_per_order_and_reviewed_once(uow_factory: Factory) -> None:
    order_id = await seed.order(uow_factory)
    other = await seed.order(uow_factory, "A-2")
    async with uow_factory() as uow:
        first = await uow.payments.add_receipt(_receipt(order_id))
        second = await uow.payments.add_receipt(_receipt(order_id, 2, file_unique_id=None))
        await uow.payments.add_receipt(_receipt(other))
        await uow.commit()
    reviewed = replace(
        _receipt(order_id),
        id=first,
        status=ReceiptStatus.REJECTED,
        reason=RejectReason.AMOUNT,
        reviewer="admin:1",
        reviewed_at=at(5),
        file_id="changed",  # the file is never changed
    )
    async with uow_factory() as uow:
        assert not await uow.payments.review_receipt(reviewed, ReceiptStatus.CONFIRMED)
        assert await uow.payments.review_receipt(reviewed, ReceiptStatus.SUBMITTED)
        assert not await uow.payments.review_receipt(reviewed, ReceiptStatus.SUBMITTED)
        ghost = replace(reviewed, id=first + 1000)
        assert not await uow.payments.review_receipt(ghost, ReceiptStatus.SUBMITTED)
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert await uow.payments.receipt(first) == replace(reviewed, file_id="F1")
        assert await uow.payments.receipt(first + 1000) is None
        assert [r.id for r in await uow.payments.receipts_for_order(order_id)] == [first, second]
        assert await uow.payments.receipts_for_order(order_id + 1000) == []


async def test_awaiting_transfer_lists_a_customers_unpaid_bank_orders_oldest_first(
    uow_factory: Factory,
) -> None:
    await seed.order(uow_factory, "A-2", created_at=at(2))
    await seed.order(uow_factory, "A-1", created_at=at(1))
    await seed.order(uow_factory, "A-3", created_at=at(0), method=CARD)
    await seed.order(uow_factory, "A-4", created_at=at(0), status=OrderStatus.PAID)
    await seed.order(uow_factory, "B-1", created_at=at(0), customer_id=8)
    async with uow_factory(readonly=True) as uow:
        found = await uow.payments.awaiting_transfer(7)
    assert [o.number for o in found] == ["A-1", "A-2"]
    assert found[0].lines and found[0].lines[0].quantity == 1


async def test_awaiting_transfer_lists_at_most_twenty_orders(uow_factory: Factory) -> None:
    for n in range(21):
        await seed.order(uow_factory, f"A-{n:02}", created_at=at(n))
    async with uow_factory(readonly=True) as uow:
        found = await uow.payments.awaiting_transfer(7)
    assert [o.number for o in found] == [f"A-{n:02}" for n in range(20)]


async def test_due_for_expiry_takes_unpaid_orders_of_the_methods_placed_by_the_cutoff(
    uow_factory: Factory,
) -> None:
    late = await seed.order(uow_factory, "A-1", created_at=at(5))
    early = await seed.order(uow_factory, "A-2", created_at=at(1))
    await seed.order(uow_factory, "A-3", created_at=at(11))  # after the cutoff
    card = await seed.order(uow_factory, "A-4", created_at=at(2), method=CARD)
    await seed.order(uow_factory, "A-5", created_at=at(0), status=OrderStatus.CANCELLED)
    edge = await seed.order(uow_factory, "A-6", created_at=at(10))
    async with uow_factory() as uow:
        assert await uow.payments.due_for_expiry([BANK], at(10), 10) == [early, late, edge]
        assert await uow.payments.due_for_expiry([BANK, CARD], at(10), 2) == [early, card]
        assert await uow.payments.due_for_expiry([COD], at(10), 10) == []
        assert await uow.payments.due_for_expiry([], at(10), 10) == []


async def test_a_receipt_under_review_pauses_expiry_and_a_late_rejection_restarts_it(
    uow_factory: Factory,
) -> None:
    submitted = await seed.order(uow_factory, "A-1")
    rejected_late = await seed.order(uow_factory, "A-2")
    rejected_early = await seed.order(uow_factory, "A-3")
    confirmed = await seed.order(uow_factory, "A-4")
    plain = await seed.order(uow_factory, "A-5")
    rejected = ReceiptStatus.REJECTED
    async with uow_factory() as uow:
        await uow.payments.add_receipt(_receipt(submitted))
        await uow.payments.add_receipt(_receipt(rejected_late, status=rejected, reviewed_at=at(11)))
        await uow.payments.add_receipt(
            _receipt(rejected_early, status=rejected, reviewed_at=at(10))
        )
        await uow.payments.add_receipt(_receipt(confirmed, status=ReceiptStatus.REPLACED))
        await uow.commit()
    async with uow_factory() as uow:
        due = await uow.payments.due_for_expiry([BANK], at(10), 10)
        reminders = await uow.payments.due_for_reminder([BANK], at(10), 10)
    assert due == reminders == [rejected_early, confirmed, plain]


async def test_a_reminder_is_claimed_once_and_then_no_longer_due(uow_factory: Factory) -> None:
    first = await seed.order(uow_factory, "A-1", created_at=at(1))
    second = await seed.order(uow_factory, "A-2", created_at=at(2))
    async with uow_factory() as uow:
        assert await uow.payments.due_for_reminder([BANK], at(5), 1) == [first]
        assert await uow.payments.claim_reminder(first, at(5))
        assert not await uow.payments.claim_reminder(first, at(6))
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.payments.due_for_reminder([BANK], at(5), 10) == [second]
        assert await uow.payments.due_for_expiry([BANK], at(5), 10) == [first, second]
