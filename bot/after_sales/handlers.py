"""After-sales in the chat: the customer asks for a return, exchange or repair of a delivered
order and follows it; the merchant approves or declines it in the admin chat, receives the
goods, refunds, ships the replacement or the repaired goods, and closes it. Handlers parse the
update, call one `AfterSales` use case and render the result.

Typed answers and photos for the customer's dialog (details, photos, the return parcel's number,
a review's comment) and for the merchant's (the reason to decline, a refund's note) are read
in DIALOG_GROUP: a handler takes the message only when such a dialog waits for it and is the
user's latest dialog (checkout and the merchant's own dialogs keep theirs), and then stops
the other handlers (ApplicationHandlerStop)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import (
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.access import admin_only, is_admin
from bot.after_sales.admin import (
    aftersales_command,
    answer_admin_dialog,
    on_admin_view,
    on_approve,
    on_close,
    on_decline,
    on_dialog_cancel,
    on_open,
    on_order,
    on_photos,
    on_queue,
    on_receive,
    on_refund,
    on_refund_go,
    on_ship,
)
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
from bot.after_sales.common import ADMIN_KINDS, LONG_AGO, others_since
from bot.after_sales.customer import (
    answer_draft,
    on_cancel,
    on_kind,
    on_line,
    on_lines_done,
    on_mine,
    on_photo,
    on_reason,
    on_return_carrier,
    on_send_back,
    on_skip,
    on_start,
    on_submit,
    on_view,
    requests_command,
)
from bot.callback_data import Callback
from bot.context import ShopApp, ShopContext
from bot.merchant.common import admin_button
from bot.screens import Screen
from bot.shared.handlers import DIALOG_GROUP, MAX_TEXT, ButtonHandler
from bot.shared.waiting import waiting_dialogs
from bot.ui import reply


async def on_text(update: Update, context: ShopContext) -> None:
    """Typed text: the answer to an after-sales dialog (the customer's, or an admin's decline
    reason or refund note) when one waits for it and is the user's latest dialog."""
    assert update.message is not None and update.effective_chat is not None
    private = update.effective_chat.type == ChatType.PRIVATE
    admin = is_admin(update, context)
    if not private and not admin:
        return
    waiting = await waiting_dialogs(update, context)  # one read, kept for the groups after
    draft = waiting.draft
    if draft is not None and not draft.waits_for_text:
        draft = None
    dialog = waiting.dialog if admin else None
    if dialog is not None and dialog.kind not in ADMIN_KINDS:
        dialog = None
    if draft is None and dialog is None:
        return
    draft_at = (draft.updated_at or LONG_AGO) if draft else None
    dialog_at = (dialog.updated_at or LONG_AGO) if dialog else None
    mine = max(at for at in (draft_at, dialog_at) if at is not None)
    if private and others_since(update, context, waiting, exclude_admin_kinds=True) > mine:
        return  # a newer checkout or dialog takes the text
    text = update.message.text or ""
    if len(text) > MAX_TEXT:
        language = context.admin_language if dialog else context.lang
        await reply(
            update,
            context,
            Screen(context.texts(language, "error.text_too_long", max=MAX_TEXT)),
        )
        raise ApplicationHandlerStop
    if dialog is not None and (draft_at is None or (dialog_at or LONG_AGO) >= draft_at):
        await answer_admin_dialog(update, context, dialog, text)
    else:
        assert draft is not None
        await answer_draft(update, context, draft, text)
    raise ApplicationHandlerStop


# -- wiring ------------------------------------------------------------------------------------

CUSTOMER_BUTTONS: list[tuple[type[Callback], Any]] = [
    (AsStart, on_start),
    (AsKind, on_kind),
    (AsLine, on_line),
    (AsLinesDone, on_lines_done),
    (AsReason, on_reason),
    (AsSkip, on_skip),
    (AsSubmit, on_submit),
    (AsCancel, on_cancel),
    (AsMine, on_mine),
    (AsView, on_view),
    (AsSendBack, on_send_back),
    (AsReturnCarrier, on_return_carrier),
]
ADMIN_BUTTONS: list[tuple[type[Callback], ButtonHandler]] = [
    (AsAdmQueue, on_queue),
    (AsAdmOpen, on_open),
    (AsAdmView, on_admin_view),
    (AsAdmApprove, on_approve),
    (AsAdmDecline, on_decline),
    (AsAdmReceive, on_receive),
    (AsAdmRefund, on_refund),
    (AsAdmRefundGo, on_refund_go),
    (AsAdmShip, on_ship),
    (AsAdmClose, on_close),
    (AsAdmPhotos, on_photos),
    (AsAdmDialogCancel, on_dialog_cancel),
    (AsAdmOrder, on_order),
]


def register(app: ShopApp) -> None:
    """Attach the after-sales handlers: the customer's requests and the merchant's queue."""
    settings = app.bot_data.settings
    private = filters.ChatType.PRIVATE
    chat_ids = [settings.admin_chat_id] if settings.admin_chat_id is not None else []
    group = filters.Chat(chat_id=chat_ids) & ~private
    new = ~filters.UpdateType.EDITED
    app.add_handler(CommandHandler("requests", requests_command, filters=private))
    app.add_handler(
        CommandHandler(
            "aftersales",
            admin_only(aftersales_command),
            filters=group | private,
        )
    )
    for kind, callback in CUSTOMER_BUTTONS:
        app.add_handler(CallbackQueryHandler(callback, pattern=kind.matches))
    for kind, fn in ADMIN_BUTTONS:
        app.add_handler(CallbackQueryHandler(admin_button(fn), pattern=kind.matches))
    app.add_handler(
        MessageHandler((private | group) & filters.TEXT & ~filters.COMMAND & new, on_text),
        group=DIALOG_GROUP,
    )
    app.add_handler(MessageHandler(private & filters.PHOTO & new, on_photo), group=DIALOG_GROUP)
