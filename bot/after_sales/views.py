"""After-sales and review screens: pure functions from the domain's objects to text and
keyboards. Customer screens speak the customer's language; merchant screens the admin chat's."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton

from bot.after_sales.callbacks import (
    AsCancel,
    AsKind,
    AsLine,
    AsLinesDone,
    AsMine,
    AsReason,
    AsReturnCarrier,
    AsSendBack,
    AsSkip,
    AsStart,
    AsSubmit,
    AsView,
)
from bot.callback_data import OrderNo, Token
from bot.orders.callbacks import OrderList, detail_of
from bot.screens import TEXT_LIMIT, Screen, button, button_label, fit, keyboard, pager, short
from bot.shared.callbacks import Noop
from bot.texts import Html, Texts
from domain.after_sales.records import (
    AfterSalesRequest,
    Draft,
    Parcel,
    RequestEventType,
    RequestKind,
    RequestStatus,
    ReturnReason,
)
from domain.after_sales.requests import OrderAfterSales
from domain.after_sales.rules import KIND_TEXTS, PHOTOS_MAX, REASON_TEXTS, STATUS_TEXTS
from domain.orders.model import Order
from domain.shared.customers import Language
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
                        AsStart(OrderNo(summary.order.number), page),
                    )
                ]
            )
        if summary.requests:
            rows.append([button(t(lang, "as.order.mine"), AsMine(0))])
        return lines, rows

    # -- the customer's request dialog -------------------------------------------------------

    def _cancel(self, lang: Language, draft: Draft) -> InlineKeyboardButton:
        return button(self.t(lang, "as.draft.cancel"), AsCancel(Token(draft.token)))

    def draft_step(self, lang: Language, draft: Draft, summary: OrderAfterSales) -> Screen:
        """The screen of the request dialog's current step."""
        t = self.t
        token = Token(draft.token)
        number = summary.order.number
        if draft.step == "kind":
            rows = [
                [button(t(lang, KIND_BUTTONS[kind]), AsKind(token, kind.value))]
                for kind in RequestKind
            ]
            rows.append([self._cancel(lang, draft)])
            return Screen(t(lang, "as.draft.kind", number=number), keyboard(rows))
        if draft.step == "lines":
            return self.lines_step(lang, draft, summary)
        if draft.step == "reason":
            rows = [
                [button(t(lang, REASON_TEXTS[reason]), AsReason(token, reason.value))]
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
                            button(t(lang, "as.draft.skip"), AsSkip(token)),
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
        token = Token(draft.token)
        kind = RequestKind(str(draft.data.get("kind")))
        chosen = draft.chosen()
        rows: list[list[InlineKeyboardButton]] = []
        for line in summary.order.lines:
            if line.id is None:
                continue
            left = summary.remaining.get(line.id, 0)
            name = short(line.name, 28)
            if left <= 0:
                rows.append(
                    [button(button_label(t(lang, "as.draft.line_taken", name=name)), Noop())]
                )
                continue
            units = chosen.get(line.id, 0)
            row = [
                button(
                    button_label(t(lang, "as.draft.line", name=name, chosen=units, left=left)),
                    Noop(),
                )
            ]
            if units:
                row.insert(0, button("➖", AsLine(token, line.id, -1)))
            if units < left:
                row.append(button("➕", AsLine(token, line.id, 1)))
            rows.append(row)
        rows.append(
            [button(t(lang, "as.draft.next"), AsLinesDone(token)), self._cancel(lang, draft)]
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
            keyboard([[button(label, AsSkip(Token(draft.token))), self._cancel(lang, draft)]]),
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
        token = Token(draft.token)
        return Screen(
            fit(text, TEXT_LIMIT),
            keyboard(
                [
                    [button(t(lang, "as.draft.submit"), AsSubmit(token))],
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
                    [button(t(lang, "as.view.open"), AsView(request.id))],
                    [button(t(lang, "as.view.back"), AsMine(0))],
                ]
            ),
        )

    def cancelled(self, lang: Language, number: str | None) -> Screen:
        rows = []
        if number:
            rows.append([button(self.t(lang, "as.view.order", number=number), detail_of(number))])
        return Screen(self.t(lang, "as.draft.cancelled"), keyboard(rows))

    # -- the customer's requests -------------------------------------------------------------

    def request_list(self, lang: Language, paged: Paged[AfterSalesRequest]) -> Screen:
        t = self.t
        if not paged.items:
            return Screen(
                t(lang, "as.view.none"),
                keyboard([[button(t(lang, "menu.orders"), OrderList(0))]]),
            )
        rows = [
            [
                button(
                    button_label(
                        t(
                            lang,
                            "as.view.list_button",
                            request=r.number,
                            kind=self.kind(lang, r),
                            status=self.status(lang, r.status),
                        )
                    ),
                    AsView(r.id or 0),
                )
            ]
            for r in paged.items
        ]
        rows.append(pager(t, lang, paged, lambda n: AsMine(n)))
        rows.append([button(t(lang, "menu.orders"), OrderList(0))])
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
            parts.append(t(lang, "as.view.details", details=short(request.details, NOTE_SHOWN)))
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
            rows.append([button(t(lang, "as.view.send_back"), AsSendBack(request.id))])
        rows.append(
            [
                button(t(lang, "as.view.back"), AsMine(0)),
                button(
                    t(lang, "as.view.order", number=request.order_number),
                    detail_of(request.order_number),
                ),
            ]
        )
        return Screen(fit("\n".join(parts), TEXT_LIMIT), keyboard(rows))

    # -- the return parcel -------------------------------------------------------------------

    def tracking_step(self, lang: Language, draft: Draft) -> Screen:
        t = self.t
        token = Token(draft.token)
        request = str(draft.data.get("request", ""))
        if draft.step == "carrier":
            carriers = list(self.carriers.values())
            rows = [
                [
                    button(self.t.carrier(lang, c.name), AsReturnCarrier(token, c.code))
                    for c in carriers[i : i + 2]
                ]
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
            keyboard([[button(self.t(lang, "as.view.open"), AsView(request.id))]]),
        )
