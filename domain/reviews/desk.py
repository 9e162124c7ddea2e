"""The merchant's side of reviews: /reviews lists them newest first (all, or the low ones, or
those of one product), and the shop replies to a review once; the customer receives the reply
through the outbox, in the transaction that stores it. The reply is typed in a dialog kept in
the database (DialogKind.REVIEW_REPLY), like the merchant's other dialogs.

Replies are personal data like the comments they answer: the column is encrypted at rest, and
/mydata's erasure clears both."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from domain.reviews.records import (
    LOW_RATING,
    ProductComment,
    ReviewEntry,
    ReviewError,
    ReviewFilter,
)
from domain.shared import dialogs
from domain.shared.audit import Target, record
from domain.shared.clock import Clock
from domain.shared.customers import admin_actor, language_of
from domain.shared.dialogs import Dialog, DialogKind, StaleDialogError
from domain.shared.errors import InvalidInputError, NotFoundError
from domain.shared.notifications import Notification
from domain.shared.paging import Page, Paged, Seek, counted_page

if TYPE_CHECKING:
    from domain.reviews.ports import ReviewsUnitOfWork
    from domain.shared.ports import UnitOfWorkFactory

REPLY_MAX = 500
REVIEWS_PAGE = 5
COMMENTS_ON_CARD = 2
REPLY_TEMPLATE = "review.adm.to_customer"


class ReviewDesk:
    """The merchant's review use cases (mixed into `Reviews`)."""

    _uow: UnitOfWorkFactory[ReviewsUnitOfWork]
    _clock: Clock
    _tokens: Callable[[], str]

    async def review_entries(
        self,
        which: ReviewFilter,
        page: int,
        product_id: int | None = None,
        seek: Seek | None = None,
    ) -> Paged[ReviewEntry]:
        """A page of reviews, newest first: the first, or (`seek`) the one next to a review of
        the page shown, called page `page` (keyset paging: as cheap deep in a long list as
        at its start)."""
        slice_ = Page(max(page, 0), REVIEWS_PAGE, seek)
        max_rating = LOW_RATING if which == ReviewFilter.LOW else None
        async with self._uow(readonly=True) as uow:
            if seek is not None:
                return await uow.reviews.entries_near(
                    product_id=product_id, max_rating=max_rating, page=slice_
                )
            items, total = await uow.reviews.entries(
                product_id=product_id,
                max_rating=max_rating,
                offset=slice_.offset,
                limit=slice_.size,
            )
        return counted_page(items, total, slice_)

    async def review_entry(self, review_id: int) -> ReviewEntry | None:
        """One review as the merchant reads it."""
        async with self._uow(readonly=True) as uow:
            return await uow.reviews.entry(review_id)

    async def product_comments(self, product_id: int) -> list[ProductComment]:
        """The newest comments on a product, for its card."""
        async with self._uow(readonly=True) as uow:
            return await uow.reviews.product_comments(product_id, COMMENTS_ON_CARD)

    async def start_reply(self, chat_id: int, admin_id: int, review_id: int) -> Dialog:
        """Begin the shop's reply to a review (refused once it has one)."""
        async with self._uow() as uow:
            entry = await uow.reviews.entry(review_id)
            if entry is None:
                raise NotFoundError()
            if entry.reply is not None:
                raise ReviewError("review.error.replied", number=entry.number)
            dialog = dialogs.start(
                chat_id,
                admin_id,
                DialogKind.REVIEW_REPLY,
                self._tokens(),
                self._clock.now(),
                review_id=review_id,
                number=entry.number,
            )
            await uow.dialogs.save(dialog)
            await uow.commit()
        return dialog

    async def reply_to_review(self, chat_id: int, admin_id: int, text: str) -> ReviewEntry:
        """The typed reply: stored once, sent to the customer, audited; the dialog ends. A
        reply of the wrong length raises InvalidInputError and the dialog waits on."""
        cleaned = (text or "").strip()
        if not 1 <= len(cleaned) <= REPLY_MAX:
            raise InvalidInputError(
                "adm.error.text_length", min=1, max=REPLY_MAX, length=len(cleaned)
            )
        now = self._clock.now()
        async with self._uow() as uow:
            dialog = await uow.dialogs.get(chat_id, admin_id)
            if dialog is None or dialog.kind != DialogKind.REVIEW_REPLY:
                raise StaleDialogError()
            review_id = int(dialog.data["review_id"])
            entry = await uow.reviews.entry(review_id)
            if entry is None:
                raise NotFoundError()
            await uow.dialogs.delete(chat_id, admin_id, dialog.token)
            actor = admin_actor(admin_id)
            if not await uow.reviews.set_reply(review_id, cleaned, now, actor):
                await uow.commit()  # the dialog is over either way
                raise ReviewError("review.error.replied", number=entry.number)
            customer = await uow.customers.get(entry.customer_id)
            await uow.outbox.add(
                Notification(
                    chat_id=entry.customer_id,
                    template=REPLY_TEMPLATE,
                    params={"number": entry.number, "text": cleaned},
                    language=language_of(customer),
                    dedupe_key=f"{REPLY_TEMPLATE}:{review_id}",
                ),
                now,
            )
            await record(
                uow,
                actor,
                "review_reply",
                Target(customer_id=entry.customer_id),
                {"review": review_id, "number": entry.number},
                at=now,
            )
            await uow.commit()
        entry.reply = cleaned
        return entry
