"""What the after-sales feature keeps: requests with their lines and events, the customers'
after-sales dialogs, and the repository it needs (attached to the unit of work as
`uow.after_sales`). A return's refund is a payments `Refund` carrying the request's id.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from domain.orders.model import Order
from domain.shared.errors import DomainError, IllegalTransitionError
from domain.shared.money import Money
from domain.shared.paging import Page, Paged

DRAFT_TTL = timedelta(hours=24)  # a dialog left alone this long no longer takes typed text


class RequestKind(StrEnum):
    """What the customer asks for."""

    RETURN = "return"  # the goods go back, the money comes back
    EXCHANGE = "exchange"  # the goods go back, the same goods come again
    REPAIR = "repair"  # the goods go back, are repaired and come back


class RequestStatus(StrEnum):
    """Where a request stands."""

    REQUESTED = "requested"  # the customer asked; the merchant decides
    APPROVED = "approved"  # accepted: the customer sends the goods back
    DECLINED = "declined"  # refused with a reason (final; its units may be asked for again)
    GOODS_RECEIVED = "goods_received"  # the goods came back to the shop
    REFUNDED = "refunded"  # a return: the money went back
    REPLACEMENT_SHIPPED = "replacement_shipped"  # an exchange: the replacement is on its way
    REPAIRED_SHIPPED = "repaired_shipped"  # a repair: the repaired goods are on their way back
    CLOSED = "closed"  # done (final)


FINAL = frozenset({RequestStatus.DECLINED, RequestStatus.CLOSED})
OPEN = frozenset(RequestStatus) - FINAL


class ReturnReason(StrEnum):
    """Why the customer asks (each has a text; details are typed freely)."""

    DEFECTIVE = "defect"  # it does not work
    DAMAGED = "damaged"  # damaged in transit
    WRONG_ITEM = "wrong"  # not what was ordered
    NOT_AS_DESCRIBED = "differs"  # not as described
    CHANGED_MIND = "mind"  # no longer wanted
    OTHER = "other"


class Disposition(StrEnum):
    """What becomes of goods that came back."""

    RESTOCK = "restock"  # back on the shelf (stock goes up, logged)
    WRITE_OFF = "writeoff"  # unsellable (logged; stock unchanged: the units had left already)
    KEEP = "keep"  # a repair: the customer's own goods, not stock


class RequestEventType(StrEnum):
    """What happened to a request (past tense)."""

    REQUESTED = "requested"
    APPROVED = "approved"
    DECLINED = "declined"
    RETURN_SENT = "return_sent"  # the customer gave the return parcel's carrier and number
    GOODS_RECEIVED = "goods_received"
    REFUNDED = "refunded"
    REFUND_FAILED = "refund_failed"  # Telegram refused a Stars refund; it may be tried again
    REPLACEMENT_SHIPPED = "replacement_shipped"
    REPAIRED_SHIPPED = "repaired_shipped"
    CLOSED = "closed"


class AfterSalesError(DomainError):
    """An after-sales rule refused the request; nothing changed (the key says which)."""

    key = "as.error.generic"


class AfterSalesStepError(IllegalTransitionError):
    """A request cannot take that step from where it is (params: number, state)."""

    key = "as.error.illegal"


@dataclass
class RequestLine:
    """Units of one order line a request covers, with the line as it was sold."""

    order_line_id: int
    quantity: int
    product_id: int = 0
    sku: str = ""
    name: str = ""
    unit_price: Money | None = None

    @property
    def total(self) -> Money | None:
        """What these units cost the customer."""
        return self.unit_price * self.quantity if self.unit_price is not None else None


@dataclass(frozen=True)
class Parcel:
    """Goods handed to a carrier: the customer's return, or the shop's parcel back."""

    carrier_code: str
    carrier_name: str
    tracking: str
    url: str | None = None
    at: datetime | None = None


@dataclass
class AfterSalesEvent:
    """One entry of a request's timeline."""

    type: RequestEventType
    actor: str
    at: datetime
    from_status: RequestStatus | None = None
    to_status: RequestStatus | None = None
    note: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class AfterSalesRequest:
    """A customer's return, exchange or repair of units of one order."""

    number: str
    order_id: int
    customer_id: int
    kind: RequestKind
    status: RequestStatus
    reason: ReturnReason
    lines: list[RequestLine]
    created_at: datetime
    details: str | None = None
    photos: list[str] = field(default_factory=list)  # Telegram file ids
    order_number: str = ""
    currency: str = ""
    decline_reason: str | None = None
    disposition: Disposition | None = None
    returned: Parcel | None = None  # the customer's parcel back to the shop
    shipped: Parcel | None = None  # the replacement, or the repaired goods, to the customer
    updated_at: datetime | None = None
    id: int | None = None
    events: list[AfterSalesEvent] = field(default_factory=list)

    @property
    def open(self) -> bool:
        """Whether the request still needs something done."""
        return self.status in OPEN

    @property
    def units(self) -> int:
        """Units covered, all lines together."""
        return sum(line.quantity for line in self.lines)

    @property
    def value(self) -> Money:
        """What the covered units cost the customer."""
        total = Money.zero(self.currency or "USD")
        for line in self.lines:
            if line.total is not None:
                total += line.total
        return total


class DraftKind(StrEnum):
    """What a customer's after-sales dialog is filling in."""

    REQUEST = "request"  # a new request: kind, lines, reason, details?, photos?, confirm
    TRACKING = "tracking"  # the return parcel: carrier, number
    REVIEW = "review"  # a comment on the review just given (domain/reviews.py)


DRAFT_STEPS: dict[DraftKind, tuple[str, ...]] = {
    DraftKind.REQUEST: ("kind", "lines", "reason", "details", "photos", "confirm", "sent"),
    DraftKind.TRACKING: ("carrier", "number"),
    DraftKind.REVIEW: ("comment",),
}
TYPED_STEPS = frozenset(
    {(DraftKind.REQUEST, "details"), (DraftKind.TRACKING, "number"), (DraftKind.REVIEW, "comment")}
)
OPTIONAL_STEPS = frozenset(
    {(DraftKind.REQUEST, "details"), (DraftKind.REQUEST, "photos"), (DraftKind.REVIEW, "comment")}
)


@dataclass
class Draft:
    """One customer's after-sales dialog; `token` changes with every new dialog, so buttons of
    an earlier one are recognised as stale."""

    customer_id: int
    kind: DraftKind
    token: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        """Left alone too long to take typed text or photos."""
        return self.updated_at is not None and now - self.updated_at > DRAFT_TTL

    @property
    def waits_for_text(self) -> bool:
        """Whether the current step is answered by typing."""
        return (self.kind, self.step) in TYPED_STEPS

    @property
    def waits_for_photo(self) -> bool:
        """Whether the current step takes photos."""
        return (self.kind, self.step) == (DraftKind.REQUEST, "photos")

    @property
    def optional(self) -> bool:
        """Whether the current step may be skipped."""
        return (self.kind, self.step) in OPTIONAL_STEPS

    def advance(self) -> str:
        """On to the next step."""
        steps = DRAFT_STEPS[self.kind]
        index = steps.index(self.step) if self.step in steps else len(steps)
        if index + 1 >= len(steps):
            raise AfterSalesError("as.error.stale")
        self.step = steps[index + 1]
        return self.step

    def chosen(self) -> dict[int, int]:
        """Order line id -> units chosen so far (a request's dialog)."""
        lines = self.data.get("lines") or {}
        return {int(k): int(v) for k, v in lines.items() if int(v) > 0}


class AfterSalesRepository(Protocol):
    """Requests with their lines and events, and the customers' dialogs."""

    async def lock_order(self, order_id: int) -> None:
        """Hold the order's row until the transaction ends, so two requests for the same lines
        are checked one after the other (SELECT ... FOR UPDATE on PostgreSQL; SQLite writers
        are serialised already)."""

    async def covered(self, order_id: int) -> dict[int, int]:
        """Order line id -> units covered by the order's requests that were not declined."""

    async def number_taken(self, number: str) -> bool: ...
    async def add(self, request: AfterSalesRequest) -> int:
        """Insert the request with its lines; DuplicateError if its number is taken."""

    async def get(self, request_id: int) -> AfterSalesRequest | None: ...
    async def get_by_number(self, number: str) -> AfterSalesRequest | None: ...
    async def for_order(self, order_id: int) -> list[AfterSalesRequest]:
        """The order's requests, oldest first."""

    async def for_customer(self, customer_id: int, page: Page) -> Paged[AfterSalesRequest]:
        """The customer's requests, newest first."""

    async def listing(
        self, statuses: Collection[RequestStatus], page: Page
    ) -> Paged[AfterSalesRequest]:
        """Requests in any of `statuses`, oldest first (the merchant's queue)."""

    async def count_by_status(
        self, statuses: Collection[RequestStatus]
    ) -> dict[RequestStatus, int]:
        """How many requests are in each of `statuses` (those with none are left out): one
        range of the status index each, so the open ones cost what is open, however many
        requests were closed before."""

    async def save(self, request: AfterSalesRequest, expected: RequestStatus) -> bool:
        """Store the status and what the steps fill in, only if the stored status is still
        `expected` (compare-and-set: of two admins pressing at once, one takes the step)."""

    async def add_event(self, request_id: int, event: AfterSalesEvent) -> None: ...
    async def events(self, request_id: int) -> list[AfterSalesEvent]: ...
    async def orders_with_open(self, page: Page) -> Paged[Order]:
        """Orders with open after-sales requests (after_sales_open > 0), oldest first."""

    async def get_draft(self, customer_id: int, *, for_update: bool = False) -> Draft | None:
        """The customer's dialog; `for_update` locks it until the transaction ends (photos of
        an album arrive at once)."""

    async def save_draft(self, draft: Draft) -> None:
        """Create or replace the customer's dialog."""

    async def delete_draft(self, customer_id: int, token: str | None = None) -> bool:
        """Remove it (only if its token matches, when given); True if a row went."""
