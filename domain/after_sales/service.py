"""After-sales: returns for a refund, exchanges and repairs of delivered goods.

A request is its own entity (domain/after_sales_records.py) with its own `transitions`
machine, reviewed as the table below and enforced in one place (`next_status`), and its own
events (who, when, from, to, why). It is linked to its order and to the order's lines with
the units it covers; across the order's requests that were not declined, a line is never
covered beyond the units bought (checked with the order's row locked). The order counts its
open requests (`Order.after_sales_open`), so auto-completion leaves those orders alone.

The customer fills a request in a short dialog whose state lives in the database (`Draft`),
like checkout; the merchant approves or declines it, receives the goods (back into stock or
written off, through the inventory log), then refunds, ships a replacement or sends the
repaired goods back (with the merchant's ship dialog), and closes it. The customer is told
every step through the outbox, in the same transaction as the step.

Refunds of returns go the payments feature's one refund path (domain/payments/refunds.py):
a return's refund is a `Refund` of the payment that paid the order, with the request's id
(one per request), since a return may give back only part of a payment. Telegram refunds a
Stars charge whole only, so a return of a Stars order must take back every unit of it
(exchanges and repairs of Stars orders need no refund and are not limited).
"""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from domain.after_sales.ports import AfterSalesUnitOfWork
from domain.after_sales.records import (
    FINAL,
    AfterSalesError,
    AfterSalesEvent,
    AfterSalesRequest,
    AfterSalesStepError,
    Disposition,
    Draft,
    DraftKind,
    Parcel,
    RequestEventType,
    RequestKind,
    RequestLine,
    RequestStatus,
    ReturnReason,
)
from domain.catalog.model import InventoryEntry
from domain.catalog.stock import queue_low_stock_alerts
from domain.orders import transitions as orders
from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import Order, OrderLine, PaymentMethod
from domain.payments.ports import StarRefunds
from domain.payments.records import Payment, PaymentStatus, Refund, RefundStatus
from domain.payments.refunds import Claim, RefundCase, RefundOutcome, give_back
from domain.shared.clock import Clock
from domain.shared.customers import (
    Customer,
    admin_actor,
    customer_actor,
    display_name,
    language_of,
)
from domain.shared.dialogs import Dialog, DialogKind
from domain.shared.errors import DuplicateError, InvalidInputError, NotFoundError
from domain.shared.machine import StateMachine
from domain.shared.money import Money, money_param
from domain.shared.notifications import Notification
from domain.shared.numbers import ALPHABET, normalize_order_number, random_code, readable
from domain.shared.paging import Page, Paged
from domain.shipping.carriers import DEFAULT_CARRIERS, NOTE_MAX, Carrier, Shipment

if TYPE_CHECKING:
    from domain.shared.ports import UnitOfWorkFactory
    from domain.shipping.carriers import DialogResult

log = logging.getLogger(__name__)

STARS = "XTR"
DETAILS_MAX = 500  # the customer's own words about the problem
REASON_MIN, REASON_MAX = 2, 200  # the merchant's reason for declining
PHOTOS_MAX = 5
_NUMBER_LENGTH = 6
_REQUEST_NUMBER = re.compile(rf"R[{ALPHABET}]{{{_NUMBER_LENGTH}}}")
_SPACES = re.compile(r"[ \t\r\f\v]+")
S = RequestStatus


# -- the machine, reviewed as a table -------------------------------------------------------------

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


# -- rules that need no database ------------------------------------------------------------------


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


def refund_amount(request: AfterSalesRequest, order: Order) -> Money:
    """What a return gives back: the returned units at the price paid, plus the shipping
    when the request takes back the whole order."""
    whole = all(request_units(request, line) >= line.quantity for line in order.lines)
    return order.total if whole else request.value


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# -- steps, in the caller's unit of work ----------------------------------------------------------


async def step(
    uow: AfterSalesUnitOfWork,
    request: AfterSalesRequest,
    trigger: str,
    *,
    actor: str,
    at: datetime,
    note: str | None = None,
    params: dict[str, Any] | None = None,
) -> AfterSalesEvent:
    """The one place a request changes state: the machine decides, the status is stored as a
    compare-and-set (of two admins pressing at once, one takes the step), the event is kept
    and the order's count of open requests follows. The caller commits."""
    assert request.id is not None
    before = request.status
    after = next_status(before, request.kind, trigger, request.number)
    request.status = after
    request.updated_at = at
    if not await uow.after_sales.save(request, expected=before):
        request.status = before
        fresh = await uow.after_sales.get(request.id)
        raise AfterSalesStepError(
            number=request.number, state=state_param(fresh.status if fresh else before)
        )
    event = AfterSalesEvent(
        EVENT_FOR_TRIGGER[trigger], actor, at, before, after, note, params or {}
    )
    await uow.after_sales.add_event(request.id, event)
    request.events.append(event)
    if after in FINAL and before not in FINAL:
        await uow.orders.change_after_sales_open(request.order_id, -1)
    return event


async def tell_customer(
    uow: AfterSalesUnitOfWork,
    request: AfterSalesRequest,
    template: str,
    at: datetime,
    **params: Any,
) -> None:
    """Queue a message about the request for its customer, in their language, once."""
    customer = await uow.customers.get(request.customer_id)
    await uow.outbox.add(
        Notification(
            chat_id=request.customer_id,
            template=template,
            params={
                "request": request.number,
                "request_id": request.id,
                "number": request.order_number,
                "kind": {"$text": KIND_TEXTS[request.kind]},
                **params,
            },
            language=language_of(customer),
            dedupe_key=f"{template}:{request.number}",
        ),
        at,
    )


async def _load(uow: AfterSalesUnitOfWork, request_id: int) -> AfterSalesRequest:
    request = await uow.after_sales.get(request_id)
    if request is None:
        raise NotFoundError("as.error.not_found")
    return request


async def ship_request(
    uow: AfterSalesUnitOfWork,
    dialog: Dialog,
    carrier: Carrier,
    at: datetime,
    admin_chat_id: int | None,
) -> DialogResult:
    """Carry out the merchant's ship dialog when it targets a request (`Merchant._ship` calls
    it inside its confirmation's transaction): the replacement (exchange) or the repaired goods
    (repair) go to the customer. The step is a compare-and-set, a replacement takes its units
    from stock (logged, and the low-stock alert follows), and the customer gets the carrier,
    the number and the tracking link."""
    from domain.shipping.carriers import DialogResult

    request = await _load(uow, int(dialog.data["request"]))
    trigger = SHIP_TRIGGERS.get(request.kind)
    if trigger is None:
        raise AfterSalesStepError(number=request.number, state=state_param(request.status))
    tracking = str(dialog.data["tracking"])
    note = dialog.data.get("note")
    actor = admin_actor(dialog.user_id)
    parcel = Parcel(carrier.code, carrier.name, tracking, carrier.link(tracking), at)
    request.shipped = parcel
    await step(
        uow,
        request,
        trigger,
        actor=actor,
        at=at,
        note=str(note)[:NOTE_MAX] if note else None,
        params={"carrier": carrier.code, "tracking": tracking},
    )
    if trigger == "ship_replacement":
        for line in request.lines:
            # One conditional UPDATE: units reserved by orders meanwhile are never undercut.
            stock = await uow.backoffice.adjust_stock(line.product_id, -line.quantity)
            if stock is None:
                product = await uow.products.get(line.product_id)
                raise AfterSalesError(
                    "as.error.no_stock",
                    name=line.name,
                    available=product.available if product else 0,
                )
            entry_id = await uow.inventory.add(
                InventoryEntry(
                    product_id=line.product_id,
                    delta=-line.quantity,
                    stock_after=stock,
                    reason=f"after-sales {request.number}: replacement shipped"[:200],
                    actor=actor,
                    at=at,
                )
            )
            await queue_low_stock_alerts(
                uow, admin_chat_id, at, {line.product_id: line.quantity}, f"inv:{entry_id}"
            )
    template = (
        "as.customer.replacement_shipped"
        if trigger == "ship_replacement"
        else "as.customer.repaired_shipped"
    )
    await tell_customer(
        uow,
        request,
        template,
        at,
        carrier=carrier.name,
        tracking=tracking,
        url=parcel.url or {"$text": "as.customer.no_link"},
    )
    shipment = Shipment(
        order_id=request.order_id,
        carrier_code=carrier.code,
        carrier_name=carrier.name,
        tracking_number=tracking,
        tracking_url=parcel.url,
        actor=actor,
        shipped_at=at,
        key=dialog.token,
        note=str(note) if note else None,
    )
    return DialogResult(dialog, shipment=shipment)


# -- use cases ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AfterSalesConfig:
    """The settings after-sales rules depend on."""

    window: timedelta = timedelta(days=15)  # from delivery (AFTER_SALES_DAYS)
    return_address: str = ""  # where goods go back (RETURN_ADDRESS)
    admin_chat_id: int | None = None
    carriers: tuple[Carrier, ...] = DEFAULT_CARRIERS
    page_size: int = 6

    def carrier(self, code: str) -> Carrier | None:
        """The configured carrier with this code."""
        return next((c for c in self.carriers if c.code == code), None)


@dataclass
class OrderAfterSales:
    """An order as after-sales sees it: its requests, and what may still be asked for."""

    order: Order
    requests: list[AfterSalesRequest]
    delivered_at: datetime | None
    open_until: datetime | None  # end of the window; None when never delivered
    remaining: dict[int, int]  # order line id -> units that may still be asked for
    can_request: bool  # a new request is possible now


@dataclass
class RequestFile:
    """Everything the merchant sees about one request."""

    request: AfterSalesRequest
    order: Order
    customer: Customer | None
    actions: list[str]  # the machine's triggers open to the merchant, in table order
    refund: Refund | None = None
    refund_amount: Money | None = None  # what a return gives back (or gave)
    refund_method: PaymentMethod | None = None
    names: dict[str, str] = field(default_factory=dict)  # actor -> display name


@dataclass
class RefundResult:
    """What a refund attempt did (the payments feature's outcomes)."""

    outcome: RefundOutcome
    request: AfterSalesRequest
    refund: Refund | None = None
    error: str | None = None


@dataclass
class DraftResult:
    """A customer's dialog after a step: still going, or with the request it made."""

    draft: Draft
    request: AfterSalesRequest | None = None
    order: Order | None = None


class AfterSales:
    """The after-sales use cases of one shop, for the customer and for the merchant."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[AfterSalesUnitOfWork],
        clock: Clock,
        config: AfterSalesConfig,
        stars: StarRefunds | None = None,
        numbers: Callable[[], str] = new_request_number,
        tokens: Callable[[], str] = lambda: secrets.token_urlsafe(6),
    ) -> None:
        self._uow = uow
        self._clock = clock
        self.config = config
        self.stars = stars
        self._numbers = numbers
        self._tokens = tokens

    # -- reading ---------------------------------------------------------------------------------

    async def _own_order(self, uow: AfterSalesUnitOfWork, customer_id: int, number: str) -> Order:
        normalized = normalize_order_number(number)
        order = await uow.orders.get_by_number(normalized) if normalized else None
        if order is None or order.customer_id != customer_id:
            raise NotFoundError()
        assert order.id is not None
        order.events = await uow.orders.events(order.id)
        return order

    def _window(self, order: Order) -> tuple[datetime | None, datetime | None]:
        at = delivered_at(order)
        return at, (at + self.config.window if at is not None else None)

    async def _summary(self, uow: AfterSalesUnitOfWork, order: Order) -> OrderAfterSales:
        assert order.id is not None
        requests = await uow.after_sales.for_order(order.id)
        covered = await uow.after_sales.covered(order.id)
        remaining = {
            line.id: max(line.quantity - covered.get(line.id, 0), 0)
            for line in order.lines
            if line.id is not None
        }
        at, until = self._window(order)
        can = (
            order.status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED)
            and until is not None
            and self._clock.now() <= until
            and any(remaining.values())
        )
        return OrderAfterSales(order, requests, at, until, remaining, can)

    async def order_summary(self, customer_id: int, number: str) -> OrderAfterSales:
        """One of the customer's orders with its requests and what may still be asked for."""
        async with self._uow(readonly=True) as uow:
            order = await self._own_order(uow, customer_id, number)
            return await self._summary(uow, order)

    async def summary_of(self, order: Order) -> OrderAfterSales:
        """An order already loaded for its customer (with its events), as after-sales sees it."""
        async with self._uow(readonly=True) as uow:
            return await self._summary(uow, order)

    async def my_requests(self, customer_id: int, page: int) -> Paged[AfterSalesRequest]:
        """The customer's requests, newest first."""
        async with self._uow(readonly=True) as uow:
            return await uow.after_sales.for_customer(
                customer_id, Page(max(page, 0), self.config.page_size)
            )

    async def my_request(self, customer_id: int, request_id: int) -> AfterSalesRequest:
        """One of the customer's requests with its timeline; someone else's is not found."""
        async with self._uow(readonly=True) as uow:
            request = await uow.after_sales.get(request_id)
            if request is None or request.customer_id != customer_id:
                raise NotFoundError("as.error.not_found")
            request.events = await uow.after_sales.events(request_id)
        return request

    # -- the customer asks -----------------------------------------------------------------------

    def _check_window(self, order: Order, now: datetime) -> None:
        at, until = self._window(order)
        if at is None or order.status not in (OrderStatus.DELIVERED, OrderStatus.COMPLETED):
            raise AfterSalesError(
                "as.error.not_delivered", number=order.number, status=str(order.status)
            )
        assert until is not None
        if now > until:
            raise AfterSalesError(
                "as.error.window_closed",
                number=order.number,
                days=self.config.window.days,
                until=until,
            )

    async def request(
        self,
        customer_id: int,
        number: str,
        kind: RequestKind | str,
        lines: dict[int, int],
        reason: ReturnReason | str,
        details: str | None = None,
        photos: Sequence[str] = (),
    ) -> AfterSalesRequest:
        """Open a request on one of the customer's delivered orders, within the window, for
        units nobody asked for yet; the merchant is alerted with its photos."""
        async with self._uow() as uow:
            request = await self._open_request(
                uow, customer_id, number, kind, lines, reason, details, photos
            )
            await uow.commit()
        return request

    async def _open_request(
        self,
        uow: AfterSalesUnitOfWork,
        customer_id: int,
        number: str,
        kind: RequestKind | str,
        lines: dict[int, int],
        reason: ReturnReason | str,
        details: str | None,
        photos: Sequence[str],
    ) -> AfterSalesRequest:
        now = self._clock.now()
        try:
            kind, reason = RequestKind(kind), ReturnReason(reason)
        except ValueError:
            raise AfterSalesError("as.error.stale") from None
        if details is not None:
            details = clean_text(details, 1, DETAILS_MAX)
        if len(photos) > PHOTOS_MAX:
            raise AfterSalesError("as.error.photos_max", max=PHOTOS_MAX)
        order = await self._own_order(uow, customer_id, number)
        assert order.id is not None
        # The order's row stays locked until commit: a second request for the same lines waits
        # here, then counts this one's units.
        await uow.after_sales.lock_order(order.id)
        self._check_window(order, now)
        covered = await uow.after_sales.covered(order.id)
        by_id = {line.id: line for line in order.lines}
        chosen: list[RequestLine] = []
        for line_id, quantity in sorted(lines.items()):
            line = by_id.get(line_id)
            if line is None or quantity < 0:
                raise AfterSalesError("as.error.stale")
            if quantity == 0:
                continue
            if quantity > line.quantity:
                raise AfterSalesError("as.error.too_many", name=line.name, bought=line.quantity)
            left = line.quantity - covered.get(line_id, 0)
            if quantity > left:
                raise AfterSalesError("as.error.already_covered", name=line.name, left=left)
            chosen.append(
                RequestLine(
                    line_id, quantity, line.product_id, line.sku, line.name, line.unit_price
                )
            )
        if not chosen:
            raise AfterSalesError("as.error.no_units")
        if kind == RequestKind.RETURN and paid_in_stars(order):
            # Telegram gives a Stars payment back whole, never in part: a return of a Stars
            # order takes back every unit of it.
            whole = not any(covered.values()) and all(
                sum(c.quantity for c in chosen if c.order_line_id == line.id) == line.quantity
                for line in order.lines
            )
            if not whole:
                raise AfterSalesError("as.error.stars_whole", number=order.number)
        request = AfterSalesRequest(
            number=await self._fresh_number(uow),
            order_id=order.id,
            customer_id=customer_id,
            kind=kind,
            status=RequestStatus.REQUESTED,
            reason=reason,
            lines=chosen,
            created_at=now,
            details=details or None,
            photos=list(photos),
            order_number=order.number,
            currency=order.currency,
            updated_at=now,
        )
        request.id = await uow.after_sales.add(request)
        event = AfterSalesEvent(
            RequestEventType.REQUESTED,
            customer_actor(customer_id),
            now,
            to_status=RequestStatus.REQUESTED,
            note=request.details,
            params={"kind": kind.value, "reason": reason.value, "photos": len(request.photos)},
        )
        await uow.after_sales.add_event(request.id, event)
        request.events.append(event)
        await uow.orders.change_after_sales_open(order.id, +1)
        customer = await uow.customers.get(customer_id)
        await self._alert_new(uow, request, customer, now)
        return request

    async def _fresh_number(self, uow: AfterSalesUnitOfWork) -> str:
        for _ in range(8):
            number = self._numbers()
            if not await uow.after_sales.number_taken(number):
                return number
        raise DuplicateError("error.generic")  # 30 random bits colliding 8 times: not in practice

    async def _alert_new(
        self,
        uow: AfterSalesUnitOfWork,
        request: AfterSalesRequest,
        customer: Customer | None,
        now: datetime,
    ) -> None:
        if self.config.admin_chat_id is None:
            return
        params: dict[str, Any] = {
            "request": request.number,
            "request_id": request.id,
            "number": request.order_number,
            "kind": {"$text": KIND_TEXTS[request.kind]},
            "customer": display_name(customer, request.customer_id),
            # Short enough for a photo's caption (1024 characters) whatever the customer wrote.
            "lines": [[line.quantity, _cut(line.name, 60)] for line in request.lines[:5]]
            + ([["…", f"+{len(request.lines) - 5}"]] if len(request.lines) > 5 else []),
            "reason": {"$text": REASON_TEXTS[request.reason]},
            "details": _cut(request.details or "—", 300),
            "photos": len(request.photos),
        }
        if request.photos:
            params["$photo"] = request.photos[0]  # sent as a photo with the alert as caption
        await uow.outbox.add(
            Notification(
                chat_id=self.config.admin_chat_id,
                template="as.adm.new",
                params=params,
                dedupe_key=f"as.adm.new:{request.number}",
            ),
            now,
        )
        # The other photos follow the alert, one message each (an outbox row sends one photo).
        for index, photo in enumerate(request.photos[1:], 2):
            await uow.outbox.add(
                Notification(
                    chat_id=self.config.admin_chat_id,
                    template="as.adm.photo",
                    params={
                        "request": request.number,
                        "request_id": request.id,
                        "n": index,
                        "total": len(request.photos),
                        "$photo": photo,
                    },
                    dedupe_key=f"as.adm.photo:{request.number}:{index}",
                ),
                now,
            )

    # -- the customer's dialog -------------------------------------------------------------------

    async def current_draft(self, customer_id: int) -> Draft | None:
        """The customer's dialog, unless there is none or it was left alone too long."""
        async with self._uow(readonly=True) as uow:
            draft = await uow.after_sales.get_draft(customer_id)
        if draft is None or draft.expired(self._clock.now()):
            return None
        return draft

    async def start_request(self, customer_id: int, number: str) -> DraftResult:
        """Begin a request on one of the customer's orders: its kind is asked first."""
        now = self._clock.now()
        async with self._uow() as uow:
            order = await self._own_order(uow, customer_id, number)
            self._check_window(order, now)
            summary = await self._summary(uow, order)
            if not any(summary.remaining.values()):
                raise AfterSalesError("as.error.nothing_left", number=order.number)
            draft = Draft(
                customer_id,
                DraftKind.REQUEST,
                self._tokens(),
                "kind",
                {"order_id": order.id, "number": order.number, "lines": {}, "photos": []},
                now,
            )
            await uow.after_sales.save_draft(draft)
            await uow.commit()
        return DraftResult(draft, order=order)

    async def _draft(
        self,
        uow: AfterSalesUnitOfWork,
        customer_id: int,
        token: str | None,
        kind: DraftKind,
        step_name: str | None = None,
    ) -> Draft:
        draft = await uow.after_sales.get_draft(customer_id, for_update=True)
        if (
            draft is None
            or draft.kind != kind
            or (token is not None and draft.token != token)
            or (step_name is not None and draft.step != step_name)
        ):
            raise AfterSalesError("as.error.stale")
        return draft

    async def _save_draft(self, uow: AfterSalesUnitOfWork, draft: Draft) -> None:
        draft.updated_at = self._clock.now()
        await uow.after_sales.save_draft(draft)

    async def _draft_order(self, uow: AfterSalesUnitOfWork, draft: Draft) -> Order:
        order = await uow.orders.get(int(draft.data["order_id"]))
        if order is None or order.customer_id != draft.customer_id:
            raise AfterSalesError("as.error.stale")
        assert order.id is not None
        order.events = await uow.orders.events(order.id)
        return order

    async def draft_view(self, customer_id: int, token: str) -> OrderAfterSales:
        """The order of the customer's request dialog with what may still be asked for."""
        async with self._uow(readonly=True) as uow:
            draft = await uow.after_sales.get_draft(customer_id)
            if draft is None or draft.token != token or draft.kind != DraftKind.REQUEST:
                raise AfterSalesError("as.error.stale")
            order = await self._draft_order(uow, draft)
            return await self._summary(uow, order)

    async def choose_kind(self, customer_id: int, token: str, kind: str) -> DraftResult:
        """Return, exchange or repair; the units are asked next."""
        try:
            chosen = RequestKind(kind)
        except ValueError:
            raise AfterSalesError("as.error.stale") from None
        async with self._uow() as uow:
            draft = await self._draft(uow, customer_id, token, DraftKind.REQUEST, "kind")
            order = await self._draft_order(uow, draft)
            draft.data["kind"] = chosen.value
            if chosen == RequestKind.RETURN and paid_in_stars(order):
                # A Stars order comes back whole (see the module's docstring): all is chosen.
                draft.data["lines"] = {str(line.id): line.quantity for line in order.lines}
            draft.advance()
            await self._save_draft(uow, draft)
            await uow.commit()
        return DraftResult(draft, order=order)

    async def change_line(
        self, customer_id: int, token: str, line_id: int, delta: int
    ) -> DraftResult:
        """One unit more or fewer of a line, within what may still be asked for."""
        if delta not in (-1, 1):
            raise AfterSalesError("as.error.stale")
        async with self._uow() as uow:
            draft = await self._draft(uow, customer_id, token, DraftKind.REQUEST, "lines")
            order = await self._draft_order(uow, draft)
            remaining = (await self._summary(uow, order)).remaining
            if line_id not in remaining:
                raise AfterSalesError("as.error.stale")
            lines = draft.chosen()
            wanted = lines.get(line_id, 0) + delta
            if wanted < 0:
                raise AfterSalesError("as.error.stale")
            if wanted > remaining[line_id]:
                name = next(line.name for line in order.lines if line.id == line_id)
                raise AfterSalesError(
                    "as.error.already_covered", name=name, left=remaining[line_id]
                )
            lines[line_id] = wanted
            draft.data["lines"] = {str(k): v for k, v in lines.items() if v > 0}
            await self._save_draft(uow, draft)
            await uow.commit()
        return DraftResult(draft, order=order)

    async def lines_chosen(self, customer_id: int, token: str) -> DraftResult:
        """Done choosing units; the reason is asked next."""
        async with self._uow() as uow:
            draft = await self._draft(uow, customer_id, token, DraftKind.REQUEST, "lines")
            if not draft.chosen():
                raise AfterSalesError("as.error.no_units")
            draft.advance()
            await self._save_draft(uow, draft)
            await uow.commit()
        return DraftResult(draft)

    async def choose_reason(self, customer_id: int, token: str, code: str) -> DraftResult:
        """Why; the details are asked next (optional)."""
        try:
            reason = ReturnReason(code)
        except ValueError:
            raise AfterSalesError("as.error.stale") from None
        async with self._uow() as uow:
            draft = await self._draft(uow, customer_id, token, DraftKind.REQUEST, "reason")
            draft.data["reason"] = reason.value
            draft.advance()
            await self._save_draft(uow, draft)
            await uow.commit()
        return DraftResult(draft)

    async def give_text(self, customer_id: int, text: str) -> DraftResult | None:
        """Typed text for the customer's dialog: a request's details or the return parcel's
        tracking number. None when no such step waits; InvalidInputError leaves it there."""
        async with self._uow() as uow:
            draft = await uow.after_sales.get_draft(customer_id, for_update=True)
            if draft is None or draft.expired(self._clock.now()) or not draft.waits_for_text:
                return None
            if draft.kind == DraftKind.REQUEST:
                draft.data["details"] = clean_text(text, 1, DETAILS_MAX)
                draft.advance()
                await self._save_draft(uow, draft)
                result = DraftResult(draft)
            elif draft.kind == DraftKind.TRACKING:
                result = await self._send_back(uow, draft, text)
            else:
                return None  # a review's comment: domain/reviews.py takes it
            await uow.commit()
        return result

    async def give_photo(self, customer_id: int, file_id: str) -> DraftResult | None:
        """A photo for the request being filled in; None when none is asked for. At the limit
        the dialog moves on to the summary."""
        async with self._uow() as uow:
            draft = await uow.after_sales.get_draft(customer_id, for_update=True)
            if draft is None or draft.expired(self._clock.now()) or not draft.waits_for_photo:
                return None
            photos = list(draft.data.get("photos") or [])
            if len(photos) >= PHOTOS_MAX:
                raise AfterSalesError("as.error.photos_max", max=PHOTOS_MAX)
            photos.append(file_id)
            draft.data["photos"] = photos
            if len(photos) >= PHOTOS_MAX:
                draft.advance()
            await self._save_draft(uow, draft)
            await uow.commit()
        return DraftResult(draft)

    async def skip(self, customer_id: int, token: str) -> DraftResult:
        """Leave an optional step (details, photos) empty, or be done with the photos."""
        async with self._uow() as uow:
            draft = await self._draft(uow, customer_id, token, DraftKind.REQUEST)
            if not draft.optional:
                raise AfterSalesError("as.error.stale")
            draft.advance()
            await self._save_draft(uow, draft)
            await uow.commit()
        return DraftResult(draft)

    async def cancel_draft(self, customer_id: int, token: str) -> Draft:
        """Drop the customer's dialog; nothing it collected takes effect."""
        async with self._uow() as uow:
            draft = await uow.after_sales.get_draft(customer_id)
            if draft is None or draft.token != token or draft.step == "sent":
                raise AfterSalesError("as.error.stale")
            await uow.after_sales.delete_draft(customer_id, token)
            await uow.commit()
        return draft

    async def submit(self, customer_id: int, token: str) -> DraftResult:
        """Send the request the dialog collected; a second tap finds it sent already."""
        async with self._uow() as uow:
            draft = await uow.after_sales.get_draft(customer_id, for_update=True)
            if draft is None or draft.token != token or draft.kind != DraftKind.REQUEST:
                raise AfterSalesError("as.error.stale")
            if draft.step == "sent":
                sent = await uow.after_sales.get(int(draft.data["request_id"]))
                if sent is None:
                    raise AfterSalesError("as.error.stale")
                return DraftResult(draft, request=sent)
            if draft.step != "confirm":
                raise AfterSalesError("as.error.stale")
            data = draft.data
            request = await self._open_request(
                uow,
                customer_id,
                str(data["number"]),
                str(data.get("kind")),
                draft.chosen(),
                str(data.get("reason")),
                data.get("details"),
                list(data.get("photos") or []),
            )
            # The dialog stays, finished, naming its request: a double tap shows it again.
            draft.advance()
            draft.data = {"request_id": request.id, "number": request.order_number}
            await self._save_draft(uow, draft)
            await uow.commit()
        return DraftResult(draft, request=request)

    # -- the return parcel -----------------------------------------------------------------------

    async def start_send_back(self, customer_id: int, request_id: int) -> Draft:
        """Begin giving the return parcel: the carrier is asked first."""
        async with self._uow() as uow:
            request = await uow.after_sales.get(request_id)
            if request is None or request.customer_id != customer_id:
                raise NotFoundError("as.error.not_found")
            next_status(request.status, request.kind, "send_back", request.number)
            draft = Draft(
                customer_id,
                DraftKind.TRACKING,
                self._tokens(),
                "carrier",
                {"request_id": request.id, "request": request.number},
                self._clock.now(),
            )
            await uow.after_sales.save_draft(draft)
            await uow.commit()
        return draft

    async def choose_return_carrier(self, customer_id: int, token: str, code: str) -> Draft:
        """The return parcel's carrier; its tracking number is asked next."""
        carrier = self.config.carrier(code)
        async with self._uow() as uow:
            draft = await self._draft(uow, customer_id, token, DraftKind.TRACKING, "carrier")
            if carrier is None:
                raise AfterSalesError("as.error.stale")
            draft.data["carrier"] = carrier.code
            draft.advance()
            await self._save_draft(uow, draft)
            await uow.commit()
        return draft

    async def _send_back(self, uow: AfterSalesUnitOfWork, draft: Draft, text: str) -> DraftResult:
        carrier = self.config.carrier(str(draft.data.get("carrier")))
        if carrier is None:
            raise AfterSalesError("as.error.stale")
        tracking = carrier.check(text)
        now = self._clock.now()
        request = await uow.after_sales.get(int(draft.data["request_id"]))
        if request is None or request.customer_id != draft.customer_id:
            raise AfterSalesError("as.error.stale")
        parcel = Parcel(carrier.code, carrier.name, tracking, carrier.link(tracking), now)
        request.returned = parcel
        await step(
            uow,
            request,
            "send_back",
            actor=customer_actor(draft.customer_id),
            at=now,
            params={"carrier": carrier.code, "tracking": tracking},
        )
        await uow.after_sales.delete_draft(draft.customer_id, draft.token)
        if self.config.admin_chat_id is not None:
            customer = await uow.customers.get(request.customer_id)
            await uow.outbox.add(
                Notification(
                    chat_id=self.config.admin_chat_id,
                    template="as.adm.returned",
                    params={
                        "request": request.number,
                        "request_id": request.id,
                        "customer": display_name(customer, request.customer_id),
                        "carrier": carrier.name,
                        "tracking": tracking,
                        "url": parcel.url or "—",
                    },
                    dedupe_key=f"as.adm.returned:{request.number}:{tracking}"[:128],
                ),
                now,
            )
        return DraftResult(draft, request=request)

    # -- the merchant ----------------------------------------------------------------------------

    async def queue(
        self, statuses: Collection[RequestStatus], page: int
    ) -> Paged[AfterSalesRequest]:
        """A page of requests in these statuses, oldest first."""
        async with self._uow(readonly=True) as uow:
            return await uow.after_sales.listing(
                statuses, Page(max(page, 0), self.config.page_size)
            )

    async def counts(self) -> dict[RequestStatus, int]:
        """How many requests are in each status."""
        async with self._uow(readonly=True) as uow:
            return await uow.after_sales.count_by_status()

    async def for_order(self, number: str) -> tuple[Order, list[AfterSalesRequest]]:
        """An order and its requests, for the merchant."""
        normalized = normalize_order_number(number)
        async with self._uow(readonly=True) as uow:
            order = await uow.orders.get_by_number(normalized) if normalized else None
            if order is None:
                raise NotFoundError()
            assert order.id is not None
            return order, await uow.after_sales.for_order(order.id)

    async def request_file(self, request_id: int) -> RequestFile:
        """One request with its order, customer, timeline, refund and the steps open to it."""
        async with self._uow(readonly=True) as uow:
            request = await _load(uow, request_id)
            request.events = await uow.after_sales.events(request_id)
            order = await uow.orders.get(request.order_id)
            assert order is not None
            customer = await uow.customers.get(request.customer_id)
            refund = await uow.payments.refund_for_request(request_id)
            payment = None
            if request.kind.value == "return" and refund is None:
                payment = next(
                    (
                        p
                        for p in await uow.payments.for_order(request.order_id)
                        if p.status in (PaymentStatus.APPLIED, PaymentStatus.REFUNDED)
                    ),
                    None,
                )
            names: dict[str, str] = {}
            for actor in {e.actor for e in request.events}:
                who, _, raw = actor.partition(":")
                if who in ("admin", "customer") and raw.lstrip("-").isdigit():
                    person = await uow.customers.get(int(raw))
                    if person is not None:
                        names[actor] = person.first_name
        actions = [
            t for t in allowed_triggers(request.status, request.kind) if t not in CUSTOMER_TRIGGERS
        ]
        amount = refund.amount if refund else None
        method = refund.method if refund else None
        if refund is None and payment is not None:
            amount, method = self._amount(request, order, payment), payment.method
        return RequestFile(request, order, customer, actions, refund, amount, method, names)

    async def approve(self, admin_id: int, request_id: int) -> AfterSalesRequest:
        """Accept the request: the customer is told where to send the goods back."""
        now = self._clock.now()
        async with self._uow() as uow:
            request = await _load(uow, request_id)
            await step(uow, request, "approve", actor=admin_actor(admin_id), at=now)
            await tell_customer(
                uow,
                request,
                "as.customer.approved",
                now,
                address=self.config.return_address or {"$text": "as.customer.address_missing"},
            )
            await uow.commit()
        return request

    async def start_decline(self, chat_id: int, admin_id: int, request_id: int) -> Dialog:
        """Begin declining a request: the reason is asked first (the customer reads it)."""
        async with self._uow() as uow:
            request = await _load(uow, request_id)
            next_status(request.status, request.kind, "decline", request.number)
            dialog = Dialog(
                chat_id,
                admin_id,
                DialogKind.AS_DECLINE,
                self._tokens(),
                "reason",
                {"request_id": request.id, "request": request.number},
                self._clock.now(),
            )
            await uow.dialogs.save(dialog)
            await uow.commit()
        return dialog

    async def decline(
        self, admin_id: int, request_id: int, reason: str, dialog: Dialog | None = None
    ) -> AfterSalesRequest:
        """Refuse the request with a reason (the customer reads it); its units may be asked
        for again. The decline dialog that asked for the reason ends in the same transaction."""
        reason = clean_text(reason, REASON_MIN, REASON_MAX)
        now = self._clock.now()
        async with self._uow() as uow:
            request = await _load(uow, request_id)
            request.decline_reason = reason
            await step(uow, request, "decline", actor=admin_actor(admin_id), at=now, note=reason)
            await tell_customer(uow, request, "as.customer.declined", now, reason=reason)
            if dialog is not None:
                await uow.dialogs.delete(dialog.chat_id, dialog.user_id, dialog.token)
            await uow.commit()
        return request

    async def receive(
        self, admin_id: int, request_id: int, disposition: Disposition | str
    ) -> AfterSalesRequest:
        """The goods came back. Returned or exchanged goods go back into stock or are written
        off, as the merchant chooses, each line in the inventory log; a repair keeps the
        customer's goods out of stock."""
        try:
            chosen = Disposition(disposition)
        except ValueError:
            raise AfterSalesError("as.error.stale") from None
        now = self._clock.now()
        actor = admin_actor(admin_id)
        async with self._uow() as uow:
            request = await _load(uow, request_id)
            if (request.kind == RequestKind.REPAIR) != (chosen == Disposition.KEEP):
                raise AfterSalesError("as.error.stale")
            request.disposition = chosen
            await step(
                uow, request, "receive", actor=actor, at=now, params={"disposition": chosen.value}
            )
            for line in request.lines:
                await self._log_return(uow, request, line, chosen, actor, now)
            await tell_customer(uow, request, "as.customer.received", now)
            await uow.commit()
        return request

    @staticmethod
    async def _log_return(
        uow: AfterSalesUnitOfWork,
        request: AfterSalesRequest,
        line: RequestLine,
        disposition: Disposition,
        actor: str,
        now: datetime,
    ) -> None:
        if disposition == Disposition.KEEP:
            return
        delta = line.quantity if disposition == Disposition.RESTOCK else 0
        if delta:
            await uow.products.restock(line.product_id, delta)
        product = await uow.products.get(line.product_id)
        if product is None:
            return
        what = "restocked" if delta else f"{line.quantity} written off"
        await uow.inventory.add(
            InventoryEntry(
                product_id=line.product_id,
                delta=delta,
                stock_after=product.stock,
                reason=f"after-sales {request.number}: returned, {what}"[:200],
                actor=actor,
                at=now,
            )
        )

    async def start_ship(self, chat_id: int, admin_id: int, request_id: int) -> Dialog:
        """Begin shipping the replacement (exchange) or the repaired goods (repair) with the
        merchant's ship dialog (carrier, tracking number, note, confirm); `ship_request`
        carries it out."""
        async with self._uow() as uow:
            request = await _load(uow, request_id)
            trigger = SHIP_TRIGGERS.get(request.kind, "ship_replacement")
            next_status(request.status, request.kind, trigger, request.number)
            if trigger == "ship_replacement":
                for line in request.lines:
                    product = await uow.products.get(line.product_id)
                    available = product.available if product else 0
                    if available < line.quantity:
                        raise AfterSalesError(
                            "as.error.no_stock", name=line.name, available=available
                        )
            dialog = Dialog(
                chat_id,
                admin_id,
                DialogKind.SHIP,
                self._tokens(),
                "carrier",
                {
                    "number": request.order_number,
                    "request": request.id,
                    "request_number": request.number,
                },
                self._clock.now(),
            )
            await uow.dialogs.save(dialog)
            await uow.commit()
        return dialog

    async def close(self, admin_id: int, request_id: int) -> AfterSalesRequest:
        """Close a request whose work is done (or whose goods never came back)."""
        now = self._clock.now()
        async with self._uow() as uow:
            request = await _load(uow, request_id)
            await step(uow, request, "close", actor=admin_actor(admin_id), at=now)
            await tell_customer(uow, request, "as.customer.closed", now)
            await uow.commit()
        return request

    # -- refunds ---------------------------------------------------------------------------------

    @staticmethod
    async def _payment(uow: AfterSalesUnitOfWork, order: Order) -> Payment:
        assert order.id is not None
        for payment in await uow.payments.for_order(order.id):
            if payment.status in (PaymentStatus.APPLIED, PaymentStatus.REFUNDED):
                return payment
        raise AfterSalesError("as.error.no_payment", number=order.number)

    @staticmethod
    def _amount(request: AfterSalesRequest, order: Order, payment: Payment) -> Money:
        if payment.method == PaymentMethod.STARS:
            return payment.amount  # Telegram gives a Stars charge back whole
        amount = refund_amount(request, order)
        if amount.currency != payment.amount.currency or amount.amount > payment.amount.amount:
            return payment.amount
        return amount

    async def refund_plan(self, request_id: int) -> tuple[AfterSalesRequest, Payment, Money]:
        """What refunding a return would give back, and through which payment."""
        async with self._uow(readonly=True) as uow:
            request = await _load(uow, request_id)
            next_status(request.status, request.kind, "refund", request.number)
            order = await uow.orders.get(request.order_id)
            assert order is not None
            payment = await self._payment(uow, order)
        return request, payment, self._amount(request, order, payment)

    async def start_refund_note(self, chat_id: int, admin_id: int, request_id: int) -> Dialog:
        """A return paid by card, bank transfer or cash is refunded outside Telegram: the
        merchant's note (e.g. the refund reference) is asked, then the refund is recorded."""
        request, payment, _ = await self.refund_plan(request_id)
        if payment.method == PaymentMethod.STARS:
            raise AfterSalesError("as.error.stale")
        async with self._uow() as uow:
            dialog = Dialog(
                chat_id,
                admin_id,
                DialogKind.AS_REFUND,
                self._tokens(),
                "note",
                {"request_id": request.id, "request": request.number},
                self._clock.now(),
            )
            await uow.dialogs.save(dialog)
            await uow.commit()
        return dialog

    async def refund(self, admin_id: int, request_id: int, note: str | None = None) -> RefundResult:
        """Give the money of a return back, once. Stars go back through Telegram (recorded as
        pending first, so a crash or a lost answer is finished by the next attempt); card, bank
        and cash payments were refunded by the merchant outside Telegram and are recorded with
        their note. The request becomes refunded, the order's timeline shows it and the
        customer is told; a refund of the whole payment marks the payment refunded."""
        case = RequestRefund(request_id)
        return await give_back(
            self._uow, self._clock, self.stars, case, admin_actor(admin_id), note
        )


class RequestRefund(RefundCase[AfterSalesUnitOfWork, RefundResult]):
    """The money of a return given back, through the payment that paid its order: possibly
    part of it (a Stars charge goes back whole only)."""

    def __init__(self, request_id: int) -> None:
        self.request_id = self._id = request_id
        self.label = f"request {request_id}"
        self.request: AfterSalesRequest | None = None
        self.order: Order | None = None
        self.payment: Payment | None = None

    async def open(self, uow: AfterSalesUnitOfWork, refund: Refund | None) -> Claim | None:
        self.request = request = await _load(uow, self._id)
        self.label = request.number
        if refund is not None and refund.status == RefundStatus.DONE:
            return None
        next_status(request.status, request.kind, "refund", request.number)
        self.order = order = await uow.orders.get(request.order_id)
        assert order is not None
        self.payment = payment = await AfterSales._payment(uow, order)
        return Claim(payment, AfterSales._amount(request, order, payment), request.customer_id)

    async def reload(self, uow: AfterSalesUnitOfWork) -> None:
        self.request = request = await _load(uow, self._id)
        self.order = await uow.orders.get(request.order_id)
        assert self.payment is not None and self.payment.id is not None
        self.payment = await uow.payments.get(self.payment.id) or self.payment

    async def failed(
        self, uow: AfterSalesUnitOfWork, refund: Refund, actor: str, now: datetime
    ) -> None:
        await uow.after_sales.add_event(
            self._id,
            AfterSalesEvent(
                RequestEventType.REFUND_FAILED, actor, now, params={"error": refund.error}
            ),
        )

    async def completed(
        self, uow: AfterSalesUnitOfWork, refund: Refund, actor: str, now: datetime
    ) -> bool:
        request, order, payment = self.request, self.order, self.payment
        assert request is not None and order is not None and payment is not None
        await step(
            uow,
            request,
            "refund",
            actor=actor,
            at=now,
            note=refund.note,
            params={"amount": money_param(refund.amount), "method": refund.method.value},
        )
        assert payment.id is not None and order.id is not None
        if refund.amount.amount >= payment.amount.amount:
            await uow.payments.set_status(
                payment.id, PaymentStatus.REFUNDED, expected=PaymentStatus.APPLIED
            )
        await orders.record(
            uow,
            order,
            OrderEventType.REFUNDED,
            actor=actor,
            at=now,
            note=refund.note,
            params={
                "after_sales": request.number,
                "payment_id": payment.id,
                "amount": money_param(refund.amount),
                "method": refund.method.value,
            },
        )
        await tell_customer(
            uow,
            request,
            "as.customer.refunded",
            now,
            total=money_param(refund.amount),
            how={"$text": REFUND_TEXTS[refund.method]},
        )
        return True

    def result(
        self, outcome: RefundOutcome, refund: Refund | None, error: str | None
    ) -> RefundResult:
        assert self.request is not None
        return RefundResult(outcome, self.request, refund, error)
