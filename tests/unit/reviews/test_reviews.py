"""Reviews (`Reviews`) over the fake unit of work: only completed orders of the customer's own,
1 to 5 stars, a second rating edits the first, the comment is optional and bounded, and every
completion invites once."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from domain.after_sales.records import DraftKind
from domain.orders.lifecycle import OrderStatus
from domain.reactions import ORDER_FLOW
from domain.reviews.records import COMMENT_MAX, ReviewError
from domain.reviews.service import Reviews
from domain.shared.clock import FixedClock
from domain.shared.customers import Customer, Language
from domain.shared.errors import InvalidInputError, NotFoundError
from domain.shared.money import Money
from tests.unit.after_sales.test_after_sales import ADA, BEA, T0, place
from tests.unit.fakes import FakeStore, FakeUnitOfWorkFactory


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def uow() -> FakeUnitOfWorkFactory:
    factory = FakeUnitOfWorkFactory()
    factory.store.customers[ADA] = Customer(ADA, "Ada", "ada", language_code="zh-hans")
    factory.store.customers[BEA] = Customer(BEA, "Bea")
    factory.store.add_product("Longjing", Money(1250, "USD"), stock=10, sku="TEA")
    factory.store.add_product("Cup", Money(800, "USD"), stock=5, sku="CUP")
    return factory


@pytest.fixture
def store(uow: FakeUnitOfWorkFactory) -> FakeStore:
    return uow.store


@pytest.fixture
def reviews(uow: FakeUnitOfWorkFactory, clock: FixedClock) -> Reviews:
    tokens = (f"tok{n}" for n in itertools.count(1))
    return Reviews(uow, clock, tokens=lambda: next(tokens))


def invitations(store: FakeStore) -> list[tuple[int, str, Language | None, str | None]]:
    return [
        (
            e.notification.chat_id,
            e.notification.params["number"],
            e.notification.language,
            e.notification.dedupe_key,
        )
        for e in store.outbox.values()
        if e.notification.template == "review.invite"
    ]


async def test_completing_an_order_invites_its_customer_once_in_their_language(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await place(uow, clock, steps=("ship", "deliver"))
    assert invitations(store) == [], "delivered is not completed"

    await place(uow, clock, number="AAAA-BBBB", steps=("ship", "deliver", "complete"))
    async with uow() as work:
        stored = await work.orders.get(order.id or 0)
        assert stored is not None
        await ORDER_FLOW.step(work, stored, "complete", actor="system:jobs", at=clock.now())
        await work.outbox.add(  # a replayed invitation is dropped by its dedupe key
            store.outbox[max(store.outbox)].notification, clock.now()
        )
        await work.commit()

    assert sorted(invitations(store)) == [
        (ADA, "7KQ2-M9XD", Language.ZH, "review.invite:7KQ2-M9XD"),
        (ADA, "AAAA-BBBB", Language.ZH, "review.invite:AAAA-BBBB"),
    ]


async def test_a_rating_is_one_to_five_for_a_completed_order_of_ones_own(
    reviews: Reviews, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    delivered = await place(uow, clock)
    completed = await place(uow, clock, number="AAAA-BBBB", steps=("ship", "deliver", "complete"))

    for wrong in (0, 6, -1, True, "5"):
        with pytest.raises(ReviewError) as refused:
            await reviews.rate(ADA, completed.number, wrong)  # type: ignore[arg-type]
        assert (refused.value.key, refused.value.params) == (
            "review.error.rating",
            {"min": 1, "max": 5},
        )
    with pytest.raises(ReviewError) as early:
        await reviews.rate(ADA, delivered.number, 5)
    assert (early.value.key, early.value.params["status"]) == (
        "review.error.not_completed",
        OrderStatus.DELIVERED.value,
    )
    with pytest.raises(NotFoundError):
        await reviews.rate(BEA, completed.number, 5)
    assert store.after_sales.reviews == {}

    rated = await reviews.rate(ADA, completed.number, 4)
    assert rated.created and rated.review.rating == 4
    assert rated.draft.kind == DraftKind.REVIEW and rated.draft.step == "comment"


async def test_a_second_rating_edits_the_review_and_keeps_its_comment(
    reviews: Reviews, uow: FakeUnitOfWorkFactory, clock: FixedClock, store: FakeStore
) -> None:
    order = await place(uow, clock, steps=("ship", "deliver", "complete"))
    await reviews.rate(ADA, order.number, 2)
    with pytest.raises(InvalidInputError):
        await reviews.comment(ADA, "x" * (COMMENT_MAX + 1))
    saved = await reviews.comment(ADA, "  Too   bitter ")
    assert saved is not None and saved.review.comment == "Too bitter"
    assert saved.number == order.number
    assert await reviews.comment(ADA, "no question asked") is None
    clock.advance(days=1)

    again = await reviews.rate(ADA, order.number, 5)
    skipped = await reviews.skip_comment(ADA, again.draft.token)

    [review] = store.after_sales.reviews.values()
    assert not again.created
    assert (review.rating, review.comment) == (5, "Too bitter")
    assert (review.created_at, review.updated_at) == (T0, T0 + timedelta(days=1))
    assert skipped.review.id == review.id
    with pytest.raises(ReviewError):
        await reviews.skip_comment(ADA, again.draft.token)
    assert await reviews.review_of(ADA, order) == review
    assert await reviews.review_of(BEA, order) is None
