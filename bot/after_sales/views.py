"""After-sales and review screens: pure functions from the domain's objects to text and
keyboards. Customer screens speak the customer's language; merchant screens the admin chat's."""

from __future__ import annotations

import html
from collections.abc import Sequence
from enum import StrEnum

from telegram import InlineKeyboardButton

from bot import callbacks as cb
from bot.texts import Html, Texts
from bot.views import CAPTION_LIMIT, TEXT_LIMIT, Screen, button, fit, keyboard, pager
from domain.after_sales.records import OPEN as OPEN_STATUSES
from domain.after_sales.records import (
    AfterSalesEvent,
    AfterSalesRequest,
    Draft,
    Parcel,
    RequestEventType,
    RequestKind,
    RequestStatus,
    ReturnReason,
)
from domain.after_sales.service import (
    KIND_TEXTS,
    PHOTOS_MAX,
    REASON_TEXTS,
    REFUND_TEXTS,
    STATUS_TEXTS,
    OrderAfterSales,
    RequestFile,
)
from domain.orders.model import Order, PaymentMethod
from domain.payments.records import RefundStatus
from domain.reviews.service import COMMENT_MAX, RATING_MAX, RATING_MIN, Review
from domain.shared.customers import Language
from domain.shared.dialogs import Dialog
from domain.shared.money import Money
from domain.shared.paging import Paged
from domain.shipping.carriers import Carrier

EVENTS_SHOWN = 12
NOTE_SHOWN = 200
S = RequestStatus

EVENT_TEXTS = {
    RequestEventType.REQUESTED: "as.event.requested",
    RequestEventType.APPROVED: "as.event.approved",
    RequestEventType.DECLINED: "as.event.declined",
    RequestEventType.RETURN_SENT: "as.event.return_sent",
    RequestEventType.GOODS_RECEIVED: "as.event.goods_received",
    RequestEventType.REFUNDED: "as.event.refunded",
    RequestEventType.REFUND_FAILED: "as.event.refund_failed",
    RequestEventType.REPLACEMENT_SHIPPED: "as.event.replacement_shipped",
    RequestEventType.REPAIRED_SHIPPED: "as.event.repaired_shipped",
    RequestEventType.CLOSED: "as.event.closed",
}
KIND_BUTTONS = {
    RequestKind.RETURN: "as.draft.kind_return",
    RequestKind.EXCHANGE: "as.draft.kind_exchange",
    RequestKind.REPAIR: "as.draft.kind_repair",
}
DISPOSITION_TEXTS = {
    "restock": "as.adm.disposition_restock",
    "writeoff": "as.adm.disposition_writeoff",
    "keep": "as.adm.disposition_keep",
}
METHOD_TEXTS = {
    PaymentMethod.STARS: "payment.stars",
    PaymentMethod.CARD: "payment.card",
    PaymentMethod.BANK_TRANSFER: "payment.bank",
    PaymentMethod.CASH_ON_DELIVERY: "payment.cod",
}
REFUND_STATE_TEXTS = {
    RefundStatus.PENDING: "as.adm.refund_pending",
    RefundStatus.DONE: "as.adm.refund_done_state",
    RefundStatus.FAILED: "as.adm.refund_failed_state",
}
STAR_KEYS = ("review.star_1", "review.star_2", "review.star_3", "review.star_4", "review.star_5")


class QueueFilter(StrEnum):
    """The merchant's views of the after-sales queue."""

    NEW = "new"  # waiting for approval
    APPROVED = "appr"  # the customer sends the goods back
    RECEIVED = "recv"  # goods back: refund, replacement or repair due
    SENT = "done"  # refunded or shipped: to close
    OPEN = "open"  # every open request


QUEUE_STATUSES: dict[QueueFilter, frozenset[RequestStatus]] = {
    QueueFilter.NEW: frozenset({S.REQUESTED}),
    QueueFilter.APPROVED: frozenset({S.APPROVED}),
    QueueFilter.RECEIVED: frozenset({S.GOODS_RECEIVED}),
    QueueFilter.SENT: frozenset({S.REFUNDED, S.REPLACEMENT_SHIPPED, S.REPAIRED_SHIPPED}),
    QueueFilter.OPEN: OPEN_STATUSES,
}
QUEUE_LABELS = {
    QueueFilter.NEW: "as.filter.new",
    QueueFilter.APPROVED: "as.filter.appr",
    QueueFilter.RECEIVED: "as.filter.recv",
    QueueFilter.SENT: "as.filter.done",
    QueueFilter.OPEN: "as.filter.open",
}


def stars(rating: int) -> str:
    """★★★★☆ for 4."""
    return "★" * rating + "☆" * (RATING_MAX - rating)


def _short(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class AfterSalesViews:
    """All after-sales and review screens."""

    def __init__(
        self,
        texts: Texts,
        admin_language: Language,
        carriers: Sequence[Carrier],
        return_address: str = "",
    ) -> None:
        self.t = texts
        self.admin = admin_language
        self.carriers = {c.code: c for c in carriers}
        self.return_address = return_address

    @staticmethod
    def plain(text: str) -> str:
        """Button labels are not HTML."""
        return html.unescape(text)

    def kind(self, lang: Language, request: AfterSalesRequest) -> str:
        return self.t(lang, KIND_TEXTS[request.kind])

    def status(self, lang: Language, status: RequestStatus) -> str:
        return self.t(lang, STATUS_TEXTS[status])

    def _address(self, lang: Language) -> str:
        return self.return_address or self.t(lang, "as.customer.address_missing")

    def _parcel(self, lang: Language, parcel: Parcel, plain_key: str, link_key: str) -> str:
        if parcel.url:
            return self.t(
                lang,
                link_key,
                carrier=parcel.carrier_name,
                tracking=parcel.tracking,
                url=parcel.url,
            )
        return self.t(lang, plain_key, carrier=parcel.carrier_name, tracking=parcel.tracking)

    # -- the customer's order detail --------------------------------------------------------

    def order_section(
        self, lang: Language, summary: OrderAfterSales, page: int
    ) -> tuple[list[str], list[list[InlineKeyboardButton]]]:
        """Lines and buttons the order detail shows about after-sales."""
        t = self.t
        lines: list[str] = []
        rows: list[list[InlineKeyboardButton]] = []
        if summary.requests:
            lines.append(t(lang, "as.order.title"))
            for request in summary.requests:
                lines.append(
                    t(
                        lang,
                        "as.order.line",
                        request=request.number,
                        kind=self.kind(lang, request),
                        status=self.status(lang, request.status),
                    )
                )
        if summary.can_request and summary.open_until is not None:
            lines.append(t(lang, "as.order.window", until=summary.open_until))
            rows.append(
                [
                    button(
                        t(lang, "as.order.start"),
                        cb.AsStart(cb.OrderNo(summary.order.number), page),
                    )
                ]
            )
        if summary.requests:
            rows.append([button(t(lang, "as.order.mine"), cb.AsMine(0))])
        return lines, rows

    # -- the customer's request dialog -------------------------------------------------------

    def _cancel(self, lang: Language, draft: Draft) -> InlineKeyboardButton:
        return button(self.t(lang, "as.draft.cancel"), cb.AsCancel(cb.Token(draft.token)))

    def draft_step(self, lang: Language, draft: Draft, summary: OrderAfterSales) -> Screen:
        """The screen of the request dialog's current step."""
        t = self.t
        token = cb.Token(draft.token)
        number = summary.order.number
        if draft.step == "kind":
            rows = [
                [button(t(lang, KIND_BUTTONS[kind]), cb.AsKind(token, kind.value))]
                for kind in RequestKind
            ]
            rows.append([self._cancel(lang, draft)])
            return Screen(t(lang, "as.draft.kind", number=number), keyboard(rows))
        if draft.step == "lines":
            return self.lines_step(lang, draft, summary)
        if draft.step == "reason":
            rows = [
                [button(t(lang, REASON_TEXTS[reason]), cb.AsReason(token, reason.value))]
                for reason in ReturnReason
            ]
            rows.append([self._cancel(lang, draft)])
            return Screen(t(lang, "as.draft.reason"), keyboard(rows))
        if draft.step == "details":
            return Screen(
                t(lang, "as.draft.details"),
                keyboard(
                    [
                        [
                            button(t(lang, "as.draft.skip"), cb.AsSkip(token)),
                            self._cancel(lang, draft),
                        ]
                    ]
                ),
            )
        if draft.step == "photos":
            return self.photos_step(lang, draft)
        return self.summary(lang, draft, summary.order)

    def lines_step(self, lang: Language, draft: Draft, summary: OrderAfterSales) -> Screen:
        t = self.t
        token = cb.Token(draft.token)
        kind = RequestKind(str(draft.data.get("kind")))
        chosen = draft.chosen()
        rows: list[list[InlineKeyboardButton]] = []
        for line in summary.order.lines:
            if line.id is None:
                continue
            left = summary.remaining.get(line.id, 0)
            name = _short(line.name, 28)
            if left <= 0:
                rows.append(
                    [button(self.plain(t(lang, "as.draft.line_taken", name=name)), cb.Noop())]
                )
                continue
            units = chosen.get(line.id, 0)
            rows.append(
                [
                    button("➖", cb.AsLine(token, line.id, -1))
                    if units
                    else button(" ", cb.Noop()),
                    button(
                        self.plain(t(lang, "as.draft.line", name=name, chosen=units, left=left)),
                        cb.Noop(),
                    ),
                    button("➕", cb.AsLine(token, line.id, 1))
                    if units < left
                    else button(" ", cb.Noop()),
                ]
            )
        rows.append(
            [button(t(lang, "as.draft.next"), cb.AsLinesDone(token)), self._cancel(lang, draft)]
        )
        text = t(
            lang,
            "as.draft.lines",
            kind=t(lang, KIND_TEXTS[kind]),
            number=summary.order.number,
        )
        if kind == RequestKind.RETURN and summary.order.currency == "XTR":
            text += "\n" + t(lang, "as.draft.stars_whole")
        return Screen(text, keyboard(rows))

    def photos_step(self, lang: Language, draft: Draft) -> Screen:
        t = self.t
        photos = len(draft.data.get("photos") or [])
        if photos:
            text = t(lang, "as.draft.photo_received", n=photos, max=PHOTOS_MAX)
            label = t(lang, "as.draft.done")
        else:
            text = t(lang, "as.draft.photos", max=PHOTOS_MAX)
            label = t(lang, "as.draft.skip")
        return Screen(
            text,
            keyboard(
                [[button(label, cb.AsSkip(cb.Token(draft.token))), self._cancel(lang, draft)]]
            ),
        )

    def summary(self, lang: Language, draft: Draft, order: Order) -> Screen:
        t = self.t
        data = draft.data
        chosen = draft.chosen()
        lines = [
            t(lang, "as.draft.line_summary", name=line.name, qty=chosen[line.id])
            for line in order.lines
            if line.id in chosen
        ]
        text = t(
            lang,
            "as.draft.summary",
            kind=t(lang, KIND_TEXTS[RequestKind(str(data.get("kind")))]),
            number=order.number,
            lines=Html("\n".join(lines)),
            reason=t(lang, REASON_TEXTS[ReturnReason(str(data.get("reason")))]),
            details=str(data.get("details") or "—"),
            photos=len(data.get("photos") or []),
        )
        token = cb.Token(draft.token)
        return Screen(
            fit(text, TEXT_LIMIT),
            keyboard(
                [
                    [button(t(lang, "as.draft.submit"), cb.AsSubmit(token))],
                    [self._cancel(lang, draft)],
                ]
            ),
        )

    def sent(self, lang: Language, request: AfterSalesRequest) -> Screen:
        t = self.t
        assert request.id is not None
        return Screen(
            t(
                lang,
                "as.draft.sent",
                request=request.number,
                kind=self.kind(lang, request),
                number=request.order_number,
                status=self.status(lang, request.status),
            ),
            keyboard(
                [
                    [button(t(lang, "as.view.open"), cb.AsView(request.id))],
                    [button(t(lang, "as.view.back"), cb.AsMine(0))],
                ]
            ),
        )

    def cancelled(self, lang: Language, number: str | None) -> Screen:
        rows = []
        if number:
            rows.append([button(self.t(lang, "as.view.order", number=number), _order(number))])
        return Screen(self.t(lang, "as.draft.cancelled"), keyboard(rows))

    # -- the customer's requests -------------------------------------------------------------

    def request_list(self, lang: Language, paged: Paged[AfterSalesRequest]) -> Screen:
        t = self.t
        if not paged.items:
            return Screen(
                t(lang, "as.view.none"),
                keyboard([[button(t(lang, "menu.orders"), cb.OrderList(0))]]),
            )
        rows = [
            [
                button(
                    self.plain(
                        t(
                            lang,
                            "as.view.list_button",
                            request=r.number,
                            kind=self.kind(lang, r),
                            status=self.status(lang, r.status),
                        )
                    ),
                    cb.AsView(r.id or 0),
                )
            ]
            for r in paged.items
        ]
        rows.append(pager(t, lang, paged, lambda n: cb.AsMine(n)))
        rows.append([button(t(lang, "menu.orders"), cb.OrderList(0))])
        return Screen(t(lang, "as.view.list_title", total=paged.total), keyboard(rows))

    def request_detail(self, lang: Language, request: AfterSalesRequest) -> Screen:
        t = self.t
        assert request.id is not None
        parts = [
            t(
                lang,
                "as.view.title",
                request=request.number,
                kind=self.kind(lang, request),
                number=request.order_number,
                status=self.status(lang, request.status),
                at=request.created_at,
            )
        ]
        for line in request.lines:
            parts.append(t(lang, "as.view.line", name=line.name, qty=line.quantity))
        parts.append(t(lang, "as.view.reason", reason=t(lang, REASON_TEXTS[request.reason])))
        if request.details:
            parts.append(t(lang, "as.view.details", details=_short(request.details, NOTE_SHOWN)))
        if request.status == S.APPROVED:
            parts.append(t(lang, "as.view.return_to", address=self._address(lang)))
        if request.returned is not None:
            parts.append(
                self._parcel(lang, request.returned, "as.view.returned", "as.view.returned_link")
            )
        if request.shipped is not None:
            parts.append(
                self._parcel(lang, request.shipped, "as.view.shipped", "as.view.shipped_link")
            )
        if request.decline_reason:
            parts.append(t(lang, "as.view.declined", reason=request.decline_reason))
        if request.events:
            parts.append(t(lang, "as.view.timeline"))
            for event in request.events[-EVENTS_SHOWN:]:
                parts.append(
                    t(lang, "as.view.event", at=event.at, what=t(lang, EVENT_TEXTS[event.type]))
                )
        rows: list[list[InlineKeyboardButton]] = []
        if request.status == S.APPROVED:
            rows.append([button(t(lang, "as.view.send_back"), cb.AsSendBack(request.id))])
        rows.append(
            [
                button(t(lang, "as.view.back"), cb.AsMine(0)),
                button(
                    t(lang, "as.view.order", number=request.order_number),
                    _order(request.order_number),
                ),
            ]
        )
        return Screen(fit("\n".join(parts), TEXT_LIMIT), keyboard(rows))

    # -- the return parcel -------------------------------------------------------------------

    def tracking_step(self, lang: Language, draft: Draft) -> Screen:
        t = self.t
        token = cb.Token(draft.token)
        request = str(draft.data.get("request", ""))
        if draft.step == "carrier":
            carriers = list(self.carriers.values())
            rows = [
                [button(c.name, cb.AsReturnCarrier(token, c.code)) for c in carriers[i : i + 2]]
                for i in range(0, len(carriers), 2)
            ]
            rows.append([self._cancel(lang, draft)])
            return Screen(t(lang, "as.track.carrier", request=request), keyboard(rows))
        carrier = self.carriers.get(str(draft.data.get("carrier")))
        name = carrier.name if carrier else str(draft.data.get("carrier"))
        if carrier is not None and carrier.example:
            text = t(lang, "as.track.number_example", carrier=name, example=carrier.example)
        else:
            text = t(lang, "as.track.number", carrier=name)
        return Screen(text, keyboard([[self._cancel(lang, draft)]]))

    def tracking_done(self, lang: Language, request: AfterSalesRequest) -> Screen:
        assert request.returned is not None and request.id is not None
        return Screen(
            self.t(
                lang,
                "as.track.done",
                request=request.number,
                carrier=request.returned.carrier_name,
                tracking=request.returned.tracking,
            ),
            keyboard([[button(self.t(lang, "as.view.open"), cb.AsView(request.id))]]),
        )

    # -- reviews -----------------------------------------------------------------------------

    def review_section(
        self, lang: Language, order: Order, review: Review | None, page: int
    ) -> tuple[list[str], list[list[InlineKeyboardButton]]]:
        """Lines and buttons the detail of a completed order shows about its review."""
        t = self.t
        number = cb.OrderNo(order.number)
        if review is None:
            return [], [[button(t(lang, "review.rate"), cb.RvAsk(number, page))]]
        lines = [t(lang, "review.yours", stars=stars(review.rating))]
        if review.comment:
            lines.append(t(lang, "review.comment_line", comment=_short(review.comment, 300)))
        return lines, [[button(t(lang, "review.edit"), cb.RvAsk(number, page))]]

    def rating_picker(self, lang: Language, number: str, page: int) -> Screen:
        t = self.t
        order_no = cb.OrderNo(number)
        row = [
            button(t(lang, key), cb.RvRate(order_no, rating))
            for key, rating in zip(STAR_KEYS, range(RATING_MIN, RATING_MAX + 1), strict=True)
        ]
        return Screen(
            t(lang, "review.ask", number=number),
            keyboard([row, [button(t(lang, "nav.back"), cb.OrderDetail(order_no, page))]]),
        )

    def rated(
        self, lang: Language, review: Review, number: str, draft: Draft, created: bool
    ) -> Screen:
        t = self.t
        key = "review.thanks" if created else "review.updated"
        return Screen(
            t(lang, key, number=number, stars=stars(review.rating), max=COMMENT_MAX),
            keyboard([[button(t(lang, "review.skip"), cb.RvSkip(cb.Token(draft.token)))]]),
        )

    def review_saved(self, lang: Language, review: Review, number: str) -> Screen:
        t = self.t
        return Screen(
            t(lang, "review.saved", number=number, stars=stars(review.rating)),
            keyboard(
                [
                    [
                        button(t(lang, "as.view.order", number=number), _order(number)),
                        button(t(lang, "menu.catalog"), cb.Categories()),
                    ]
                ]
            ),
        )

    # -- the merchant ------------------------------------------------------------------------

    def a(self, key: str, **params: object) -> str:
        """A text in the admin chat's language."""
        return self.t(self.admin, key, **params)

    def queue(
        self, which: QueueFilter, paged: Paged[AfterSalesRequest], counts: dict[RequestStatus, int]
    ) -> Screen:
        a = self.a
        rows = [
            [
                button(
                    self.plain(
                        a(
                            "as.adm.queue_button",
                            request=r.number,
                            kind=self.kind(self.admin, r),
                            status=self.status(self.admin, r.status),
                            number=r.order_number,
                        )
                    ),
                    cb.AsAdmView(r.id or 0),
                )
            ]
            for r in paged.items
        ]
        if paged.pages > 1:
            number = paged.page.number
            rows.append(
                [
                    button("◀", cb.AsAdmQueue(which.value, number - 1))
                    if paged.has_prev
                    else button(" ", cb.Noop()),
                    button(a("nav.page", page=number + 1, pages=paged.pages), cb.Noop()),
                    button("▶", cb.AsAdmQueue(which.value, number + 1))
                    if paged.has_next
                    else button(" ", cb.Noop()),
                ]
            )
        filters = []
        for code, label in QUEUE_LABELS.items():
            n = sum(counts.get(s, 0) for s in QUEUE_STATUSES[code])
            text = self.plain(a("as.adm.filter_button", label=a(label), n=n))
            filters.append(
                button(f"• {text}" if code == which else text, cb.AsAdmQueue(code.value, 0))
            )
        rows.append(filters[:3])
        rows.append(filters[3:])
        rows.append([button(a("adm.menu.panel"), cb.AdminMenu())])
        title = a(
            "as.adm.queue_title",
            filter=self.plain(a(QUEUE_LABELS[which])),
            total=paged.total,
        )
        if not paged.items:
            title = f"{title}\n\n{a('as.adm.queue_none')}"
        return Screen(title, keyboard(rows))

    def order_requests(self, order: Order, requests: list[AfterSalesRequest]) -> Screen:
        a = self.a
        if not requests:
            text = a("as.adm.order_none", number=order.number)
        else:
            text = a("as.adm.order_requests", number=order.number, total=len(requests))
        rows = [
            [
                button(
                    self.plain(
                        a(
                            "as.adm.queue_button",
                            request=r.number,
                            kind=self.kind(self.admin, r),
                            status=self.status(self.admin, r.status),
                            number=r.order_number,
                        )
                    ),
                    cb.AsAdmView(r.id or 0),
                )
            ]
            for r in requests
        ]
        rows.append(
            [
                button(
                    a("as.adm.order", number=order.number),
                    cb.AdminOpenOrder(cb.OrderNo(order.number)),
                )
            ]
        )
        return Screen(text, keyboard(rows))

    def _event(self, event: AfterSalesEvent, names: dict[str, str]) -> list[str]:
        a = self.a
        lines = [
            a(
                "as.adm.event",
                at=event.at,
                what=a(EVENT_TEXTS[event.type]),
                who=names.get(event.actor, event.actor),
            )
        ]
        if event.note:
            lines.append(a("as.adm.event_note", note=_short(event.note, NOTE_SHOWN)))
        return lines

    def request_file(self, file: RequestFile) -> Screen:
        a, lang = self.a, self.admin
        request = file.request
        assert request.id is not None
        customer = file.customer
        who = str(request.customer_id)
        if customer is not None:
            who = (
                f"{customer.first_name} (@{customer.username})"
                if customer.username
                else customer.first_name
            )
        parts = [
            a(
                "as.adm.title",
                request=request.number,
                kind=self.kind(lang, request),
                status=self.status(lang, request.status),
                number=request.order_number,
                at=request.created_at,
            ),
            a("as.adm.customer", customer=who, id=request.customer_id),
            "",
        ]
        for line in request.lines:
            parts.append(
                a(
                    "as.adm.line",
                    name=line.name,
                    qty=line.quantity,
                    total=line.total if line.total is not None else "—",
                    sku=line.sku,
                )
            )
        parts.append(a("as.adm.reason", reason=a(REASON_TEXTS[request.reason])))
        if request.details:
            parts.append(a("as.adm.details", details=_short(request.details, 600)))
        if request.photos:
            parts.append(a("as.adm.photos", n=len(request.photos)))
        if request.disposition is not None:
            parts.append(
                a("as.adm.disposition", what=a(DISPOSITION_TEXTS[request.disposition.value]))
            )
        if request.returned is not None:
            parts.append(
                self._parcel(lang, request.returned, "as.adm.returned_line", "as.adm.returned_link")
            )
        if request.shipped is not None:
            parts.append(
                self._parcel(lang, request.shipped, "as.adm.shipped_line", "as.adm.shipped_link")
            )
        refund = file.refund
        if refund is not None:
            parts.append(
                a(
                    "as.adm.refund_line",
                    total=refund.amount,
                    method=a(METHOD_TEXTS[refund.method]),
                    state=a(REFUND_STATE_TEXTS[refund.status]),
                )
            )
            if refund.note:
                parts.append(a("as.adm.event_note", note=_short(refund.note, NOTE_SHOWN)))
        elif request.kind == RequestKind.RETURN and file.refund_amount is not None:
            parts.append(
                a(
                    "as.adm.refund_due",
                    total=file.refund_amount,
                    method=a(METHOD_TEXTS[file.refund_method]) if file.refund_method else "—",
                )
            )
        if request.events:
            parts.append(a("as.adm.timeline"))
            for event in request.events[-EVENTS_SHOWN:]:
                parts.extend(self._event(event, file.names))
        rid = request.id
        actions: list[InlineKeyboardButton] = []
        for trigger in file.actions:
            if trigger == "approve":
                actions.append(button(a("as.adm.approve"), cb.AsAdmApprove(rid)))
            elif trigger == "decline":
                actions.append(button(a("as.adm.decline"), cb.AsAdmDecline(rid)))
            elif trigger == "receive" and request.kind == RequestKind.REPAIR:
                actions.append(button(a("as.adm.receive_keep"), cb.AsAdmReceive(rid, "keep")))
            elif trigger == "receive":
                actions.append(button(a("as.adm.receive_restock"), cb.AsAdmReceive(rid, "restock")))
                actions.append(
                    button(a("as.adm.receive_writeoff"), cb.AsAdmReceive(rid, "writeoff"))
                )
            elif trigger == "refund":
                amount = file.refund_amount if file.refund_amount is not None else "—"
                actions.append(
                    button(self.plain(a("as.adm.refund", total=amount)), cb.AsAdmRefund(rid))
                )
            elif trigger == "ship_replacement":
                actions.append(button(a("as.adm.ship_replacement"), cb.AsAdmShip(rid)))
            elif trigger == "ship_repaired":
                actions.append(button(a("as.adm.ship_repaired"), cb.AsAdmShip(rid)))
            elif trigger == "close":
                actions.append(button(a("as.adm.close"), cb.AsAdmClose(rid)))
        rows = [actions[i : i + 2] for i in range(0, len(actions), 2)]
        extra = [button(a("as.adm.refresh"), cb.AsAdmView(rid))]
        if request.photos:
            extra.insert(0, button(a("as.adm.show_photos"), cb.AsAdmPhotos(rid)))
        rows.append(extra)
        rows.append(
            [
                button(
                    a("as.adm.order", number=request.order_number),
                    cb.AdminOpenOrder(cb.OrderNo(request.order_number)),
                ),
                button(a("as.adm.back"), cb.AsAdmQueue(QueueFilter.OPEN.value, 0)),
            ]
        )
        return Screen(fit("\n".join(parts), TEXT_LIMIT), keyboard(rows))

    def _dialog_cancel(self, dialog: Dialog) -> list[list[InlineKeyboardButton]]:
        return [[button(self.a("adm.dialog.cancel"), cb.AsAdmDialogCancel(cb.Token(dialog.token)))]]

    def decline_prompt(self, dialog: Dialog) -> Screen:
        return Screen(
            self.a("as.adm.decline_ask", request=str(dialog.data.get("request", ""))),
            keyboard(self._dialog_cancel(dialog)),
        )

    def refund_note_prompt(
        self, dialog: Dialog, request: AfterSalesRequest, amount: Money, method: PaymentMethod
    ) -> Screen:
        return Screen(
            self.a(
                "as.adm.refund_note_ask",
                total=amount,
                request=request.number,
                number=request.order_number,
                method=self.plain(self.a(METHOD_TEXTS[method])),
            ),
            keyboard(self._dialog_cancel(dialog)),
        )

    def refund_note_again(self, dialog: Dialog) -> Screen:
        return Screen(
            self.a("as.adm.refund_note_again", request=str(dialog.data.get("request", ""))),
            keyboard(self._dialog_cancel(dialog)),
        )

    def stars_refund_ask(self, request: AfterSalesRequest, amount: Money) -> Screen:
        a = self.a
        assert request.id is not None
        return Screen(
            a(
                "as.adm.refund_stars_ask",
                total=amount,
                request=request.number,
                number=request.order_number,
            ),
            keyboard(
                [
                    [
                        button(
                            self.plain(a("as.adm.refund_stars_yes", total=amount)),
                            cb.AsAdmRefundGo(request.id),
                        )
                    ],
                    [button(a("pay.admin.back"), cb.AsAdmView(request.id))],
                ]
            ),
        )

    def with_header(self, header: str, screen: Screen) -> Screen:
        return Screen(fit(f"{header}\n\n{screen.text}", TEXT_LIMIT), screen.markup)

    def caption(self, text: str) -> str:
        return fit(text, CAPTION_LIMIT)

    def refund_method(self, method: PaymentMethod) -> str:
        return self.a(REFUND_TEXTS[method])


def _order(number: str) -> cb.Callback:
    return cb.OrderDetail(cb.OrderNo(number), 0)
