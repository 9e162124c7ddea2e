"""Datetimes come back timezone-aware in UTC on every backend, to the microsecond."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import StatementError

from domain.checkout.flow import Checkout, CheckoutStep
from domain.orders.lifecycle import OrderEventType
from domain.orders.model import OrderEvent
from domain.shared.customers import Customer
from storage.db import Database
from storage.tables.customers import CustomerRow
from tests.integration.helpers import add_customer, draft, make_order

PLUS_8 = timezone(timedelta(hours=8))
LOCAL = datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=PLUS_8)  # = 00:30:15.123456 UTC
AS_UTC = datetime(2026, 3, 1, 0, 30, 15, 123456, tzinfo=UTC)


def _is_utc(value: datetime | None) -> bool:
    return value is not None and value.utcoffset() == timedelta(0) and value.tzinfo is UTC


async def test_datetimes_written_in_any_zone_come_back_aware_utc(db: Database, seed) -> None:
    ids = await seed(draft("A"))
    await add_customer(db, 1)
    async with db.uow() as uow:
        order_id = await uow.orders.add(
            make_order(1, "AAAA-0001", product_id=ids["A"], created_at=LOCAL)
        )
        await uow.orders.add_event(order_id, OrderEvent(OrderEventType.PLACED, "c", LOCAL))
        await uow.checkouts.save(Checkout(1, "t", CheckoutStep.REVIEW, updated_at=LOCAL))
        await uow.commit()

    async with db.uow(readonly=True) as uow:
        order = await uow.orders.get(order_id)
        [event] = await uow.orders.events(order_id)
        checkout = await uow.checkouts.get(1)
    assert order is not None and checkout is not None
    for value in (order.created_at, order.updated_at, event.at, checkout.updated_at):
        assert value == AS_UTC
        assert _is_utc(value), repr(value)


async def test_timestamps_set_by_the_repositories_are_aware_utc(db: Database) -> None:
    before = datetime.now(UTC)
    async with db.uow() as uow:
        await uow.customers.upsert(Customer(id=1, first_name="Ann"))
        await uow.commit()
    async with db.uow(readonly=True) as uow:
        row = await uow.session.get(CustomerRow, 1)
        assert row is not None
        created, updated = row.created_at, row.updated_at
    assert _is_utc(created) and _is_utc(updated)
    assert before <= created <= datetime.now(UTC)


async def test_a_naive_datetime_is_refused(db: Database, seed) -> None:
    ids = await seed(draft("A"))
    await add_customer(db, 1)
    async with db.uow() as uow:
        with pytest.raises(StatementError, match="naive datetime"):
            await uow.orders.add(
                make_order(
                    1, "AAAA-0001", product_id=ids["A"], created_at=datetime(2026, 1, 1, 12, 0)
                )
            )
