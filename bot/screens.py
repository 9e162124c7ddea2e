"""Screens and keyboards: what a handler puts on the user's screen, within Telegram's limits."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.callback_data import Callback
from bot.shared.callbacks import Noop
from bot.texts import Texts
from domain.catalog.model import Product
from domain.shared.customers import Language
from domain.shared.paging import Paged

TEXT_LIMIT = 4096


CAPTION_LIMIT = 1024


Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove | None


@dataclass
class Screen:
    """What one message shows: HTML text, a keyboard, and a product whose photo leads it."""

    text: str
    markup: Markup = None
    photo_of: Product | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def fit(text: str, limit: int) -> str:
    """Cut a message at a line boundary so it fits Telegram's limit (each line is balanced HTML)."""
    if len(text) <= limit:
        return text
    lines = text.split("\n")
    while lines and len("\n".join(lines)) + 2 > limit:
        lines.pop()
    return "\n".join(lines) + "\n…"


def short(text: str, width: int) -> str:
    """The text, cut to `width` characters with an ellipsis."""
    return text if len(text) <= width else text[: width - 1] + "…"


def button(text: str, data: Callback) -> InlineKeyboardButton:
    """An inline button carrying typed callback data."""
    return InlineKeyboardButton(text, callback_data=data.pack())


def keyboard(rows: Sequence[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    """An inline keyboard from rows, skipping empty ones. A key with a blank label is left
    out: Telegram shows it as an empty key that does nothing."""
    kept = [[b for b in row if b.text.strip()] for row in rows]
    return InlineKeyboardMarkup([row for row in kept if row])


def pager(t: Texts, lang: Language, paged: Paged[Any], make: Any) -> list[InlineKeyboardButton]:
    """◀ 2/5 ▶ navigation (no ◀ on the first page, no ▶ on the last), empty when everything
    fits on one page."""
    if paged.pages <= 1:
        return []
    number = paged.page.number
    row = [button(t(lang, "nav.page", page=number + 1, pages=paged.pages), Noop())]
    if paged.has_prev:
        row.insert(0, button("◀", make(number - 1)))
    if paged.has_next:
        row.append(button("▶", make(number + 1)))
    return row


def with_header(header: str, screen: Screen) -> Screen:
    """The screen with a line on top saying what just happened."""
    return Screen(fit(f"{header}\n\n{screen.text}", TEXT_LIMIT), screen.markup)


def button_label(text: str) -> str:
    """A button label from a catalog text: button labels are not HTML."""
    return html.unescape(text)
