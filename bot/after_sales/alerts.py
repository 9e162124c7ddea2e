"""Buttons the after-sales and review notifications carry, decided when they are rendered so the
domain never deals in callback formats: Approve / Decline / Open request on the merchant's
alerts, "Send return tracking" and "View request" on the customer's updates, and the star
buttons of the invitation to review a completed order."""

from __future__ import annotations

from bot.after_sales.callbacks import AsAdmApprove, AsAdmDecline, AsAdmOpen, AsSendBack, AsView
from bot.callback_data import OrderNo, pack_checked
from bot.reviews.callbacks import RvRate
from domain.shared.notifications import Notification

STAR_KEYS = ("review.star_1", "review.star_2", "review.star_3", "review.star_4", "review.star_5")
_ADMIN_OPEN = frozenset({"as.adm.returned", "as.adm.photo"})


def after_sales_buttons(notification: Notification) -> list[list[tuple[str, str]]]:
    """Rows of (text key, callback data) for an after-sales or review notification."""
    template, params = notification.template, notification.params
    if template == "review.invite" and notification.language is not None:
        number = params.get("number")
        row = [
            (key, pack_checked(RvRate(OrderNo(str(number)), rating)))
            for rating, key in enumerate(STAR_KEYS, 1)
        ]
        return [[(key, data) for key, data in row if data]] if all(d for _, d in row) else []
    request_id = params.get("request_id")
    if not isinstance(request_id, int) or isinstance(request_id, bool):
        return []
    if notification.language is None:  # the admin chat
        open_request = pack_checked(AsAdmOpen(request_id))
        if template == "as.adm.new":
            approve, decline = (
                pack_checked(AsAdmApprove(request_id)),
                pack_checked(AsAdmDecline(request_id)),
            )
            if approve and decline and open_request:
                return [
                    [("as.adm.approve", approve), ("as.adm.decline", decline)],
                    [("as.adm.open", open_request)],
                ]
        if template in _ADMIN_OPEN and open_request:
            return [[("as.adm.open", open_request)]]
        return []
    if not template.startswith("as.customer."):
        return []
    rows: list[list[tuple[str, str]]] = []
    if template == "as.customer.approved":
        send_back = pack_checked(AsSendBack(request_id))
        if send_back:
            rows.append([("as.customer.send_back", send_back)])
    view = pack_checked(AsView(request_id))
    if view:
        rows.append([("as.customer.view", view)])
    return rows
