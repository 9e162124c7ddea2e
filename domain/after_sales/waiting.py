"""What a typed message may answer, read in one transaction (issue 13).

Three dialogs take typed text: the customer's after-sales dialog (a request's details, a
parcel's number, a review's comment), the user's dialog in the chat (the merchant's own, or a
customer's reply or message to the shop) and the customer's checkout. The bot gives the text
to the one touched last (bot/after_sales, bot/merchant, bot/checkout), or searches the catalog
when none waits. Each read used to be a transaction of its own, three per typed answer before
the answer's own write; this reads the three together, once per update."""

from __future__ import annotations

from dataclasses import dataclass

from domain.after_sales.ports import WaitingUnitOfWork
from domain.after_sales.records import Draft
from domain.checkout.flow import Checkout
from domain.shared.clock import Clock
from domain.shared.dialogs import Dialog
from domain.shared.ports import UnitOfWorkFactory


@dataclass(frozen=True)
class Waiting:
    """The dialogs that may take a user's typed text in one chat, as one transaction saw them."""

    # The customer's after-sales dialog (private chats), unless left alone too long.
    draft: Draft | None = None
    # The user's dialog in this chat (the merchant's, a reply or a message to the shop),
    # unless it went stale.
    dialog: Dialog | None = None
    # The customer's checkout while it is in progress (private chats).
    checkout: Checkout | None = None


class TypedAnswers:
    """Finds what waits for a user's typed text."""

    def __init__(self, uow: UnitOfWorkFactory[WaitingUnitOfWork], clock: Clock) -> None:
        self._uow = uow
        self._clock = clock

    async def waiting(self, chat_id: int, user_id: int, *, private: bool) -> Waiting:
        """The user's dialogs that take text in this chat, in one read: in a group chat only
        the dialog there (drafts and checkouts live in the customer's private chat)."""
        async with self._uow(readonly=True) as uow:
            draft = await uow.after_sales.get_draft(user_id) if private else None
            dialog = await uow.dialogs.get(chat_id, user_id)
            checkout = await uow.checkouts.get(user_id) if private else None
        now = self._clock.now()
        return Waiting(
            draft=None if draft is None or draft.expired(now) else draft,
            dialog=None if dialog is None or dialog.expired(now) else dialog,
            checkout=checkout if checkout is not None and checkout.active else None,
        )
