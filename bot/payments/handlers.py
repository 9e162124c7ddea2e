"""Payments in the chat: invoices and "Pay now", pre-checkout answers, successful payments,
bank transfer receipts (customer photo, merchant review in the admin chat) and refunds.
Handlers parse the update, call one `Payments` use case and render the result."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from telegram.ext import (
    CallbackQueryHandler,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from bot.callback_data import Callback
from bot.context import Handler, ShopApp
from bot.payments.callbacks import (
    AskReceipt,
    AskRejectReceipt,
    ConfirmReceipt,
    ConfirmRefund,
    KeepPayment,
    PayNow,
    ReceiptBack,
    RefundOrder,
    RefundPayment,
    RejectReceipt,
)
from bot.payments.invoices import on_pay_now, on_pre_checkout, on_successful_payment
from bot.payments.receipts import (
    ReceiptPhoto,
    on_ask_receipt,
    on_ask_reject,
    on_confirm_receipt,
    on_receipt_back,
    on_receipt_photo,
    on_reject_receipt,
)
from bot.payments.refunds import (
    RepliesToRefundPrompt,
    on_confirm_refund,
    on_keep_payment,
    on_refund_note,
    on_refund_order,
    on_refund_payment,
)
from bot.settings import Settings
from domain.payments.rules import PaymentsConfig


def payments_config(settings: Settings) -> PaymentsConfig:
    """The payment rules' settings. The invoice secret is derived from the bot token, so it
    needs no setting of its own and changes when the token is revoked."""
    timeout = timedelta(minutes=settings.payment_timeout_minutes)
    minutes = settings.payment_reminder_minutes
    if minutes is None:
        reminder: timedelta | None = timeout / 2
    else:
        reminder = timedelta(minutes=minutes) if minutes > 0 else None
    secret = hashlib.sha256(b"orderbot invoice payload\x00" + settings.token().encode()).digest()
    return PaymentsConfig(
        invoice_secret=secret,
        timeout=timeout,
        reminder_after=reminder,
        admin_chat_id=settings.admin_chat_id,
    )


# -- registration -----------------------------------------------------------------------------


BUTTONS: list[tuple[type[Callback], Handler]] = [
    (PayNow, on_pay_now),
    (AskReceipt, on_ask_receipt),
    (ConfirmReceipt, on_confirm_receipt),
    (AskRejectReceipt, on_ask_reject),
    (ReceiptBack, on_receipt_back),
    (RejectReceipt, on_reject_receipt),
    (RefundOrder, on_refund_order),
    (RefundPayment, on_refund_payment),
    (ConfirmRefund, on_confirm_refund),
    (KeepPayment, on_keep_payment),
]
# Right after remember_customer (CUSTOMER_GROUP) and before the dialogs and everything else: a
# payment must be recorded whatever else the update would trigger.
PAYMENT_GROUP = -2


def register(app: ShopApp) -> None:
    """Attach the payment handlers: invoices, transfer receipts, refunds."""
    settings = app.bot_data.settings
    app.add_handler(
        MessageHandler(filters.SUCCESSFUL_PAYMENT, on_successful_payment), group=PAYMENT_GROUP
    )
    app.add_handler(PreCheckoutQueryHandler(on_pre_checkout))
    for kind, callback in BUTTONS:
        app.add_handler(CallbackQueryHandler(callback, pattern=kind.matches))
    receipt = ReceiptPhoto(frozenset(settings.admin_user_ids))
    app.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.PHOTO & receipt, on_receipt_photo)
    )
    admin_chat = settings.admin_chat_id
    if admin_chat is not None:
        app.add_handler(
            MessageHandler(
                filters.Chat(admin_chat)
                & filters.TEXT
                & ~filters.COMMAND
                & RepliesToRefundPrompt(),
                on_refund_note,
            )
        )
