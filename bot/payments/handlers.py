"""Payments in the chat: invoices and "Pay now", pre-checkout answers, successful payments,
bank transfer receipts (customer photo, merchant review in the admin chat) and refunds.
Handlers parse the update, call one `Payments` use case and render the result."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram import (
    Bot,
    ForceReply,
    InlineKeyboardMarkup,
    LabeledPrice,
    Message,
    Update,
)
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    MessageHandler,
    PreCheckoutQueryHandler,
    filters,
)

from bot import callbacks as cb
from bot.access import admin_only
from bot.handlers import Context, button_handler, deps, lang, me, on_other_message
from bot.settings import Settings
from bot.ui import plain_text, reply, send
from bot.views import CAPTION_LIMIT, Screen, button, fit, keyboard
from domain.orders.model import Order, PaymentMethod
from domain.payments.records import Payment, PaymentStatus, RejectReason
from domain.payments.service import (
    ONLINE_METHODS,
    STARS,
    Buttons,
    Invoice,
    PaymentError,
    Payments,
    PaymentsConfig,
    RefundOutcome,
    RefundPlan,
    RefundResult,
    StarRefundAnswer,
    StarRefundResult,
    TelegramCharge,
)
from domain.ports import UnitOfWorkFactory
from domain.shared.clock import Clock
from domain.shared.customers import Language
from domain.shared.errors import DomainError
from jobs.payments import PaymentSweep

log = logging.getLogger(__name__)
PRE_CHECKOUT_BUDGET_S = 7.0  # Telegram gives up on the answer after 10 s
RECORD_ATTEMPTS = 3
_NUMBER = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}")
REASON_KEYS = {
    RejectReason.AMOUNT: "pay.admin.reject_amount",
    RejectReason.MISSING: "pay.admin.reject_missing",
    RejectReason.UNCLEAR: "pay.admin.reject_unclear",
}


# -- wiring -----------------------------------------------------------------------------------


class ChatActions:
    """The buttons payment notifications carry, as our typed callback data."""

    def pay_now(self, number: str) -> Buttons:
        return [[("pay.pay_now", cb.PayNow(cb.OrderNo(number)).pack())]]

    def send_receipt(self, number: str) -> Buttons:
        return [[("pay.send_receipt", cb.AskReceipt(cb.OrderNo(number)).pack())]]

    def review_receipt(self, receipt_id: int) -> Buttons:
        return [
            [
                ("pay.admin.confirm", cb.ConfirmReceipt(receipt_id).pack()),
                ("pay.admin.reject", cb.AskRejectReceipt(receipt_id).pack()),
            ]
        ]

    def refund_payment(self, payment_id: int) -> Buttons:
        return [[("pay.admin.refund", cb.RefundPayment(payment_id).pack())]]


class TelegramStarRefunds:
    """refundStarPayment, its answers turned into what the domain needs to know."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def refund(self, customer_id: int, telegram_charge_id: str) -> StarRefundAnswer:
        """Ask Telegram to give the Stars back."""
        try:
            await self.bot.refund_star_payment(customer_id, telegram_charge_id)
        except BadRequest as exc:
            if "CHARGE_ALREADY_REFUNDED" in exc.message.upper():
                return StarRefundAnswer(StarRefundResult.ALREADY_REFUNDED)
            return StarRefundAnswer(StarRefundResult.REFUSED, exc.message)
        except TelegramError as exc:  # 5xx, timeouts, flood control: try again later
            return StarRefundAnswer(StarRefundResult.UNAVAILABLE, str(exc))
        return StarRefundAnswer(StarRefundResult.ACCEPTED)


@dataclass
class PaymentsFeature:
    """What the payment handlers need, kept in bot_data["payments"]."""

    payments: Payments
    provider_token: str | None
    shop_name: str
    admin_language: Language
    admin_chat_id: int | None


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


def build_payments(
    settings: Settings, uow: UnitOfWorkFactory, clock: Clock, bot: Bot
) -> PaymentsFeature:
    """The payments feature, wired to the database, the clock and the bot."""
    token = settings.payment_provider_token
    return PaymentsFeature(
        payments=Payments(
            uow, clock, payments_config(settings), ChatActions(), TelegramStarRefunds(bot)
        ),
        provider_token=token.get_secret_value() if token else None,
        shop_name=settings.shop_name,
        admin_language=Language(settings.admin_language),
        admin_chat_id=settings.admin_chat_id,
    )


def feature(context: Context) -> PaymentsFeature:
    """The payments feature of this bot."""
    return context.bot_data["payments"]  # type: ignore[no-any-return]


def _language(context: Context, fallback: str | None) -> Language:
    if context.user_data and "customer" in context.user_data:
        return lang(context)
    return Language.from_telegram(fallback)


# -- invoices ---------------------------------------------------------------------------------


def _labels(context: Context, language: Language, invoice: Invoice) -> list[LabeledPrice]:
    t = deps(context).texts
    prices = []
    for item in invoice.items:
        if item.kind == "line":
            label = t(language, "pay.invoice_line", name=item.name, qty=item.quantity)
        elif item.kind == "shipping":
            label = t(language, "pay.invoice_shipping")
        else:
            label = t(language, "pay.invoice_total", number=invoice.order.number)
        prices.append(LabeledPrice(plain_text(label)[:64] or "—", item.amount))
    return prices


async def _send_invoice(
    context: Context, chat_id: int, language: Language, invoice: Invoice
) -> None:
    f = feature(context)
    t = deps(context).texts
    order = invoice.order
    stars = invoice.currency == STARS
    if not stars and not f.provider_token:
        raise PaymentError("pay.online_unavailable")
    items = ", ".join(
        plain_text(t(language, "pay.invoice_line", name=line.name, qty=line.quantity))
        for line in order.lines
    )
    description = plain_text(
        t(
            language,
            "pay.invoice_description",
            shop=f.shop_name,
            items=items,
            minutes=invoice.minutes_left,
        )
    )
    if len(description) > 255:
        description = description[:254] + "…"
    await context.bot.send_invoice(
        chat_id,
        title=plain_text(t(language, "pay.invoice_title", number=order.number))[:32],
        description=description,
        payload=invoice.payload,
        currency=invoice.currency,
        prices=_labels(context, language, invoice),
        provider_token=None if stars else f.provider_token,
    )


async def _invoice_or_retry(context: Context, customer_id: int, number: str) -> bool:
    """Send the order's invoice; if Telegram fails (5xx, timeout), say so and offer "Pay now"
    again. Nothing is recorded before or after, so a failed send leaves nothing half-done."""
    language = lang(context)
    invoice = await feature(context).payments.invoice(customer_id, number)
    try:
        await _send_invoice(context, customer_id, language, invoice)
    except TelegramError as exc:
        log.warning("invoice for order %s not sent: %s", number, exc)
        t = deps(context).texts
        await send(
            context,
            customer_id,
            Screen(
                t(language, "pay.invoice_failed", number=number),
                keyboard([[button(t(language, "pay.pay_now"), cb.PayNow(cb.OrderNo(number)))]]),
            ),
        )
        return False
    return True


async def offer_payment(update: Update, context: Context, order: Order) -> None:
    """Right after an order is placed: its invoice, when it is paid online."""
    if order.payment_method not in ONLINE_METHODS:
        return
    try:
        await _invoice_or_retry(context, order.customer_id, order.number)
    except DomainError as error:  # e.g. online payment switched off meanwhile
        await send(
            context, order.customer_id, Screen(deps(context).views.error(lang(context), error))
        )


@button_handler
async def on_pay_now(update: Update, context: Context, data: cb.PayNow) -> str | None:
    """Send the invoice of an unpaid order (again)."""
    if await _invoice_or_retry(context, me(context).id, data.number):
        return deps(context).texts(lang(context), "pay.invoice_sent")
    return None


# -- pre-checkout and successful payment ----------------------------------------------------


async def on_pre_checkout(update: Update, context: Context) -> None:
    """Answer a pre-checkout query within Telegram's 10 seconds: yes only for our own invoice,
    for the asker's order, still pending, in time, for exactly its total and currency."""
    query = update.pre_checkout_query
    assert query is not None
    language = _language(context, query.from_user.language_code)
    t = deps(context).texts
    try:
        verdict = await asyncio.wait_for(
            feature(context).payments.check_pre_checkout(
                query.from_user.id, query.invoice_payload, query.currency, query.total_amount
            ),
            PRE_CHECKOUT_BUDGET_S,
        )
    except Exception:  # a slow or failing database must still get a clear "no" in time
        log.exception("pre-checkout of %s could not be checked", query.invoice_payload)
        await query.answer(ok=False, error_message=plain_text(t(language, "pay.refused.busy")))
        return
    if verdict.refusal is None:
        await query.answer(ok=True)
        return
    order = verdict.order
    text = t(
        language,
        verdict.refusal.key,
        number=order.number if order else "",
        status=deps(context).views.status(language, order) if order else "",
    )
    log.info("pre-checkout of %s refused: %s", query.invoice_payload, verdict.refusal.value)
    await query.answer(ok=False, error_message=plain_text(text))


async def on_successful_payment(update: Update, context: Context) -> None:
    """Record a payment exactly once (by its Telegram charge id). The receipt and the merchant's
    alert go through the outbox, in the same transaction."""
    message = update.effective_message
    user = update.effective_user
    assert message is not None and message.successful_payment is not None and user is not None
    paid = message.successful_payment
    charge = TelegramCharge(
        customer_id=user.id,
        currency=paid.currency,
        total_amount=paid.total_amount,
        invoice_payload=paid.invoice_payload,
        telegram_charge_id=paid.telegram_payment_charge_id,
        provider_charge_id=paid.provider_payment_charge_id,
        raw=paid.to_dict(),
    )
    for attempt in range(1, RECORD_ATTEMPTS + 1):
        try:
            result = await feature(context).payments.record_telegram_payment(charge)
        except Exception:
            if attempt == RECORD_ATTEMPTS:
                # Telegram will not send this update again: leave everything needed to settle
                # it by hand in the log.
                log.critical("PAYMENT NOT RECORDED, settle by hand: %r", charge)
                raise
            log.exception("recording payment %s failed; retrying", charge.telegram_charge_id)
            await asyncio.sleep(0.5 * attempt)
            continue
        log.info(
            "payment %s for %s: %s",
            charge.telegram_charge_id,
            charge.invoice_payload,
            result.outcome.value,
        )
        return


# -- bank transfer receipts -------------------------------------------------------------------


@button_handler
async def on_ask_receipt(update: Update, context: Context, data: cb.AskReceipt) -> str | None:
    """Ask for the receipt photo as a reply, so it is matched with this order."""
    d = deps(context)
    order = await d.shop.my_order(me(context).id, data.number)
    language = lang(context)
    if not d.views.payment_buttons(language, order):  # no longer waiting for a transfer
        raise PaymentError(
            "pay.error.not_awaiting_transfer", number=order.number, status=str(order.status)
        )
    assert update.effective_chat is not None
    await context.bot.send_message(
        update.effective_chat.id,
        d.texts(language, "pay.receipt_ask", number=order.number, total=order.total),
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


async def on_receipt_photo(update: Update, context: Context) -> None:
    """A photo in the private chat: the transfer receipt of the order it names (caption, or
    the bot's prompt it replies to), else of the customer's only order awaiting a transfer;
    with no order awaiting one it is just a photo, answered as such."""
    d = deps(context)
    message = update.effective_message
    assert message is not None and message.photo
    language = lang(context)
    number = _number_in(message) if message.caption else None
    replied = message.reply_to_message
    if number is None and replied is not None and replied.from_user is not None:
        if replied.from_user.id == context.bot.id:
            number = _number_in(replied)
    photo = message.photo[-1]
    try:
        result = await feature(context).payments.submit_receipt(
            me(context).id, number, photo.file_id, photo.file_unique_id
        )
    except DomainError as error:
        if number is None and error.key == "pay.error.no_transfer":
            await on_other_message(update, context)  # not a receipt: just a photo
            return
        await reply(
            update,
            context,
            Screen(d.views.error(language, error), d.views.menu_keyboard(language)),
        )
        return
    order = result.order
    await reply(
        update,
        context,
        Screen(
            d.texts(language, "pay.receipt_received", number=order.number),
            keyboard(
                [
                    [
                        button(
                            d.texts(language, "menu.orders"),
                            cb.OrderDetail(cb.OrderNo(order.number), 0),
                        )
                    ]
                ]
            ),
        ),
    )


def _actor(update: Update) -> str:
    user = update.effective_user
    return f"admin:{user.id if user else 0}"


def _who(update: Update) -> str:
    user = update.effective_user
    return user.first_name if user else "?"


def _review_markup(context: Context, receipt_id: int) -> InlineKeyboardMarkup:
    t, language = deps(context).texts, feature(context).admin_language
    return keyboard(
        [
            [
                button(t(language, "pay.admin.confirm"), cb.ConfirmReceipt(receipt_id)),
                button(t(language, "pay.admin.reject"), cb.AskRejectReceipt(receipt_id)),
            ]
        ]
    )


async def _close_review(
    update: Update, context: Context, line: str, markup: InlineKeyboardMarkup | None = None
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


async def _on_confirm_receipt(
    update: Update, context: Context, data: cb.ConfirmReceipt
) -> str | None:
    """The merchant saw the money: the order is paid."""
    f, t = feature(context), deps(context).texts
    result = await f.payments.confirm_transfer(data.receipt_id, _actor(update))
    order, payment = result.order, result.payment
    language = f.admin_language
    if payment is not None and payment.status == PaymentStatus.FLAGGED:
        assert payment.id is not None
        line = t(
            language,
            "pay.admin.confirmed_flagged",
            who=_who(update),
            number=order.number,
            status=deps(context).views.status(language, order),
        )
        refund = keyboard([[button(t(language, "pay.admin.refund"), cb.RefundPayment(payment.id))]])
        await _close_review(update, context, line, refund)
        return None
    await _close_review(
        update,
        context,
        t(language, "pay.admin.confirmed", who=_who(update), number=order.number),
    )
    return None


async def _on_ask_reject(update: Update, context: Context, data: cb.AskRejectReceipt) -> str | None:
    """Offer the reasons a receipt can be rejected for."""
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    t, language = deps(context).texts, feature(context).admin_language
    rows = [
        [button(t(language, key), cb.RejectReceipt(data.receipt_id, reason.value))]
        for reason, key in REASON_KEYS.items()
    ]
    rows.append([button(t(language, "pay.admin.back"), cb.ReceiptBack(data.receipt_id))])
    await query.message.edit_reply_markup(keyboard(rows))
    return None


async def _on_receipt_back(update: Update, context: Context, data: cb.ReceiptBack) -> str | None:
    """Back to Confirm / Reject."""
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    await query.message.edit_reply_markup(_review_markup(context, data.receipt_id))
    return None


async def _on_reject_receipt(
    update: Update, context: Context, data: cb.RejectReceipt
) -> str | None:
    """Do not accept the receipt: the customer is told why and may send another."""
    try:
        reason = RejectReason(data.reason)
    except ValueError:
        raise PaymentError("error.stale_button") from None
    f, t = feature(context), deps(context).texts
    await f.payments.reject_transfer(data.receipt_id, reason, _actor(update))
    language = f.admin_language
    line = t(
        language,
        "pay.admin.rejected",
        who=_who(update),
        reason=plain_text(t(language, REASON_KEYS[reason])),
    )
    await _close_review(update, context, line)
    return None


# -- refunds ----------------------------------------------------------------------------------


def _refund_text(context: Context, plan: RefundPlan, number: str) -> str:
    t, language = deps(context).texts, feature(context).admin_language
    payment = plan.payment
    if payment.method == PaymentMethod.STARS:
        text = t(language, "pay.admin.refund_ask_stars", total=payment.amount, number=number)
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


def _refund_markup(context: Context, payment: Payment) -> InlineKeyboardMarkup:
    t, language = deps(context).texts, feature(context).admin_language
    assert payment.id is not None
    yes = (
        t(language, "pay.admin.refund_yes_stars", total=payment.amount)
        if payment.method == PaymentMethod.STARS
        else t(language, "pay.admin.refund_yes_record")
    )
    return keyboard(
        [
            [button(plain_text(yes), cb.ConfirmRefund(payment.id))],
            [button(t(language, "pay.admin.refund_no"), cb.KeepPayment(payment.id))],
        ]
    )


async def _ask_refund(update: Update, context: Context, payment_id: int) -> None:
    plan = await feature(context).payments.refund_plan(payment_id)
    number = plan.order.number if plan.order else "—"
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    await query.message.reply_text(
        _refund_text(context, plan, number), reply_markup=_refund_markup(context, plan.payment)
    )


async def _on_refund_order(update: Update, context: Context, data: cb.RefundOrder) -> str | None:
    """Refund the payment of a paid order (the order is cancelled): ask first."""
    payment = await feature(context).payments.paid_payment(data.number)
    assert payment.id is not None
    await _ask_refund(update, context, payment.id)
    return None


async def _on_refund_payment(
    update: Update, context: Context, data: cb.RefundPayment
) -> str | None:
    """Refund one payment (e.g. one that arrived for an expired order): ask first."""
    await _ask_refund(update, context, data.payment_id)
    return None


def _refund_outcome(context: Context, update: Update, result: RefundResult) -> str:
    t, language = deps(context).texts, feature(context).admin_language
    number = result.order.number if result.order else "—"
    if result.outcome == RefundOutcome.ALREADY:
        return t(language, "pay.admin.refund_already")
    if result.outcome == RefundOutcome.DONE:
        text = t(
            language,
            "pay.admin.refund_done",
            total=result.payment.amount,
            number=number,
            who=_who(update),
        )
        if result.refund is not None and result.refund.note:
            text += "\n" + t(language, "pay.admin.refund_note", note=result.refund.note)
        return text
    if result.outcome == RefundOutcome.FAILED:
        return t(language, "pay.admin.refund_failed", number=number, error=result.error or "?")
    return t(language, "pay.admin.refund_retry", number=number)


async def _refund(
    update: Update, context: Context, payment_id: int, prompt: Message, note: str | None
) -> RefundResult:
    result = await feature(context).payments.refund(payment_id, _actor(update), note)
    text = _refund_outcome(context, update, result)
    keep_buttons = result.outcome in (RefundOutcome.FAILED, RefundOutcome.RETRY)
    try:
        await prompt.edit_text(
            text, reply_markup=_refund_markup(context, result.payment) if keep_buttons else None
        )
    except BadRequest as exc:
        log.info("could not update the refund prompt: %s", exc)
    return result


async def _on_confirm_refund(
    update: Update, context: Context, data: cb.ConfirmRefund
) -> str | None:
    """Refund: Stars through Telegram, other payments recorded. Twice is still once."""
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    result = await _refund(update, context, data.payment_id, query.message, None)
    return plain_text(_refund_outcome(context, update, result))


async def _on_keep_payment(update: Update, context: Context, data: cb.KeepPayment) -> str | None:
    """Do not refund after all."""
    query = update.callback_query
    assert query is not None and isinstance(query.message, Message)
    t, language = deps(context).texts, feature(context).admin_language
    await query.message.edit_text(t(language, "pay.admin.refund_kept"))
    return None


def _refund_prompt_payment(message: Message | None) -> int | None:
    """The payment a refund prompt (a message with a "refund" button) is about."""
    if message is None or message.reply_markup is None:
        return None
    for row in message.reply_markup.inline_keyboard:
        for key in row:
            data = cb.parse(key.callback_data)
            if isinstance(data, cb.ConfirmRefund):
                return data.payment_id
    return None


class _ReceiptPhoto(filters.MessageFilter):
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


class _RepliesToRefundPrompt(filters.MessageFilter):
    """Text replying to one of our refund prompts: the merchant's note for that refund."""

    def filter(self, message: Message) -> bool:
        replied = message.reply_to_message
        return (
            replied is not None
            and replied.from_user is not None
            and replied.from_user.is_bot
            and _refund_prompt_payment(replied) is not None
        )


async def _on_refund_note(update: Update, context: Context) -> None:
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
        await message.reply_text(deps(context).views.error(feature(context).admin_language, error))
        return
    await message.reply_text(_refund_outcome(context, update, result))


# -- registration -----------------------------------------------------------------------------


def _admin_button(fn: Any) -> Any:
    """An admin-only button: non-admins are refused before anything runs."""
    return admin_only(button_handler(fn))


on_confirm_receipt = _admin_button(_on_confirm_receipt)
on_ask_reject = _admin_button(_on_ask_reject)
on_receipt_back = _admin_button(_on_receipt_back)
on_reject_receipt = _admin_button(_on_reject_receipt)
on_refund_order = _admin_button(_on_refund_order)
on_refund_payment = _admin_button(_on_refund_payment)
on_confirm_refund = _admin_button(_on_confirm_refund)
on_keep_payment = _admin_button(_on_keep_payment)
on_refund_note = admin_only(_on_refund_note)

BUTTONS: list[tuple[type[cb.Callback], Any]] = [
    (cb.PayNow, on_pay_now),
    (cb.AskReceipt, on_ask_receipt),
    (cb.ConfirmReceipt, on_confirm_receipt),
    (cb.AskRejectReceipt, on_ask_reject),
    (cb.ReceiptBack, on_receipt_back),
    (cb.RejectReceipt, on_reject_receipt),
    (cb.RefundOrder, on_refund_order),
    (cb.RefundPayment, on_refund_payment),
    (cb.ConfirmRefund, on_confirm_refund),
    (cb.KeepPayment, on_keep_payment),
]
# Before every other handler (remember_customer is group -1): a payment must be recorded
# whatever else the update would trigger.
PAYMENT_GROUP = -2
PAYMENT_SWEEP_JOB = "payments"


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Wire the payments feature (use cases, the sweep job) and attach its handlers."""
    settings: Settings = app.bot_data["settings"]
    payments = build_payments(settings, app.bot_data["db"], app.bot_data["clock"], app.bot)
    app.bot_data["payments"] = payments
    app.bot_data["jobs"].every(
        PAYMENT_SWEEP_JOB, PaymentSweep(payments.payments).run_once, settings.payment_sweep_seconds
    )
    app.add_handler(
        MessageHandler(filters.SUCCESSFUL_PAYMENT, on_successful_payment), group=PAYMENT_GROUP
    )
    app.add_handler(PreCheckoutQueryHandler(on_pre_checkout))
    for kind, callback in BUTTONS:
        app.add_handler(CallbackQueryHandler(callback, pattern=kind.matches))  # type: ignore[arg-type]
    receipt = _ReceiptPhoto(frozenset(settings.admin_user_ids))
    app.add_handler(
        MessageHandler(filters.ChatType.PRIVATE & filters.PHOTO & receipt, on_receipt_photo)
    )
    admin_chat = payments.admin_chat_id
    if admin_chat is not None:
        app.add_handler(
            MessageHandler(
                filters.Chat(admin_chat)
                & filters.TEXT
                & ~filters.COMMAND
                & _RepliesToRefundPrompt(),
                on_refund_note,  # type: ignore[arg-type]
            )
        )
