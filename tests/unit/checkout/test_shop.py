"""The customer use cases (`Shop`) over the fake unit of work: cart, checkout, orders, customers."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from domain.catalog.importing import ProductDraft
from domain.catalog.model import Product
from domain.checkout.flow import CheckoutStep
from domain.checkout.shop import Shop
from domain.checkout.shop_base import ShopConfig
from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import PaymentMethod
from domain.reactions import ORDER_FLOW
from domain.shared.clock import FixedClock
from domain.shared.customers import Customer, Language
from domain.shared.errors import (
    CartEmptyError,
    IllegalTransitionError,
    InvalidInputError,
    InvalidQuantityError,
    NotFoundError,
    NotInCartError,
    OutOfStockError,
    ProductUnavailableError,
    StaleCheckoutError,
)
from domain.shared.money import Money
from domain.shared.numbers import new_order_number
from tests.unit.fakes import FakeStore, FakeUnitOfWorkFactory

ADA = 1001
BOB = 2002
ADMIN_CHAT = -100_500
SHIPPING = Money(500, "USD")


def usd(amount: int) -> Money:
    return Money(amount, "USD")


def make_shop(uow: FakeUnitOfWorkFactory, clock: FixedClock, **config: Any) -> Shop:
    settings: dict[str, Any] = {
        "currency": "USD",
        "shipping_fee": SHIPPING,
        "admin_chat_id": ADMIN_CHAT,
    }
    settings.update(config)
    rng = random.Random(7)
    tokens = (f"tok{n}" for n in itertools.count(1))
    return Shop(
        uow,
        clock,
        ShopConfig(**settings),
        order_numbers=lambda: new_order_number(rng.choice),
        tokens=lambda: next(tokens),
        flow=ORDER_FLOW,
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def uow() -> FakeUnitOfWorkFactory:
    return FakeUnitOfWorkFactory()


@pytest.fixture
def store(uow: FakeUnitOfWorkFactory) -> FakeStore:
    store = uow.store
    store.customers[ADA] = Customer(ADA, "Ada", "ada")
    store.customers[BOB] = Customer(BOB, "Bob")
    return store


@pytest.fixture
def shop(uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore) -> Shop:
    return make_shop(uow, clock)


@pytest.fixture
def tea(store: FakeStore) -> Product:
    return store.add_product("Green tea", usd(1250), stock=10, sku="TEA-1")


@pytest.fixture
def mug(store: FakeStore) -> Product:
    return store.add_product("Mug", usd(800), stock=3, sku="MUG-1", category="Cups")


async def reach_review(shop: Shop, customer_id: int = ADA, method: str = "cod") -> str:
    """Walk a new-address checkout up to the review; returns its token."""
    view = await shop.start_checkout(customer_id)
    token = view.checkout.token
    if view.checkout.step == CheckoutStep.CHOOSE_ADDRESS:
        await shop.new_address(customer_id, token)
    await shop.give_recipient(customer_id, "Ada Lovelace")
    await shop.give_phone(customer_id, "+1 202 555 0143", from_contact=False)
    await shop.give_address(customer_id, "12 Analytical Engine Way, London")
    view = await shop.choose_payment(customer_id, token, method)
    assert view.checkout.step == CheckoutStep.REVIEW
    return token


def cart_of(store: FakeStore, customer_id: int = ADA) -> dict[int, int]:
    return dict(store.cart_lines.get(customer_id, {}))


# -- cart --------------------------------------------------------------------------------------


async def test_adding_to_the_cart_stores_the_quantity(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    change = await shop.add_to_cart(ADA, tea.id, 2)
    assert change.quantity == 2
    assert change.cart.item_count == 2
    assert change.cart.subtotal("USD") == usd(2500)
    assert cart_of(store) == {tea.id: 2}


async def test_adding_again_adds_to_the_line_already_in_the_cart(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    await shop.add_to_cart(ADA, tea.id, 2)
    change = await shop.add_to_cart(ADA, tea.id, 3)
    assert change.quantity == 5
    assert cart_of(store) == {tea.id: 5}


@pytest.mark.parametrize("quantity", [0, -1, 100])
async def test_quantities_outside_one_to_ninety_nine_cannot_be_added(
    shop: Shop, store: FakeStore, tea: Product, quantity: int
) -> None:
    with pytest.raises(InvalidQuantityError):
        await shop.add_to_cart(ADA, tea.id, quantity)
    assert cart_of(store) == {}


async def test_adding_more_than_is_available_is_refused_with_what_is_left(
    shop: Shop, store: FakeStore, mug: Product
) -> None:
    with pytest.raises(OutOfStockError) as caught:
        await shop.add_to_cart(ADA, mug.id, 4)
    assert caught.value.params == {"name": "Mug", "available": 3}
    assert cart_of(store) == {}


async def test_units_held_by_unpaid_orders_are_not_available(shop: Shop, store: FakeStore) -> None:
    held = store.add_product("Rare tea", usd(9900), stock=5, reserved=4)
    with pytest.raises(OutOfStockError) as caught:
        await shop.add_to_cart(ADA, held.id, 2)
    assert caught.value.params["available"] == 1
    assert (await shop.add_to_cart(ADA, held.id, 1)).quantity == 1


async def test_the_cart_total_of_a_product_counts_against_its_stock(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    await shop.add_to_cart(ADA, tea.id, 6)
    with pytest.raises(OutOfStockError):
        await shop.add_to_cart(ADA, tea.id, 5)
    assert cart_of(store) == {tea.id: 6}
    assert (await shop.add_to_cart(ADA, tea.id, 4)).quantity == 10


async def test_the_cart_total_of_a_product_may_not_exceed_ninety_nine(
    shop: Shop, store: FakeStore
) -> None:
    plenty = store.add_product("Tea bags", usd(10), stock=500)
    await shop.add_to_cart(ADA, plenty.id, 60)
    with pytest.raises(InvalidQuantityError):
        await shop.add_to_cart(ADA, plenty.id, 40)
    assert cart_of(store) == {plenty.id: 60}
    assert (await shop.add_to_cart(ADA, plenty.id, 39)).quantity == 99


async def test_an_inactive_or_unknown_product_cannot_be_added(shop: Shop, store: FakeStore) -> None:
    gone = store.add_product("Old tea", usd(100), stock=9, active=False)
    with pytest.raises(ProductUnavailableError):
        await shop.add_to_cart(ADA, gone.id, 1)
    with pytest.raises(ProductUnavailableError):
        await shop.add_to_cart(ADA, 987_654, 1)
    assert cart_of(store) == {}


async def test_carts_are_per_customer(shop: Shop, store: FakeStore, tea: Product) -> None:
    await shop.add_to_cart(ADA, tea.id, 1)
    assert (await shop.cart(BOB)).empty
    assert cart_of(store, BOB) == {}


async def test_raising_and_lowering_a_quantity(shop: Shop, store: FakeStore, tea: Product) -> None:
    await shop.add_to_cart(ADA, tea.id, 2)
    assert (await shop.change_quantity(ADA, tea.id, +1)).quantity == 3
    assert (await shop.change_quantity(ADA, tea.id, -1)).quantity == 2
    assert cart_of(store) == {tea.id: 2}


async def test_lowering_a_quantity_to_zero_removes_the_line(
    shop: Shop, store: FakeStore, tea: Product, mug: Product
) -> None:
    await shop.add_to_cart(ADA, tea.id, 1)
    await shop.add_to_cart(ADA, mug.id, 1)
    change = await shop.change_quantity(ADA, tea.id, -1)
    assert change.quantity == 0
    assert [line.product.id for line in change.cart.lines] == [mug.id]
    assert cart_of(store) == {mug.id: 1}


async def test_raising_a_quantity_beyond_the_stock_is_refused(
    shop: Shop, store: FakeStore, mug: Product
) -> None:
    await shop.add_to_cart(ADA, mug.id, 3)
    with pytest.raises(OutOfStockError):
        await shop.change_quantity(ADA, mug.id, +1)
    assert cart_of(store) == {mug.id: 3}


async def test_a_withdrawn_product_can_only_be_taken_out_of_the_cart(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    await shop.add_to_cart(ADA, tea.id, 1)
    store.products[tea.id].active = False
    with pytest.raises(ProductUnavailableError):
        await shop.change_quantity(ADA, tea.id, +1)
    assert cart_of(store) == {tea.id: 1}
    assert (await shop.change_quantity(ADA, tea.id, -1)).quantity == 0
    assert cart_of(store) == {}


async def test_a_line_above_what_is_left_can_still_be_lowered(
    shop: Shop, store: FakeStore, mug: Product
) -> None:
    await shop.add_to_cart(ADA, mug.id, 3)
    store.products[mug.id].reserved = 2  # others ordered meanwhile; one mug is left
    assert (await shop.change_quantity(ADA, mug.id, -1)).quantity == 2
    assert cart_of(store) == {mug.id: 2}
    with pytest.raises(OutOfStockError):
        await shop.change_quantity(ADA, mug.id, +1)


async def test_changing_a_line_that_is_not_in_the_cart_is_refused(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    with pytest.raises(NotInCartError):
        await shop.change_quantity(ADA, tea.id, +1)
    assert cart_of(store) == {}


async def test_removing_a_line_keeps_the_others(
    shop: Shop, store: FakeStore, tea: Product, mug: Product
) -> None:
    await shop.add_to_cart(ADA, tea.id, 1)
    await shop.add_to_cart(ADA, mug.id, 2)
    change = await shop.remove_from_cart(ADA, tea.id)
    assert [(line.product.id, line.quantity) for line in change.cart.lines] == [(mug.id, 2)]
    assert cart_of(store) == {mug.id: 2}


async def test_removing_a_line_that_is_not_in_the_cart_is_refused(
    shop: Shop, store: FakeStore, tea: Product, mug: Product
) -> None:
    await shop.add_to_cart(ADA, mug.id, 1)
    with pytest.raises(NotInCartError):
        await shop.remove_from_cart(ADA, tea.id)
    assert cart_of(store) == {mug.id: 1}


# -- checkout ----------------------------------------------------------------------------------


async def test_checking_out_an_empty_cart_is_refused(shop: Shop, store: FakeStore) -> None:
    with pytest.raises(CartEmptyError):
        await shop.start_checkout(ADA)
    assert store.checkouts == {}


async def test_checking_out_a_withdrawn_product_is_refused(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    await shop.add_to_cart(ADA, tea.id, 1)
    store.products[tea.id].active = False
    with pytest.raises(ProductUnavailableError):
        await shop.start_checkout(ADA)
    assert store.checkouts == {}


async def test_checking_out_more_than_is_left_is_refused(
    shop: Shop, store: FakeStore, mug: Product
) -> None:
    await shop.add_to_cart(ADA, mug.id, 3)
    store.products[mug.id].reserved = 2
    with pytest.raises(OutOfStockError) as caught:
        await shop.start_checkout(ADA)
    assert caught.value.params == {"name": "Mug", "available": 1}
    assert store.checkouts == {}


async def test_a_first_checkout_starts_with_a_new_address(
    shop: Shop, tea: Product, clock: FixedClock
) -> None:
    await shop.add_to_cart(ADA, tea.id, 2)
    view = await shop.start_checkout(ADA)
    assert view.checkout.step == CheckoutStep.ENTER_RECIPIENT
    assert view.checkout.draft.new_address
    assert view.checkout.updated_at == clock.now()
    assert view.subtotal == usd(2500)
    assert view.total == usd(3000)
    assert view.addresses == []


async def test_each_checkout_step_is_kept_with_what_was_typed(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    await shop.add_to_cart(ADA, tea.id, 1)
    token = (await shop.start_checkout(ADA)).checkout.token
    steps = [
        await shop.give_recipient(ADA, "  Ada   Lovelace "),
        await shop.give_phone(ADA, "+1 202 555 0143", from_contact=False),
        await shop.give_address(ADA, "12 Analytical Engine Way,\nLondon"),
        await shop.choose_payment(ADA, token, "bank"),
    ]
    assert [view.checkout.step for view in steps] == [
        CheckoutStep.ENTER_PHONE,
        CheckoutStep.ENTER_ADDRESS,
        CheckoutStep.CHOOSE_PAYMENT,
        CheckoutStep.REVIEW,
    ]
    stored = store.checkouts[ADA]
    assert stored.step == CheckoutStep.REVIEW
    assert stored.draft.recipient == "Ada Lovelace"
    assert stored.draft.phone == "+12025550143"
    assert stored.draft.address_text == "12 Analytical Engine Way, London"
    assert stored.draft.payment_method is PaymentMethod.BANK_TRANSFER


async def test_bad_input_leaves_the_checkout_where_it_was(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    await shop.add_to_cart(ADA, tea.id, 1)
    await shop.start_checkout(ADA)
    await shop.give_recipient(ADA, "Ada Lovelace")
    with pytest.raises(InvalidInputError):
        await shop.give_phone(ADA, "12ab", from_contact=False)
    assert store.checkouts[ADA].step == CheckoutStep.ENTER_PHONE
    assert store.checkouts[ADA].draft.phone is None


async def test_a_typed_answer_given_the_checkout_it_read_writes_without_reading_it_again(
    shop: Shop, store: FakeStore, uow: FakeUnitOfWorkFactory, clock: FixedClock, tea: Product
) -> None:
    await shop.add_to_cart(ADA, tea.id, 1)
    await shop.start_checkout(ADA)
    read = await shop.checkout_in_progress(ADA)
    assert read is not None and read.step == CheckoutStep.ENTER_RECIPIENT
    clock.advance(seconds=1)
    view = await shop.give_recipient(ADA, "Ada Lovelace", read)
    assert view.checkout.step == CheckoutStep.ENTER_PHONE
    assert store.checkouts[ADA].draft.recipient == "Ada Lovelace"
    assert read.draft.recipient is None, "the caller's checkout stays as it was read"

    # Back to the name: the checkout is at the read's step again, with the same token, but
    # not as it was read (answered and gone back since), so an answer from that read is
    # refused (re-reading it, the answer would have been taken).
    clock.advance(seconds=1)
    await shop.checkout_back(ADA, store.checkouts[ADA].token)
    assert store.checkouts[ADA].step == read.step and store.checkouts[ADA].token == read.token
    with pytest.raises(StaleCheckoutError):
        await shop.give_recipient(ADA, "Someone Else", read)
    assert store.checkouts[ADA].step == CheckoutStep.ENTER_RECIPIENT
    assert store.checkouts[ADA].draft.recipient == "Ada Lovelace"
    phone_read = await shop.checkout_in_progress(ADA)
    with pytest.raises(StaleCheckoutError):  # another customer's checkout is not theirs
        await shop.give_phone(BOB, "+1 202 555 0143", from_contact=False, read=phone_read)


async def test_a_national_phone_number_is_read_in_the_shops_region(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore, tea: Product
) -> None:
    shop = make_shop(uow, clock, phone_region="CN")
    await shop.add_to_cart(ADA, tea.id, 1)
    await shop.start_checkout(ADA)
    await shop.give_recipient(ADA, "李雷")
    view = await shop.give_phone(ADA, "138 0013 8000", from_contact=False)
    assert view.checkout.draft.phone == "+8613800138000"


async def test_typing_while_a_button_step_is_open_is_stale(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    await shop.add_to_cart(ADA, tea.id, 1)
    token = await reach_review(shop)
    with pytest.raises(StaleCheckoutError):
        await shop.give_recipient(ADA, "Someone Else")
    assert store.checkouts[ADA].step == CheckoutStep.REVIEW
    assert store.checkouts[ADA].draft.recipient == "Ada Lovelace"
    assert token == store.checkouts[ADA].token


async def test_typing_without_a_checkout_is_stale(shop: Shop) -> None:
    with pytest.raises(StaleCheckoutError):
        await shop.give_recipient(ADA, "Ada Lovelace")


async def test_placing_an_order_reserves_stock_and_empties_the_cart(
    shop: Shop, store: FakeStore, tea: Product, mug: Product, clock: FixedClock
) -> None:
    await shop.add_to_cart(ADA, tea.id, 2)
    await shop.add_to_cart(ADA, mug.id, 3)
    token = await reach_review(shop)

    placed = await shop.place_order(ADA, token)

    assert placed.created
    order = placed.order
    assert order.id in store.orders
    # Cash on delivery goes on to fulfilment unpaid, in the same transaction.
    assert store.orders[order.id].status == OrderStatus.CONFIRMED
    assert store.product(tea.id).reserved == 2
    assert store.product(mug.id).reserved == 3
    assert store.product(mug.id).available == 0
    assert cart_of(store) == {}
    assert store.checkouts[ADA].step == CheckoutStep.PLACED
    assert store.checkouts[ADA].order_id == order.id
    assert order.subtotal == usd(2 * 1250 + 3 * 800)
    assert order.total == usd(2 * 1250 + 3 * 800 + 500)
    assert (order.recipient, order.phone, order.address_text) == (
        "Ada Lovelace",
        "+12025550143",
        "12 Analytical Engine Way, London",
    )
    assert order.payment_method is PaymentMethod.CASH_ON_DELIVERY
    assert order.checkout_token == token
    assert order.created_at == clock.now()
    event, confirmed = store.order_events[order.id]
    assert event.type == OrderEventType.PLACED
    assert event.actor == f"customer:{ADA}"
    assert event.to_status == OrderStatus.PENDING_PAYMENT
    assert confirmed.type == OrderEventType.CONFIRMED
    assert (confirmed.from_status, confirmed.to_status) == (
        OrderStatus.PENDING_PAYMENT,
        OrderStatus.CONFIRMED,
    )


async def test_the_order_keeps_the_prices_it_was_placed_at(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    await shop.add_to_cart(ADA, tea.id, 2)
    token = await reach_review(shop)
    number = (await shop.place_order(ADA, token)).order.number

    store.products[tea.id].price = usd(9999)
    store.products[tea.id].name = "Green tea (new recipe)"

    order = await shop.my_order(ADA, number)
    (line,) = order.lines
    assert (line.name, line.unit_price, line.quantity) == ("Green tea", usd(1250), 2)
    assert order.total == usd(2500 + 500)


async def test_an_item_sold_out_before_confirmation_leaves_everything_as_it_was(
    shop: Shop, store: FakeStore, uow: FakeUnitOfWorkFactory, tea: Product, mug: Product
) -> None:
    await shop.add_to_cart(ADA, tea.id, 2)  # reserved first, so its hold must be undone
    await shop.add_to_cart(ADA, mug.id, 3)
    token = await reach_review(shop)
    store.products[mug.id].reserved = 2  # meanwhile someone else ordered two mugs
    commits = uow.commits

    with pytest.raises(OutOfStockError) as caught:
        await shop.place_order(ADA, token)

    assert caught.value.params == {"name": "Mug", "available": 1}
    assert uow.commits == commits
    assert store.orders == {}
    assert store.order_events == {}
    assert store.outbox == {}
    assert cart_of(store) == {tea.id: 2, mug.id: 3}
    assert store.product(tea.id).reserved == 0
    assert store.product(mug.id).reserved == 2
    assert store.checkouts[ADA].step == CheckoutStep.REVIEW
    assert store.checkouts[ADA].order_id is None


async def test_a_product_withdrawn_before_confirmation_is_refused(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    await shop.add_to_cart(ADA, tea.id, 2)
    token = await reach_review(shop)
    store.products[tea.id].active = False
    with pytest.raises(ProductUnavailableError):
        await shop.place_order(ADA, token)
    assert store.orders == {}
    assert store.product(tea.id).reserved == 0


async def test_confirming_twice_returns_the_same_order_without_placing_another(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    await shop.add_to_cart(ADA, tea.id, 2)
    token = await reach_review(shop)
    first = await shop.place_order(ADA, token)
    outbox = dict(store.outbox)

    again = await shop.place_order(ADA, token)

    assert not again.created
    assert again.order.id == first.order.id
    assert again.order.number == first.order.number
    assert len(store.orders) == 1
    assert store.product(tea.id).reserved == 2
    assert store.outbox == outbox


async def test_a_confirmation_that_lost_a_race_returns_the_order_already_placed(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    """The second of two concurrent confirmations read the checkout before the first committed:
    it still sees REVIEW and a full cart, and only the unique checkout token stops it."""
    await shop.add_to_cart(ADA, tea.id, 2)
    token = await reach_review(shop)
    placed = await shop.place_order(ADA, token)
    store.checkouts[ADA].step = CheckoutStep.REVIEW  # what the loser read...
    store.cart_lines[ADA] = {tea.id: 2}  # ...before the winner committed

    again = await shop.place_order(ADA, token)

    assert not again.created
    assert again.order.number == placed.order.number
    assert len(store.orders) == 1
    assert store.product(tea.id).reserved == 2  # the loser's reservation was rolled back


async def test_buttons_of_an_earlier_checkout_are_stale(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    await shop.add_to_cart(ADA, tea.id, 1)
    old = await reach_review(shop)
    new = (await shop.start_checkout(ADA)).checkout.token
    assert new != old
    for action in (
        shop.place_order(ADA, old),
        shop.choose_payment(ADA, old, "cod"),
        shop.checkout_back(ADA, old),
        shop.abandon_checkout(ADA, old),
    ):
        with pytest.raises(StaleCheckoutError):
            await action
    assert store.orders == {}
    assert store.checkouts[ADA].step == CheckoutStep.ENTER_RECIPIENT


async def test_confirming_before_the_review_is_stale(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    await shop.add_to_cart(ADA, tea.id, 1)
    token = (await shop.start_checkout(ADA)).checkout.token
    with pytest.raises(StaleCheckoutError):
        await shop.place_order(ADA, token)
    assert store.orders == {}
    assert store.product(tea.id).reserved == 0


async def test_confirming_without_any_checkout_is_stale(shop: Shop) -> None:
    with pytest.raises(StaleCheckoutError):
        await shop.place_order(ADA, "tok1")


async def test_the_merchant_is_alerted_once_per_new_order(
    shop: Shop, store: FakeStore, tea: Product, clock: FixedClock
) -> None:
    await shop.add_to_cart(ADA, tea.id, 2)
    token = await reach_review(shop, method="bank")
    order = (await shop.place_order(ADA, token)).order
    await shop.place_order(ADA, token)

    (entry,) = store.outbox.values()
    alert = entry.notification
    assert alert.chat_id == ADMIN_CHAT
    assert alert.template == "admin.new_order"
    assert alert.dedupe_key == f"admin.new_order:{order.number}"
    assert alert.language is None
    assert alert.params == {
        "number": order.number,
        "customer": "Ada (@ada)",
        "total": {"$money": [3000, "USD"]},
        "lines": [[2, "Green tea"]],
        "payment": "bank",
        "address": "12 Analytical Engine Way, London",
    }
    assert entry.next_attempt_at == clock.now()


async def test_no_alert_is_queued_without_an_admin_chat(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore, tea: Product
) -> None:
    shop = make_shop(uow, clock, admin_chat_id=None)
    await shop.add_to_cart(ADA, tea.id, 1)
    token = await reach_review(shop)
    number = (await shop.place_order(ADA, token)).order.number
    await shop.cancel_my_order(ADA, number)
    assert store.outbox == {}


async def test_a_colliding_order_number_is_drawn_again(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore, tea: Product
) -> None:
    numbers = iter(["AAAA-0001", "AAAA-0001", "AAAA-0002"])
    shop = Shop(
        uow,
        clock,
        ShopConfig("USD", SHIPPING),
        order_numbers=lambda: next(numbers),
        flow=ORDER_FLOW,
    )
    await shop.add_to_cart(ADA, tea.id, 1)
    first = await shop.place_order(ADA, await reach_review(shop))
    await shop.add_to_cart(ADA, tea.id, 1)
    second = await shop.place_order(ADA, await reach_review(shop))
    assert (first.order.number, second.order.number) == ("AAAA-0001", "AAAA-0002")


async def test_a_new_address_is_saved_once_and_offered_on_the_next_checkout(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    await shop.add_to_cart(ADA, tea.id, 1)
    await shop.place_order(ADA, await reach_review(shop))
    (saved,) = store.addresses.values()
    assert (saved.customer_id, saved.recipient, saved.phone, saved.text) == (
        ADA,
        "Ada Lovelace",
        "+12025550143",
        "12 Analytical Engine Way, London",
    )

    await shop.add_to_cart(ADA, tea.id, 1)
    view = await shop.start_checkout(ADA)
    assert view.checkout.step == CheckoutStep.CHOOSE_ADDRESS
    assert not view.checkout.draft.new_address
    assert [a.id for a in view.addresses] == [saved.id]
    token = view.checkout.token
    view = await shop.use_saved_address(ADA, token, saved.id)
    assert view.checkout.step == CheckoutStep.CHOOSE_PAYMENT
    await shop.choose_payment(ADA, token, "cod")
    order = (await shop.place_order(ADA, token)).order

    assert len(store.addresses) == 1
    assert (order.recipient, order.phone, order.address_text) == (
        saved.recipient,
        saved.phone,
        saved.text,
    )


async def test_a_saved_address_is_not_offered_to_another_customer(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    await shop.add_to_cart(ADA, tea.id, 1)
    await shop.place_order(ADA, await reach_review(shop))
    await shop.add_to_cart(BOB, tea.id, 1)
    view = await shop.start_checkout(BOB)
    assert view.checkout.step == CheckoutStep.ENTER_RECIPIENT
    assert view.addresses == []


async def test_delivering_to_someone_elses_address_is_stale(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    await shop.add_to_cart(BOB, tea.id, 1)
    await shop.place_order(BOB, await reach_review(shop, BOB))
    (bobs,) = store.addresses.values()
    await shop.add_to_cart(ADA, tea.id, 1)
    await shop.place_order(ADA, await reach_review(shop, ADA))
    await shop.add_to_cart(ADA, tea.id, 1)
    token = (await shop.start_checkout(ADA)).checkout.token
    assert store.checkouts[ADA].step == CheckoutStep.CHOOSE_ADDRESS

    for address_id in (bobs.id, 999_999):
        with pytest.raises(StaleCheckoutError):
            await shop.use_saved_address(ADA, token, address_id)
    assert store.checkouts[ADA].step == CheckoutStep.CHOOSE_ADDRESS
    assert store.checkouts[ADA].draft.address_id is None


async def test_back_from_payment_returns_to_the_address_just_typed(
    shop: Shop, tea: Product
) -> None:
    await shop.add_to_cart(ADA, tea.id, 1)
    token = await reach_review(shop)
    assert (await shop.checkout_back(ADA, token)).checkout.step == CheckoutStep.CHOOSE_PAYMENT
    assert (await shop.checkout_back(ADA, token)).checkout.step == CheckoutStep.ENTER_ADDRESS


async def test_back_from_payment_returns_to_the_saved_addresses(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    await shop.add_to_cart(ADA, tea.id, 1)
    await shop.place_order(ADA, await reach_review(shop))
    await shop.add_to_cart(ADA, tea.id, 1)
    token = (await shop.start_checkout(ADA)).checkout.token
    (saved,) = store.addresses.values()
    await shop.use_saved_address(ADA, token, saved.id)
    assert (await shop.checkout_back(ADA, token)).checkout.step == CheckoutStep.CHOOSE_ADDRESS
    assert (await shop.checkout_back(ADA, token)).checkout.step == CheckoutStep.ABANDONED


async def test_picking_a_saved_address_after_starting_a_new_one_forgets_the_new_one(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    await shop.add_to_cart(ADA, tea.id, 1)
    await shop.place_order(ADA, await reach_review(shop))
    await shop.add_to_cart(ADA, tea.id, 1)
    token = (await shop.start_checkout(ADA)).checkout.token
    (saved,) = store.addresses.values()
    await shop.new_address(ADA, token)
    assert (await shop.checkout_back(ADA, token)).checkout.step == CheckoutStep.CHOOSE_ADDRESS
    view = await shop.use_saved_address(ADA, token, saved.id)
    assert not view.checkout.draft.new_address
    assert view.checkout.draft.address_id == saved.id
    assert (await shop.checkout_back(ADA, token)).checkout.step == CheckoutStep.CHOOSE_ADDRESS


async def test_back_from_a_first_new_address_leaves_checkout_and_keeps_the_cart(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    await shop.add_to_cart(ADA, tea.id, 3)
    token = (await shop.start_checkout(ADA)).checkout.token
    view = await shop.checkout_back(ADA, token)
    assert view.checkout.step == CheckoutStep.ABANDONED
    assert await shop.current_checkout(ADA) is None
    assert cart_of(store) == {tea.id: 3}


@pytest.mark.parametrize("method", ["card", "", "COD", "bank"])
async def test_an_unknown_or_disabled_payment_method_is_stale(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore, tea: Product, method: str
) -> None:
    shop = make_shop(uow, clock, payment_methods=(PaymentMethod.CASH_ON_DELIVERY,))
    await shop.add_to_cart(ADA, tea.id, 1)
    token = (await shop.start_checkout(ADA)).checkout.token
    await shop.give_recipient(ADA, "Ada Lovelace")
    await shop.give_phone(ADA, "+1 202 555 0143", from_contact=False)
    view = await shop.give_address(ADA, "12 Analytical Engine Way, London")
    assert view.payment_methods == (PaymentMethod.CASH_ON_DELIVERY,)
    with pytest.raises(StaleCheckoutError):
        await shop.choose_payment(ADA, token, method)
    assert store.checkouts[ADA].step == CheckoutStep.CHOOSE_PAYMENT
    assert store.checkouts[ADA].draft.payment_method is None


async def test_abandoning_checkout_keeps_the_cart(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    await shop.add_to_cart(ADA, tea.id, 2)
    token = await reach_review(shop)
    view = await shop.abandon_checkout(ADA, token)
    assert view.checkout.step == CheckoutStep.ABANDONED
    assert cart_of(store) == {tea.id: 2}
    assert await shop.current_checkout(ADA) is None
    with pytest.raises(StaleCheckoutError):
        await shop.place_order(ADA, token)
    assert store.orders == {}


async def test_the_current_checkout_is_offered_again(shop: Shop, tea: Product) -> None:
    await shop.add_to_cart(ADA, tea.id, 2)
    token = await reach_review(shop)
    view = await shop.current_checkout(ADA)
    assert view is not None
    assert (view.checkout.token, view.checkout.step) == (token, CheckoutStep.REVIEW)
    assert view.total == usd(3000)


# -- orders ------------------------------------------------------------------------------------


async def place(shop: Shop, customer_id: int, product: Product, quantity: int) -> str:
    await shop.add_to_cart(customer_id, product.id, quantity)
    token = await reach_review(shop, customer_id)
    return (await shop.place_order(customer_id, token)).order.number


async def test_an_order_can_be_looked_up_as_people_type_it(shop: Shop, tea: Product) -> None:
    number = await place(shop, ADA, tea, 1)
    typed = number.lower().replace("-", " ").replace("0", "o")
    order = await shop.my_order(ADA, typed)
    assert order.number == number
    assert [e.type for e in order.events] == [OrderEventType.PLACED, OrderEventType.CONFIRMED]


@pytest.mark.parametrize("number", ["", "nonsense", "ZZZZ-ZZZZ"])
async def test_an_unknown_order_number_is_not_found(shop: Shop, tea: Product, number: str) -> None:
    await place(shop, ADA, tea, 1)
    with pytest.raises(NotFoundError):
        await shop.my_order(ADA, number)
    with pytest.raises(NotFoundError):
        await shop.cancel_my_order(ADA, number)


async def test_cancelling_an_unpaid_order_releases_its_stock_and_records_the_event(
    shop: Shop, store: FakeStore, tea: Product, mug: Product, clock: FixedClock
) -> None:
    await shop.add_to_cart(ADA, tea.id, 2)
    await shop.add_to_cart(ADA, mug.id, 1)
    order = (await shop.place_order(ADA, await reach_review(shop))).order
    clock.advance(minutes=5)

    cancelled = await shop.cancel_my_order(ADA, order.number)

    assert order.id is not None
    assert cancelled.status == OrderStatus.CANCELLED
    assert store.orders[order.id].status == OrderStatus.CANCELLED
    assert store.orders[order.id].updated_at == clock.now()
    assert store.product(tea.id).reserved == 0
    assert store.product(mug.id).reserved == 0
    placed, _confirmed, event = store.order_events[order.id]
    assert placed.type == OrderEventType.PLACED
    assert event.type == OrderEventType.CANCELLED
    assert (event.from_status, event.to_status) == (
        OrderStatus.CONFIRMED,  # cash on delivery: confirmed at placement, still unpaid
        OrderStatus.CANCELLED,
    )
    assert event.actor == f"customer:{ADA}"
    assert event.at == clock.now()
    assert [e.type for e in cancelled.events] == [
        OrderEventType.PLACED,
        OrderEventType.CONFIRMED,
        OrderEventType.CANCELLED,
    ]


async def test_cancelling_queues_an_alert_for_the_merchant(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    number = await place(shop, ADA, tea, 2)
    await shop.cancel_my_order(ADA, number)
    alerts = {e.notification.template: e.notification for e in store.outbox.values()}
    assert set(alerts) == {"admin.new_order", "admin.order_cancelled"}
    alert = alerts["admin.order_cancelled"]
    assert alert.chat_id == ADMIN_CHAT
    assert alert.dedupe_key == f"admin.order_cancelled:{number}"
    assert alert.params == {
        "number": number,
        "customer": "Ada (@ada)",
        "total": {"$money": [3000, "USD"]},
    }


async def test_another_customers_order_is_not_found(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    number = await place(shop, ADA, tea, 2)
    with pytest.raises(NotFoundError):
        await shop.my_order(BOB, number)
    with pytest.raises(NotFoundError):
        await shop.cancel_my_order(BOB, number)
    (order,) = store.orders.values()
    assert order.status == OrderStatus.CONFIRMED
    assert store.product(tea.id).reserved == 2


async def test_cancelling_twice_is_an_illegal_transition(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    number = await place(shop, ADA, tea, 2)
    await shop.cancel_my_order(ADA, number)
    store.products[tea.id].reserved = 5  # held by other orders: must not be released again
    with pytest.raises(IllegalTransitionError) as caught:
        await shop.cancel_my_order(ADA, number)
    assert caught.value.params == {"status": "cancelled", "action": "cancel"}
    assert store.product(tea.id).reserved == 5
    assert len(next(iter(store.order_events.values()))) == 3  # placed, confirmed, cancelled


async def test_a_paid_order_cannot_be_cancelled_by_the_customer(
    shop: Shop, store: FakeStore, tea: Product
) -> None:
    number = await place(shop, ADA, tea, 2)
    (order,) = store.orders.values()
    order.status = OrderStatus.PAID
    with pytest.raises(IllegalTransitionError):
        await shop.cancel_my_order(ADA, number)
    assert order.status == OrderStatus.PAID
    assert store.product(tea.id).reserved == 2


async def test_my_orders_lists_only_mine_newest_first(
    shop: Shop, tea: Product, clock: FixedClock
) -> None:
    first = await place(shop, ADA, tea, 1)
    clock.advance(hours=1)
    await place(shop, BOB, tea, 1)
    clock.advance(hours=1)
    second = await place(shop, ADA, tea, 1)
    paged = await shop.my_orders(ADA, 0)
    assert [o.number for o in paged.items] == [second, first]
    assert paged.total == 2


# -- customers ---------------------------------------------------------------------------------


async def test_touching_a_new_customer_records_them(
    shop: Shop, store: FakeStore, uow: FakeUnitOfWorkFactory
) -> None:
    customer = await shop.touch_customer(3003, "Cleo", "cleo", "zh-hans")
    assert store.customers[3003] == customer
    assert customer.effective_language == Language.ZH
    assert uow.commits == 1


async def test_a_customer_is_new_only_the_first_time_they_are_seen(
    shop: Shop, clock: FixedClock
) -> None:
    first = await shop.remember_customer(3003, "Cleo", "cleo", "en")
    assert first.new and first.customer.first_name == "Cleo"
    renamed = await shop.remember_customer(3003, "Cleopatra", "cleo", "en")
    assert not renamed.new, "a changed name is written, but the customer is not new"
    assert not (await shop.remember_customer(3003, "Cleopatra", "cleo", "en")).new
    clock.advance(seconds=61)  # read again from the database
    assert not (await shop.remember_customer(3003, "Cleopatra", "cleo", "en")).new


async def test_touching_an_unchanged_customer_writes_nothing(
    shop: Shop, uow: FakeUnitOfWorkFactory
) -> None:
    await shop.touch_customer(3003, "Cleo", "cleo", "en")
    commits, opened = uow.commits, len(uow.opened)
    for _ in range(3):
        await shop.touch_customer(3003, "Cleo", "cleo", "en")
    assert uow.commits == commits
    assert len(uow.opened) == opened, "a customer seen moments ago needs no database trip"


async def test_a_remembered_customer_is_read_again_after_a_minute(
    shop: Shop, store: FakeStore, uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    await shop.touch_customer(3003, "Cleo", "cleo", "en")
    async with uow() as work:  # another bot process changed the language meanwhile
        await work.customers.set_language(3003, "zh")
        await work.commit()
    assert (await shop.touch_customer(3003, "Cleo", "cleo", "en")).language is None
    clock.advance(seconds=61)
    refreshed = await shop.touch_customer(3003, "Cleo", "cleo", "en")
    assert refreshed.language == Language.ZH


@pytest.mark.parametrize(
    "changed",
    [
        ("Cleopatra", "cleo", "en"),
        ("Cleo", None, "en"),
        ("Cleo", "cleo", "zh"),
        ("Cleo", "cleo", None),
    ],
)
async def test_touching_a_customer_who_changed_writes_once(
    shop: Shop,
    store: FakeStore,
    uow: FakeUnitOfWorkFactory,
    changed: tuple[str, str | None, str | None],
) -> None:
    await shop.touch_customer(3003, "Cleo", "cleo", "en")
    commits = uow.commits
    await shop.touch_customer(3003, *changed)
    await shop.touch_customer(3003, *changed)
    assert uow.commits == commits + 1
    stored = store.customers[3003]
    assert (stored.first_name, stored.username, stored.language_code) == changed


async def test_a_customer_who_was_unreachable_becomes_reachable_again(
    shop: Shop, store: FakeStore, uow: FakeUnitOfWorkFactory
) -> None:
    store.customers[ADA].reachable = False
    commits = uow.commits
    customer = await shop.touch_customer(ADA, "Ada", "ada", None)
    assert customer.reachable
    assert store.customers[ADA].reachable
    assert uow.commits == commits + 1


async def test_touching_keeps_the_language_the_customer_chose(shop: Shop, store: FakeStore) -> None:
    await shop.set_language(ADA, Language.ZH)
    customer = await shop.touch_customer(ADA, "Ada L.", "ada", "en")
    assert customer.language == Language.ZH
    assert store.customers[ADA].effective_language == Language.ZH


async def test_setting_the_language_of_an_unknown_customer_is_not_found(shop: Shop) -> None:
    with pytest.raises(NotFoundError):
        await shop.set_language(4004, Language.ZH)


async def test_a_command_line_import_is_in_the_audit_log_with_its_actor(
    shop: Shop, store: FakeStore
) -> None:
    drafts = [ProductDraft("MUG-1", "Mug", "Cups", usd(900), 4)]

    assert await shop.import_catalog(drafts, actor="cli", reason="catalog import mugs.csv") == (
        1,
        0,
    )

    [entry] = store.audit
    assert (entry.actor, entry.action) == ("cli", "catalog_import")
    assert entry.details == {
        "reason": "catalog import mugs.csv",
        "created": 1,
        "updated": 0,
        "set_stock": False,
    }


async def test_a_cancelled_orders_items_go_back_in_the_cart_once_and_as_far_as_on_sale(
    shop: Shop, store: FakeStore, tea: Product, mug: Product
) -> None:
    await shop.add_to_cart(ADA, tea.id, 2)
    await shop.add_to_cart(ADA, mug.id, 1)
    order = (await shop.place_order(ADA, await reach_review(shop))).order
    with pytest.raises(IllegalTransitionError):
        await shop.put_back_in_cart(ADA, order.number)  # still open: nothing to put back
    await shop.cancel_my_order(ADA, order.number)
    store.products[mug.id].active = False  # taken off sale meanwhile

    put = await shop.put_back_in_cart(ADA, order.number)
    again = await shop.put_back_in_cart(ADA, order.number)

    assert [(line.product.id, line.quantity) for line in again.cart.lines] == [(tea.id, 2)]
    assert put.short == again.short == [(mug.name, 1)]
    with pytest.raises(NotFoundError):
        await shop.put_back_in_cart(ADA + 1, order.number)
