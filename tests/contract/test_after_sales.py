"""After-sales requests (returns, exchanges, repairs), their refunds, the customers' drafts and
reviews of completed orders."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.after_sales.records import (
    AfterSalesEvent,
    AfterSalesRequest,
    Disposition,
    Draft,
    DraftKind,
    Parcel,
    RequestEventType,
    RequestKind,
    RequestLine,
    RequestStatus,
    ReturnReason,
)
from domain.orders.model import Order, PaymentMethod
from domain.payments.records import Payment, PaymentStatus, Refund, RefundStatus
from domain.reviews.records import Review
from domain.shared.errors import DuplicateError
from domain.shared.money import Money
from domain.shared.paging import Page
from tests.contract import seed
from tests.contract.seed import Factory, at

REQUESTED, APPROVED, DECLINED = (
    RequestStatus.REQUESTED,
    RequestStatus.APPROVED,
    RequestStatus.DECLINED,
)


async def _order(uow_factory: Factory, number: str = "A-1", customer_id: int = 7) -> Order:
    ids = await seed.products(uow_factory, seed.draft("TEA"), seed.draft("CUP"))
    order_id = await seed.order(
        uow_factory, number, customer_id=customer_id, product_ids={ids["TEA"]: 3, ids["CUP"]: 1}
    )
    async with uow_factory(readonly=True) as uow:
        order = await uow.orders.get(order_id)
    assert order is not None
    return order


def _request(
    order: Order,
    number: str,
    minutes: float = 1,
    quantities: tuple[int, ...] = (2,),
    **fields: object,
) -> AfterSalesRequest:
    values: dict[str, object] = {
        "number": number,
        "order_id": order.id,
        "customer_id": order.customer_id,
        "kind": RequestKind.RETURN,
        "status": REQUESTED,
        "reason": ReturnReason.DEFECTIVE,
        "lines": [
            RequestLine(line.id or 0, quantity)
            for line, quantity in zip(order.lines, quantities, strict=False)
        ],
        "created_at": at(minutes),
    }
    values.update(fields)
    return AfterSalesRequest(**values)  # type: ignore[arg-type]


async def _add(uow_factory: Factory, *requests: AfterSalesRequest) -> list[int]:
    async with uow_factory() as uow:
        ids = [await uow.after_sales.add(r) for r in requests]
        await uow.commit()
    return ids


async def _get(uow_factory: Factory, request_id: int) -> AfterSalesRequest:
    async with uow_factory(readonly=True) as uow:
        found = await uow.after_sales.get(request_id)
    assert found is not None
    return found


async def test_an_added_request_comes_back_with_its_lines_described_from_the_order(
    uow_factory: Factory,
) -> None:
    order = await _order(uow_factory)
    asked = _request(
        order, "R-1", quantities=(2, 1), details="Broken", photos=["p1", "p2"], updated_at=at(2)
    )
    [request_id] = await _add(uow_factory, asked)
    tea, cup = order.lines
    expected = replace(
        asked,
        id=request_id,
        order_number="A-1",
        currency="USD",
        lines=[
            RequestLine(tea.id or 0, 2, tea.product_id, tea.sku, tea.name, tea.unit_price),
            RequestLine(cup.id or 0, 1, cup.product_id, cup.sku, cup.name, cup.unit_price),
        ],
    )
    assert await _get(uow_factory, request_id) == expected
    async with uow_factory(readonly=True) as uow:
        assert await uow.after_sales.get_by_number("R-1") == expected
        assert await uow.after_sales.get_by_number("R-2") is None
        assert await uow.after_sales.get(request_id + 1000) is None
        assert await uow.after_sales.number_taken("R-1")
        assert not await uow.after_sales.number_taken("R-2")


async def test_a_request_added_without_a_change_time_was_last_changed_when_made(
    uow_factory: Factory,
) -> None:
    order = await _order(uow_factory)
    [request_id] = await _add(uow_factory, _request(order, "R-1", minutes=3))
    assert (await _get(uow_factory, request_id)).updated_at == at(3)


async def test_add_refuses_a_request_number_that_is_taken(uow_factory: Factory) -> None:
    order = await _order(uow_factory)
    await _add(uow_factory, _request(order, "R-1"))
    with pytest.raises(DuplicateError):
        await _add(uow_factory, _request(order, "R-1"))


async def test_covered_counts_the_units_of_each_line_asked_for_except_declined_requests(
    uow_factory: Factory,
) -> None:
    order = await _order(uow_factory)
    other = await _order(uow_factory, "A-2")
    tea, cup = order.lines
    await _add(
        uow_factory,
        _request(order, "R-1", quantities=(1, 1)),
        _request(order, "R-2", quantities=(1,), status=APPROVED),
        _request(order, "R-3", quantities=(1,), status=DECLINED),
        _request(other, "R-4", quantities=(3,)),
    )
    async with uow_factory() as uow:
        await uow.after_sales.lock_order(order.id or 0)
        assert await uow.after_sales.covered(order.id or 0) == {tea.id: 2, cup.id: 1}
    async with uow_factory(readonly=True) as uow:
        assert await uow.after_sales.covered(12345) == {}


async def test_for_order_lists_its_requests_oldest_first(uow_factory: Factory) -> None:
    order = await _order(uow_factory)
    other = await _order(uow_factory, "A-2")
    late, early, tie, _ = await _add(
        uow_factory,
        _request(order, "R-1", 5),
        _request(order, "R-2", 1),
        _request(order, "R-3", 5),
        _request(other, "R-4", 0),
    )
    async with uow_factory(readonly=True) as uow:
        found = await uow.after_sales.for_order(order.id or 0)
        assert await uow.after_sales.for_order(12345) == []
    assert [r.id for r in found] == [early, late, tie]


async def test_for_customer_pages_their_requests_newest_first(uow_factory: Factory) -> None:
    mine = await _order(uow_factory)
    theirs = await _order(uow_factory, "B-1", customer_id=8)
    await _add(
        uow_factory,
        _request(mine, "R-1", 1),
        _request(mine, "R-2", 3),
        _request(mine, "R-3", 2),
        _request(theirs, "R-4", 9),
    )
    async with uow_factory(readonly=True) as uow:
        first = await uow.after_sales.for_customer(7, Page(0, 2))
        second = await uow.after_sales.for_customer(7, Page(1, 2))
    assert [r.number for r in first.items] == ["R-2", "R-3"]
    assert [r.number for r in second.items] == ["R-1"]
    assert first.total == second.total == 3


async def test_listing_pages_requests_in_the_given_statuses_oldest_first(
    uow_factory: Factory,
) -> None:
    order = await _order(uow_factory)
    await _add(
        uow_factory,
        _request(order, "R-1", 3),
        _request(order, "R-2", 1, status=APPROVED),
        _request(order, "R-3", 2),
        _request(order, "R-4", 0, status=DECLINED),
    )
    async with uow_factory(readonly=True) as uow:
        found = await uow.after_sales.listing([REQUESTED, APPROVED], Page(0, 2))
        rest = await uow.after_sales.listing([REQUESTED, APPROVED], Page(1, 2))
        none = await uow.after_sales.listing([], Page(0, 2))
        counts = await uow.after_sales.count_by_status([REQUESTED, APPROVED, DECLINED])
        open_only = await uow.after_sales.count_by_status([REQUESTED, RequestStatus.GOODS_RECEIVED])
        nothing = await uow.after_sales.count_by_status([])
    assert ([r.number for r in found.items], found.total) == (["R-2", "R-3"], 3)
    assert [r.number for r in rest.items] == ["R-1"]
    assert (none.items, none.total) == ([], 0)
    assert counts == {REQUESTED: 2, APPROVED: 1, DECLINED: 1}
    assert open_only == {REQUESTED: 2}, "only the statuses asked for"
    assert nothing == {}


async def test_save_compares_the_status_and_sets_what_the_steps_fill_in(
    uow_factory: Factory,
) -> None:
    order = await _order(uow_factory)
    [request_id] = await _add(uow_factory, _request(order, "R-1"))
    stored = await _get(uow_factory, request_id)
    received = replace(
        stored,
        status=RequestStatus.GOODS_RECEIVED,
        updated_at=at(9),
        disposition=Disposition.RESTOCK,
        returned=Parcel("ups", "UPS", "1Z1", "https://ups.example/1Z1", at(4)),
        shipped=Parcel("dhl", "DHL", "JD1", None, at(8)),
        decline_reason="no",
        details="changed",  # not a step's field: never saved
        photos=["other"],
    )
    async with uow_factory() as uow:
        assert not await uow.after_sales.save(received, APPROVED)
        assert await uow.after_sales.save(received, REQUESTED)
        assert not await uow.after_sales.save(received, REQUESTED)
        assert not await uow.after_sales.save(replace(received, id=request_id + 1000), REQUESTED)
        await uow.commit()
    assert await _get(uow_factory, request_id) == replace(
        received, details=stored.details, photos=stored.photos
    )


async def test_save_can_clear_what_a_step_filled_in(uow_factory: Factory) -> None:
    order = await _order(uow_factory)
    parcel = Parcel("ups", "UPS", "1Z1", None, at(4))
    [request_id] = await _add(
        uow_factory,
        _request(order, "R-1", returned=parcel, disposition=Disposition.KEEP, decline_reason="x"),
    )
    stored = await _get(uow_factory, request_id)
    assert stored.returned == parcel
    cleared = replace(stored, returned=None, disposition=None, decline_reason=None, updated_at=None)
    async with uow_factory() as uow:
        assert await uow.after_sales.save(cleared, REQUESTED)
        await uow.commit()
    found = await _get(uow_factory, request_id)
    assert (found.returned, found.disposition, found.decline_reason) == (None, None, None)
    assert found.updated_at is not None  # stamped when none is given


async def test_events_of_a_request_come_back_in_time_order(uow_factory: Factory) -> None:
    order = await _order(uow_factory)
    first, second = await _add(uow_factory, _request(order, "R-1"), _request(order, "R-2"))
    asked = AfterSalesEvent(RequestEventType.REQUESTED, "customer", at(1), None, REQUESTED)
    approved = AfterSalesEvent(
        RequestEventType.APPROVED, "admin:1", at(3), REQUESTED, APPROVED, "ok", {"by": [1]}
    )
    sent = AfterSalesEvent(RequestEventType.RETURN_SENT, "customer", at(2))
    async with uow_factory() as uow:
        for event in (asked, approved, sent):
            await uow.after_sales.add_event(first, event)
        await uow.after_sales.add_event(second, asked)
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert await uow.after_sales.events(first) == [asked, sent, approved]
        assert await uow.after_sales.events(first + 1000) == []
    assert (await _get(uow_factory, first)).events == []


async def test_orders_with_open_lists_orders_with_requests_under_way_oldest_first(
    uow_factory: Factory,
) -> None:
    ids = {
        number: await seed.order(uow_factory, number, created_at=at(minutes))
        for number, minutes in [("A-1", 3), ("A-2", 1), ("A-3", 2), ("A-4", 0)]
    }
    async with uow_factory() as uow:
        for number in ("A-1", "A-2", "A-3"):
            await uow.orders.change_after_sales_open(ids[number], 1)
        await uow.orders.change_after_sales_open(ids["A-3"], -1)
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        found = await uow.after_sales.orders_with_open(Page(0, 1))
        rest = await uow.after_sales.orders_with_open(Page(1, 1))
    assert ([o.number for o in found.items], found.total) == (["A-2"], 2)
    assert [o.number for o in rest.items] == ["A-1"]
    assert rest.items[0].after_sales_open == 1


# -- refunds of requests (kept with the payments' refunds) ----------------------------------


async def test_a_request_is_refunded_once_besides_any_refund_of_the_whole_payment(
    uow_factory: Factory,
) -> None:
    order = await _order(uow_factory)
    first, second = await _add(uow_factory, _request(order, "R-1"), _request(order, "R-2"))
    paid = Payment(
        order.id, 7, PaymentMethod.STARS, Money(3500, "XTR"), PaymentStatus.APPLIED, at(0), "ch-1"
    )

    def refund(request_id: int | None, amount: int) -> Refund:
        return Refund(
            payment_id,
            order.id,
            PaymentMethod.STARS,
            Money(amount, "XTR"),
            RefundStatus.PENDING,
            "admin:1",
            at(5),
            request_id=request_id,
        )

    async with uow_factory() as uow:
        payment_id = await uow.payments.add(paid)
        for_first = await uow.payments.add_refund(refund(first, 1000))
        for_second = await uow.payments.add_refund(refund(second, 500))
        whole = await uow.payments.add_refund(refund(None, 2000))
        await uow.commit()
    async with uow_factory() as uow:
        with pytest.raises(DuplicateError):
            await uow.payments.add_refund(refund(first, 1))
    async with uow_factory() as uow:
        with pytest.raises(DuplicateError):
            await uow.payments.add_refund(refund(None, 1))
    async with uow_factory() as uow:
        assert await uow.payments.refund_for_request(first) == replace(
            refund(first, 1000), id=for_first
        )
        assert await uow.payments.refund_for_request(second + 1000) is None
        assert await uow.payments.refund_of(payment_id) == replace(refund(None, 2000), id=whole)
        done = replace(
            refund(second, 500), id=for_second, status=RefundStatus.DONE, completed_at=at(6)
        )
        assert await uow.payments.save_refund(done, RefundStatus.PENDING)
        assert await uow.payments.refund_for_request(second) == done


# -- the customers' drafts -----------------------------------------------------------------


def _draft(customer_id: int = 7, token: str = "t1", **fields: object) -> Draft:
    values: dict[str, object] = {
        "customer_id": customer_id,
        "kind": DraftKind.REQUEST,
        "token": token,
        "step": "lines",
        "data": {"number": "A-1", "lines": {"5": 1}},
        "updated_at": at(1),
    }
    values.update(fields)
    return Draft(**values)  # type: ignore[arg-type]


async def test_a_saved_draft_comes_back_and_saving_again_replaces_it(uow_factory: Factory) -> None:
    await seed.customer(uow_factory, 7)
    async with uow_factory() as uow:
        await uow.after_sales.save_draft(_draft())
        assert await uow.after_sales.get_draft(7) == _draft()
        replaced = _draft(token="t2", kind=DraftKind.REVIEW, step="comment", data={})
        await uow.after_sales.save_draft(replaced)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.after_sales.get_draft(7, for_update=True) == replaced
        assert await uow.after_sales.get_draft(8) is None


async def test_a_draft_saved_without_a_time_is_stamped(uow_factory: Factory) -> None:
    await seed.customer(uow_factory, 7)
    async with uow_factory() as uow:
        await uow.after_sales.save_draft(_draft(updated_at=None))
        found = await uow.after_sales.get_draft(7)
    assert found is not None and found.updated_at is not None


async def test_delete_draft_ends_a_draft_only_when_the_token_matches(uow_factory: Factory) -> None:
    await seed.customer(uow_factory, 7)
    await seed.customer(uow_factory, 8)
    async with uow_factory() as uow:
        await uow.after_sales.save_draft(_draft(7, "t1"))
        await uow.after_sales.save_draft(_draft(8, "t2"))
        assert not await uow.after_sales.delete_draft(7, "stale")
        assert await uow.after_sales.delete_draft(7, "t1")
        assert not await uow.after_sales.delete_draft(7)
        assert await uow.after_sales.delete_draft(8)
        assert await uow.after_sales.get_draft(7) is None


# -- reviews -------------------------------------------------------------------------------


async def test_a_review_is_one_per_order_and_customer_and_saving_again_edits_it(
    uow_factory: Factory,
) -> None:
    order_id = await seed.order(uow_factory)
    other = await seed.order(uow_factory, "A-2")
    first = Review(order_id, 7, 4, at(1), at(1), "Nice")
    async with uow_factory() as uow:
        review_id = await uow.reviews.save(first)
        again = await uow.reviews.save(Review(order_id, 7, 2, at(5), at(6), None))
        other_id = await uow.reviews.save(Review(other, 7, 5, at(2), at(2)))
        await uow.commit()
    assert again == review_id != other_id
    async with uow_factory(readonly=True) as uow:
        found = await uow.reviews.get(order_id, 7)
        assert await uow.reviews.get(order_id, 8) is None
        assert await uow.reviews.get(other + 1000, 7) is None
    # The rating, the comment and the time of the edit change; when it was made does not.
    assert found == Review(order_id, 7, 2, at(1), at(6), None, review_id)


async def test_reviews_list_newest_first_by_product_or_low_rating_and_take_one_reply(
    uow_factory: Factory,
) -> None:
    tea = await seed.product(uow_factory, "TEA")
    cup = await seed.product(uow_factory, "CUP")
    orders = [
        await seed.order(uow_factory, "R-1", product_ids={tea: 1}),
        await seed.order(uow_factory, "R-2", product_ids={tea: 1, cup: 1}),
        await seed.order(uow_factory, "R-3", product_ids={cup: 2}),
    ]
    async with uow_factory() as uow:
        ids = [
            await uow.reviews.save(Review(orders[0], 7, 5, at(1), at(1), "Lovely")),
            await uow.reviews.save(Review(orders[1], 7, 2, at(2), at(2), None)),
            await uow.reviews.save(Review(orders[2], 7, 1, at(3), at(3), "Chipped")),
        ]
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        every, total = await uow.reviews.entries(
            product_id=None, max_rating=None, offset=0, limit=2
        )
        rest, _ = await uow.reviews.entries(product_id=None, max_rating=None, offset=2, limit=2)
        low, low_total = await uow.reviews.entries(product_id=None, max_rating=2, offset=0, limit=5)
        teas, tea_total = await uow.reviews.entries(
            product_id=tea, max_rating=None, offset=0, limit=5
        )
        comments = await uow.reviews.product_comments(cup, 5)
    assert total == 3 and [e.number for e in every + rest] == ["R-3", "R-2", "R-1"]
    assert every[0].comment == "Chipped" and every[0].customer and len(every[1].products) == 2
    assert low_total == 2 and [e.id for e in low] == [ids[2], ids[1]]
    assert tea_total == 2 and [e.number for e in teas] == ["R-2", "R-1"]
    assert [(c.rating, c.comment) for c in comments] == [(1, "Chipped")], "commented ones"

    async with uow_factory() as uow:
        assert await uow.reviews.set_reply(ids[2], "Sorry, a new cup is coming", at(4), "admin:1")
        assert not await uow.reviews.set_reply(ids[2], "Again", at(5), "admin:2"), "once"
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        entry = await uow.reviews.entry(ids[2])
        assert await uow.reviews.entry(ids[2] + 1000) is None
    assert entry is not None and entry.reply == "Sorry, a new cup is coming"
