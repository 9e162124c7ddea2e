"""Reviews: after an order is completed its customer is invited to rate it from 1 to 5, with an
optional comment. One review per order and customer: rating again edits it. Product cards show
the average rating and count of the orders that contained the product (ProductRepository.get).

The invitation is queued on "complete" (a reaction declared in domain/reactions.py), in the
same transaction as the step, so the customer's "Received" and the scheduled auto-completion
both invite, once.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain.after_sales.records import Draft, DraftKind
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order, OrderEvent
from domain.shared.clock import Clock
from domain.shared.customers import Language
from domain.shared.errors import InvalidInputError, NotFoundError
from domain.shared.notifications import Notification
from domain.shared.numbers import normalize_order_number

if TYPE_CHECKING:
    from domain.reviews.ports import ReviewsUnitOfWork
    from domain.shared.ports import UnitOfWorkFactory
from domain.reviews.desk import ReviewDesk
from domain.reviews.records import COMMENT_MAX, Review, ReviewError

RATING_MIN, RATING_MAX = 1, 5
INVITE_TEMPLATE = "review.invite"


def check_rating(rating: object) -> int:
    """A whole number of stars from 1 to 5, or ReviewError."""
    if isinstance(rating, bool) or not isinstance(rating, int):
        raise ReviewError("review.error.rating", min=RATING_MIN, max=RATING_MAX)
    if not RATING_MIN <= rating <= RATING_MAX:
        raise ReviewError("review.error.rating", min=RATING_MIN, max=RATING_MAX)
    return rating


async def invite_review(uow: ReviewsUnitOfWork, order: Order, event: OrderEvent) -> None:
    """Queue the invitation to rate a completed order, in its customer's language, once per
    order. Reaction to COMPLETED (domain/reactions.py), in the caller's transaction."""
    customer = await uow.customers.get(order.customer_id)
    if customer is not None and not customer.optional_messages:
        return  # turned off with /notifications: an invitation is not an order update
    await uow.outbox.add(
        Notification(
            chat_id=order.customer_id,
            template=INVITE_TEMPLATE,
            params={"number": order.number},
            language=customer.effective_language if customer else Language.EN,
            dedupe_key=f"{INVITE_TEMPLATE}:{order.number}",
        ),
        event.at,
    )


@dataclass
class Rated:
    """A rating given: the review, whether it was new, and the comment dialog it opened."""

    review: Review
    created: bool
    draft: Draft
    order: Order


@dataclass
class Saved:
    """A review as saved, with its order's number."""

    review: Review
    number: str


class Reviews(ReviewDesk):
    """The customer's review use cases, and the merchant's (ReviewDesk)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[ReviewsUnitOfWork],
        clock: Clock,
        tokens: Callable[[], str] = lambda: secrets.token_urlsafe(6),
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._tokens = tokens

    async def _completed_order(
        self, uow: ReviewsUnitOfWork, customer_id: int, number: str
    ) -> Order:
        normalized = normalize_order_number(number)
        order = await uow.orders.get_by_number(normalized) if normalized else None
        if order is None or order.customer_id != customer_id:
            raise NotFoundError()
        if order.status != OrderStatus.COMPLETED:
            raise ReviewError(
                "review.error.not_completed", number=order.number, status=str(order.status)
            )
        return order

    async def rate(self, customer_id: int, number: str, rating: int) -> Rated:
        """Rate a completed order of the customer's (a second rating edits the first, keeping
        its comment); a comment is asked next."""
        stars = check_rating(rating)
        now = self._clock.now()
        async with self._uow() as uow:
            order = await self._completed_order(uow, customer_id, number)
            assert order.id is not None
            known = await uow.reviews.get(order.id, customer_id)
            review = known or Review(order.id, customer_id, stars, now, now)
            review.rating, review.updated_at = stars, now
            review.id = await uow.reviews.save(review)
            draft = Draft(
                customer_id,
                DraftKind.REVIEW,
                self._tokens(),
                "comment",
                {"order_id": order.id, "number": order.number},
                now,
            )
            await uow.after_sales.save_draft(draft)
            await uow.commit()
        return Rated(review, known is None, draft, order)

    async def comment(self, customer_id: int, text: str) -> Saved | None:
        """Typed text as the comment of the review just given; None when no review waits for
        one. Too long a comment raises InvalidInputError and the question stays."""
        now = self._clock.now()
        async with self._uow() as uow:
            draft = await uow.after_sales.get_draft(customer_id, for_update=True)
            if draft is None or draft.kind != DraftKind.REVIEW or draft.expired(now):
                return None
            cleaned = " ".join((text or "").split())
            if not 1 <= len(cleaned) <= COMMENT_MAX:
                raise InvalidInputError(
                    "review.error.comment_length", max=COMMENT_MAX, length=len(cleaned)
                )
            review = await uow.reviews.get(int(draft.data["order_id"]), customer_id)
            if review is None:
                return None
            review.comment, review.updated_at = cleaned, now
            await uow.reviews.save(review)
            await uow.after_sales.delete_draft(customer_id, draft.token)
            await uow.commit()
        return Saved(review, str(draft.data.get("number", "")))

    async def skip_comment(self, customer_id: int, token: str) -> Saved:
        """No comment (an earlier one is kept)."""
        async with self._uow() as uow:
            draft = await uow.after_sales.get_draft(customer_id)
            if draft is None or draft.kind != DraftKind.REVIEW or draft.token != token:
                raise ReviewError("review.error.stale")
            review = await uow.reviews.get(int(draft.data["order_id"]), customer_id)
            if review is None:
                raise ReviewError("review.error.stale")
            await uow.after_sales.delete_draft(customer_id, token)
            await uow.commit()
        return Saved(review, str(draft.data.get("number", "")))

    async def review_of(self, customer_id: int, order: Order) -> Review | None:
        """The customer's review of one of their orders, if any."""
        if order.id is None or order.customer_id != customer_id:
            return None
        async with self._uow(readonly=True) as uow:
            return await uow.reviews.get(order.id, customer_id)
