"""The merchant's after-sales queue: requests, their steps, refunds and return shipments."""

from __future__ import annotations

import logging
from typing import Any

from telegram import InputMediaPhoto, Message, Update

from bot.after_sales.admin_views import QUEUE_STATUSES, QueueFilter
from bot.after_sales.callbacks import (
    AsAdmApprove,
    AsAdmClose,
    AsAdmDecline,
    AsAdmDialogCancel,
    AsAdmOpen,
    AsAdmOrder,
    AsAdmPhotos,
    AsAdmQueue,
    AsAdmReceive,
    AsAdmRefund,
    AsAdmRefundGo,
    AsAdmShip,
    AsAdmView,
)
from bot.context import ShopContext
from bot.screens import Screen, with_header
from bot.shared.handlers import chat_and_user
from bot.ui import reply, show
from domain.after_sales.records import AfterSalesError
from domain.orders.model import PaymentMethod
from domain.payments.refunds import RefundOutcome
from domain.shared.dialogs import Dialog, DialogKind, StaleDialogError
from domain.shared.errors import DomainError
from domain.shipping.carriers import DialogResult

log = logging.getLogger(__name__)

# -- the merchant ------------------------------------------------------------------------------


async def request_screen(
    context: ShopContext, request_id: int, header: str | None = None
) -> Screen:
    """A request's detail for the merchant (with a line on top saying what just happened)."""
    screen = context.after_sales_views.request_file(
        await context.after_sales.request_file(request_id)
    )
    return with_header(header, screen) if header else screen


async def ship_result(context: ShopContext, result: DialogResult) -> Screen:
    """What the merchant's ship dialog shows when it shipped for a request."""
    dialog, shipment = result.dialog, result.shipment
    assert shipment is not None
    header = context.after_sales_views.a(
        "as.adm.ship_done",
        request=str(dialog.data.get("request_number", "")),
        carrier=shipment.carrier_name,
        tracking=shipment.tracking_number,
    )
    return await request_screen(context, int(dialog.data["request"]), header)


async def _present(update: Update, context: ShopContext, screen: Screen) -> None:
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


async def _queue_screen(context: ShopContext, which: QueueFilter, page: int) -> Screen:
    statuses = QUEUE_STATUSES[which]
    paged = await context.after_sales.queue(statuses, page)
    if not paged.items and page > 0:
        paged = await context.after_sales.queue(statuses, 0)
    return context.after_sales_views.queue(which, paged, await context.after_sales.counts())


async def aftersales_command(update: Update, context: ShopContext) -> None:
    """The open after-sales requests, by status, oldest first."""
    await reply(update, context, await _queue_screen(context, QueueFilter.OPEN, 0))


async def on_queue(update: Update, context: ShopContext, data: AsAdmQueue) -> str | None:
    """A page of requests under a filter."""
    await show(update, context, await _queue_screen(context, _queue_filter(data.filter), data.page))
    return None


async def on_open(update: Update, context: ShopContext, data: AsAdmOpen) -> str | None:
    """A request from an alert, as a new message (the alert stays)."""
    await reply(update, context, await request_screen(context, data.request_id))
    return None


async def on_admin_view(update: Update, context: ShopContext, data: AsAdmView) -> str | None:
    """A request's detail in place."""
    await _present(update, context, await request_screen(context, data.request_id))
    return None


async def on_order(update: Update, context: ShopContext, data: AsAdmOrder) -> str | None:
    """The requests of one order."""
    order, requests = await context.after_sales.for_order(data.number)
    await _present(update, context, context.after_sales_views.order_requests(order, requests))
    return None


async def _step(
    update: Update, context: ShopContext, request_id: int, done: str, run: Any
) -> str | None:
    """Run one step of a request; either way the detail shows it as it is now."""
    try:
        request = await run()
    except DomainError:
        await _present(update, context, await request_screen(context, request_id))
        raise
    text = context.after_sales_views.a(done, request=request.number)
    await _present(update, context, await request_screen(context, request_id, text))
    return text


async def on_approve(update: Update, context: ShopContext, data: AsAdmApprove) -> str | None:
    """Approve: the customer is told where to send the goods."""
    _, user = chat_and_user(update)
    return await _step(
        update,
        context,
        data.request_id,
        "as.adm.approved_toast",
        lambda: context.after_sales.approve(user, data.request_id),
    )


async def on_decline(update: Update, context: ShopContext, data: AsAdmDecline) -> str | None:
    """Start declining: the reason is asked (the customer reads it)."""
    chat, user = chat_and_user(update)
    try:
        dialog = await context.after_sales.start_decline(chat, user, data.request_id)
    except DomainError:
        await _present(update, context, await request_screen(context, data.request_id))
        raise
    await _present(update, context, context.after_sales_views.decline_prompt(dialog))
    return None


async def on_receive(update: Update, context: ShopContext, data: AsAdmReceive) -> str | None:
    """The goods came back: back in stock, written off, or kept for repair."""
    _, user = chat_and_user(update)
    return await _step(
        update,
        context,
        data.request_id,
        "as.adm.received_toast",
        lambda: context.after_sales.receive(user, data.request_id, data.how),
    )


async def on_close(update: Update, context: ShopContext, data: AsAdmClose) -> str | None:
    """Close the request."""
    _, user = chat_and_user(update)
    return await _step(
        update,
        context,
        data.request_id,
        "as.adm.closed_toast",
        lambda: context.after_sales.close(user, data.request_id),
    )


async def on_refund(update: Update, context: ShopContext, data: AsAdmRefund) -> str | None:
    """Refund a return: Stars ask to confirm; other payments ask for the merchant's note."""
    chat, user = chat_and_user(update)
    try:
        request, payment, amount = await context.after_sales.refund_plan(data.request_id)
        if payment.method == PaymentMethod.STARS:
            screen = context.after_sales_views.stars_refund_ask(request, amount)
        else:
            dialog = await context.after_sales.start_refund_note(chat, user, data.request_id)
            screen = context.after_sales_views.refund_note_prompt(
                dialog, request, amount, payment.method
            )
    except DomainError:
        await _present(update, context, await request_screen(context, data.request_id))
        raise
    await _present(update, context, screen)
    return None


def _refund_header(
    context: ShopContext, outcome: RefundOutcome, number: str, total: object, error: str | None
) -> str:
    a = context.after_sales_views.a
    if outcome == RefundOutcome.DONE:
        return a("as.adm.refund_done", total=total, request=number)
    if outcome == RefundOutcome.ALREADY:
        return a("as.adm.refund_already")
    if outcome == RefundOutcome.FAILED:
        return a("as.adm.refund_failed", request=number, error=error or "?")
    return a("as.adm.refund_retry", request=number)


async def on_refund_go(update: Update, context: ShopContext, data: AsAdmRefundGo) -> str | None:
    """Refund the return's Stars through Telegram, once however often it is pressed."""
    _, user = chat_and_user(update)
    result = await context.after_sales.refund(user, data.request_id)
    total = result.refund.amount if result.refund else "—"
    header = _refund_header(context, result.outcome, result.request.number, total, result.error)
    if result.outcome in (RefundOutcome.FAILED, RefundOutcome.RETRY):
        # The question stays, with its button, for another try.
        _, _, amount = await context.after_sales.refund_plan(data.request_id)
        ask = context.after_sales_views.stars_refund_ask(result.request, amount)
        await _present(update, context, with_header(header, ask))
        return header
    await _present(update, context, await request_screen(context, data.request_id, header))
    return header


async def on_ship(update: Update, context: ShopContext, data: AsAdmShip) -> str | None:
    """Ship the replacement or the repaired goods with the merchant's ship dialog."""
    chat, user = chat_and_user(update)
    try:
        dialog = await context.after_sales.start_ship(chat, user, data.request_id)
    except DomainError:
        await _present(update, context, await request_screen(context, data.request_id))
        raise
    await _present(update, context, context.admin_views.prompt(dialog))
    return None


async def on_photos(update: Update, context: ShopContext, data: AsAdmPhotos) -> str | None:
    """The request's photos again, as an album."""
    request = (await context.after_sales.request_file(data.request_id)).request
    assert update.effective_chat is not None
    chat_id = update.effective_chat.id
    caption = context.after_sales_views.a("as.adm.photos_caption", request=request.number)
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
    update: Update, context: ShopContext, data: AsAdmDialogCancel
) -> str | None:
    """Leave the decline or refund-note dialog: nothing changes, the request shows again."""
    chat, user = chat_and_user(update)
    dialog = await context.merchant.cancel_dialog(chat, user, data.token)
    await _present(update, context, await request_screen(context, int(dialog.data["request_id"])))
    return context.after_sales_views.a("adm.dialog.cancelled")


async def answer_admin_dialog(
    update: Update, context: ShopContext, dialog: Dialog, text: str
) -> None:
    """The reason to decline a request, or the note of a refund made outside Telegram."""
    _, user = chat_and_user(update)
    request_id = int(dialog.data["request_id"])
    if dialog.kind == DialogKind.AS_DECLINE:
        try:
            request = await context.after_sales.decline(user, request_id, text, dialog)
        except DomainError as error:
            await _admin_error(update, context, dialog, error)
            return
        header = context.after_sales_views.a("as.adm.declined_done", request=request.number)
        await reply(update, context, await request_screen(context, request_id, header))
        return
    try:
        result = await context.after_sales.refund(user, request_id, text)
    except DomainError as error:
        await _admin_error(update, context, dialog, error)
        return
    if result.outcome in (RefundOutcome.DONE, RefundOutcome.ALREADY):
        try:
            await context.merchant.cancel_dialog(dialog.chat_id, dialog.user_id, dialog.token)
        except StaleDialogError:
            pass  # ended meanwhile
    total = result.refund.amount if result.refund else "—"
    header = _refund_header(context, result.outcome, result.request.number, total, result.error)
    await reply(update, context, await request_screen(context, request_id, header))


async def _admin_error(
    update: Update, context: ShopContext, dialog: Dialog, error: DomainError
) -> None:
    message = context.admin_views.error(error)
    current = await context.merchant.current_dialog(dialog.chat_id, dialog.user_id)
    if current is None or current.token != dialog.token:
        await reply(update, context, Screen(message))
        return
    if dialog.kind == DialogKind.AS_DECLINE:
        prompt = context.after_sales_views.decline_prompt(dialog)
    else:
        prompt = context.after_sales_views.refund_note_again(dialog)
    await reply(update, context, with_header(message, prompt))
