"""Buttons the jobs and tracking feature puts on outbox notifications, decided when they are
rendered so the domain never deals in callback formats: "✅ Received" on a customer's
delivery notice (from tracking, or from the merchant's "Mark delivered")."""

from __future__ import annotations

from bot.callback_data import OrderNo, parse
from bot.shipping.callbacks import ReceivedFromNotice
from domain.shared.notifications import Notification

DELIVERY_TEMPLATES = frozenset({"track.push_delivered", "adm.notify.delivered"})


def tracking_buttons(notification: Notification) -> list[list[tuple[str, str]]]:
    """Rows of (text key, callback data) to add below a notification's own buttons."""
    if notification.template not in DELIVERY_TEMPLATES or notification.language is None:
        return []  # only customers' delivery notices
    number = notification.params.get("number")
    try:
        data = ReceivedFromNotice(OrderNo(str(number))).pack()
    except ValueError:
        return []
    if parse(data) is None:
        return []
    return [[("track.received_button", data)]]
