"""Who may act as the merchant: users listed in ADMIN_USER_IDS, in the admin chat or privately."""

from __future__ import annotations

import functools
from typing import Any

from telegram import Update

from bot.context import Handler, ShopContext
from bot.shared.handlers import ButtonHandler, button_handler
from domain.shared.customers import Language


def is_admin(update: Update, context: ShopContext) -> bool:
    """Whether the sender is one of the shop's admins (the chat alone grants nothing)."""
    user = update.effective_user
    return user is not None and user.id in context.services.admin_user_ids


def admin_only(fn: Handler) -> Handler:
    """Refuse non-admins with a clear answer (alert for buttons, reply for messages);
    the wrapped handler never runs for them."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: ShopContext) -> Any:
        if is_admin(update, context):
            return await fn(update, context)
        language = context.lang if context.knows_customer else Language.EN
        text = context.texts(language, "error.admins_only")
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(text)
        return None

    return wrapper


def admin_only_button(fn: ButtonHandler) -> Handler:
    """A typed button only admins may tap: non-admins are refused before anything runs."""
    return admin_only(button_handler(fn))
