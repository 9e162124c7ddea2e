"""Bot API methods for payments: sendInvoice, answerPreCheckoutQuery and refundStarPayment."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .markup import check_markup_server_side, parse_reply_markup
from .protocol import (
    CHARGE_ALREADY_REFUNDED,
    CHARGE_NOT_FOUND,
    QUERY_TOO_OLD,
    Query,
    bad_request,
    error,
)

if TYPE_CHECKING:
    from .sim import ServerApi as FakeBotApi  # the server, as the handlers see it
from .methods import markup_fields, method, reply_target

# =========================================================================== payments

_TOTAL_LIMITS = {"XTR": (1, 100_000), "USD": (100, 1_000_000), "EUR": (100, 1_000_000)}


def _prices(q: Query) -> list[dict[str, Any]]:
    raw = q.json_arg("prices", "prices")
    if raw is None:
        raise bad_request('parameter "prices" is required')
    if not isinstance(raw, list):
        raise bad_request("expected an Array of labeled prices")
    prefix = "can't parse labeled price: "
    prices = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad_request(prefix + "LabeledPrice must be an Object")
        if "label" not in item:
            raise bad_request(prefix + 'Can\'t find field "label"')
        if not isinstance(item["label"], str) or not item["label"]:
            raise bad_request(prefix + "LabeledPrice label must be non-empty")
        if "amount" not in item:
            raise bad_request(prefix + 'Can\'t find field "amount"')
        amount = item["amount"]
        if isinstance(amount, bool) or not isinstance(amount, int | str | float):
            raise bad_request(prefix + 'Field "amount" must be of type Number or String')
        try:
            value = int(str(amount))
        except ValueError:
            raise bad_request(prefix + 'Can\'t parse "amount" as Number') from None
        prices.append({"label": item["label"], "amount": value})
    if not prices:
        raise bad_request("there must be at least one price")
    return prices


@method("sendInvoice")
def send_invoice(api: FakeBotApi, q: Query) -> dict[str, Any]:
    """Send an invoice (Telegram Stars: currency XTR, no provider_token, exactly one price)."""
    title = q.required("title")
    description = q.required("description")
    payload = q.required("payload")
    currency = q.required("currency")
    prices = _prices(q)
    markup = parse_reply_markup(q.arg("reply_markup"))
    chat = api.resolve_chat(q)
    reply = reply_target(q, chat)
    total = sum(p["amount"] for p in prices)
    if total <= 0:
        raise bad_request("total price must be positive")
    check_markup_server_side(markup, is_invoice=True)
    if len(title) > 32:
        raise bad_request("TITLE_INVALID")
    if len(description) > 255:
        raise bad_request("DESCRIPTION_INVALID")
    if len(payload.encode("utf-8")) > 128:
        raise bad_request("INVOICE_PAYLOAD_INVALID")
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise bad_request("CURRENCY_INVALID")
    provider_token = q.arg("provider_token")
    if currency == "XTR":
        if provider_token:
            raise bad_request("PAYMENT_PROVIDER_INVALID")
        if len(prices) != 1:
            raise bad_request("STARS_INVOICE_INVALID")
    elif not provider_token:
        raise bad_request("PAYMENT_PROVIDER_INVALID")
    low, high = _TOTAL_LIMITS.get(currency, (1, 10**12))
    if not low <= total <= high:
        raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
    api.check_can_send(chat)
    invoice = {
        "title": title,
        "description": description,
        "start_parameter": q.arg("start_parameter"),
        "currency": currency,
        "total_amount": total,
    }
    extra = {"_payload": payload, "_prices": prices, "_provider_token": provider_token}
    msg = api.new_bot_message(
        chat, "invoice", invoice=invoice, reply_to=reply, extra=extra, **markup_fields(markup)
    )
    return msg.to_dict()


@method("answerPreCheckoutQuery")
def answer_pre_checkout_query(api: FakeBotApi, q: Query) -> bool:
    """Answer a pre-checkout query once; recorded in api.pre_checkout_answers."""
    query_id = q.arg("pre_checkout_query_id")
    state = api.pre_checkout_state(query_id)
    if state is None or state["answered"]:
        raise error(QUERY_TOO_OLD)
    ok = q.bool_arg("ok")
    message = q.arg("error_message")
    if not ok and not message:
        raise bad_request("error_message must be non-empty")
    state["answered"] = True
    api.pre_checkout_answers[query_id] = {"ok": ok, "error_message": message or None}
    return True


@method("refundStarPayment")
def refund_star_payment(api: FakeBotApi, q: Query) -> bool:
    """Refund a Telegram Stars payment once."""
    charge_id = q.required("telegram_payment_charge_id")
    user_id = q.int_arg("user_id")
    charge = api.charges.get(charge_id)
    if charge is None or charge["user_id"] != user_id or charge["currency"] != "XTR":
        raise bad_request(CHARGE_NOT_FOUND.removeprefix("Bad Request: "))
    if charge["refunded"]:
        raise bad_request(CHARGE_ALREADY_REFUNDED.removeprefix("Bad Request: "))
    charge["refunded"] = True
    api.refunds.append({"user_id": user_id, "telegram_payment_charge_id": charge_id})
    return True
