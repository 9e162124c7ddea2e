"""The merchant's /track ORDER screen: the checkpoints so far and, while the order is on its
way, a button per tracking status (in the admin's words) that records that checkpoint and tells
the customer, as `/track ORDER STATUS` does."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message, Update

from bot.callback_data import OrderNo
from bot.context import ShopContext
from bot.screens import TEXT_LIMIT, Screen, button, fit, keyboard
from bot.shared.handlers import chat_and_user
from bot.shipping.callbacks import TrackPost
from bot.shipping.views import checkpoint_lines
from bot.ui import plain_text, show
from domain.orders.lifecycle import OrderStatus
from domain.shared.customers import admin_actor
from domain.shared.dialogs import StaleDialogError
from domain.shipping.tracking_records import STATUS_TEXT, TrackingStatus

HISTORY_SHOWN = 15
STATUSES = tuple(TrackingStatus)  # a button carries its status's index here


def status_buttons(context: ShopContext, number: str) -> InlineKeyboardMarkup:
    """A button per tracking status, two a row."""
    t, lang = context.texts, context.admin_language
    keys = [
        button(t(lang, STATUS_TEXT[status]), TrackPost(OrderNo(number), index))
        for index, status in enumerate(STATUSES)
    ]
    return keyboard([keys[i : i + 2] for i in range(0, len(keys), 2)])


async def history_screen(context: ShopContext, number: str) -> Screen:
    """An order's checkpoints, newest last, with the status buttons while it is shipped."""
    t, lang = context.texts, context.admin_language
    history = await context.services.tracking.history(number)
    order = history.order
    parts = [
        t(
            lang,
            "track.history_title",
            number=order.number,
            status=t(lang, f"status.{order.status.value}"),
        )
    ]
    parts += checkpoint_lines(t, lang, history, HISTORY_SHOWN, "track.history_none")
    if order.status == OrderStatus.SHIPPED:
        parts.append(t(lang, "track.buttons_hint"))
        return Screen(fit("\n".join(parts), TEXT_LIMIT), status_buttons(context, order.number))
    return Screen(fit("\n".join(parts), TEXT_LIMIT))


async def on_track_status(update: Update, context: ShopContext, data: TrackPost) -> str | None:
    """A status button: record the checkpoint once (a second tap of the same button on the same
    screen is a duplicate), tell the customer, and show the checkpoints again in place."""
    t, lang = context.texts, context.admin_language
    if not 0 <= data.status < len(STATUSES):
        raise StaleDialogError()
    status = STATUSES[data.status]
    chat, user = chat_and_user(update)
    query = update.callback_query
    message = query.message if query else None
    where = message.message_id if isinstance(message, Message) else 0
    posted = await context.services.tracking.post(
        admin_actor(user), data.number, status, None, key=f"button:{chat}:{where}:{status.value}"
    )
    await show(update, context, await history_screen(context, posted.order.number))
    number = posted.order.number
    if not posted.added:
        return plain_text(t(lang, "track.duplicate", number=number))
    if posted.delivered:
        return plain_text(t(lang, "track.posted_delivered", number=number))
    return plain_text(t(lang, "track.posted", number=number, status=t(lang, STATUS_TEXT[status])))
