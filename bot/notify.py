"""Turning outbox notifications into Telegram messages."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.warnings import PTBDeprecationWarning

from bot.after_sales.alerts import after_sales_buttons
from bot.marketing.alerts import marketing_buttons, marketing_params
from bot.merchant.alerts import merchant_buttons
from bot.shipping.alerts import tracking_buttons
from bot.texts import Html, Texts
from domain.insight.summary import CHART_PARAM
from domain.orders.shipping_choice import ShippingChoice
from domain.shared.customers import Language
from domain.shared.notifications import Notification
from domain.shared.ports import UnitOfWorkFactory
from jobs.outbox import Delivery, RetryLater, Sent, Undeliverable, Unreachable

log = logging.getLogger(__name__)

# Draws the photo of a notification whose params name a chart ("$chart"), in a language.
ChartDrawer = Callable[[Notification, Language], Awaitable[bytes]]


def retry_after_seconds(exc: RetryAfter) -> float:
    """Telegram's retry_after in seconds (PTB 22 warns that its type will change: either is
    read)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return float(value.total_seconds()) if isinstance(value, timedelta) else float(value)


class TelegramSender:
    """Renders a notification in its reader's language and sends it."""

    def __init__(
        self,
        bot: Bot,
        texts: Texts,
        uow: UnitOfWorkFactory,
        admin_language: Language,
        charts: ChartDrawer | None = None,
    ) -> None:
        self.bot = bot
        self.texts = texts
        self.uow = uow
        self.admin_language = admin_language
        self.charts = charts  # draws "$chart" rows (the weekly summary's chart)

    def render(self, notification: Notification) -> tuple[str, InlineKeyboardMarkup | None]:
        """Text and keyboard of a notification."""
        language = notification.language or self.admin_language
        params: dict[str, Any] = dict(notification.params)
        if isinstance(params.get("lines"), list):
            params["lines"] = Html(
                "\n".join(
                    self.texts(language, "notify.line", qty=q, name=n) for q, n in params["lines"]
                )
            )
        if "payment" in params:
            params["payment"] = self.texts(language, f"payment.{params['payment']}")
        # The shipping method a new order was placed with, in the reader's language (nothing
        # for the flat fee, and for rows queued before shipping methods).
        method = params.get("shipping_method")
        choice = ShippingChoice.from_dict(method) if isinstance(method, dict) else None
        params["shipping_method"] = (
            Html(self.texts(language, "checkout.shipping.alert", name=choice.name(language.value)))
            if choice
            else ""
        )
        if isinstance(params.get("items"), list) and isinstance(params.get("item_template"), str):
            # A list of rows, each rendered with its own template (jobs: the low-stock report).
            params["items"] = Html(
                "\n".join(
                    self.texts(language, params["item_template"], **item)
                    for item in params["items"]
                    if isinstance(item, dict)
                )
            )
        params = marketing_params(notification, params)  # a broadcast's own HTML
        text = self.texts(language, notification.template, **params)
        markup = None
        rows = [
            *notification.buttons,
            *after_sales_buttons(notification),
            *merchant_buttons(notification),
            *tracking_buttons(notification),
            *marketing_buttons(notification),
        ]
        if rows:
            markup = InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(self.texts(language, key), callback_data=data)
                        for key, data in row
                    ]
                    for row in rows
                ]
            )
        return text, markup

    async def __call__(self, notification: Notification) -> Delivery:
        """Send one notification and say how it went."""
        text, markup = self.render(notification)
        photo: str | bytes | None = notification.params.get("$photo")  # a Telegram file id
        if notification.params.get(CHART_PARAM) is not None:
            if self.charts is None:
                return Undeliverable(f"no chart drawer for {notification.params[CHART_PARAM]}")
            # Drawn now, from the data as it is (a bug here is retried by the dispatcher).
            photo = await self.charts(notification, notification.language or self.admin_language)
        try:
            if isinstance(photo, str | bytes) and photo:  # the text is its caption
                await self.bot.send_photo(
                    notification.chat_id, photo, caption=text, reply_markup=markup
                )
            else:
                await self.bot.send_message(notification.chat_id, text, reply_markup=markup)
        except RetryAfter as exc:
            return RetryLater(str(exc), retry_after_seconds(exc))
        except Forbidden as exc:
            if notification.chat_id > 0:  # a user: the dispatcher marks them unreachable
                return Unreachable(f"forbidden: {exc.message}")
            return Undeliverable(f"forbidden: {exc.message}")  # a group the bot left
        except BadRequest as exc:
            return Undeliverable(f"bad request: {exc.message}")
        except (TimedOut, NetworkError) as exc:
            return RetryLater(f"network: {exc}")
        return Sent()
