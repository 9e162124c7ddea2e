"""Short dialogs of the merchant features (ship an order, add a product, ...), kept in the
database per chat and user so a restart or a second bot process loses nothing.

Each kind of dialog is a fixed sequence of steps, declared here as data. Typed answers fill
the current step; optional steps can be skipped; a dialog whose last step is `confirm` waits
for an explicit confirmation before it acts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from domain.shared.errors import DomainError

CONFIRM = "confirm"
# Where a dialog is on the user's screen (message ids in its chat, kept in its data): the card
# of its subject that it took over, and the message asking its current question.
CARD = "card"
PROMPT = "prompt"
# A dialog left alone this long no longer captures what its user types.
DIALOG_TTL = timedelta(hours=24)


class DialogKind(StrEnum):
    """What a dialog is for."""

    SHIP = "ship"  # carrier (and the name of an "other" one), tracking number, note?, confirm
    CANCEL = "cancel"  # reason, then confirm
    NOTE = "note"  # an internal note on an order
    MESSAGE = "message"  # a message to the order's customer
    ADD_PRODUCT = "add_product"  # name, category, price, stock, description?, photo?, confirm
    EDIT_PRODUCT = "edit_product"  # one field's new value
    STOCK = "stock"  # a stock change and its reason
    REPLY = "reply"  # a customer's reply to a message from the shop
    # after-sales (domain/after_sales.py, bot/after_sales.py answers them, not Merchant)
    AS_DECLINE = "as_decline"  # the reason for declining a request
    AS_REFUND = "as_refund"  # the note of a return refunded outside Telegram
    # reviews (domain/reviews/desk.py; bot/reviews/admin.py answers it, not Merchant)
    REVIEW_REPLY = "review_reply"  # the shop's one reply to a review
    # talking to the shop (domain/merchant/contact.py; bot/merchant/contact.py answers them)
    CONTACT = "contact"  # a customer's message to the shop (about an order, or not)
    ANSWER = "answer"  # an admin's answer to a customer who wrote
    # marketing (domain/marketing/broadcasts.py; bot/marketing/ answers it, not Merchant)
    BROADCAST = "broadcast"  # the message (text or photo), a product button?, confirm


STEPS: dict[DialogKind, tuple[str, ...]] = {
    DialogKind.SHIP: ("carrier", "carrier_name", "tracking", "note", CONFIRM),
    DialogKind.CANCEL: ("reason", CONFIRM),
    DialogKind.NOTE: ("text",),
    DialogKind.MESSAGE: ("text",),
    DialogKind.ADD_PRODUCT: ("name", "category", "price", "stock", "description", "photo", CONFIRM),
    DialogKind.EDIT_PRODUCT: ("value",),
    DialogKind.STOCK: ("change", "reason"),
    DialogKind.REPLY: ("text",),
    DialogKind.AS_DECLINE: ("reason",),
    DialogKind.AS_REFUND: ("note",),
    DialogKind.REVIEW_REPLY: ("text",),
    DialogKind.CONTACT: ("text",),
    DialogKind.ANSWER: ("text",),
    DialogKind.BROADCAST: ("message", "product", CONFIRM),
}
OPTIONAL: frozenset[tuple[DialogKind, str]] = frozenset(
    {
        (DialogKind.SHIP, "note"),
        (DialogKind.ADD_PRODUCT, "description"),
        (DialogKind.ADD_PRODUCT, "photo"),
        (DialogKind.BROADCAST, "product"),
    }
)
# Steps that may also be answered with a button offering a value (a category that exists, a
# preset reason); typing stays possible.
CHOICES: frozenset[tuple[DialogKind, str]] = frozenset(
    {(DialogKind.ADD_PRODUCT, "category"), (DialogKind.STOCK, "reason")}
)
# Product fields that may be cleared by skipping their edit.
SKIPPABLE_FIELDS = frozenset({"desc"})
# Steps answered with a button or a photo rather than typed text.
NOT_TYPED: frozenset[tuple[DialogKind, str]] = frozenset(
    {(DialogKind.SHIP, "carrier"), (DialogKind.ADD_PRODUCT, "photo")}
)


class StaleDialogError(DomainError):
    """A dialog button from a finished or replaced dialog."""

    key = "adm.error.stale_dialog"


@dataclass
class Dialog:
    """One user's dialog in one chat; `token` changes with every new dialog, so buttons of an
    earlier one are recognised as stale."""

    chat_id: int
    user_id: int
    kind: DialogKind
    token: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None

    @property
    def card(self) -> int | None:
        """The message of the subject's card the dialog took over, if known."""
        value = self.data.get(CARD)
        return value if isinstance(value, int) else None

    @property
    def prompt(self) -> int | None:
        """The message asking the current question, if known."""
        value = self.data.get(PROMPT)
        return value if isinstance(value, int) else None

    @property
    def steps(self) -> tuple[str, ...]:
        """All steps of this kind of dialog."""
        return STEPS[self.kind]

    @property
    def optional(self) -> bool:
        """Whether the current step may be skipped."""
        if self.kind == DialogKind.EDIT_PRODUCT:
            return self.data.get("field") in SKIPPABLE_FIELDS  # skipping clears the field
        return (self.kind, self.step) in OPTIONAL

    @property
    def typed(self) -> bool:
        """Whether the current step takes typed text."""
        return self.step != CONFIRM and (self.kind, self.step) not in NOT_TYPED

    @property
    def last_step(self) -> bool:
        """Whether answering the current step finishes the dialog (no confirmation)."""
        return self.steps[-1] == self.step and self.step != CONFIRM

    def advance(self) -> str:
        """Move to the next step and return it."""
        steps = self.steps
        index = steps.index(self.step)
        if index + 1 >= len(steps):
            raise StaleDialogError()
        self.step = steps[index + 1]
        return self.step

    def expired(self, now: datetime) -> bool:
        """Whether the dialog was left alone too long to capture typed text."""
        return self.updated_at is not None and now - self.updated_at > DIALOG_TTL


def start(
    chat_id: int, user_id: int, kind: DialogKind, token: str, at: datetime, **data: Any
) -> Dialog:
    """A new dialog at its first step."""
    return Dialog(chat_id, user_id, kind, token, STEPS[kind][0], dict(data), at)


class DialogRepository(Protocol):
    async def get(self, chat_id: int, user_id: int) -> Dialog | None: ...
    async def save(self, dialog: Dialog) -> None:
        """Create or replace the dialog of (chat, user)."""

    async def delete(self, chat_id: int, user_id: int, token: str | None = None) -> bool:
        """Remove it (only if its token matches, when given); True if a row went."""
