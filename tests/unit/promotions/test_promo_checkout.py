"""A promo code at checkout, over the fakes: entered on the review, checked again at Confirm,
redeemed with the order, split over its lines, given back when the order is cancelled."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from domain.after_sales.records import (
    AfterSalesRequest,
    RequestKind,
    RequestLine,
    RequestStatus,
    ReturnReason,
)
from domain.after_sales.refunds import earlier_returns
from domain.after_sales.rules import refund_amount
from domain.catalog.model import Product
from domain.checkout.flow import CheckoutStep
from domain.checkout.shop import Shop
from domain.orders.lifecycle import OrderStatus
from domain.payments.rules import PaymentsConfig
from domain.payments.service import Payments
from domain.promotions.model import PromoCode, PromoKind
from domain.promotions.rules import PromoError, PromoNoLongerAppliesError
from domain.reactions import ORDER_FLOW
from domain.shared.clock import FixedClock
from domain.shared.errors import PriceChangedError
from tests.unit.checkout.test_shop import ADA, BOB, reach_review, usd
from tests.unit.fakes import FakeStore, FakeUnitOfWorkFactory
from tests.unit.payments.test_payments import Buttons, FakeStars


def add_code(store: FakeStore, code: str = "SPRING10", **fields: object) -> PromoCode:
    promo = PromoCode(code=code, kind=PromoKind.PERCENT, value=10, currency="USD")
    for name, value in fields.items():
        setattr(promo, name, value)
    promo.id = store.new_id()
    store.promos[promo.id] = promo
    return promo


async def test_a_typed_code_shows_its_discount_on_the_review(
    shop: Shop, store: FakeStore, tea: Product, mug: Product
) -> None:
    add_code(store, category_ids=(tea.category_id,))
    await shop.add_to_cart(ADA, tea.id, 2)  # 25.00, eligible
    await shop.add_to_cart(ADA, mug.id, 1)  # 8.00, another category
    token = await reach_review(shop)
    asked = await shop.have_code(ADA, token)
    assert asked.checkout.step == CheckoutStep.ENTER_CODE
    view = await shop.give_code(ADA, "  spring10 ")
    assert view.checkout.step == CheckoutStep.REVIEW
    assert view.discount is not None and view.discount.shares == (250, 0)
    assert view.total == usd(2500 + 800 - 250 + 500)
    assert store.checkouts[ADA].draft.promo_code == "SPRING10"


@pytest.mark.parametrize(
    ("fields", "typed", "key"),
    [
        ({}, "WINTER", "promo.error.unknown"),
        ({"paused": True}, "SPRING10", "promo.error.unknown"),
        ({"max_uses": 1, "uses": 1}, "SPRING10", "promo.error.used_up"),
        ({"min_subtotal": 10_000}, "SPRING10", "promo.error.min_subtotal"),
    ],
)
async def test_a_code_that_does_not_apply_is_explained_and_changes_nothing(
    shop: Shop,
    store: FakeStore,
    tea: Product,
    fields: dict[str, object],
    typed: str,
    key: str,
) -> None:
    add_code(store, **fields)
    await shop.add_to_cart(ADA, tea.id, 1)
    token = await reach_review(shop)
    await shop.have_code(ADA, token)
    before = store.snapshot()
    with pytest.raises(PromoError) as refused:
        await shop.give_code(ADA, typed)
    assert refused.value.key == key
    assert store.snapshot() == before
    back = await shop.checkout_back(ADA, token)  # no code after all: the review again
    assert back.checkout.step == CheckoutStep.REVIEW and back.discount is None


async def test_the_order_keeps_the_discount_split_over_its_lines_and_redeems_once(
    shop: Shop, store: FakeStore, tea: Product, mug: Product
) -> None:
    promo = add_code(store, kind=PromoKind.FIXED, value=1000, free_shipping=True, max_uses=5)
    await shop.add_to_cart(ADA, tea.id, 2)
    await shop.add_to_cart(ADA, mug.id, 1)
    token = await reach_review(shop, method="bank")
    await shop.have_code(ADA, token)
    await shop.give_code(ADA, "spring10")
    placed = await shop.place_order(ADA, token)
    again = await shop.place_order(ADA, token)  # a replayed Confirm
    order = placed.order
    assert not again.created and again.order.number == order.number
    assert (order.promo_code, order.discount_minor) == ("SPRING10", 1000)
    # 10.00 over 25.00 and 8.00: 757.57... and 242.42... -> largest remainder
    assert [line.discount_minor for line in order.lines] == [758, 242]
    assert order.shipping == usd(0)
    assert order.total == usd(3300 - 1000)
    assert store.promos[promo.id or 0].uses == 1
    assert len(store.redemptions) == 1


async def test_a_code_used_up_before_confirm_places_nothing_and_requotes(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    promo = add_code(store, max_uses=1)
    await shop.add_to_cart(ADA, tea.id, 2)
    token = await reach_review(shop)
    await shop.have_code(ADA, token)
    await shop.give_code(ADA, "SPRING10")
    store.promos[promo.id or 0].uses = 1  # someone else took the last use meanwhile
    with pytest.raises(PromoNoLongerAppliesError) as lost:
        await shop.place_order(ADA, token)
    assert lost.value.params["reason"] == {"$text": "promo.why.used_up"}
    assert lost.value.params["total"] == {"$money": [2500 + 500, "USD"]}
    assert store.orders == {}
    assert store.checkouts[ADA].draft.promo_code is None
    placed = await shop.place_order(ADA, token)  # confirmed again: at the total shown
    assert placed.order.total == usd(3000) and placed.order.promo_code is None


async def test_an_expired_code_at_confirm_is_explained(
    shop: Shop, store: FakeStore, tea: Product, clock: FixedClock
) -> None:
    add_code(store, valid_until=clock.now() + timedelta(minutes=5))
    await shop.add_to_cart(ADA, tea.id, 1)
    token = await reach_review(shop)
    await shop.have_code(ADA, token)
    await shop.give_code(ADA, "SPRING10")
    clock.advance(minutes=6)
    with pytest.raises(PromoNoLongerAppliesError) as lost:
        await shop.place_order(ADA, token)
    assert lost.value.params["reason"] == {"$text": "promo.why.expired"}
    assert store.orders == {}


async def test_a_cart_changed_after_the_review_requotes_the_discount(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    add_code(store)
    await shop.add_to_cart(ADA, tea.id, 1)
    token = await reach_review(shop)
    await shop.have_code(ADA, token)
    await shop.give_code(ADA, "SPRING10")
    await shop.add_to_cart(ADA, tea.id, 1)  # from /cart, during checkout
    with pytest.raises(PriceChangedError) as changed:
        await shop.place_order(ADA, token)
    assert changed.value.params["total"] == {"$money": [2500 - 250 + 500, "USD"]}
    placed = await shop.place_order(ADA, token)
    assert placed.order.discount_minor == 250


async def test_a_customer_uses_a_code_at_most_as_often_as_allowed(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    add_code(store, max_uses_per_customer=1)
    for _ in range(2):
        await shop.add_to_cart(ADA, tea.id, 1)
        token = await reach_review(shop)
        await shop.have_code(ADA, token)
        if store.redemptions:
            with pytest.raises(PromoError) as refused:
                await shop.give_code(ADA, "SPRING10")
            assert refused.value.key == "promo.error.used_by_you"
            return
        await shop.give_code(ADA, "SPRING10")
        await shop.place_order(ADA, token)
    raise AssertionError("the second checkout took the code again")


async def test_removing_the_code_takes_the_discount_off(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    add_code(store)
    await shop.add_to_cart(ADA, tea.id, 1)
    token = await reach_review(shop)
    await shop.have_code(ADA, token)
    await shop.give_code(ADA, "SPRING10")
    view = await shop.remove_code(ADA, token)
    assert view.discount is None and view.total == usd(1250 + 500)
    placed = await shop.place_order(ADA, token)
    assert placed.order.promo_code is None and store.redemptions == {}


async def test_a_cancelled_order_gives_its_use_back_once(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    promo = add_code(store, max_uses=1)
    await shop.add_to_cart(ADA, tea.id, 1)
    token = await reach_review(shop, method="bank")
    await shop.have_code(ADA, token)
    await shop.give_code(ADA, "SPRING10")
    placed = await shop.place_order(ADA, token)
    assert store.promos[promo.id or 0].uses == 1
    cancelled = await shop.cancel_my_order(ADA, placed.order.number)
    assert cancelled.status == OrderStatus.CANCELLED
    assert store.promos[promo.id or 0].uses == 0
    with pytest.raises(Exception):  # noqa: B017  (cancelled already: refused, nothing more back)
        await shop.cancel_my_order(ADA, placed.order.number)
    assert store.promos[promo.id or 0].uses == 0
    # the use is free again: Bob takes it
    await shop.add_to_cart(BOB, tea.id, 1)
    token = await reach_review(shop, BOB)
    await shop.have_code(BOB, token)
    await shop.give_code(BOB, "SPRING10")
    assert (await shop.place_order(BOB, token)).order.promo_code == "SPRING10"


async def test_a_partial_return_refunds_what_was_paid_for_those_units(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    add_code(store, value=15)
    await shop.add_to_cart(ADA, tea.id, 3)  # 37.50; 15% = 5.625 -> 5.63 (half up)
    token = await reach_review(shop, method="bank")
    await shop.have_code(ADA, token)
    await shop.give_code(ADA, "SPRING10")
    order = (await shop.place_order(ADA, token)).order
    line = order.lines[0]
    assert line.discount_minor == 563
    assert line.id is not None

    def request(units: int) -> AfterSalesRequest:
        return AfterSalesRequest(
            number="R-1",
            order_id=order.id or 0,
            customer_id=ADA,
            kind=RequestKind.RETURN,
            status=RequestStatus.REQUESTED,
            reason=ReturnReason.DEFECTIVE,
            created_at=order.created_at,
            lines=[RequestLine(line.id or 0, units, tea.id, tea.sku, tea.name, tea.price)],
            currency="USD",
        )

    assert refund_amount(request(1), order) == usd(1250 - 187)  # 563 / 3 = 187.67, down
    assert refund_amount(request(2), order) == usd(2500 - 375)
    assert refund_amount(request(3), order) == order.total  # everything: what was paid
    # one unit at a time, over three returns: 187 + 188 + 188 of the discount, 3187 in all,
    # exactly what the three units were paid (37.50 - 5.63)
    assert line.id is not None
    refunds = [refund_amount(request(1), order, {line.id: before}) for before in range(3)]
    assert [r.amount for r in refunds] == [1250 - 187, 1250 - 188, 1250 - 188]
    assert sum(r.amount for r in refunds) == 3750 - 563


async def test_an_expired_order_gives_its_use_back(
    shop: Shop, store: FakeStore, tea: Product, clock: FixedClock
) -> None:
    promo = add_code(store, max_uses=1)
    await shop.add_to_cart(ADA, tea.id, 1)
    token = await reach_review(shop, method="bank")
    await shop.have_code(ADA, token)
    await shop.give_code(ADA, "SPRING10")
    placed = await shop.place_order(ADA, token)
    assert store.promos[promo.id or 0].uses == 1
    payments = Payments(
        shop._uow,  # type: ignore[arg-type]
        clock,
        PaymentsConfig(invoice_secret=b"s" * 32, timeout=timedelta(minutes=30)),
        Buttons(),
        FakeStars(),
        flow=ORDER_FLOW,
    )
    clock.advance(minutes=31)
    assert await payments.expire_due() == 1
    assert store.orders[placed.order.id or 0].status == OrderStatus.CANCELLED
    assert store.promos[promo.id or 0].uses == 0
    assert store.redemptions[placed.order.id or 0].returned
    assert await payments.expire_due() == 0  # nothing more to expire, nothing more back
    assert store.promos[promo.id or 0].uses == 0


async def test_earlier_returns_count_the_units_of_returns_asked_before_and_not_declined(
    shop: Shop, store: FakeStore, tea: Product, uow: FakeUnitOfWorkFactory
) -> None:
    add_code(store, value=15)
    await shop.add_to_cart(ADA, tea.id, 3)
    token = await reach_review(shop, method="bank")
    await shop.have_code(ADA, token)
    await shop.give_code(ADA, "SPRING10")
    order = (await shop.place_order(ADA, token)).order
    line_id = order.lines[0].id or 0

    def request(number: str, status: RequestStatus, kind: RequestKind) -> AfterSalesRequest:
        return AfterSalesRequest(
            number=number,
            order_id=order.id or 0,
            customer_id=ADA,
            kind=kind,
            status=status,
            reason=ReturnReason.DEFECTIVE,
            created_at=order.created_at,
            lines=[RequestLine(line_id, 1, tea.id, tea.sku, tea.name, tea.price)],
            currency="USD",
        )

    async with uow() as work:
        for number, status, kind in [
            ("R-1", RequestStatus.REFUNDED, RequestKind.RETURN),
            ("R-2", RequestStatus.DECLINED, RequestKind.RETURN),  # gave nothing back
            ("R-3", RequestStatus.CLOSED, RequestKind.EXCHANGE),  # not a refund
            ("R-4", RequestStatus.APPROVED, RequestKind.RETURN),  # the one being refunded
        ]:
            await work.after_sales.add(request(number, status, kind))
        await work.commit()
    async with uow(readonly=True) as work:
        latest = await work.after_sales.get_by_number("R-4")
        assert latest is not None
        assert await earlier_returns(work, latest, order) == {line_id: 1}
        plain = replace(order, lines=[replace(order.lines[0], discount_minor=0)])
        assert await earlier_returns(work, latest, plain) == {}  # no discount: nothing read
