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
from bot.after_sales.common import _LONG_AGO, _ids, _others_since, asd
from bot.callback_data import parse
from bot.screens import Screen
from bot.shared.handlers import Context, button_handler, deps, lang, me
from bot.ui import reply, show
from domain.after_sales.records import Draft, DraftKind
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order
from domain.shared.errors import DomainError

# -- the customer's order detail --------------------------------------------------------------


async def order_extras(
    context: Context, order: Order, page: int
) -> tuple[list[str], list[list[Any]]]:
    """The order detail's after-sales part: its requests, and the button to start one."""
    if order.status not in (OrderStatus.DELIVERED, OrderStatus.COMPLETED):
        return [], []  # nothing delivered, nothing to ask for (no database round trip)
    d = asd(context)
    summary = await d.after_sales.summary_of(order)
    return d.views.order_section(lang(context), summary, page)


# -- the customer's request dialog --------------------------------------------------------------


async def _draft_screen(context: Context, draft: Draft) -> Screen:
    d = asd(context)
    summary = await d.after_sales.draft_view(draft.customer_id, draft.token)
    return d.views.draft_step(lang(context), draft, summary)


@button_handler
async def on_start(update: Update, context: Context, data: AsStart) -> str | None:
    """Start a request on an order: its kind is asked first."""
    result = await asd(context).after_sales.start_request(me(context).id, data.number)
    await show(update, context, await _draft_screen(context, result.draft))
    return None


@button_handler
async def on_kind(update: Update, context: Context, data: AsKind) -> str | None:
    """Return, exchange or repair: the units are asked next."""
    result = await asd(context).after_sales.choose_kind(me(context).id, data.token, data.kind)
    await show(update, context, await _draft_screen(context, result.draft))
    return None


@button_handler
async def on_line(update: Update, context: Context, data: AsLine) -> str | None:
    """One unit more or fewer of a line."""
    result = await asd(context).after_sales.change_line(
        me(context).id, data.token, data.line_id, data.delta
    )
    await show(update, context, await _draft_screen(context, result.draft))
    return None


@button_handler
async def on_lines_done(update: Update, context: Context, data: AsLinesDone) -> str | None:
    """The units are chosen: the reason is asked next."""
    result = await asd(context).after_sales.lines_chosen(me(context).id, data.token)
    await show(update, context, await _draft_screen(context, result.draft))
    return None


@button_handler
async def on_reason(update: Update, context: Context, data: AsReason) -> str | None:
    """The reason: details are asked next (optional)."""
    result = await asd(context).after_sales.choose_reason(me(context).id, data.token, data.code)
    await show(update, context, await _draft_screen(context, result.draft))
    return None


@button_handler
async def on_skip(update: Update, context: Context, data: AsSkip) -> str | None:
    """Skip the details, or be done with the photos."""
    result = await asd(context).after_sales.skip(me(context).id, data.token)
    await show(update, context, await _draft_screen(context, result.draft))
    return None


@button_handler
async def on_submit(update: Update, context: Context, data: AsSubmit) -> str | None:
    """Send the request (a second tap shows the request already sent)."""
    result = await asd(context).after_sales.submit(me(context).id, data.token)
    assert result.request is not None
    await show(update, context, asd(context).views.sent(lang(context), result.request))
    return None


@button_handler
async def on_cancel(update: Update, context: Context, data: AsCancel) -> str | None:
    """Give up the dialog; nothing it collected takes effect."""
    draft = await asd(context).after_sales.cancel_draft(me(context).id, data.token)
    number = draft.data.get("number") if draft.kind == DraftKind.REQUEST else None
    await show(update, context, asd(context).views.cancelled(lang(context), number))
    return None


# -- the customer's requests ---------------------------------------------------------------------


async def requests_command(update: Update, context: Context) -> None:
    """The customer's after-sales requests."""
    d = asd(context)
    paged = await d.after_sales.my_requests(me(context).id, 0)
    await reply(update, context, d.views.request_list(lang(context), paged))


@button_handler
async def on_mine(update: Update, context: Context, data: AsMine) -> str | None:
    """A page of the customer's requests."""
    d = asd(context)
    paged = await d.after_sales.my_requests(me(context).id, data.page)
    await show(update, context, d.views.request_list(lang(context), paged))
    return None


@button_handler
async def on_view(update: Update, context: Context, data: AsView) -> str | None:
    """One of the customer's requests with its timeline."""
    d = asd(context)
    request = await d.after_sales.my_request(me(context).id, data.request_id)
    screen = d.views.request_detail(lang(context), request)
    await _show_or_send(update, context, screen)
    return None


async def _show_or_send(update: Update, context: Context, screen: Screen) -> None:
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
async def on_send_back(update: Update, context: Context, data: AsSendBack) -> str | None:
    """Start giving the return parcel: the carrier is asked first."""
    d = asd(context)
    draft = await d.after_sales.start_send_back(me(context).id, data.request_id)
    await reply(update, context, d.views.tracking_step(lang(context), draft))
    return None


@button_handler
async def on_return_carrier(update: Update, context: Context, data: AsReturnCarrier) -> str | None:
    """The return parcel's carrier: its tracking number is asked next."""
    d = asd(context)
    draft = await d.after_sales.choose_return_carrier(me(context).id, data.token, data.code)
    await show(update, context, d.views.tracking_step(lang(context), draft))
    return None


async def _answer_draft(update: Update, context: Context, draft: Draft, text: str) -> None:
    d = asd(context)
    language = lang(context)
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
        message = deps(context).views.error(language, error)
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
    language = lang(context)
    try:
        result = await d.after_sales.give_photo(user, message.photo[-1].file_id)
    except DomainError as error:
        await reply(update, context, Screen(deps(context).views.error(language, error)))
        raise ApplicationHandlerStop from None
    if result is not None:
        await reply(update, context, await _draft_screen(context, result.draft))
    raise ApplicationHandlerStop
