"""Online payment: invoices, pre-checkout and successful payments."""

from __future__ import annotations

import asyncio
import logging

from telegram import (
    LabeledPrice,
    PreCheckoutQuery,
    Update,
)
from telegram.error import BadRequest, TelegramError

from bot.callback_data import OrderNo
from bot.context import ShopContext
from bot.payments.callbacks import (
    PayNow,
)
from bot.payments.stale import strip_payment_keys
from bot.screens import Screen, button, keyboard
from bot.shared.handlers import button_handler
from bot.ui import plain_text, send
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order
from domain.payments.invoices import Invoice
from domain.payments.receiving import TelegramCharge
from domain.payments.rules import ONLINE_METHODS, STARS, PaymentError
from domain.shared.customers import Language
from domain.shared.errors import DomainError

log = logging.getLogger(__name__)

PRE_CHECKOUT_BUDGET_S = 7.0  # Telegram gives up on the answer after 10 s
RECORD_ATTEMPTS = 3


def _language(context: ShopContext, fallback: str | None) -> Language:
    if context.user_data and "customer" in context.user_data:
        return context.lang
    return Language.from_telegram(fallback)


# -- invoices ---------------------------------------------------------------------------------


def _labels(context: ShopContext, language: Language, invoice: Invoice) -> list[LabeledPrice]:
    t = context.texts
    prices = []
    for item in invoice.items:
        if item.kind == "line":
            label = t(language, "pay.invoice_line", name=item.name, qty=item.quantity)
        elif item.kind == "shipping" and invoice.order.shipping_method is not None:
            method = invoice.order.shipping_method.name(language.value)
            label = t(language, "checkout.shipping.invoice", name=method)
        elif item.kind == "shipping":
            label = t(language, "pay.invoice_shipping")
        elif item.kind == "discount":
            label = t(language, "pay.invoice_discount", code=item.name)
        else:
            label = t(language, "pay.invoice_total", number=invoice.order.number)
        prices.append(LabeledPrice(plain_text(label)[:64] or "—", item.amount))
    return prices


async def _send_invoice(
    context: ShopContext, chat_id: int, language: Language, invoice: Invoice
) -> None:
    t = context.texts
    order = invoice.order
    stars = invoice.currency == STARS
    if not stars and not context.services.provider_token:
        raise PaymentError("pay.online_unavailable")
    items = ", ".join(
        plain_text(t(language, "pay.invoice_line", name=line.name, qty=line.quantity))
        for line in order.lines
    )
    description = plain_text(
        t(
            language,
            "pay.invoice_description",
            shop=context.services.shop_name,
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
        provider_token=None if stars else context.services.provider_token,
    )


async def _invoice_or_retry(context: ShopContext, customer_id: int, number: str) -> bool:
    """Send the order's invoice; if Telegram fails (5xx, timeout), say so and offer "Pay now"
    again. Nothing is recorded before or after, so a failed send leaves nothing half-done."""
    language = context.lang
    invoice = await context.payments.invoice(customer_id, number)
    try:
        await _send_invoice(context, customer_id, language, invoice)
    except TelegramError as exc:
        log.warning("invoice for order %s not sent: %s", number, exc)
        t = context.texts
        await send(
            context,
            customer_id,
            Screen(
                t(language, "pay.invoice_failed", number=number),
                keyboard([[button(t(language, "pay.pay_now"), PayNow(OrderNo(number)))]]),
            ),
        )
        return False
    return True


async def offer_payment(update: Update, context: ShopContext, order: Order) -> None:
    """The invoice of an order that waits for an online payment: right after it is placed,
    and at a Confirm of it again (the first one may have been lost with its process)."""
    if order.status != OrderStatus.PENDING_PAYMENT or order.payment_method not in ONLINE_METHODS:
        return
    try:
        await _invoice_or_retry(context, order.customer_id, order.number)
    except DomainError as error:  # e.g. online payment switched off meanwhile
        await send(context, order.customer_id, Screen(context.views.error(context.lang, error)))


@button_handler
async def on_pay_now(update: Update, context: ShopContext, data: PayNow) -> str | None:
    """Send the invoice of an unpaid order (again); a key of an order that no longer waits is
    taken off the message, and the answer says why."""
    try:
        sent = await _invoice_or_retry(context, context.customer.id, data.number)
    except PaymentError:
        assert update.callback_query is not None
        await strip_payment_keys(update.callback_query, data.number)
        raise
    return context.texts(context.lang, "pay.invoice_sent") if sent else None


# -- pre-checkout and successful payment ----------------------------------------------------


async def on_pre_checkout(update: Update, context: ShopContext) -> None:
    """Answer a pre-checkout query within Telegram's 10 seconds: yes only for our own invoice,
    for the asker's order, still pending, in time, for exactly its total and currency."""
    query = update.pre_checkout_query
    assert query is not None
    language = _language(context, query.from_user.language_code)
    t = context.texts
    try:
        verdict = await asyncio.wait_for(
            context.payments.check_pre_checkout(
                query.from_user.id, query.invoice_payload, query.currency, query.total_amount
            ),
            PRE_CHECKOUT_BUDGET_S,
        )
    except Exception:  # a slow or failing database must still get a clear "no" in time
        log.exception("pre-checkout of %s could not be checked", query.invoice_payload)
        await _answer(query, ok=False, error_message=plain_text(t(language, "pay.refused.busy")))
        return
    if verdict.refusal is None:
        await _answer(query, ok=True)
        return
    order = verdict.order
    text = t(
        language,
        verdict.refusal.key,
        number=order.number if order else "",
        status=context.views.status(language, order) if order else "",
    )
    log.info("pre-checkout of %s refused: %s", query.invoice_payload, verdict.refusal.value)
    await _answer(query, ok=False, error_message=plain_text(text))


async def _answer(query: PreCheckoutQuery, *, ok: bool, error_message: str | None = None) -> None:
    """Answer a pre-checkout query. A second delivery of the same query finds it answered
    (Telegram: "query is too old"): the first answer stands, nothing else to do."""
    try:
        await query.answer(ok=ok, error_message=error_message)
    except BadRequest as exc:
        log.info("pre-checkout query %s was answered before (%s)", query.id, exc.message)


async def on_successful_payment(update: Update, context: ShopContext) -> None:
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
            result = await context.payments.record_telegram_payment(charge)
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
