"""An ExtBot that does not parse back the inline keyboard it has just sent.

Telegram answers sendMessage and the editMessage* methods with the whole message, inline
keyboard included, and python-telegram-bot turns every key of it into an object again: for a
screen of eight keys that was most of the reply's parsing, about 2 % of the bot's CPU per update
(issue 13). The keyboard Telegram echoes is the one we sent, so the reply's message gets the
sent object instead. Nothing else in the reply is skipped.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from telegram import InlineKeyboardMarkup, Message
from telegram.ext import ExtBot

# Set while a message-returning call is under way in this task: the inline keyboard that call
# sent, once its reply has come (the reply's own copy was dropped before parsing).
_sent: ContextVar[list[InlineKeyboardMarkup] | None] = ContextVar("orderbot_sent", default=None)


class LeanBot(ExtBot[None]):
    """ExtBot whose message replies reuse the sent inline keyboard instead of parsing its
    echo."""

    __slots__ = ()

    async def _send_message(self, endpoint: str, data: Any, *args: Any, **kwargs: Any) -> Any:
        sent: list[InlineKeyboardMarkup] = []
        token = _sent.set(sent)
        try:
            message = await super()._send_message(endpoint, data, *args, **kwargs)
        finally:
            _sent.reset(token)
        if sent and isinstance(message, Message) and message.reply_markup is None:
            with message._unfrozen():
                message.reply_markup = sent[0]
        return message

    async def _do_post(self, endpoint: str, data: Any, **kwargs: Any) -> Any:
        result = await super()._do_post(endpoint, data, **kwargs)
        sent = _sent.get() if self.callback_data_cache is None else None
        markup = data.get("reply_markup")
        if (
            sent is not None
            and isinstance(markup, InlineKeyboardMarkup)
            and isinstance(result, dict)
            and "reply_markup" in result
        ):
            del result["reply_markup"]
            sent.append(markup)
        return result
