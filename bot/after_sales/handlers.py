"""After-sales in the chat: the customer asks for a return, exchange or repair of a delivered
order and follows it; the merchant approves or declines it in the admin chat, receives the
goods, refunds, ships the replacement or the repaired goods, and closes it. Handlers parse the
update, call one `AfterSales` use case and render the result.

Typed answers and photos for the customer's dialog (details, photos, the return parcel's number,
a review's comment) and for the merchant's (the reason to decline, a refund's note) are read
in DIALOG_GROUP: a handler takes the message only when such a dialog waits for it and is the
user's latest dialog (checkout and the merchant's own dialogs keep theirs), and then stops
the other handlers (ApplicationHandlerStop)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import InputMediaPhoto, Message, Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot import callbacks as cb
from bot import handlers as h
from bot.access import admin_only, is_admin
from bot.after_sales.views import QUEUE_STATUSES, AfterSalesViews, QueueFilter
from bot.merchant.handlers import AdminButton, ad, admin_button
from bot.texts import Texts
from bot.ui import reply, show
from bot.views import Screen
from domain.after_sales.records import AfterSalesError, Draft, DraftKind
from domain.after_sales.service import AfterSales, AfterSalesConfig
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order, PaymentMethod
from domain.payments.service import RefundOutcome
from domain.shared.clock import Clock
from domain.shared.customers import Language
from domain.shared.dialogs import Dialog, DialogKind, StaleDialogError
from domain.shared.errors import DomainError
from domain.shipping.carriers import DialogResult

log = logging.getLogger(__name__)
Context = h.Context
ADMIN_KINDS = frozenset({DialogKind.AS_DECLINE, DialogKind.AS_REFUND})
_LONG_AGO = datetime.min.replace(tzinfo=UTC)


@dataclass
class AfterSalesDeps:
    """What after-sales handlers need, kept in bot_data["after_sales"]."""

    after_sales: AfterSales
    views: AfterSalesViews
    texts: Texts
    admin_language: Language


def asd(context: Context) -> AfterSalesDeps:
    """The after-sales handler dependencies."""
    return context.bot_data["after_sales"]  # type: ignore[no-any-return]


def _ids(update: Update) -> tuple[int, int]:
    assert update.effective_chat is not None and update.effective_user is not None
    return update.effective_chat.id, update.effective_user.id


# -- the customer's order detail --------------------------------------------------------------


async def order_extras(
    context: Context, order: Order, page: int
) -> tuple[list[str], list[list[Any]]]:
    """The order detail's after-sales part: its requests, and the button to start one."""
    if order.status not in (OrderStatus.DELIVERED, OrderStatus.COMPLETED):
        return [], []  # nothing delivered, nothing to ask for (no database round trip)
    d = asd(context)
    summary = await d.after_sales.summary_of(order)
    return d.views.order_section(h.lang(context), summary, page)


# -- the customer's request dialog --------------------------------------------------------------


async def _draft_screen(context: Context, draft: Draft) -> Screen:
    d = asd(context)
    summary = await d.after_sales.draft_view(draft.customer_id, draft.token)
    return d.views.draft_step(h.lang(context), draft, summary)


@h.button_handler
async def on_start(update: Update, context: Context, data: cb.AsStart) -> str | None:
    """Start a request on an order: its kind is asked first."""
    result = await asd(context).after_sales.start_request(h.me(context).id, data.number)
    await show(update, context, await _draft_screen(context, result.draft))
    return None


@h.button_handler
async def on_kind(update: Update, context: Context, data: cb.AsKind) -> str | None:
    """Return, exchange or repair: the units are asked next."""
    result = await asd(context).after_sales.choose_kind(h.me(context).id, data.token, data.kind)
    await show(update, context, await _draft_screen(context, result.draft))
    return None


@h.button_handler
async def on_line(update: Update, context: Context, data: cb.AsLine) -> str | None:
    """One unit more or fewer of a line."""
    result = await asd(context).after_sales.change_line(
        h.me(context).id, data.token, data.line_id, data.delta
    )
    await show(update, context, await _draft_screen(context, result.draft))
    return None


@h.button_handler
async def on_lines_done(update: Update, context: Context, data: cb.AsLinesDone) -> str | None:
    """The units are chosen: the reason is asked next."""
    result = await asd(context).after_sales.lines_chosen(h.me(context).id, data.token)
    await show(update, context, await _draft_screen(context, result.draft))
    return None


@h.button_handler
async def on_reason(update: Update, context: Context, data: cb.AsReason) -> str | None:
    """The reason: details are asked next (optional)."""
    result = await asd(context).after_sales.choose_reason(h.me(context).id, data.token, data.code)
    await show(update, context, await _draft_screen(context, result.draft))
    return None


@h.button_handler
async def on_skip(update: Update, context: Context, data: cb.AsSkip) -> str | None:
    """Skip the details, or be done with the photos."""
    result = await asd(context).after_sales.skip(h.me(context).id, data.token)
    await show(update, context, await _draft_screen(context, result.draft))
    return None


@h.button_handler
async def on_submit(update: Update, context: Context, data: cb.AsSubmit) -> str | None:
    """Send the request (a second tap shows the request already sent)."""
    result = await asd(context).after_sales.submit(h.me(context).id, data.token)
    assert result.request is not None
    await show(update, context, asd(context).views.sent(h.lang(context), result.request))
    return None


@h.button_handler
async def on_cancel(update: Update, context: Context, data: cb.AsCancel) -> str | None:
    """Give up the dialog; nothing it collected takes effect."""
    draft = await asd(context).after_sales.cancel_draft(h.me(context).id, data.token)
    number = draft.data.get("number") if draft.kind == DraftKind.REQUEST else None
    await show(update, context, asd(context).views.cancelled(h.lang(context), number))
    return None


# -- the customer's requests ---------------------------------------------------------------------


async def requests_command(update: Update, context: Context) -> None:
    """The customer's after-sales requests."""
    d = asd(context)
    paged = await d.after_sales.my_requests(h.me(context).id, 0)
    await reply(update, context, d.views.request_list(h.lang(context), paged))


@h.button_handler
async def on_mine(update: Update, context: Context, data: cb.AsMine) -> str | None:
    """A page of the customer's requests."""
    d = asd(context)
    paged = await d.after_sales.my_requests(h.me(context).id, data.page)
    await show(update, context, d.views.request_list(h.lang(context), paged))
    return None


@h.button_handler
async def on_view(update: Update, context: Context, data: cb.AsView) -> str | None:
    """One of the customer's requests with its timeline."""
    d = asd(context)
    request = await d.after_sales.my_request(h.me(context).id, data.request_id)
    screen = d.views.request_detail(h.lang(context), request)
    await _show_or_send(update, context, screen)
    return None


async def _show_or_send(update: Update, context: Context, screen: Screen) -> None:
    """Edit our own screens in place; a notification from the shop (its only buttons: View
    request, Send return tracking) stays, and the screen comes as a new message."""
    query = update.callback_query
    message = query.message if query else None
    markup = message.reply_markup if isinstance(message, Message) else None
    notice = markup is None or all(
        isinstance(cb.parse(key.callback_data), cb.AsView | cb.AsSendBack)
        for row in markup.inline_keyboard
        for key in row
    )
    if notice:
        await reply(update, context, screen)
    else:
        await show(update, context, screen)


@h.button_handler
async def on_send_back(update: Update, context: Context, data: cb.AsSendBack) -> str | None:
    """Start giving the return parcel: the carrier is asked first."""
    d = asd(context)
    draft = await d.after_sales.start_send_back(h.me(context).id, data.request_id)
    await reply(update, context, d.views.tracking_step(h.lang(context), draft))
    return None


@h.button_handler
async def on_return_carrier(
    update: Update, context: Context, data: cb.AsReturnCarrier
) -> str | None:
    """The return parcel's carrier: its tracking number is asked next."""
    d = asd(context)
    draft = await d.after_sales.choose_return_carrier(h.me(context).id, data.token, data.code)
    await show(update, context, d.views.tracking_step(h.lang(context), draft))
    return None


# -- typed answers and photos (DIALOG_GROUP) ----------------------------------------------------


async def _others_since(update: Update, context: Context, exclude_admin_kinds: bool) -> datetime:
    """When the user last touched a dialog that is not ours in this private chat: checkout, or
    one of the merchant's dialogs (a reply to the shop; an admin's own)."""
    chat, user = _ids(update)
    latest = _LONG_AGO
    view = await h.deps(context).shop.current_checkout(user)
    if view is not None and view.checkout.updated_at is not None:
        latest = max(latest, view.checkout.updated_at)
    dialog = await ad(context).merchant.current_dialog(chat, user)
    if (
        dialog is not None
        and dialog.updated_at is not None
        and not (exclude_admin_kinds and dialog.kind in ADMIN_KINDS)
        and (dialog.kind == DialogKind.REPLY or is_admin(update, context))
    ):
        latest = max(latest, dialog.updated_at)
    return latest


async def on_text(update: Update, context: Context) -> None:
    """Typed text: the answer to an after-sales dialog (the customer's, or an admin's decline
    reason or refund note) when one waits for it and is the user's latest dialog."""
    chat, user = _ids(update)
    assert update.message is not None and update.effective_chat is not None
    private = update.effective_chat.type == ChatType.PRIVATE
    admin = is_admin(update, context)
    if not private and not admin:
        return
    draft = await asd(context).after_sales.current_draft(user) if private else None
    if draft is not None and not draft.waits_for_text:
        draft = None
    dialog = await ad(context).merchant.current_dialog(chat, user) if admin else None
    if dialog is not None and dialog.kind not in ADMIN_KINDS:
        dialog = None
    if draft is None and dialog is None:
        return
    draft_at = (draft.updated_at or _LONG_AGO) if draft else None
    dialog_at = (dialog.updated_at or _LONG_AGO) if dialog else None
    mine = max(at for at in (draft_at, dialog_at) if at is not None)
    if private and await _others_since(update, context, exclude_admin_kinds=True) > mine:
        return  # a newer checkout or dialog takes the text
    text = update.message.text or ""
    if len(text) > h.MAX_TEXT:
        language = asd(context).admin_language if dialog else h.lang(context)
        await reply(
            update,
            context,
            Screen(h.deps(context).texts(language, "error.text_too_long", max=h.MAX_TEXT)),
        )
        raise ApplicationHandlerStop
    if dialog is not None and (draft_at is None or (dialog_at or _LONG_AGO) >= draft_at):
        await _answer_admin(update, context, dialog, text)
    else:
        assert draft is not None
        await _answer_draft(update, context, draft, text)
    raise ApplicationHandlerStop


async def _answer_draft(update: Update, context: Context, draft: Draft, text: str) -> None:
    d = asd(context)
    language = h.lang(context)
    if draft.kind == DraftKind.REVIEW:
        from bot.reviews.handlers import answer_comment

        await answer_comment(update, context, text)
        return
    try:
        result = await d.after_sales.give_text(draft.customer_id, text)
    except DomainError as error:
        current = await d.after_sales.current_draft(draft.customer_id) or draft
        if current.kind == DraftKind.TRACKING:
            screen = d.views.tracking_step(language, current)
        else:
            screen = await _draft_screen(context, current)
        message = h.deps(context).views.error(language, error)
        await reply(update, context, Screen(f"{message}\n\n{screen.text}", screen.markup))
        return
    if result is None:
        return
    if result.request is not None:
        await reply(update, context, d.views.tracking_done(language, result.request))
        return
    await reply(update, context, await _draft_screen(context, result.draft))


async def on_photo(update: Update, context: Context) -> None:
    """A photo in a private chat: one of the request's photos when its dialog asks for them
    and is the customer's latest dialog."""
    _, user = _ids(update)
    message = update.message
    assert message is not None and message.photo
    d = asd(context)
    draft = await d.after_sales.current_draft(user)
    if draft is None or not draft.waits_for_photo:
        return
    if await _others_since(update, context, exclude_admin_kinds=False) > (
        draft.updated_at or _LONG_AGO
    ):
        return
    language = h.lang(context)
    try:
        result = await d.after_sales.give_photo(user, message.photo[-1].file_id)
    except DomainError as error:
        await reply(update, context, Screen(h.deps(context).views.error(language, error)))
        raise ApplicationHandlerStop from None
    if result is not None:
        await reply(update, context, await _draft_screen(context, result.draft))
    raise ApplicationHandlerStop


# -- the merchant ------------------------------------------------------------------------------


async def request_screen(context: Context, request_id: int, header: str | None = None) -> Screen:
    """A request's detail for the merchant (with a line on top saying what just happened)."""
    d = asd(context)
    screen = d.views.request_file(await d.after_sales.request_file(request_id))
    return d.views.with_header(header, screen) if header else screen


async def ship_result(context: Context, result: DialogResult) -> Screen:
    """What the merchant's ship dialog shows when it shipped for a request."""
    d = asd(context)
    dialog, shipment = result.dialog, result.shipment
    assert shipment is not None
    header = d.views.a(
        "as.adm.ship_done",
        request=str(dialog.data.get("request_number", "")),
        carrier=shipment.carrier_name,
        tracking=shipment.tracking_number,
    )
    return await request_screen(context, int(dialog.data["request"]), header)


async def _present(update: Update, context: Context, screen: Screen) -> None:
    """Edit a text message in place; under an alert with a photo, answer with a new message."""
    query = update.callback_query
    message = query.message if query else None
    if isinstance(message, Message) and message.text is not None and not message.photo:
        await show(update, context, screen)
    else:
        await reply(update, context, screen)


def _queue_filter(raw: str) -> QueueFilter:
    try:
        return QueueFilter(raw)
    except ValueError:
        raise AfterSalesError("as.error.stale") from None


async def _queue_screen(context: Context, which: QueueFilter, page: int) -> Screen:
    d = asd(context)
    statuses = QUEUE_STATUSES[which]
    paged = await d.after_sales.queue(statuses, page)
    if not paged.items and page > 0:
        paged = await d.after_sales.queue(statuses, 0)
    return d.views.queue(which, paged, await d.after_sales.counts())


async def aftersales_command(update: Update, context: Context) -> None:
    """The open after-sales requests, by status, oldest first."""
    await reply(update, context, await _queue_screen(context, QueueFilter.OPEN, 0))


async def on_queue(update: Update, context: Context, data: cb.AsAdmQueue) -> str | None:
    """A page of requests under a filter."""
    await show(update, context, await _queue_screen(context, _queue_filter(data.filter), data.page))
    return None


async def on_open(update: Update, context: Context, data: cb.AsAdmOpen) -> str | None:
    """A request from an alert, as a new message (the alert stays)."""
    await reply(update, context, await request_screen(context, data.request_id))
    return None


async def on_admin_view(update: Update, context: Context, data: cb.AsAdmView) -> str | None:
    """A request's detail in place."""
    await _present(update, context, await request_screen(context, data.request_id))
    return None


async def on_order(update: Update, context: Context, data: cb.AsAdmOrder) -> str | None:
    """The requests of one order."""
    d = asd(context)
    order, requests = await d.after_sales.for_order(data.number)
    await _present(update, context, d.views.order_requests(order, requests))
    return None


async def _step(
    update: Update, context: Context, request_id: int, done: str, run: Any
) -> str | None:
    """Run one step of a request; either way the detail shows it as it is now."""
    try:
        request = await run()
    except DomainError:
        await _present(update, context, await request_screen(context, request_id))
        raise
    text = asd(context).views.a(done, request=request.number)
    await _present(update, context, await request_screen(context, request_id, text))
    return text


async def on_approve(update: Update, context: Context, data: cb.AsAdmApprove) -> str | None:
    """Approve: the customer is told where to send the goods."""
    _, user = _ids(update)
    return await _step(
        update,
        context,
        data.request_id,
        "as.adm.approved_toast",
        lambda: asd(context).after_sales.approve(user, data.request_id),
    )


async def on_decline(update: Update, context: Context, data: cb.AsAdmDecline) -> str | None:
    """Start declining: the reason is asked (the customer reads it)."""
    chat, user = _ids(update)
    d = asd(context)
    try:
        dialog = await d.after_sales.start_decline(chat, user, data.request_id)
    except DomainError:
        await _present(update, context, await request_screen(context, data.request_id))
        raise
    await _present(update, context, d.views.decline_prompt(dialog))
    return None


async def on_receive(update: Update, context: Context, data: cb.AsAdmReceive) -> str | None:
    """The goods came back: back in stock, written off, or kept for repair."""
    _, user = _ids(update)
    return await _step(
        update,
        context,
        data.request_id,
        "as.adm.received_toast",
        lambda: asd(context).after_sales.receive(user, data.request_id, data.how),
    )


async def on_close(update: Update, context: Context, data: cb.AsAdmClose) -> str | None:
    """Close the request."""
    _, user = _ids(update)
    return await _step(
        update,
        context,
        data.request_id,
        "as.adm.closed_toast",
        lambda: asd(context).after_sales.close(user, data.request_id),
    )


async def on_refund(update: Update, context: Context, data: cb.AsAdmRefund) -> str | None:
    """Refund a return: Stars ask to confirm; other payments ask for the merchant's note."""
    chat, user = _ids(update)
    d = asd(context)
    try:
        request, payment, amount = await d.after_sales.refund_plan(data.request_id)
        if payment.method == PaymentMethod.STARS:
            screen = d.views.stars_refund_ask(request, amount)
        else:
            dialog = await d.after_sales.start_refund_note(chat, user, data.request_id)
            screen = d.views.refund_note_prompt(dialog, request, amount, payment.method)
    except DomainError:
        await _present(update, context, await request_screen(context, data.request_id))
        raise
    await _present(update, context, screen)
    return None


def _refund_header(
    context: Context, outcome: RefundOutcome, number: str, total: object, error: str | None
) -> str:
    a = asd(context).views.a
    if outcome == RefundOutcome.DONE:
        return a("as.adm.refund_done", total=total, request=number)
    if outcome == RefundOutcome.ALREADY:
        return a("as.adm.refund_already")
    if outcome == RefundOutcome.FAILED:
        return a("as.adm.refund_failed", request=number, error=error or "?")
    return a("as.adm.refund_retry", request=number)


async def on_refund_go(update: Update, context: Context, data: cb.AsAdmRefundGo) -> str | None:
    """Refund the return's Stars through Telegram, once however often it is pressed."""
    _, user = _ids(update)
    result = await asd(context).after_sales.refund(user, data.request_id)
    total = result.refund.amount if result.refund else "—"
    header = _refund_header(context, result.outcome, result.request.number, total, result.error)
    if result.outcome in (RefundOutcome.FAILED, RefundOutcome.RETRY):
        # The question stays, with its button, for another try.
        d = asd(context)
        _, _, amount = await d.after_sales.refund_plan(data.request_id)
        ask = d.views.stars_refund_ask(result.request, amount)
        await _present(update, context, d.views.with_header(header, ask))
        return header
    await _present(update, context, await request_screen(context, data.request_id, header))
    return header


async def on_ship(update: Update, context: Context, data: cb.AsAdmShip) -> str | None:
    """Ship the replacement or the repaired goods with the merchant's ship dialog."""
    chat, user = _ids(update)
    try:
        dialog = await asd(context).after_sales.start_ship(chat, user, data.request_id)
    except DomainError:
        await _present(update, context, await request_screen(context, data.request_id))
        raise
    await _present(update, context, ad(context).views.prompt(dialog))
    return None


async def on_photos(update: Update, context: Context, data: cb.AsAdmPhotos) -> str | None:
    """The request's photos again, as an album."""
    d = asd(context)
    request = (await d.after_sales.request_file(data.request_id)).request
    assert update.effective_chat is not None
    chat_id = update.effective_chat.id
    caption = d.views.a("as.adm.photos_caption", request=request.number)
    log.info("photos of %s sent again to chat %s", request.number, chat_id)
    if len(request.photos) == 1:
        await context.bot.send_photo(chat_id, request.photos[0], caption=caption)
    elif request.photos:
        media = [
            InputMediaPhoto(file_id, caption=caption if i == 0 else None)
            for i, file_id in enumerate(request.photos)
        ]
        await context.bot.send_media_group(chat_id, media)
    return None


async def on_dialog_cancel(
    update: Update, context: Context, data: cb.AsAdmDialogCancel
) -> str | None:
    """Leave the decline or refund-note dialog: nothing changes, the request shows again."""
    chat, user = _ids(update)
    dialog = await ad(context).merchant.cancel_dialog(chat, user, data.token)
    await _present(update, context, await request_screen(context, int(dialog.data["request_id"])))
    return asd(context).views.a("adm.dialog.cancelled")


async def _answer_admin(update: Update, context: Context, dialog: Dialog, text: str) -> None:
    """The reason to decline a request, or the note of a refund made outside Telegram."""
    d = asd(context)
    _, user = _ids(update)
    request_id = int(dialog.data["request_id"])
    if dialog.kind == DialogKind.AS_DECLINE:
        try:
            request = await d.after_sales.decline(user, request_id, text, dialog)
        except DomainError as error:
            await _admin_error(update, context, dialog, error)
            return
        header = d.views.a("as.adm.declined_done", request=request.number)
        await reply(update, context, await request_screen(context, request_id, header))
        return
    try:
        result = await d.after_sales.refund(user, request_id, text)
    except DomainError as error:
        await _admin_error(update, context, dialog, error)
        return
    if result.outcome in (RefundOutcome.DONE, RefundOutcome.ALREADY):
        try:
            await ad(context).merchant.cancel_dialog(dialog.chat_id, dialog.user_id, dialog.token)
        except StaleDialogError:
            pass  # ended meanwhile
    total = result.refund.amount if result.refund else "—"
    header = _refund_header(context, result.outcome, result.request.number, total, result.error)
    await reply(update, context, await request_screen(context, request_id, header))


async def _admin_error(
    update: Update, context: Context, dialog: Dialog, error: DomainError
) -> None:
    d = asd(context)
    message = ad(context).views.error(error)
    current = await ad(context).merchant.current_dialog(dialog.chat_id, dialog.user_id)
    if current is None or current.token != dialog.token:
        await reply(update, context, Screen(message))
        return
    if dialog.kind == DialogKind.AS_DECLINE:
        prompt = d.views.decline_prompt(dialog)
    else:
        prompt = d.views.refund_note_again(dialog)
    await reply(update, context, d.views.with_header(message, prompt))


# -- wiring ------------------------------------------------------------------------------------

CUSTOMER_BUTTONS: list[tuple[type[cb.Callback], Any]] = [
    (cb.AsStart, on_start),
    (cb.AsKind, on_kind),
    (cb.AsLine, on_line),
    (cb.AsLinesDone, on_lines_done),
    (cb.AsReason, on_reason),
    (cb.AsSkip, on_skip),
    (cb.AsSubmit, on_submit),
    (cb.AsCancel, on_cancel),
    (cb.AsMine, on_mine),
    (cb.AsView, on_view),
    (cb.AsSendBack, on_send_back),
    (cb.AsReturnCarrier, on_return_carrier),
]
ADMIN_BUTTONS: list[tuple[type[cb.Callback], AdminButton]] = [
    (cb.AsAdmQueue, on_queue),
    (cb.AsAdmOpen, on_open),
    (cb.AsAdmView, on_admin_view),
    (cb.AsAdmApprove, on_approve),
    (cb.AsAdmDecline, on_decline),
    (cb.AsAdmReceive, on_receive),
    (cb.AsAdmRefund, on_refund),
    (cb.AsAdmRefundGo, on_refund_go),
    (cb.AsAdmShip, on_ship),
    (cb.AsAdmClose, on_close),
    (cb.AsAdmPhotos, on_photos),
    (cb.AsAdmDialogCancel, on_dialog_cancel),
    (cb.AsAdmOrder, on_order),
]


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Build the after-sales use cases from the settings and attach every handler."""
    from bot.app import DIALOG_GROUP  # bot.app imports this module

    settings = app.bot_data["settings"]
    clock: Clock = app.bot_data["clock"]
    texts: Texts = app.bot_data["texts"]
    language = Language(settings.admin_language)
    carriers = settings.carrier_list
    payments = app.bot_data.get("payments")
    stars = payments.payments.stars if payments is not None else None
    if stars is None:
        from bot.payments.handlers import TelegramStarRefunds

        stars = TelegramStarRefunds(app.bot)
    after_sales = AfterSales(
        app.bot_data["db"],
        clock,
        AfterSalesConfig(
            window=timedelta(days=settings.after_sales_days),
            return_address=settings.return_address,
            admin_chat_id=settings.admin_chat_id,
            carriers=carriers,
            page_size=settings.page_size,
        ),
        stars,
    )
    app.bot_data["after_sales"] = AfterSalesDeps(
        after_sales=after_sales,
        views=AfterSalesViews(texts, language, carriers, settings.return_address),
        texts=texts,
        admin_language=language,
    )
    app.bot_data.setdefault("order_extras", []).append(order_extras)
    private = filters.ChatType.PRIVATE
    chat_ids = [settings.admin_chat_id] if settings.admin_chat_id is not None else []
    group = filters.Chat(chat_id=chat_ids) & ~private
    new = ~filters.UpdateType.EDITED
    app.add_handler(CommandHandler("requests", requests_command, filters=private))
    app.add_handler(
        CommandHandler(
            "aftersales",
            admin_only(aftersales_command),  # type: ignore[arg-type]
            filters=group | private,
        )
    )
    for kind, callback in CUSTOMER_BUTTONS:
        app.add_handler(CallbackQueryHandler(callback, pattern=kind.matches))
    for kind, fn in ADMIN_BUTTONS:
        app.add_handler(CallbackQueryHandler(admin_button(fn), pattern=kind.matches))  # type: ignore[arg-type]
    app.add_handler(
        MessageHandler((private | group) & filters.TEXT & ~filters.COMMAND & new, on_text),
        group=DIALOG_GROUP,
    )
    app.add_handler(MessageHandler(private & filters.PHOTO & new, on_photo), group=DIALOG_GROUP)
