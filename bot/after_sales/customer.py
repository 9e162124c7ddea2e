"""The customer's after-sales: starting a request, its dialog, and the customer's requests."""

from __future__ import annotations

from typing import Any

from telegram import Message, Update
from telegram.ext import (
    ApplicationHandlerStop,
)

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
from bot.after_sales.common import LONG_AGO, others_since
from bot.callback_data import parse
from bot.context import ShopContext
from bot.reviews.handlers import answer_comment
from bot.screens import Screen
from bot.shared.handlers import button_handler, chat_and_user
from bot.shared.waiting import waiting_dialogs
from bot.ui import reply, show
from domain.after_sales.records import Draft, DraftKind
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order
from domain.shared.errors import DomainError

# -- the customer's order detail --------------------------------------------------------------


async def order_extras(
    context: ShopContext, order: Order, page: int
) -> tuple[list[str], list[list[Any]]]:
    """The order detail's after-sales part: its requests, and the button to start one."""
    if order.status not in (OrderStatus.DELIVERED, OrderStatus.COMPLETED):
        return [], []  # nothing delivered, nothing to ask for (no database round trip)
    summary = await context.after_sales.summary_of(order)
    return context.after_sales_views.order_section(context.lang, summary, page)


# -- the customer's request dialog --------------------------------------------------------------


async def _draft_screen(context: ShopContext, draft: Draft) -> Screen:
    summary = await context.after_sales.draft_view(draft.customer_id, draft.token)
    return context.after_sales_views.draft_step(context.lang, draft, summary)


@button_handler
async def on_start(update: Update, context: ShopContext, data: AsStart) -> str | None:
    """Start a request on an order: its kind is asked first."""
    result = await context.after_sales.start_request(context.customer.id, data.number)
    await show(update, context, await _draft_screen(context, result.draft))
    return None


@button_handler
async def on_kind(update: Update, context: ShopContext, data: AsKind) -> str | None:
    """Return, exchange or repair: the units are asked next."""
    result = await context.after_sales.choose_kind(context.customer.id, data.token, data.kind)
    await show(update, context, await _draft_screen(context, result.draft))
    return None


@button_handler
async def on_line(update: Update, context: ShopContext, data: AsLine) -> str | None:
    """One unit more or fewer of a line."""
    result = await context.after_sales.change_line(
        context.customer.id, data.token, data.line_id, data.delta
    )
    await show(update, context, await _draft_screen(context, result.draft))
    return None


@button_handler
async def on_lines_done(update: Update, context: ShopContext, data: AsLinesDone) -> str | None:
    """The units are chosen: the reason is asked next."""
    result = await context.after_sales.lines_chosen(context.customer.id, data.token)
    await show(update, context, await _draft_screen(context, result.draft))
    return None


@button_handler
async def on_reason(update: Update, context: ShopContext, data: AsReason) -> str | None:
    """The reason: details are asked next (optional)."""
    result = await context.after_sales.choose_reason(context.customer.id, data.token, data.code)
    await show(update, context, await _draft_screen(context, result.draft))
    return None


@button_handler
async def on_skip(update: Update, context: ShopContext, data: AsSkip) -> str | None:
    """Skip the details, or be done with the photos."""
    result = await context.after_sales.skip(context.customer.id, data.token)
    await show(update, context, await _draft_screen(context, result.draft))
    return None


@button_handler
async def on_submit(update: Update, context: ShopContext, data: AsSubmit) -> str | None:
    """Send the request (a second tap shows the request already sent)."""
    result = await context.after_sales.submit(context.customer.id, data.token)
    assert result.request is not None
    await show(update, context, context.after_sales_views.sent(context.lang, result.request))
    return None


@button_handler
async def on_cancel(update: Update, context: ShopContext, data: AsCancel) -> str | None:
    """Give up the dialog; nothing it collected takes effect."""
    draft = await context.after_sales.cancel_draft(context.customer.id, data.token)
    number = draft.data.get("number") if draft.kind == DraftKind.REQUEST else None
    await show(update, context, context.after_sales_views.cancelled(context.lang, number))
    return None


# -- the customer's requests ---------------------------------------------------------------------


async def requests_command(update: Update, context: ShopContext) -> None:
    """The customer's after-sales requests."""
    paged = await context.after_sales.my_requests(context.customer.id, 0)
    await reply(update, context, context.after_sales_views.request_list(context.lang, paged))


@button_handler
async def on_mine(update: Update, context: ShopContext, data: AsMine) -> str | None:
    """A page of the customer's requests."""
    paged = await context.after_sales.my_requests(context.customer.id, data.page)
    await show(update, context, context.after_sales_views.request_list(context.lang, paged))
    return None


@button_handler
async def on_view(update: Update, context: ShopContext, data: AsView) -> str | None:
    """One of the customer's requests with its timeline."""
    request = await context.after_sales.my_request(context.customer.id, data.request_id)
    screen = context.after_sales_views.request_detail(context.lang, request)
    await _show_or_send(update, context, screen)
    return None


async def _show_or_send(update: Update, context: ShopContext, screen: Screen) -> None:
    """Edit our own screens in place; a notification from the shop (its only buttons: View
    request, Send return tracking) stays, and the screen comes as a new message."""
    query = update.callback_query
    message = query.message if query else None
    markup = message.reply_markup if isinstance(message, Message) else None
    notice = markup is None or all(
        isinstance(parse(key.callback_data), AsView | AsSendBack)
        for row in markup.inline_keyboard
        for key in row
    )
    if notice:
        await reply(update, context, screen)
    else:
        await show(update, context, screen)


@button_handler
async def on_send_back(update: Update, context: ShopContext, data: AsSendBack) -> str | None:
    """Start giving the return parcel: the carrier is asked first."""
    draft = await context.after_sales.start_send_back(context.customer.id, data.request_id)
    await reply(update, context, context.after_sales_views.tracking_step(context.lang, draft))
    return None


@button_handler
async def on_return_carrier(
    update: Update, context: ShopContext, data: AsReturnCarrier
) -> str | None:
    """The return parcel's carrier: its tracking number is asked next."""
    draft = await context.after_sales.choose_return_carrier(
        context.customer.id, data.token, data.code
    )
    await show(update, context, context.after_sales_views.tracking_step(context.lang, draft))
    return None


async def answer_draft(update: Update, context: ShopContext, draft: Draft, text: str) -> None:
    language = context.lang
    if draft.kind == DraftKind.REVIEW:
        await answer_comment(update, context, text)
        return
    try:
        result = await context.after_sales.give_text(draft.customer_id, text)
    except DomainError as error:
        current = await context.after_sales.current_draft(draft.customer_id) or draft
        if current.kind == DraftKind.TRACKING:
            screen = context.after_sales_views.tracking_step(language, current)
        else:
            screen = await _draft_screen(context, current)
        message = context.views.error(language, error)
        await reply(update, context, Screen(f"{message}\n\n{screen.text}", screen.markup))
        return
    if result is None:
        return
    if result.request is not None:
        await reply(
            update, context, context.after_sales_views.tracking_done(language, result.request)
        )
        return
    await reply(update, context, await _draft_screen(context, result.draft))


async def on_photo(update: Update, context: ShopContext) -> None:
    """A photo in a private chat: one of the request's photos when its dialog asks for them
    and is the customer's latest dialog."""
    _, user = chat_and_user(update)
    message = update.message
    assert message is not None and message.photo
    waiting = await waiting_dialogs(update, context)  # one read, kept for the groups after
    draft = waiting.draft
    if draft is None or not draft.waits_for_photo:
        return
    if others_since(update, context, waiting, exclude_admin_kinds=False) > (
        draft.updated_at or LONG_AGO
    ):
        return
    language = context.lang
    try:
        result = await context.after_sales.give_photo(user, message.photo[-1].file_id)
    except DomainError as error:
        await reply(update, context, Screen(context.views.error(language, error)))
        raise ApplicationHandlerStop from None
    if result is not None:
        await reply(update, context, await _draft_screen(context, result.draft))
    raise ApplicationHandlerStop
