"""Marketing in the chat (issue 16): the customer's back-in-stock keys and a broadcast's
product key; the merchant's /broadcast and /broadcasts. Attached after the catalog, registered
as admin commands by bot/merchant/handlers.py (ADMIN_COMMANDS, COMMAND_TEXTS)."""

from __future__ import annotations

from typing import Any

from telegram.ext import CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.access import admin_only
from bot.callback_data import Callback
from bot.context import ShopApp
from bot.marketing import admin, customer
from bot.marketing.callbacks import (
    BcAudience,
    BcCancel,
    BcList,
    BcOpen,
    BcSend,
    BcSkip,
    BroadcastProduct,
    UnwatchProduct,
    WatchProduct,
)
from bot.merchant.common import admin_button
from bot.shared.handlers import button_handler

ADMIN_COMMANDS = ("broadcast", "broadcasts")
COMMAND_TEXTS = {name: f"mkt.adm.command_{name}" for name in ADMIN_COMMANDS}

BUTTONS: list[tuple[type[Callback], Any]] = [
    (WatchProduct, customer.on_watch),
    (UnwatchProduct, customer.on_unwatch),
    (BroadcastProduct, customer.on_broadcast_product),
]
ADMIN_BUTTONS: list[tuple[type[Callback], Any]] = [
    (BcAudience, admin.on_audience),
    (BcSkip, admin.on_skip),
    (BcSend, admin.on_send),
    (BcCancel, admin.on_cancel),
    (BcOpen, admin.on_open),
    (BcList, admin.on_list),
]


def register(app: ShopApp) -> None:
    """Attach the customer's keys and the merchant's commands and keys."""
    for kind, fn in BUTTONS:
        app.add_handler(CallbackQueryHandler(button_handler(fn), pattern=kind.matches))
    settings = app.bot_data.settings
    chat_ids = [settings.admin_chat_id] if settings.admin_chat_id is not None else []
    private = filters.ChatType.PRIVATE
    anywhere = (filters.Chat(chat_id=chat_ids) & ~private) | private
    app.add_handler(
        CommandHandler("broadcast", admin_only(admin.broadcast_command), filters=anywhere)
    )
    app.add_handler(
        CommandHandler("broadcasts", admin_only(admin.broadcasts_command), filters=anywhere)
    )
    for kind, fn in ADMIN_BUTTONS:
        app.add_handler(CallbackQueryHandler(admin_button(fn), pattern=kind.matches))
    # Media a broadcast cannot carry, sent while one is being written (text and photos are
    # the merchant's dialogs', bot/merchant/; a CSV is an import, taken before this).
    media = (
        filters.Sticker.ALL
        | filters.VOICE
        | filters.AUDIO
        | filters.VIDEO
        | filters.VIDEO_NOTE
        | filters.ANIMATION
        | filters.Document.ALL
    )
    new = ~filters.UpdateType.EDITED
    app.add_handler(MessageHandler(anywhere & media & new, admin.answer_other_media))
