"""Turning outbox notifications into Telegram messages."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.admin_alerts import merchant_buttons
from bot.texts import Html, Texts
from domain.model import Language, Notification
from domain.ports import UnitOfWorkFactory
from jobs.outbox import Delivery, RetryLater, Sent, Undeliverable

log = logging.getLogger(__name__)


class TelegramSender:
    """Renders a notification in its reader's language and sends it."""

    def __init__(
        self, bot: Bot, texts: Texts, uow: UnitOfWorkFactory, admin_language: Language
    ) -> None:
        self.bot = bot
        self.texts = texts
        self.uow = uow
        self.admin_language = admin_language

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
        text = self.texts(language, notification.template, **params)
        markup = None
        rows = [*notification.buttons, *merchant_buttons(notification)]
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
        photo = notification.params.get("$photo")  # a Telegram file id: sent as its caption
        try:
            if isinstance(photo, str) and photo:
                await self.bot.send_photo(
                    notification.chat_id, photo, caption=text, reply_markup=markup
                )
            else:
                await self.bot.send_message(notification.chat_id, text, reply_markup=markup)
        except RetryAfter as exc:
            return RetryLater(
                str(exc),
                float(exc.retry_after.total_seconds())
                if hasattr(exc.retry_after, "total_seconds")
                else float(exc.retry_after),
            )
        except Forbidden as exc:
            async with self.uow() as uow:
                await uow.customers.set_reachable(notification.chat_id, False)
                await uow.commit()
            return Undeliverable(f"forbidden: {exc.message}")
        except BadRequest as exc:
            return Undeliverable(f"bad request: {exc.message}")
        except (TimedOut, NetworkError) as exc:
            return RetryLater(f"network: {exc}")
        return Sent()
