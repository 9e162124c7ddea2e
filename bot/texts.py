"""Locale catalogs (bot/locales/<lang>.toml) and formatting of money and dates.
Every parameter is HTML-escaped unless wrapped in `Html`, so user text can never break
the message's parse mode."""

from __future__ import annotations

import html
import string
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from babel.numbers import format_currency

from domain.shared.customers import Language
from domain.shared.money import Money

LOCALES = Path(__file__).with_name("locales")
_BABEL = {Language.EN: "en_US", Language.ZH: "zh_Hans_CN"}


class Html(str):
    """Text that is already valid Telegram HTML and must not be escaped again."""


def _flatten(prefix: str, table: dict[str, Any], out: dict[str, str]) -> None:
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            _flatten(name, value, out)
        else:
            out[name] = str(value)


def load_catalog(language: Language) -> dict[str, str]:
    """All keys of one locale file, flattened to dotted names."""
    with (LOCALES / f"{language.value}.toml").open("rb") as fh:
        data = tomllib.load(fh)
    flat: dict[str, str] = {}
    _flatten("", data, flat)
    return flat


def placeholders(template: str) -> set[str]:
    """Names used as {placeholders} in a template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Texts:
    """Looks up and fills texts in a customer's language."""

    def __init__(self, timezone: str = "UTC") -> None:
        self.catalogs = {lang: load_catalog(lang) for lang in Language}
        self.zone = ZoneInfo(timezone)

    def has(self, key: str) -> bool:
        """Whether the English catalog defines a key."""
        return key in self.catalogs[Language.EN]

    def __call__(self, lang: Language, key: str, **params: Any) -> str:
        """The text for `key` in `lang` (English if missing), with escaped parameters."""
        template = self.catalogs[lang].get(key) or self.catalogs[Language.EN].get(key)
        if template is None:
            raise KeyError(f"no text for {key!r}")
        safe = {name: self._param(lang, value) for name, value in params.items()}
        return template.format_map(safe)

    def _param(self, lang: Language, value: Any) -> str:
        if isinstance(value, Html):
            return value
        if isinstance(value, Money):
            return html.escape(self.money(value, lang))
        if isinstance(value, datetime):
            return html.escape(self.when(value, lang))
        if isinstance(value, dict) and "$money" in value:
            amount, currency = value["$money"]
            return html.escape(self.money(Money(int(amount), str(currency)), lang))
        if isinstance(value, dict) and "$text" in value:  # another text, in the same language
            return self(lang, str(value["$text"]))
        return html.escape(str(value), quote=False)

    def money(self, money: Money, lang: Language) -> str:
        """Money in the reader's conventions, e.g. $12.50 or US$12.50."""
        if money.currency == "XTR":
            return f"⭐{money.amount}"
        return str(format_currency(money.to_major(), money.currency, locale=_BABEL[lang]))

    def when(self, at: datetime, lang: Language) -> str:
        """A short local date and time."""
        pattern = "yyyy-MM-dd HH:mm"
        return str(format_datetime(at.astimezone(self.zone), pattern, locale=_BABEL[lang]))
