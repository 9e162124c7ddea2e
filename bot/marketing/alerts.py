"""What marketing puts on outbox notifications when they are rendered, so the domain never
deals in callback formats or markup: the back-in-stock message's Add to cart key, a
broadcast's product key and its text (the merchant's own formatting, kept as Telegram HTML),
and the Open key on the merchant's summary."""

from __future__ import annotations

from typing import Any

from bot.callback_data import pack_checked
from bot.catalog.callbacks import AddToCart
from bot.marketing.callbacks import BcOpen, BroadcastProduct
from bot.texts import Html
from domain.catalog.back_in_stock import BACK_IN_STOCK_TEMPLATE
from domain.marketing.records import BROADCAST_TEMPLATE, DONE_TEMPLATE
from domain.shared.notifications import Notification


def _id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def marketing_params(notification: Notification, params: dict[str, Any]) -> dict[str, Any]:
    """A broadcast's text is the merchant's HTML (from Telegram's entities): not escaped."""
    if notification.template == BROADCAST_TEMPLATE:
        params["text"] = Html(str(params.get("text") or ""))
    return params


def marketing_buttons(notification: Notification) -> list[list[tuple[str, str]]]:
    """Rows of (text key, callback data) to add below a notification's own buttons."""
    template, params = notification.template, notification.params
    product_id = _id(params.get("product_id"))
    data: str | None = None
    if template == BACK_IN_STOCK_TEMPLATE and product_id is not None:
        data = pack_checked(AddToCart(product_id, 1, 0, 0))
        return [[("bis.add_to_cart", data)]] if data else []
    if template == BROADCAST_TEMPLATE and product_id is not None:
        data = pack_checked(BroadcastProduct(product_id))
        return [[("mkt.view_product", data)]] if data else []
    broadcast_id = _id(params.get("broadcast_id"))
    if template == DONE_TEMPLATE and broadcast_id is not None:
        data = pack_checked(BcOpen(broadcast_id))
        return [[("mkt.adm.open", data)]] if data else []
    return []
