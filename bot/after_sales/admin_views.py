"""The merchant's after-sales screens: the queue, a request's file, refund prompts."""

from __future__ import annotations

from enum import StrEnum

from telegram import InlineKeyboardButton

from bot.after_sales.callbacks import (
    AsAdmApprove,
    AsAdmClose,
    AsAdmDecline,
    AsAdmDialogCancel,
    AsAdmPhotos,
    AsAdmQueue,
    AsAdmReceive,
    AsAdmRefund,
    AsAdmRefundGo,
    AsAdmShip,
    AsAdmView,
)
from bot.after_sales.views import EVENT_TEXTS, EVENTS_SHOWN, NOTE_SHOWN, AfterSalesViews, S
from bot.callback_data import OrderNo, Token
from bot.merchant.callbacks import AdminMenu, AdminOpenOrder
from bot.screens import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    Screen,
    button,
    button_label,
    fit,
    keyboard,
    short,
)
from bot.shared.callbacks import Noop
from domain.after_sales.desk import RequestFile
from domain.after_sales.records import OPEN as OPEN_STATUSES
from domain.after_sales.records import (
    AfterSalesEvent,
    AfterSalesRequest,
    RequestKind,
    RequestStatus,
)
from domain.after_sales.rules import REASON_TEXTS, REFUND_TEXTS
from domain.orders.model import Order, PaymentMethod
from domain.payments.records import RefundStatus
from domain.shared.customers import display_name
from domain.shared.dialogs import Dialog
from domain.shared.money import Money
from domain.shared.paging import Paged

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
    PaymentMethod.FREE: "payment.free",
}


REFUND_STATE_TEXTS = {
    RefundStatus.PENDING: "as.adm.refund_pending",
    RefundStatus.DONE: "as.adm.refund_done_state",
    RefundStatus.FAILED: "as.adm.refund_failed_state",
}


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


class AfterSalesAdminViews(AfterSalesViews):
    """The merchant's after-sales screens, in the admin chat's language."""

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
                    button_label(
                        a(
                            "as.adm.queue_button",
                            request=r.number,
                            kind=self.kind(self.admin, r),
                            status=self.status(self.admin, r.status),
                            number=r.order_number,
                        )
                    ),
                    AsAdmView(r.id or 0),
                )
            ]
            for r in paged.items
        ]
        if paged.pages > 1:
            number = paged.page.number
            rows.append(
                [
                    button("◀", AsAdmQueue(which.value, number - 1))
                    if paged.has_prev
                    else button(" ", Noop()),
                    button(a("nav.page", page=number + 1, pages=paged.pages), Noop()),
                    button("▶", AsAdmQueue(which.value, number + 1))
                    if paged.has_next
                    else button(" ", Noop()),
                ]
            )
        filters = []
        for code, label in QUEUE_LABELS.items():
            n = sum(counts.get(s, 0) for s in QUEUE_STATUSES[code])
            text = button_label(a("as.adm.filter_button", label=a(label), n=n))
            filters.append(
                button(f"• {text}" if code == which else text, AsAdmQueue(code.value, 0))
            )
        rows.append(filters[:3])
        rows.append(filters[3:])
        rows.append([button(a("adm.menu.panel"), AdminMenu())])
        title = a(
            "as.adm.queue_title",
            filter=button_label(a(QUEUE_LABELS[which])),
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
                    button_label(
                        a(
                            "as.adm.queue_button",
                            request=r.number,
                            kind=self.kind(self.admin, r),
                            status=self.status(self.admin, r.status),
                            number=r.order_number,
                        )
                    ),
                    AsAdmView(r.id or 0),
                )
            ]
            for r in requests
        ]
        rows.append(
            [
                button(
                    a("as.adm.order", number=order.number),
                    AdminOpenOrder(OrderNo(order.number)),
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
            lines.append(a("as.adm.event_note", note=short(event.note, NOTE_SHOWN)))
        return lines

    def request_file(self, file: RequestFile) -> Screen:
        a, lang = self.a, self.admin
        request = file.request
        assert request.id is not None
        customer = file.customer
        who = display_name(customer, request.customer_id)
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
            parts.append(a("as.adm.details", details=short(request.details, 600)))
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
                parts.append(a("as.adm.event_note", note=short(refund.note, NOTE_SHOWN)))
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
                actions.append(button(a("as.adm.approve"), AsAdmApprove(rid)))
            elif trigger == "decline":
                actions.append(button(a("as.adm.decline"), AsAdmDecline(rid)))
            elif trigger == "receive" and request.kind == RequestKind.REPAIR:
                actions.append(button(a("as.adm.receive_keep"), AsAdmReceive(rid, "keep")))
            elif trigger == "receive":
                actions.append(button(a("as.adm.receive_restock"), AsAdmReceive(rid, "restock")))
                actions.append(button(a("as.adm.receive_writeoff"), AsAdmReceive(rid, "writeoff")))
            elif trigger == "refund":
                amount = file.refund_amount if file.refund_amount is not None else "—"
                actions.append(
                    button(button_label(a("as.adm.refund", total=amount)), AsAdmRefund(rid))
                )
            elif trigger == "ship_replacement":
                actions.append(button(a("as.adm.ship_replacement"), AsAdmShip(rid)))
            elif trigger == "ship_repaired":
                actions.append(button(a("as.adm.ship_repaired"), AsAdmShip(rid)))
            elif trigger == "close":
                actions.append(button(a("as.adm.close"), AsAdmClose(rid)))
        rows = [actions[i : i + 2] for i in range(0, len(actions), 2)]
        extra = [button(a("as.adm.refresh"), AsAdmView(rid))]
        if request.photos:
            extra.insert(0, button(a("as.adm.show_photos"), AsAdmPhotos(rid)))
        rows.append(extra)
        rows.append(
            [
                button(
                    a("as.adm.order", number=request.order_number),
                    AdminOpenOrder(OrderNo(request.order_number)),
                ),
                button(a("as.adm.back"), AsAdmQueue(QueueFilter.OPEN.value, 0)),
            ]
        )
        return Screen(fit("\n".join(parts), TEXT_LIMIT), keyboard(rows))

    def _dialog_cancel(self, dialog: Dialog) -> list[list[InlineKeyboardButton]]:
        return [[button(self.a("adm.dialog.cancel"), AsAdmDialogCancel(Token(dialog.token)))]]

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
                method=button_label(self.a(METHOD_TEXTS[method])),
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
                            button_label(a("as.adm.refund_stars_yes", total=amount)),
                            AsAdmRefundGo(request.id),
                        )
                    ],
                    [button(a("pay.admin.back"), AsAdmView(request.id))],
                ]
            ),
        )

    def caption(self, text: str) -> str:
        return fit(text, CAPTION_LIMIT)

    def refund_method(self, method: PaymentMethod) -> str:
        return self.a(REFUND_TEXTS[method])
