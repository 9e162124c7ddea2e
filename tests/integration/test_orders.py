"""Round trips through the order repository."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import OrderEvent, OrderLine, PaymentMethod
from domain.shared.errors import DuplicateError
from domain.shared.money import Money
from domain.shared.paging import Page
from storage.db import Database
from tests.integration.helpers import CURRENCY, PHONE, T0, add_customer, draft, make_order


@pytest.fixture
async def product_ids(db: Database, seed) -> dict[str, int]:
    ids = await seed(draft("A"), draft("B"))
    await add_customer(db, 1)
    await add_customer(db, 2)
    return ids


async def test_an_order_round_trips_with_its_lines_and_totals(
    db: Database, product_ids: dict[str, int]
) -> None:
    order = make_order(1, "7KQ2-M9XD", product_id=product_ids["A"], token="tok-1")
    order.lines.append(OrderLine(product_ids["B"], "B", "Bee — 蜂", Money(333, CURRENCY), 3))
    async with db.uow() as uow:
        order_id = await uow.orders.add(order)
        await uow.commit()

    async with db.uow(readonly=True) as uow:
        by_number = await uow.orders.get_by_number("7KQ2-M9XD")
        by_id = await uow.orders.get(order_id)
        assert await uow.orders.number_taken("7KQ2-M9XD")
        assert not await uow.orders.number_taken("0000-0000")
        assert await uow.orders.get_by_number("0000-0000") is None
        assert await uow.orders.get(order_id + 100) is None

    assert by_number == by_id
    assert by_number is not None
    order.id = order_id
    assert by_number == order
    assert by_number.subtotal == Money(2 * 1000 + 3 * 333, CURRENCY)
    assert by_number.total == Money(2 * 1000 + 3 * 333 + 500, CURRENCY)
    assert by_number.payment_method is PaymentMethod.BANK_TRANSFER
    assert (by_number.recipient, by_number.phone) == ("Ann Lee", PHONE)


async def test_a_second_order_with_the_same_checkout_token_is_a_duplicate(
    db: Database, product_ids: dict[str, int]
) -> None:
    async with db.uow() as uow:
        await uow.orders.add(make_order(1, "AAAA-0001", product_id=product_ids["A"], token="t"))
        await uow.commit()

    async with db.uow() as uow:
        with pytest.raises(DuplicateError):
            await uow.orders.add(make_order(1, "AAAA-0002", product_id=product_ids["A"], token="t"))

    async with db.uow(readonly=True) as uow:
        assert await uow.orders.get_by_number("AAAA-0002") is None
        assert (await uow.orders.list_for_customer(1, Page(0, 10))).total == 1


async def test_orders_without_a_checkout_token_do_not_collide(
    db: Database, product_ids: dict[str, int]
) -> None:
    async with db.uow() as uow:
        await uow.orders.add(make_order(1, "AAAA-0001", product_id=product_ids["A"]))
        await uow.orders.add(make_order(1, "AAAA-0002", product_id=product_ids["A"]))
        await uow.commit()
    async with db.uow(readonly=True) as uow:
        assert (await uow.orders.list_for_customer(1, Page(0, 10))).total == 2


async def test_list_for_customer_pages_that_customers_orders_newest_first(
    db: Database, product_ids: dict[str, int]
) -> None:
    async with db.uow() as uow:
        for n in (3, 1, 4, 0, 2):  # inserted out of time order
            await uow.orders.add(
                make_order(
                    1,
                    f"AAAA-000{n}",
                    product_id=product_ids["A"],
                    created_at=T0 + timedelta(hours=n),
                )
            )
        await uow.orders.add(
            make_order(
                2, "BBBB-0000", product_id=product_ids["A"], created_at=T0 + timedelta(days=1)
            )
        )
        await uow.commit()

    async with db.uow(readonly=True) as uow:
        pages = [await uow.orders.list_for_customer(1, Page(n, 2)) for n in range(3)]
        empty = await uow.orders.list_for_customer(3, Page(0, 2))

    assert [[o.number for o in p.items] for p in pages] == [
        ["AAAA-0004", "AAAA-0003"],
        ["AAAA-0002", "AAAA-0001"],
        ["AAAA-0000"],
    ]
    assert {p.total for p in pages} == {5}
    assert pages[0].pages == 3
    assert all(len(o.lines) == 1 for p in pages for o in p.items)
    assert (empty.total, empty.items) == (0, [])


async def test_save_status_changes_status_and_updated_at_only(
    db: Database, product_ids: dict[str, int]
) -> None:
    async with db.uow() as uow:
        order_id = await uow.orders.add(make_order(1, "AAAA-0001", product_id=product_ids["A"]))
        await uow.commit()

    async with db.uow() as uow:
        order = await uow.orders.get(order_id)
        assert order is not None
        order.status = OrderStatus.PAID
        order.updated_at = T0 + timedelta(hours=1)
        order.recipient = "not saved by save_status"
        await uow.orders.save_status(order)
        await uow.commit()

    async with db.uow(readonly=True) as uow:
        saved = await uow.orders.get(order_id)
    assert saved is not None
    assert (saved.status, saved.updated_at, saved.created_at) == (
        OrderStatus.PAID,
        T0 + timedelta(hours=1),
        T0,
    )
    assert saved.recipient == "Ann Lee"


async def test_save_status_with_an_expected_status_only_moves_an_order_still_in_it(
    db: Database, product_ids: dict[str, int]
) -> None:
    async with db.uow() as uow:
        order_id = await uow.orders.add(make_order(1, "AAAA-0001", product_id=product_ids["A"]))
        await uow.commit()

    async with db.uow() as uow:
        order = await uow.orders.get(order_id)
        assert order is not None
        order.status = OrderStatus.PAID
        assert await uow.orders.save_status(order, expected=OrderStatus.PENDING_PAYMENT)
        order.status = OrderStatus.CANCELLED
        assert not await uow.orders.save_status(order, expected=OrderStatus.PENDING_PAYMENT)
        await uow.commit()

    async with db.uow(readonly=True) as uow:
        saved = await uow.orders.get(order_id)
    assert saved is not None and saved.status == OrderStatus.PAID


async def test_order_events_come_back_in_time_order(
    db: Database, product_ids: dict[str, int]
) -> None:
    placed = OrderEvent(
        OrderEventType.PLACED, "customer:1", T0, to_status=OrderStatus.PENDING_PAYMENT
    )
    paid = OrderEvent(
        OrderEventType.PAID,
        "admin:9",
        T0 + timedelta(minutes=5),
        from_status=OrderStatus.PENDING_PAYMENT,
        to_status=OrderStatus.PAID,
        note="bank ref 42",
        params={"ref": "42", "amounts": [1, 2]},
    )
    noted = OrderEvent(
        OrderEventType.NOTE_ADDED,
        "admin:9",
        T0 + timedelta(minutes=5),
        note="same instant as paid, added later",
    )
    async with db.uow() as uow:
        order_id = await uow.orders.add(make_order(1, "AAAA-0001", product_id=product_ids["A"]))
        other_id = await uow.orders.add(make_order(1, "AAAA-0002", product_id=product_ids["A"]))
        await uow.orders.add_event(order_id, paid)
        await uow.orders.add_event(other_id, placed)
        await uow.orders.add_event(order_id, placed)
        await uow.orders.add_event(order_id, noted)
        await uow.commit()

    async with db.uow(readonly=True) as uow:
        events = await uow.orders.events(order_id)
        assert await uow.orders.events(other_id + 100) == []
    assert events == [placed, paid, noted]
