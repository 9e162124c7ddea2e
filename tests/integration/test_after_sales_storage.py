"""After-sales and review storage on SQLite and PostgreSQL: requests round-trip with their lines,
events, refunds and dialogs; the status is a compare-and-set; the units covered count only
requests that were not declined; two requests racing for the same units cannot both pass;
reviews are one per order and customer, and product cards get their ratings."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any, cast

import pytest

from domain.after_sales.records import (
    AfterSalesError,
    AfterSalesEvent,
    Draft,
    DraftKind,
    RequestEventType,
    RequestKind,
    RequestStatus,
)
from domain.after_sales.service import AfterSales
from domain.after_sales.steps import AfterSalesConfig
from domain.checkout.shop import Shop
from domain.orders.model import PaymentMethod
from domain.payments.records import Payment, PaymentStatus, Refund, RefundStatus
from domain.reactions import ORDER_FLOW
from domain.reviews.records import Review
from domain.shared.clock import FixedClock
from domain.shared.errors import DuplicateError
from domain.shared.money import Money
from domain.shared.paging import Page
from domain.shared.ports import UnitOfWorkFactory
from storage.db import Database
from tests.integration.helpers import (
    ADMIN_CHAT,
    T0,
    GatedUnitOfWork,
    draft,
    until,
    walk_to_review,
)

ADA, BEA = 701, 702


async def delivered(
    db: Database, shop: Shop, product_id: int, quantity: int = 3, customer_id: int = ADA
) -> str:
    """An order of `quantity` units placed by a new customer, shipped and delivered at T0."""
    token = await walk_to_review(shop, customer_id, product_id, quantity)
    order = (await shop.place_order(customer_id, token)).order
    async with db.uow() as uow:
        stored = await uow.orders.get_by_number(order.number)
        assert stored is not None and stored.id is not None
        stored.events = await uow.orders.events(stored.id)
        for trigger in ("ship", "deliver"):
            await ORDER_FLOW.step(uow, stored, trigger, actor="admin:1", at=T0)
        await uow.commit()
    return order.number


def after_sales(uow: Any, clock: FixedClock | None = None) -> AfterSales:
    return AfterSales(
        cast(UnitOfWorkFactory, uow),
        clock or FixedClock(T0 + timedelta(days=1)),
        AfterSalesConfig(admin_chat_id=ADMIN_CHAT),
    )


async def line_id(db: Database, number: str) -> int:
    async with db.uow(readonly=True) as uow:
        order = await uow.orders.get_by_number(number)
    assert order is not None and order.lines[0].id is not None
    return order.lines[0].id


async def test_a_request_round_trips_with_its_lines_events_and_the_order_count(
    db: Database, shop: Shop, seed
) -> None:
    ids = await seed(draft("TEA", price=1250, stock=10))
    number = await delivered(db, shop, ids["TEA"])
    line = await line_id(db, number)

    made = await after_sales(db).request(
        ADA, number, "return", {line: 2}, "damaged", "Crushed tin", ["f1", "f2"]
    )

    async with db.uow(readonly=True) as uow:
        loaded = await uow.after_sales.get(made.id or 0)
        by_number = await uow.after_sales.get_by_number(made.number)
        order = await uow.orders.get_by_number(number)
        covered = await uow.after_sales.covered(order.id or 0)
        events = await uow.after_sales.events(made.id or 0)
        mine = await uow.after_sales.for_customer(ADA, Page(0, 5))
        queue = await uow.after_sales.listing({RequestStatus.REQUESTED}, Page(0, 5))
        counts = await uow.after_sales.count_by_status(list(RequestStatus))
        with_open = await uow.after_sales.orders_with_open(Page(0, 5))
    assert loaded == by_number
    assert loaded is not None and order is not None
    assert (loaded.kind, loaded.status, loaded.order_number) == (
        RequestKind.RETURN,
        RequestStatus.REQUESTED,
        number,
    )
    [covered_line] = loaded.lines
    assert (covered_line.order_line_id, covered_line.quantity, covered_line.sku) == (line, 2, "TEA")
    assert covered_line.unit_price == Money(1250, "USD") and loaded.value == Money(2500, "USD")
    assert (loaded.details, loaded.photos) == ("Crushed tin", ["f1", "f2"])
    assert covered == {line: 2}
    assert [e.type for e in events] == [RequestEventType.REQUESTED]
    assert [r.number for r in mine.items] == [made.number] == [r.number for r in queue.items]
    assert counts == {RequestStatus.REQUESTED: 1}
    assert order.after_sales_open == 1 and [o.number for o in with_open.items] == [number]


async def test_the_status_is_a_compare_and_set_and_declined_units_are_free_again(
    db: Database, shop: Shop, seed
) -> None:
    ids = await seed(draft("TEA", stock=10))
    number = await delivered(db, shop, ids["TEA"])
    line = await line_id(db, number)
    made = await after_sales(db).request(ADA, number, "exchange", {line: 3}, "defect")
    assert made.id is not None

    async with db.uow() as uow:
        request = await uow.after_sales.get(made.id)
        assert request is not None
        request.status = RequestStatus.DECLINED
        request.decline_reason = "worn"
        assert await uow.after_sales.save(request, expected=RequestStatus.REQUESTED)
        assert not await uow.after_sales.save(request, expected=RequestStatus.REQUESTED)
        await uow.after_sales.add_event(
            made.id, AfterSalesEvent(RequestEventType.DECLINED, "admin:1", T0, note="worn")
        )
        order = await uow.orders.get_by_number(number)
        assert order is not None
        assert await uow.after_sales.covered(order.id or 0) == {}
        await uow.commit()

    again = await after_sales(db).request(ADA, number, "repair", {line: 3}, "defect")
    assert again.number != made.number


async def test_refunds_are_one_per_request_and_finish_as_a_compare_and_set(
    db: Database, shop: Shop, seed
) -> None:
    ids = await seed(draft("TEA", stock=10))
    number = await delivered(db, shop, ids["TEA"])
    made = await after_sales(db).request(
        ADA, number, "return", {await line_id(db, number): 1}, "mind"
    )
    assert made.id is not None
    async with db.uow() as uow:
        order = await uow.orders.get_by_number(number)
        assert order is not None and order.id is not None
        payment_id = await uow.payments.add(
            Payment(order.id, ADA, PaymentMethod.CARD, order.total, PaymentStatus.APPLIED, T0)
        )
        refund = Refund(
            payment_id=payment_id,
            order_id=order.id,
            method=PaymentMethod.CARD,
            amount=Money(1000, "USD"),
            status=RefundStatus.PENDING,
            actor="admin:1",
            created_at=T0,
            request_id=made.id,
        )
        refund.id = await uow.payments.add_refund(refund)
        with pytest.raises(DuplicateError):
            await uow.payments.add_refund(refund)
        await uow.commit()
    async with db.uow() as uow:
        refund.status, refund.note, refund.completed_at = RefundStatus.DONE, "ref 1", T0
        assert await uow.payments.save_refund(refund, expected=RefundStatus.PENDING)
        assert not await uow.payments.save_refund(refund, expected=RefundStatus.PENDING)
        stored = await uow.payments.refund_for_request(made.id)
        assert await uow.payments.refund_of(payment_id) is None, "not the whole payment's"
        await uow.commit()
    assert stored == refund


async def test_a_customers_dialog_is_one_row_replaced_and_deleted_by_token(
    db: Database, shop: Shop, seed
) -> None:
    await seed(draft("TEA"))
    await shop.touch_customer(ADA, "Ada", None, "en")
    first = Draft(ADA, DraftKind.REQUEST, "tok1", "kind", {"lines": {"3": 1}}, T0)
    async with db.uow() as uow:
        await uow.after_sales.save_draft(first)
        await uow.after_sales.save_draft(Draft(ADA, DraftKind.REVIEW, "tok2", "comment", {}, T0))
        locked = await uow.after_sales.get_draft(ADA, for_update=True)
        assert not await uow.after_sales.delete_draft(ADA, "tok1")
        await uow.commit()
    assert locked is not None and (locked.kind, locked.token) == (DraftKind.REVIEW, "tok2")
    async with db.uow() as uow:
        assert await uow.after_sales.delete_draft(ADA, "tok2")
        assert await uow.after_sales.get_draft(ADA) is None
        await uow.commit()


async def test_two_requests_racing_for_the_same_units_cannot_both_pass(
    db: Database, shop: Shop, seed, backend: str
) -> None:
    ids = await seed(draft("TEA", stock=10))
    number = await delivered(db, shop, ids["TEA"], quantity=3)
    line = await line_id(db, number)
    arrived = 0

    async def both_read() -> None:
        # Each request stops after counting the units covered, until the other one has too,
        # or until it waits for the order's row lock (the correct outcome on PostgreSQL).
        nonlocal arrived
        arrived += 1
        await until(db, lambda: arrived == 2)

    def gated(*, readonly: bool = False) -> Any:
        return (
            db.uow(readonly=True)
            if readonly
            else GatedUnitOfWork(db, "after_sales.covered", both_read)
        )

    racing = after_sales(gated)
    results = await asyncio.wait_for(
        asyncio.gather(
            racing.request(ADA, number, "return", {line: 2}, "mind"),
            racing.request(ADA, number, "exchange", {line: 2}, "defect"),
            return_exceptions=True,
        ),
        timeout=30,
    )

    refused = [r for r in results if isinstance(r, AfterSalesError)]
    made = [r for r in results if not isinstance(r, BaseException)]
    assert len(made) == 1 and len(refused) == 1, results
    assert refused[0].key == "as.error.already_covered"
    async with db.uow(readonly=True) as uow:
        order = await uow.orders.get_by_number(number)
        assert order is not None
        assert await uow.after_sales.covered(order.id or 0) == {line: 2}
        assert order.after_sales_open == 1
    del backend


async def test_one_review_per_order_and_customer_and_product_cards_get_the_average(
    db: Database, shop: Shop, seed
) -> None:
    ids = await seed(draft("TEA", stock=20), draft("CUP", stock=20))
    first = await delivered(db, shop, ids["TEA"], quantity=1)
    second = await delivered(db, shop, ids["TEA"], quantity=1, customer_id=BEA)
    async with db.uow() as uow:
        for number, rating in ((first, 4), (second, 5)):
            order = await uow.orders.get_by_number(number)
            assert order is not None and order.id is not None
            await uow.reviews.save(Review(order.id, order.customer_id, rating, T0, T0))
        order = await uow.orders.get_by_number(first)
        assert order is not None and order.id is not None
        edited = Review(order.id, ADA, 3, T0, T0 + timedelta(hours=1), "fine")
        same_id = await uow.reviews.save(edited)
        stored = await uow.reviews.get(order.id, ADA)
        await uow.commit()
    assert stored is not None and stored.id == same_id
    assert (stored.rating, stored.comment, stored.created_at) == (3, "fine", T0)
    async with db.uow(readonly=True) as uow:
        tea = await uow.products.get(ids["TEA"])
        cup = await uow.products.get(ids["CUP"])
    assert tea is not None and (tea.rating_count, tea.rating_sum) == (2, 8)
    assert tea.rating_average == 4.0
    assert cup is not None and (cup.rating_count, cup.rating_average) == (0, None)
