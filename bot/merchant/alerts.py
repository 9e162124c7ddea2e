"""Buttons the merchant features put on outbox notifications, decided when they are rendered so
the domain never deals in callback formats: "Open order" / "Open product" on admin alerts, and
"Reply" on the shop's messages to a customer."""

from __future__ import annotations

from bot.callback_data import OrderNo, pack_checked
from bot.merchant.callbacks import (
    AdminAnswer,
    AdminOpenOrder,
    AdminOpenProduct,
    ContactShop,
    ReplyToShop,
)
from domain.merchant.contact import TO_CUSTOMER
from domain.shared.notifications import Notification

RELAY_TO_CUSTOMER = "adm.relay.to_customer"


def merchant_buttons(notification: Notification) -> list[list[tuple[str, str]]]:
    """Rows of (text key, callback data) to add below a notification's own buttons."""
    params = notification.params
    number = params.get("number")
    if notification.template == RELAY_TO_CUSTOMER:
        reply = pack_checked(ReplyToShop(OrderNo(str(number))))
        return [[("adm.relay.reply_button", reply)]] if reply else []
    if notification.template == TO_CUSTOMER:  # the shop's answer: the customer may reply
        return [[("adm.relay.reply_button", ContactShop().pack())]]
    if notification.language is not None:
        return []  # a customer's notification: admin buttons never go there
    rows: list[list[tuple[str, str]]] = []
    customer_id = params.get("customer_id")  # a customer wrote to the shop: answer them
    if isinstance(customer_id, int) and not isinstance(customer_id, bool):
        answer = pack_checked(AdminAnswer(customer_id))
        if answer:
            rows.append([("adm.relay.answer_button", answer)])
    if isinstance(number, str):
        data = pack_checked(AdminOpenOrder(OrderNo(number)))
        if data:
            rows.append([("adm.alert.open_order", data)])
    product_id = params.get("product_id")
    if isinstance(product_id, int) and not isinstance(product_id, bool):
        data = pack_checked(AdminOpenProduct(product_id))
        if data:
            rows.append([("adm.alert.open_product", data)])
    return rows
