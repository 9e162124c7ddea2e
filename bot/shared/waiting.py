"""What a typed message answers, read once per update (issue 13): the after-sales handler
(DIALOG_GROUP), the merchant's dialogs and checkout (group 0) each look at the same read
instead of opening a transaction of their own (domain/after_sales/waiting.py)."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType

from bot.context import ShopContext
from bot.shared.handlers import chat_and_user
from domain.after_sales.waiting import Waiting


async def waiting_dialogs(update: Update, context: ShopContext) -> Waiting:
    """The sender's dialogs that take a typed answer (or a photo) in this chat: the dialog in
    the chat, and in a private chat the after-sales draft and the checkout; read on the
    update's first call and kept for the handlers after it."""
    waiting = context.waiting
    if waiting is None:
        chat, user = chat_and_user(update)
        assert update.effective_chat is not None
        private = update.effective_chat.type == ChatType.PRIVATE
        waiting = await context.bot_data.typed_answers.waiting(chat, user, private=private)
        context.waiting = waiting
    return waiting
