"""The after-sales rules that need no database: the request's machine, reviewed as a table and
enforced in one place (`next_status`), request numbers, the texts of statuses, kinds and
reasons, and what a return gives back."""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.after_sales.records import (
    AfterSalesRequest,
    AfterSalesStepError,
    RequestEventType,
    RequestKind,
    RequestStatus,
    ReturnReason,
)
from domain.orders.lifecycle import OrderEventType
from domain.orders.model import Order, OrderLine, PaymentMethod
from domain.promotions.rules import returned_units_discount
from domain.shared.errors import InvalidInputError
from domain.shared.machine import StateMachine
from domain.shared.money import Money
from domain.shared.numbers import ALPHABET, random_code, readable

if TYPE_CHECKING:
    pass


STARS = "XTR"


DETAILS_MAX = 500  # the customer's own words about the problem


REASON_MIN, REASON_MAX = 2, 200  # the merchant's reason for declining


PHOTOS_MAX = 5


_NUMBER_LENGTH = 6


_REQUEST_NUMBER = re.compile(rf"R[{ALPHABET}]{{{_NUMBER_LENGTH}}}")


_SPACES = re.compile(r"[ \t\r\f\v]+")


S = RequestStatus


# Every step a request may take. Guards by kind: only a return is refunded, only an exchange
# gets a replacement, only a repair is sent back repaired. `send_back` is an internal step (no
# state change): the customer gives, or corrects, the return parcel while it is approved.
# The merchant may close an approved request whose goods never came back.
TRANSITIONS: list[dict[str, Any]] = [
    {"trigger": "approve", "source": S.REQUESTED, "dest": S.APPROVED},
    {"trigger": "decline", "source": S.REQUESTED, "dest": S.DECLINED},
    {"trigger": "send_back", "source": S.APPROVED, "dest": None},
    {"trigger": "receive", "source": S.APPROVED, "dest": S.GOODS_RECEIVED},
    {
        "trigger": "refund",
        "source": S.GOODS_RECEIVED,
        "dest": S.REFUNDED,
        "conditions": "is_return",
    },
    {
        "trigger": "ship_replacement",
        "source": S.GOODS_RECEIVED,
        "dest": S.REPLACEMENT_SHIPPED,
        "conditions": "is_exchange",
    },
    {
        "trigger": "ship_repaired",
        "source": S.GOODS_RECEIVED,
        "dest": S.REPAIRED_SHIPPED,
        "conditions": "is_repair",
    },
    {
        "trigger": "close",
        "source": [S.APPROVED, S.REFUNDED, S.REPLACEMENT_SHIPPED, S.REPAIRED_SHIPPED],
        "dest": S.CLOSED,
    },
]


EVENT_FOR_TRIGGER = {
    "approve": RequestEventType.APPROVED,
    "decline": RequestEventType.DECLINED,
    "send_back": RequestEventType.RETURN_SENT,
    "receive": RequestEventType.GOODS_RECEIVED,
    "refund": RequestEventType.REFUNDED,
    "ship_replacement": RequestEventType.REPLACEMENT_SHIPPED,
    "ship_repaired": RequestEventType.REPAIRED_SHIPPED,
    "close": RequestEventType.CLOSED,
}


CUSTOMER_TRIGGERS = frozenset({"send_back"})  # the merchant's buttons never offer these


SHIP_TRIGGERS = {RequestKind.EXCHANGE: "ship_replacement", RequestKind.REPAIR: "ship_repaired"}


_MACHINE = StateMachine(RequestStatus, TRANSITIONS)


TRIGGERS = _MACHINE.triggers


class _Holder:
    """A fresh model per step, carrying what the guards look at."""

    def __init__(self, status: RequestStatus, kind: RequestKind) -> None:
        self.status = status
        self.kind = kind

    def is_return(self) -> bool:
        return self.kind == RequestKind.RETURN

    def is_exchange(self) -> bool:
        return self.kind == RequestKind.EXCHANGE

    def is_repair(self) -> bool:
        return self.kind == RequestKind.REPAIR


STATUS_TEXTS = {
    S.REQUESTED: "as.status.requested",
    S.APPROVED: "as.status.approved",
    S.DECLINED: "as.status.declined",
    S.GOODS_RECEIVED: "as.status.goods_received",
    S.REFUNDED: "as.status.refunded",
    S.REPLACEMENT_SHIPPED: "as.status.replacement_shipped",
    S.REPAIRED_SHIPPED: "as.status.repaired_shipped",
    S.CLOSED: "as.status.closed",
}


KIND_TEXTS = {
    RequestKind.RETURN: "as.kind.return",
    RequestKind.EXCHANGE: "as.kind.exchange",
    RequestKind.REPAIR: "as.kind.repair",
}


REASON_TEXTS = {
    ReturnReason.DEFECTIVE: "as.reason.defect",
    ReturnReason.DAMAGED: "as.reason.damaged",
    ReturnReason.WRONG_ITEM: "as.reason.wrong",
    ReturnReason.NOT_AS_DESCRIBED: "as.reason.differs",
    ReturnReason.CHANGED_MIND: "as.reason.mind",
    ReturnReason.OTHER: "as.reason.other",
}


REFUND_TEXTS = {
    PaymentMethod.STARS: "as.refund_how.stars",
    PaymentMethod.CARD: "as.refund_how.card",
    PaymentMethod.BANK_TRANSFER: "as.refund_how.bank",
    PaymentMethod.CASH_ON_DELIVERY: "as.refund_how.cash",
    PaymentMethod.FREE: "as.refund_how.free",
}


def state_param(status: RequestStatus) -> dict[str, str]:
    """A request's status as a text parameter, shown in the reader's language."""
    return {"$text": STATUS_TEXTS[RequestStatus(status)]}


def may(status: RequestStatus, kind: RequestKind, trigger: str) -> bool:
    """Whether the machine (with its guards) allows `trigger` for a request like this."""
    return _MACHINE.may(_Holder(RequestStatus(status), RequestKind(kind)), trigger)


def allowed_triggers(status: RequestStatus, kind: RequestKind) -> list[str]:
    """The steps open to a request, in table order."""
    return [trigger for trigger in TRIGGERS if may(status, kind, trigger)]


def next_status(
    status: RequestStatus, kind: RequestKind, trigger: str, number: str = ""
) -> RequestStatus:
    """Run one trigger through the machine: the new status, or AfterSalesStepError."""
    return _MACHINE.step(
        _Holder(RequestStatus(status), RequestKind(kind)),
        trigger,
        lambda: AfterSalesStepError(number=number, state=state_param(status)),
    )


def new_request_number(choice: Callable[[str], str] = secrets.choice) -> str:
    """A random request number such as "R-7KQ2M9": easy to read aloud, reveals no count."""
    return "R-" + random_code(_NUMBER_LENGTH, choice)


def normalize_request_number(text: str) -> str | None:
    """Accept what people type (lower case, no dash, O for 0, I/L for 1); None if invalid."""
    cleaned = readable(text)
    if not _REQUEST_NUMBER.fullmatch(cleaned):
        return None
    return f"R-{cleaned[1:]}"


def clean_text(text: str | None, low: int, high: int) -> str:
    """Typed text without control characters or runs of spaces, `low` to `high` characters
    long, or InvalidInputError."""
    kept = "".join(
        ch for ch in (text or "") if unicodedata.category(ch)[0] != "C" or ch in (" ", "\n")
    )
    lines = [_SPACES.sub(" ", line).strip() for line in kept.split("\n")]
    cleaned = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if not low <= len(cleaned) <= high:
        raise InvalidInputError("as.error.text_length", min=low, max=high, length=len(cleaned))
    return cleaned


def delivered_at(order: Order) -> datetime | None:
    """When the order was delivered (its latest DELIVERED event); None if it never was."""
    times = [e.at for e in order.events if e.type == OrderEventType.DELIVERED]
    return max(times) if times else None


def paid_in_stars(order: Order) -> bool:
    """Whether the order was paid in Telegram Stars (refunded whole, or not at all)."""
    return order.payment_method == PaymentMethod.STARS or order.currency == STARS


def request_units(request: AfterSalesRequest, line: OrderLine) -> int:
    """Units of an order line the request covers."""
    return sum(r.quantity for r in request.lines if r.order_line_id == line.id)


def refund_amount(
    request: AfterSalesRequest, order: Order, earlier: Mapping[int, int] | None = None
) -> Money:
    """What a return gives back: the returned units at the price paid, plus the shipping
    when the request takes back the whole order. `earlier`: order line id -> units of the
    order's earlier returns (their part of a promo discount is already accounted for)."""
    whole = all(request_units(request, line) >= line.quantity for line in order.lines)
    if whole:
        return order.total
    # What was paid for the returned units: their price less their part of the line's share
    # of a promo discount (domain/promotions/rules.py; all of a line's units: the whole share).
    refund = request.value
    for line in order.lines:
        units = request_units(request, line)
        if units and line.discount_minor:
            before = (earlier or {}).get(line.id or 0, 0)
            taken = returned_units_discount(line.discount_minor, line.quantity, units, before)
            refund = refund - Money(taken, refund.currency)
    return refund


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
