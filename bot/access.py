"""Who may act as the merchant: users listed in ADMIN_USER_IDS, in the admin chat or privately."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.ext import ContextTypes

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[Any]]


def is_admin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether the sender is one of the shop's admins (the chat alone grants nothing)."""
    user = update.effective_user
    admins: frozenset[int] = context.bot_data["deps"].admin_user_ids
    return user is not None and user.id in admins


def admin_only(fn: Handler) -> Handler:
    """Refuse non-admins with a clear answer (alert for buttons, reply for messages);
    the wrapped handler never runs for them."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Any:
        if is_admin(update, context):
            return await fn(update, context)
        deps = context.bot_data["deps"]
        customer = (context.user_data or {}).get("customer")
        language = customer.effective_language if customer else None
        from domain.shared.customers import Language

        text = deps.texts(language or Language.EN, "error.admins_only")
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(text)
        return None

    return wrapper
