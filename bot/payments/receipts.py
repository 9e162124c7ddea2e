"""Bank transfers: the customer's receipt photo and the merchant's review of it."""

from __future__ import annotations

import logging
import re

from telegram import (
    ForceReply,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import BadRequest
from telegram.ext import (
    filters,
)

from bot.access import admin_only_button
from bot.callback_data import OrderNo
from bot.context import ShopContext
from bot.orders.callbacks import OrderDetail
from bot.payments.callbacks import (
    AskReceipt,
    AskRejectReceipt,
    ConfirmReceipt,
    ReceiptBack,
    RefundPayment,
    RejectReceipt,
)
from bot.payments.stale import strip_payment_keys
from bot.screens import CAPTION_LIMIT, Screen, button, fit, keyboard
from bot.shared.handlers import button_handler, on_other_message
from bot.ui import plain_text, reply
from domain.payments.records import PaymentStatus, RejectReason
from domain.payments.rules import PaymentError
from domain.shared.customers import admin_actor
from domain.shared.errors import DomainError

log = logging.getLogger(__name__)

_NUMBER = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}")
REASON_KEYS = {
    RejectReason.AMOUNT: "pay.admin.reject_amount",
    RejectReason.MISSING: "pay.admin.reject_missing",
    RejectReason.UNCLEAR: "pay.admin.reject_unclear",
}


# -- bank transfer receipts -------------------------------------------------------------------


@button_handler
async def on_ask_receipt(update: Update, context: ShopContext, data: AskReceipt) -> str | None:
    """Ask for the receipt photo as a reply, so it is matched with this order."""
    order = await context.shop.my_order(context.customer.id, data.number)
    language = context.lang
    if not context.views.payment_buttons(language, order):  # no longer waiting for a transfer
        assert update.callback_query is not None
        await strip_payment_keys(update.callback_query, order.number)
        raise PaymentError(
            "pay.error.receipt_not_needed", number=order.number, status=str(order.status)
        )
    assert update.effective_chat is not None
    await context.bot.send_message(
        update.effective_chat.id,
        context.texts(language, "pay.receipt_ask", number=order.number, total=order.total),
        reply_markup=ForceReply(selective=True, input_field_placeholder=order.number),
    )
    return None


def _number_in(message: Message | None) -> str | None:
    """An order number written in a message (its text, caption or buttons)."""
    if message is None:
        return None
    found = _NUMBER.search(message.text or message.caption or "")
    if found:
        return found.group(0)
    if message.reply_markup is not None:
        for row in message.reply_markup.inline_keyboard:
            for key in row:
                found = _NUMBER.search(str(key.callback_data or ""))
                if found:
                    return found.group(0)
    return None


async def on_receipt_photo(update: Update, context: ShopContext) -> None:
    """A photo in the private chat: the transfer receipt of the order it names (caption, or
    the bot's prompt it replies to), else of the customer's only order awaiting a transfer;
    with no order awaiting one it is just a photo, answered as such."""
    message = update.effective_message
    assert message is not None and message.photo
    language = context.lang
    number = _number_in(message) if message.caption else None
    replied = message.reply_to_message
    if number is None and replied is not None and replied.from_user is not None:
        if replied.from_user.id == context.bot.id:
            number = _number_in(replied)
    photo = message.photo[-1]
    try:
        result = await context.payments.submit_receipt(
            context.customer.id, number, photo.file_id, photo.file_unique_id
        )
    except DomainError as error:
        if number is None and error.key == "pay.error.no_transfer":
            await on_other_message(update, context)  # not a receipt: just a photo
            return
        await reply(
            update,
            context,
            Screen(context.views.error(language, error), context.views.menu_keyboard(language)),
        )
        return
    order = result.order
    await reply(
        update,
        context,
        Screen(
            context.texts(language, "pay.receipt_received", number=order.number),
            keyboard(
                [
                    [
                        button(
                            context.texts(language, "menu.orders"),
                            OrderDetail(OrderNo(order.number), 0),
                        )
                    ]
                ]
            ),
        ),
    )


def acting_admin(update: Update) -> str:
    user = update.effective_user
    return admin_actor(user.id if user else 0)


def who_tapped(update: Update) -> str:
    user = update.effective_user
    return user.first_name if user else "?"


def _review_markup(context: ShopContext, receipt_id: int) -> InlineKeyboardMarkup:
    t, language = context.texts, context.admin_language
    return keyboard(
        [
            [
                button(t(language, "pay.admin.confirm"), ConfirmReceipt(receipt_id)),
                button(t(language, "pay.admin.reject"), AskRejectReceipt(receipt_id)),
            ]
        ]
    )


async def _close_review(
    update: Update, context: ShopContext, line: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Write the decision under the receipt photo and take its buttons away."""
    query = update.callback_query
    assert query is not None
    message = query.message
    if not isinstance(message, Message):
        return
    caption = message.caption_html or ""
    text = f"{caption}\n\n{line}" if caption else line
    try:
        if message.photo:
            await message.edit_caption(fit(text, CAPTION_LIMIT), reply_markup=markup)
        else:
            await message.edit_text(text, reply_markup=markup)
    except BadRequest as exc:
        log.info("could not close the review of message %s: %s", message.message_id, exc)


@admin_only_button
async def on_confirm_receipt(
    update: Update, context: ShopContext, data: ConfirmReceipt
) -> str | None:
    """The merchant saw the money: the order is paid."""
    t = context.texts
    result = await context.payments.confirm_transfer(data.receipt_id, acting_admin(update))
    order, payment = result.order, result.payment
    language = context.admin_language
    if payment is not None and payment.status == PaymentStatus.FLAGGED:
        assert payment.id is not None
        line = t(
            language,
            "pay.admin.confirmed_flagged",
            who=who_tapped(update),
            number=order.number,
            status=context.views.status(language, order),
        )
        refund = keyboard([[button(t(language, "pay.admin.refund"), RefundPayment(payment.id))]])
        await _close_review(update, context, line, refund)
        return None
    await _close_review(
        update,
        context,
        t(language, "pay.admin.confirmed", who=who_tapped(update), number=order.number),
    )
    return None


@admin_only_button
async def on_ask_reject(update: Update, context: ShopContext, data: AskRejectReceipt) -> str | None:
    """Offer the reasons a receipt can be rejected for."""
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    t, language = context.texts, context.admin_language
    rows = [
        [button(t(language, key), RejectReceipt(data.receipt_id, reason.value))]
        for reason, key in REASON_KEYS.items()
    ]
    rows.append([button(t(language, "pay.admin.back"), ReceiptBack(data.receipt_id))])
    await query.message.edit_reply_markup(keyboard(rows))
    return None


@admin_only_button
async def on_receipt_back(update: Update, context: ShopContext, data: ReceiptBack) -> str | None:
    """Back to Confirm / Reject."""
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    await query.message.edit_reply_markup(_review_markup(context, data.receipt_id))
    return None


@admin_only_button
async def on_reject_receipt(
    update: Update, context: ShopContext, data: RejectReceipt
) -> str | None:
    """Do not accept the receipt: the customer is told why and may send another."""
    try:
        reason = RejectReason(data.reason)
    except ValueError:
        raise PaymentError("error.stale_button") from None
    t = context.texts
    await context.payments.reject_transfer(data.receipt_id, reason, acting_admin(update))
    language = context.admin_language
    line = t(
        language,
        "pay.admin.rejected",
        who=who_tapped(update),
        reason=plain_text(t(language, REASON_KEYS[reason])),
    )
    await _close_review(update, context, line)
    return None


class ReceiptPhoto(filters.MessageFilter):
    """A private photo that is a transfer receipt: any photo of a customer; an admin's only when
    it names its order (caption) or replies to our receipt prompt, so that the merchant's own
    photo dialogs (product photos) keep theirs."""

    def __init__(self, admin_ids: frozenset[int]) -> None:
        super().__init__(name="ReceiptPhoto")
        self.admin_ids = admin_ids

    def filter(self, message: Message) -> bool:
        if message.from_user is None:
            return False
        if message.from_user.id not in self.admin_ids:
            return True
        replied = message.reply_to_message
        return bool(_NUMBER.search(message.caption or "")) or (
            replied is not None
            and replied.from_user is not None
            and replied.from_user.is_bot
            and _number_in(replied) is not None
        )
