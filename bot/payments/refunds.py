"""Refunds, asked for and confirmed by the merchant."""

from __future__ import annotations

import logging

from telegram import (
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import BadRequest
from telegram.ext import (
    filters,
)

from bot.access import admin_only, admin_only_button
from bot.callback_data import parse
from bot.context import ShopContext
from bot.payments.callbacks import (
    ConfirmRefund,
    KeepPayment,
    RefundOrder,
    RefundPayment,
)
from bot.payments.receipts import acting_admin, who_tapped
from bot.screens import button, keyboard
from bot.ui import plain_text
from domain.orders.model import PaymentMethod
from domain.payments.records import Payment
from domain.payments.refunds import RefundOutcome, RefundPlan, RefundResult
from domain.shared.errors import DomainError

log = logging.getLogger(__name__)

# -- refunds ----------------------------------------------------------------------------------


def _refund_text(context: ShopContext, plan: RefundPlan, number: str) -> str:
    t, language = context.texts, context.admin_language
    payment = plan.payment
    if payment.method == PaymentMethod.STARS:
        text = t(language, "pay.admin.refund_ask_stars", total=payment.amount, number=number)
    elif payment.method == PaymentMethod.FREE:  # nothing was paid: nothing to give back
        text = t(language, "pay.admin.refund_ask_free", total=payment.amount, number=number)
    else:
        text = t(
            language,
            "pay.admin.refund_ask_record",
            total=payment.amount,
            number=number,
            payment=plain_text(t(language, f"payment.{payment.method.value}")),
        )
    if plan.cancels_order:
        text += "\n" + t(language, "pay.admin.refund_cancels")
    return text


def _refund_markup(context: ShopContext, payment: Payment) -> InlineKeyboardMarkup:
    t, language = context.texts, context.admin_language
    assert payment.id is not None
    yes = (
        t(language, "pay.admin.refund_yes_stars", total=payment.amount)
        if payment.method == PaymentMethod.STARS
        else t(language, "pay.admin.refund_yes_record")
    )
    return keyboard(
        [
            [button(plain_text(yes), ConfirmRefund(payment.id))],
            [button(t(language, "pay.admin.refund_no"), KeepPayment(payment.id))],
        ]
    )


async def _ask_refund(update: Update, context: ShopContext, payment_id: int) -> None:
    plan = await context.payments.refund_plan(payment_id)
    number = plan.order.number if plan.order else "—"
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    await query.message.reply_text(
        _refund_text(context, plan, number), reply_markup=_refund_markup(context, plan.payment)
    )


@admin_only_button
async def on_refund_order(update: Update, context: ShopContext, data: RefundOrder) -> str | None:
    """Refund the payment of a paid order (the order is cancelled): ask first."""
    payment = await context.payments.paid_payment(data.number)
    assert payment.id is not None
    await _ask_refund(update, context, payment.id)
    return None


@admin_only_button
async def on_refund_payment(
    update: Update, context: ShopContext, data: RefundPayment
) -> str | None:
    """Refund one payment (e.g. one that arrived for an expired order): ask first."""
    await _ask_refund(update, context, data.payment_id)
    return None


def _refund_outcome(context: ShopContext, update: Update, result: RefundResult) -> str:
    t, language = context.texts, context.admin_language
    number = result.order.number if result.order else "—"
    if result.outcome == RefundOutcome.ALREADY:
        return t(language, "pay.admin.refund_already")
    if result.outcome == RefundOutcome.DONE:
        text = t(
            language,
            "pay.admin.refund_done",
            total=result.payment.amount,
            number=number,
            who=who_tapped(update),
        )
        if result.refund is not None and result.refund.note:
            text += "\n" + t(language, "pay.admin.refund_note", note=result.refund.note)
        return text
    if result.outcome == RefundOutcome.FAILED:
        return t(language, "pay.admin.refund_failed", number=number, error=result.error or "?")
    return t(language, "pay.admin.refund_retry", number=number)


async def _refund(
    update: Update, context: ShopContext, payment_id: int, prompt: Message, note: str | None
) -> RefundResult:
    result = await context.payments.refund(payment_id, acting_admin(update), note)
    text = _refund_outcome(context, update, result)
    keep_buttons = result.outcome in (RefundOutcome.FAILED, RefundOutcome.RETRY)
    try:
        await prompt.edit_text(
            text, reply_markup=_refund_markup(context, result.payment) if keep_buttons else None
        )
    except BadRequest as exc:
        log.info("could not update the refund prompt: %s", exc)
    return result


@admin_only_button
async def on_confirm_refund(
    update: Update, context: ShopContext, data: ConfirmRefund
) -> str | None:
    """Refund: Stars through Telegram, other payments recorded. Twice is still once."""
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    result = await _refund(update, context, data.payment_id, query.message, None)
    return plain_text(_refund_outcome(context, update, result))


@admin_only_button
async def on_keep_payment(update: Update, context: ShopContext, data: KeepPayment) -> str | None:
    """Do not refund after all."""
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    t, language = context.texts, context.admin_language
    await query.message.edit_text(t(language, "pay.admin.refund_kept"))
    return None


def _refund_prompt_payment(message: Message | None) -> int | None:
    """The payment a refund prompt (a message with a "refund" button) is about."""
    if message is None or message.reply_markup is None:
        return None
    for row in message.reply_markup.inline_keyboard:
        for key in row:
            data = parse(key.callback_data)
            if isinstance(data, ConfirmRefund):
                return data.payment_id
    return None


class RepliesToRefundPrompt(filters.MessageFilter):
    """Text replying to one of our refund prompts: the merchant's note for that refund."""

    def filter(self, message: Message) -> bool:
        replied = message.reply_to_message
        return (
            replied is not None
            and replied.from_user is not None
            and replied.from_user.is_bot
            and _refund_prompt_payment(replied) is not None
        )


@admin_only
async def on_refund_note(update: Update, context: ShopContext) -> None:
    """The merchant replied to a refund prompt with a note: refund, keeping the note."""
    message = update.effective_message
    assert message is not None and message.reply_to_message is not None
    prompt = message.reply_to_message
    payment_id = _refund_prompt_payment(prompt)
    if payment_id is None or prompt.from_user is None or prompt.from_user.id != context.bot.id:
        return
    try:
        result = await _refund(update, context, payment_id, prompt, (message.text or "")[:500])
    except DomainError as error:
        await message.reply_text(context.views.error(context.admin_language, error))
        return
    await message.reply_text(_refund_outcome(context, update, result))
