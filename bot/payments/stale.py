"""Keys that no longer apply: a Pay now or Send transfer receipt key of an order that no longer
waits for its payment (on a reminder, a failed-invoice notice or an old screen) is taken off the
message it was tapped on, so the chat stops offering it."""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InlineKeyboardMarkup, Message
from telegram.error import BadRequest

from bot.callback_data import OrderNo
from bot.payments.callbacks import AskReceipt, PayNow

log = logging.getLogger(__name__)


async def strip_payment_keys(query: CallbackQuery, number: str) -> None:
    """Edit the tapped message's keyboard without the order's payment keys (the rest stays)."""
    message = query.message
    if not isinstance(message, Message) or message.reply_markup is None:
        return
    stale = {PayNow(OrderNo(number)).pack(), AskReceipt(OrderNo(number)).pack()}
    before = message.reply_markup.inline_keyboard
    rows = [[key for key in row if key.callback_data not in stale] for row in before]
    kept = [row for row in rows if row]
    if sum(map(len, kept)) == sum(map(len, before)):
        return
    try:
        await query.edit_message_reply_markup(InlineKeyboardMarkup(kept) if kept else None)
    except BadRequest as exc:  # too old to edit, or already changed
        log.info("could not remove the stale payment key of order %s: %s", number, exc)
