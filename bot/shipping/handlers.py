"""Tracking in the chat: the merchant's /track, and the customer's "✅ Received" (from the
order's detail or the delivery notice). Handlers parse, call one use case, and render."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    filters,
)

from bot.access import admin_only
from bot.context import ShopApp, ShopContext
from bot.merchant.common import admin_button
from bot.screens import Screen
from bot.shared.handlers import button_handler
from bot.shipping.callbacks import Received, ReceivedFromNotice, TrackPost
from bot.shipping.track_buttons import history_screen, on_track_status
from bot.texts import Html, Texts
from bot.ui import reply, show
from domain.shared.customers import Language, admin_actor
from domain.shared.errors import DomainError, IllegalTransitionError
from domain.shipping.tracking_records import (
    STATUS_TEXT,
    TrackingStatus,
    parse_status,
)

log = logging.getLogger(__name__)


# -- the merchant: /track ---------------------------------------------------------------------


def _status(texts: Texts, lang: Language, status: TrackingStatus) -> str:
    return texts(lang, STATUS_TEXT[status])


def _word(texts: Texts, lang: Language, status: TrackingStatus) -> str:
    """What to type after /track for a status: its name in `lang` when that is one word
    (运输中, delivered), else the status's code (in_transit)."""
    name = _status(texts, lang, status)
    return status.value if any(c.isspace() for c in name) else name


def _parse(texts: Texts, lang: Language, typed: str) -> TrackingStatus:
    """A status typed after /track: its one-word name in the admin's language, or a code or
    short word (domain/shipping/tracking_records.py parse_status)."""
    for status in TrackingStatus:
        if typed.strip().casefold() == _word(texts, lang, status).casefold():
            return status
    return parse_status(typed)


def _usage(texts: Texts, lang: Language) -> Screen:
    statuses = ", ".join(f"<code>{_word(texts, lang, s)}</code>" for s in TrackingStatus)
    return Screen(texts(lang, "track.usage", statuses=Html(statuses)))


async def track_command(update: Update, context: ShopContext) -> None:
    """/track ORDER STATUS [note]: record a checkpoint; /track ORDER: show its checkpoints."""
    t, lang = context.texts, context.admin_language
    args = context.args or []
    if not args:
        await reply(update, context, _usage(t, lang))
        return
    views = context.admin_views
    number = args[0]
    try:
        if len(args) == 1:
            await reply(update, context, await history_screen(context, number))
            return
        status = _parse(t, lang, args[1])
        note = " ".join(args[2:]) or None
        message = update.effective_message
        assert message is not None and update.effective_user is not None
        posted = await context.services.tracking.post(
            admin_actor(update.effective_user.id),
            number,
            status,
            note,
            key=f"{message.chat_id}:{message.message_id}",
        )
    except DomainError as error:
        text = views.error(error)
        if isinstance(error, IllegalTransitionError) or error.key == "track.error.status":
            text = f"{text}\n\n{_usage(t, lang).text}"
        await reply(update, context, Screen(text))
        return
    if not posted.added:
        text = t(lang, "track.duplicate", number=posted.order.number)
    elif posted.delivered:
        text = t(lang, "track.posted_delivered", number=posted.order.number)
    else:
        text = t(lang, "track.posted", number=posted.order.number, status=_status(t, lang, status))
    await reply(update, context, Screen(text))


# -- the customer: "✅ Received" ----------------------------------------------------------------


@button_handler
async def on_received(update: Update, context: ShopContext, data: Received) -> str | None:
    """The customer got the parcel (from the order's detail): the order completes."""
    customer = context.customer
    order = await context.services.completion.confirm_received(customer.id, data.number)
    detail = await context.shop.my_order(customer.id, order.number)
    await show(update, context, context.views.order_detail(context.lang, detail, max(data.page, 0)))
    return context.texts(context.lang, "track.received_toast", number=order.number)


@button_handler
async def on_received_from_notice(
    update: Update, context: ShopContext, data: ReceivedFromNotice
) -> str | None:
    """The customer got the parcel (from the delivery notice): the order completes, and the
    notice loses its button and its "tap Received" line and says it was confirmed."""
    customer = context.customer
    query = update.callback_query
    assert query is not None
    try:
        order = await context.services.completion.confirm_received(customer.id, data.number)
    except IllegalTransitionError:
        await _settle_notice(context, query)
        raise
    await _settle_notice(context, query)
    return context.texts(context.lang, "track.received_toast", number=order.number)


async def _settle_notice(context: ShopContext, query: CallbackQuery) -> None:
    """The delivery notice once Received no longer applies: without the button and without the
    line that asks for it (the line naming the button), with a line saying it was done."""
    message = query.message
    button_label = context.texts(context.lang, "track.received_button")
    try:
        if isinstance(message, Message) and message.text:
            lines = [line for line in message.text_html.split("\n") if button_label not in line]
            lines.append(context.texts(context.lang, "track.received_noted"))
            await query.edit_message_text(
                "\n".join(lines), parse_mode=ParseMode.HTML, reply_markup=None
            )
        else:
            await query.edit_message_reply_markup(None)
    except BadRequest as exc:  # already changed, or too old to edit
        log.info("could not settle the delivery notice: %s", exc)


# -- wiring ---------------------------------------------------------------------------------------


def register(app: ShopApp) -> None:
    """Attach the handlers: the merchant's /track, the customer's "Received"."""
    settings = app.bot_data.settings
    chat_ids = [settings.admin_chat_id] if settings.admin_chat_id is not None else []
    private = filters.ChatType.PRIVATE
    anywhere = (filters.Chat(chat_id=chat_ids) & ~private) | private
    app.add_handler(CommandHandler("track", admin_only(track_command), filters=anywhere))
    app.add_handler(CallbackQueryHandler(admin_button(on_track_status), pattern=TrackPost.matches))
    app.add_handler(CallbackQueryHandler(on_received, pattern=Received.matches))
    app.add_handler(
        CallbackQueryHandler(on_received_from_notice, pattern=ReceivedFromNotice.matches)
    )
