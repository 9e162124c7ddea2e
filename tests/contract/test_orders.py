"""Orders, their timeline, the sweeps' queries over them and the back office's listings."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import Order, OrderEvent, PaymentMethod
from domain.shared.errors import DuplicateError
from domain.shared.money import Money
from domain.shared.paging import Page
from tests.contract import seed
from tests.contract.seed import T0, Factory, at, draft, new_order


async def _get(uow_factory: Factory, order_id: int) -> Order:
    async with uow_factory(readonly=True) as uow:
        found = await uow.orders.get(order_id)
    assert found is not None
    return found


async def test_an_added_order_comes_back_with_its_lines_and_totals(uow_factory: Factory) -> None:
    await seed.customer(uow_factory, 7)
    ids = await seed.products(uow_factory, draft("A"), draft("B"))
    placed = new_order("A-1", 7, {ids["A"]: 2, ids["B"]: 1}, method=PaymentMethod.CARD, token="tok")
    async with uow_factory() as uow:
        order_id = await uow.orders.add(placed)
        await uow.commit()
    assert all(line.id is not None for line in placed.lines)  # the stored lines' ids
    found = await _get(uow_factory, order_id)
    assert found == replace(placed, id=order_id, updated_at=T0)
    assert (found.subtotal.amount, found.total.amount) == (3000, 3500)
    async with uow_factory(readonly=True) as uow:
        assert await uow.orders.get_by_number("A-1") == found
        assert await uow.orders.get_by_number("A-2") is None
        assert await uow.orders.get(order_id + 1000) is None
        assert await uow.orders.number_taken("A-1")
        assert not await uow.orders.number_taken("A-2")


async def test_add_keeps_the_time_of_the_last_change_when_given(uow_factory: Factory) -> None:
    order_id = await seed.order(uow_factory)
    product_id = (await _get(uow_factory, order_id)).lines[0].product_id
    async with uow_factory() as uow:
        later = replace(new_order("A-2", 7, {product_id: 1}), updated_at=at(5))
        second = await uow.orders.add(later)
        await uow.commit()
    assert (await _get(uow_factory, second)).updated_at == at(5)


async def test_add_refuses_a_number_that_is_taken(uow_factory: Factory) -> None:
    await seed.order(uow_factory, "A-1")
    with pytest.raises(DuplicateError):
        await seed.order(uow_factory, "A-1")


async def test_add_refuses_a_second_order_from_the_same_checkout(uow_factory: Factory) -> None:
    await seed.order(uow_factory, "A-1", token="tok")
    with pytest.raises(DuplicateError):
        await seed.order(uow_factory, "A-2", token="tok")
    await seed.order(uow_factory, "A-3")
    await seed.order(uow_factory, "A-4")  # orders without a token do not collide


async def test_list_for_customer_pages_their_orders_newest_first(uow_factory: Factory) -> None:
    await seed.order(uow_factory, "A-1", created_at=at(1))
    await seed.order(uow_factory, "A-3", created_at=at(3))
    await seed.order(uow_factory, "A-2", created_at=at(2))
    await seed.order(uow_factory, "A-4", created_at=at(2))
    await seed.order(uow_factory, "B-1", customer_id=8, created_at=at(9))
    async with uow_factory(readonly=True) as uow:
        first = await uow.orders.list_for_customer(7, Page(0, 3))
        second = await uow.orders.list_for_customer(7, Page(1, 3))
        nobody = await uow.orders.list_for_customer(9, Page(0, 3))
    assert [o.number for o in first.items] == ["A-3", "A-4", "A-2"]
    assert [o.number for o in second.items] == ["A-1"]
    assert (first.total, second.total, nobody.total, nobody.items) == (4, 4, 0, [])


async def test_save_status_compares_and_sets(uow_factory: Factory) -> None:
    order_id = await seed.order(uow_factory)
    order = await _get(uow_factory, order_id)
    async with uow_factory() as uow:
        paid = replace(order, status=OrderStatus.PAID, updated_at=at(1))
        assert not await uow.orders.save_status(paid, OrderStatus.CONFIRMED)
        assert await uow.orders.save_status(paid, OrderStatus.PENDING_PAYMENT)
        assert not await uow.orders.save_status(paid, OrderStatus.PENDING_PAYMENT)
        shipped = replace(order, status=OrderStatus.SHIPPED, updated_at=at(2))
        assert await uow.orders.save_status(shipped)  # no expectation: always
        await uow.commit()
    found = await _get(uow_factory, order_id)
    assert (found.status, found.updated_at) == (OrderStatus.SHIPPED, at(2))


async def test_save_status_of_an_unknown_order_changes_nothing(uow_factory: Factory) -> None:
    order_id = await seed.order(uow_factory)
    ghost = replace(await _get(uow_factory, order_id), id=order_id + 1000)
    async with uow_factory() as uow:
        assert not await uow.orders.save_status(ghost)
        assert not await uow.orders.save_status(ghost, OrderStatus.PENDING_PAYMENT)


async def test_save_status_without_a_time_stamps_one(uow_factory: Factory) -> None:
    order_id = await seed.order(uow_factory)
    order = await _get(uow_factory, order_id)
    async with uow_factory() as uow:
        assert await uow.orders.save_status(
            replace(order, status=OrderStatus.PAID, updated_at=None)
        )
        await uow.commit()
    found = await _get(uow_factory, order_id)
    assert found.updated_at is not None and found.updated_at > T0


async def test_events_come_back_in_time_order_with_ties_in_the_order_written(
    uow_factory: Factory,
) -> None:
    order_id = await seed.order(uow_factory)
    other = await seed.order(uow_factory, "A-2")
    placed = OrderEvent(OrderEventType.PLACED, "customer", at(0), None, OrderStatus.PENDING_PAYMENT)
    paid = OrderEvent(
        OrderEventType.PAID,
        "system",
        at(2),
        OrderStatus.PENDING_PAYMENT,
        OrderStatus.PAID,
        note="card",
        params={"amount": 3500, "ids": [1, 2]},
    )
    note_1 = OrderEvent(OrderEventType.NOTE_ADDED, "admin:1", at(1), note="first")
    note_2 = OrderEvent(OrderEventType.NOTE_ADDED, "admin:1", at(1), note="second")
    async with uow_factory() as uow:
        for event in (placed, paid, note_1, note_2):
            await uow.orders.add_event(order_id, event)
        await uow.orders.add_event(other, note_1)
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert await uow.orders.events(order_id) == [placed, note_1, note_2, paid]
        assert await uow.orders.events(other + 1000) == []
    assert (await _get(uow_factory, order_id)).events == []  # get does not load the timeline


async def test_change_after_sales_open_counts_and_never_goes_below_zero(
    uow_factory: Factory,
) -> None:
    order_id = await seed.order(uow_factory)
    async with uow_factory() as uow:
        await uow.orders.change_after_sales_open(order_id, 2)
        await uow.orders.change_after_sales_open(order_id, -1)
        await uow.commit()
    assert (await _get(uow_factory, order_id)).after_sales_open == 1
    async with uow_factory() as uow:
        await uow.orders.change_after_sales_open(order_id, -5)
        await uow.commit()
    assert (await _get(uow_factory, order_id)).after_sales_open == 0


# -- the sweeps --------------------------------------------------------------------------------


async def _delivered(uow_factory: Factory, number: str, *delivered_at: float) -> int:
    order_id = await seed.order(uow_factory, number, status=OrderStatus.DELIVERED)
    async with uow_factory() as uow:
        for minutes in delivered_at:
            event = OrderEvent(OrderEventType.DELIVERED, "carrier", at(minutes))
            await uow.orders.add_event(order_id, event)
        await uow.commit()
    return order_id


async def test_due_for_completion_takes_orders_delivered_long_enough_ago_oldest_first(
    uow_factory: Factory,
) -> None:
    late = await _delivered(uow_factory, "A-1", 5)
    early = await _delivered(uow_factory, "A-2", 1)
    redelivered = await _delivered(uow_factory, "A-3", 0, 20)  # the last delivery counts
    recent = await _delivered(uow_factory, "A-4", 15)
    await _delivered(uow_factory, "A-5")  # no delivery recorded
    disputed = await _delivered(uow_factory, "A-6", 2)
    shipped = await seed.order(uow_factory, "A-7", status=OrderStatus.SHIPPED)
    async with uow_factory() as uow:
        await uow.orders.change_after_sales_open(disputed, 1)
        await uow.orders.add_event(shipped, OrderEvent(OrderEventType.DELIVERED, "x", at(0)))
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.sweeps.due_for_completion(at(10), 10) == [early, late]
        assert await uow.sweeps.due_for_completion(at(5), 1) == [early]
        assert await uow.sweeps.due_for_completion(at(30), 10) == [early, late, recent, redelivered]


async def test_low_stock_lists_active_products_at_or_below_their_threshold_worst_first(
    uow_factory: Factory,
) -> None:
    ids = await seed.products(
        uow_factory,
        draft("OK", stock=10, low_stock_threshold=3),
        draft("EDGE", name="Edge", stock=3, low_stock_threshold=3),
        draft("OUT", name="Out", stock=0, low_stock_threshold=3, category="Coffee"),
        draft("HELD", name="Held", stock=5, low_stock_threshold=3),
        draft("NONE", stock=0, low_stock_threshold=0),
        draft("OFF", stock=0, low_stock_threshold=3, active=False),
        draft("TIE", name="Aaa", stock=3, low_stock_threshold=3),
    )
    async with uow_factory() as uow:
        assert await uow.products.reserve(ids["HELD"], 4)  # 1 available
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        found = await uow.sweeps.low_stock(T0, 10)
        top = await uow.sweeps.low_stock(T0, 2)
    assert [(p.sku, p.category_name) for p, _ in found] == [
        ("OUT", "Coffee"),
        ("HELD", "Tea"),
        ("TIE", "Tea"),
        ("EDGE", "Tea"),
    ]
    assert [p.sku for p, _ in top] == ["OUT", "HELD"]


async def test_low_stock_counts_units_sold_from_the_utc_day_of_a_time_in_orders_not_cancelled(
    uow_factory: Factory,
) -> None:
    ids = await seed.products(
        uow_factory, draft("LOW", stock=2, low_stock_threshold=5), draft("X", stock=50)
    )
    low = ids["LOW"]
    await seed.order(uow_factory, "A-1", product_ids={low: 2, ids["X"]: 1}, created_at=at(1))
    await seed.order(uow_factory, "A-2", product_ids={low: 3}, created_at=at(2))
    # T0 is 12:00 UTC: whole days (the sales rollup's), so 11:00 counts, the day before not
    await seed.order(uow_factory, "A-3", product_ids={low: 4}, created_at=at(-60))
    await seed.order(uow_factory, "A-5", product_ids={low: 16}, created_at=at(-12 * 60 - 1))
    await seed.order(
        uow_factory, "A-4", product_ids={low: 8}, created_at=at(3), status=OrderStatus.CANCELLED
    )
    async with uow_factory(readonly=True) as uow:
        found = await uow.sweeps.low_stock(T0, 10)
    assert [(p.sku, sold) for p, sold in found] == [("LOW", 9)]


async def test_low_stock_uses_the_reorder_point_where_known_and_the_threshold_otherwise(
    uow_factory: Factory,
) -> None:
    ids = await seed.products(
        uow_factory,
        draft("AT-ROP", name="At ROP", stock=8, low_stock_threshold=2),  # ROP 8: low
        draft("ABOVE-ROP", stock=9, low_stock_threshold=2),  # ROP 8: not low
        draft("ROP-WINS", stock=9, low_stock_threshold=20),  # ROP 5 below the threshold
        draft("THR", name="Thr", stock=3, low_stock_threshold=3),  # no ROP: threshold 3
        draft("FORGOT", name="Forgot", stock=4, low_stock_threshold=1),  # ROP forgotten
    )
    async with uow_factory() as uow:
        await uow.products.set_reorder_points(
            {
                ids["AT-ROP"]: (8, 30),
                ids["ABOVE-ROP"]: (8, 30),
                ids["ROP-WINS"]: (5, 10),
                ids["FORGOT"]: (6, 10),
            }
        )
        await uow.products.set_reorder_points({ids["FORGOT"]: None})
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        found = await uow.sweeps.low_stock(T0, 10)
    assert [(p.sku, p.low_mark, p.reorder_quantity) for p, _ in found] == [
        ("AT-ROP", 8, 30),
        ("THR", 3, None),
    ]


# -- the back office -----------------------------------------------------------------------


async def test_backoffice_orders_filters_by_status_and_pages_either_way(
    uow_factory: Factory,
) -> None:
    for minutes, number, status in [
        (1, "A-1", OrderStatus.PAID),
        (3, "A-3", OrderStatus.PAID),
        (2, "A-2", OrderStatus.SHIPPED),
        (2, "A-4", OrderStatus.PAID),
        (0, "A-5", OrderStatus.CANCELLED),
    ]:
        await seed.order(uow_factory, number, created_at=at(minutes), status=status)
    async with uow_factory(readonly=True) as uow:
        paid = OrderStatus.PAID, OrderStatus.SHIPPED
        oldest = await uow.backoffice.orders(paid, Page(0, 3), oldest_first=True)
        newest = await uow.backoffice.orders(paid, Page(0, 3), oldest_first=False)
        rest = await uow.backoffice.orders(paid, Page(1, 3), oldest_first=False)
        every = await uow.backoffice.orders(None, Page(0, 10), oldest_first=True)
        none = await uow.backoffice.orders([], Page(0, 10), oldest_first=True)
        recent = await uow.backoffice.recent_orders(2)
    assert [o.number for o in oldest.items] == ["A-1", "A-2", "A-4"]
    assert [o.number for o in newest.items] == ["A-3", "A-4", "A-2"]
    assert [o.number for o in rest.items] == ["A-1"]
    assert (oldest.total, rest.total, every.total, none.total) == (4, 4, 5, 0)
    assert [o.number for o in every.items] == ["A-5", "A-1", "A-2", "A-4", "A-3"]
    assert [o.number for o in recent] == ["A-3", "A-4"]
    assert recent[0].lines and recent[0].lines[0].quantity == 1


async def test_backoffice_lists_every_product_by_shelf_then_name(uow_factory: Factory) -> None:
    await seed.products(
        uow_factory,
        draft("T2", name="Sencha", category="Tea"),
        draft("C1", name="Mocha", category="Coffee"),
        draft("T1", name="Assam", category="Tea", active=False),
        draft("A1", name="Cup", category="Accessories"),
    )
    async with uow_factory(readonly=True) as uow:
        everything = await uow.backoffice.all_products()
        page = await uow.backoffice.products(Page(1, 2))
    # Shelves in the order they were first imported (their position), not by name.
    assert [(p.category_name, p.sku) for p in everything] == [
        ("Tea", "T1"),
        ("Tea", "T2"),
        ("Coffee", "C1"),
        ("Accessories", "A1"),
    ]
    assert ([p.sku for p in page.items], page.total) == (["C1", "A1"], 4)


async def test_product_id_by_sku_finds_inactive_products_too(uow_factory: Factory) -> None:
    ids = await seed.products(uow_factory, draft("T1", active=False))
    async with uow_factory(readonly=True) as uow:
        assert await uow.backoffice.product_id_by_sku("T1") == ids["T1"]
        assert await uow.backoffice.product_id_by_sku("T9") is None


async def test_update_product_changes_only_the_fields_given(uow_factory: Factory) -> None:
    tea = await seed.product(uow_factory, description="Old", low_stock_threshold=2)
    async with uow_factory() as uow:
        assert await uow.backoffice.update_product(tea, name="New", price=Money(7, "EUR"))
        assert await uow.backoffice.update_product(
            tea, description="", low_stock_threshold=0, active=False, photo_file_id="F"
        )
        assert not await uow.backoffice.update_product(tea + 1000, name="Ghost")
        changed = await uow.products.get(tea)  # seen within the same transaction
        await uow.commit()
    assert changed is not None
    assert (changed.name, changed.price, changed.description) == ("New", Money(7, "EUR"), "")
    assert (changed.low_stock_threshold, changed.active, changed.photo_file_id) == (0, False, "F")


async def test_adjust_stock_never_goes_below_what_is_held(uow_factory: Factory) -> None:
    tea = await seed.product(uow_factory, stock=5, reserved=2)
    async with uow_factory() as uow:
        assert await uow.backoffice.adjust_stock(tea, 4) == 9
        assert await uow.backoffice.adjust_stock(tea, -7) == 2
        assert await uow.backoffice.adjust_stock(tea, -1) is None
        assert await uow.backoffice.adjust_stock(tea + 1000, 1) is None
        product = await uow.products.get(tea)
    assert product is not None and (product.stock, product.reserved) == (2, 2)


async def test_adjust_stock_never_goes_below_zero(uow_factory: Factory) -> None:
    tea = await seed.product(uow_factory, stock=1)
    async with uow_factory() as uow:
        assert await uow.backoffice.adjust_stock(tea, -2) is None
        assert await uow.backoffice.adjust_stock(tea, -1) == 0


async def test_change_after_sales_open_of_an_unknown_order_changes_nothing(
    uow_factory: Factory,
) -> None:
    order_id = await seed.order(uow_factory)
    async with uow_factory() as uow:
        await uow.orders.change_after_sales_open(order_id + 1000, 1)
        await uow.commit()
    assert (await _get(uow_factory, order_id)).after_sales_open == 0
