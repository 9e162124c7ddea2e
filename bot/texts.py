"""Locale catalogs (bot/locales/<lang>.toml) and formatting of money and dates.
Every parameter is HTML-escaped unless wrapped in `Html`, so user text can never break
the message's parse mode.

A text that depends on a number is a table of CLDR plural forms, e.g.
`added = { one = "… {n} item.", other = "… {n} items." }`; the parameter `n` picks the form by
the language's plural rule (Babel), so English says "1 item" and Chinese, whose only form is
`other`, keeps a plain string. A parameter named `minutes` (an int) is said with its unit in
the same way (`units.minutes`: "1 minute", "30 minutes", "30 分钟"), so the domain's notices
carry the plain number. A parameter named `carrier` that is a built-in carrier's name ("SF Express",
"Other carrier") is said in the reader's language (`carrier.<code>`: 顺丰速运, 其他快递); a name
the merchant typed or configured is kept as written."""

from __future__ import annotations

import functools
import html
import string
import tomllib
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import format_currency

from domain.shared.customers import Language
from domain.shared.money import Money
from domain.shipping.carriers import DEFAULT_CARRIERS

LOCALES = Path(__file__).with_name("locales")
# The built-in carriers' names, each said in the reader's language (literal keys, so the
# catalogs are checked for every one).
CARRIER_TEXT = {
    "sf": "carrier.sf",
    "zto": "carrier.zto",
    "ems": "carrier.ems",
    "dhl": "carrier.dhl",
    "ups": "carrier.ups",
    "fedex": "carrier.fedex",
    "other": "carrier.other",
}
_BUILT_IN = {c.name: CARRIER_TEXT[c.code] for c in DEFAULT_CARRIERS}
_BABEL = {Language.EN: "en_US", Language.ZH: "zh_Hans_CN"}


class Html(str):
    """Text that is already valid Telegram HTML and must not be escaped again."""


PLURAL_FORMS = frozenset({"zero", "one", "two", "few", "many", "other"})


def _is_plural(value: dict[str, Any]) -> bool:
    return "other" in value and set(value) <= PLURAL_FORMS


def _flatten(
    prefix: str,
    table: dict[str, Any],
    out: dict[str, str],
    plurals: dict[str, dict[str, str]],
) -> None:
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and _is_plural(value):
            out[name] = str(value["other"])
            plurals[name] = {form: str(text) for form, text in value.items()}
        elif isinstance(value, dict):
            _flatten(name, value, out, plurals)
        else:
            out[name] = str(value)


def _load(language: Language) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    with (LOCALES / f"{language.value}.toml").open("rb") as fh:
        data = tomllib.load(fh)
    flat: dict[str, str] = {}
    plurals: dict[str, dict[str, str]] = {}
    _flatten("", data, flat, plurals)
    return flat, plurals


def load_catalog(language: Language) -> dict[str, str]:
    """All keys of one locale file, flattened to dotted names (a plural text by its `other`
    form)."""
    return _load(language)[0]


def load_plurals(language: Language) -> dict[str, dict[str, str]]:
    """The texts of one locale file that have plural forms: key → {form: text}."""
    return _load(language)[1]


def placeholders(template: str) -> set[str]:
    """Names used as {placeholders} in a template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@functools.lru_cache(maxsize=4096)
def _money_text(amount: int, currency: str, locale: str) -> str:
    """An amount in a locale's conventions. Remembered: a screen shows the same few prices
    again and again, and Babel's formatting cost about 2 % of the bot's CPU in the checkout
    bench (py-spy), more than the rest of filling the texts (issue 13)."""
    return str(format_currency(Money(amount, currency).to_major(), currency, locale=locale))


class Texts:
    """Looks up and fills texts in a customer's language."""

    def __init__(self, timezone: str = "UTC") -> None:
        self.catalogs = {lang: load_catalog(lang) for lang in Language}
        self.plurals = {lang: load_plurals(lang) for lang in Language}
        self.locales = {lang: Locale.parse(_BABEL[lang]) for lang in Language}
        self.zone = ZoneInfo(timezone)

    def has(self, key: str) -> bool:
        """Whether the English catalog defines a key."""
        return key in self.catalogs[Language.EN]

    def __call__(self, lang: Language, key: str, **params: Any) -> str:
        """The text for `key` in `lang` (English if missing), with escaped parameters; a plural
        text takes the form `n` asks for in `lang`."""
        written = lang if key in self.catalogs[lang] else Language.EN
        template = self.catalogs[written].get(key)
        if template is None:
            raise KeyError(f"no text for {key!r}")
        forms = self.plurals[written].get(key)
        if forms and isinstance(params.get("n"), int):
            form = self.locales[written].plural_form(abs(params["n"]))
            template = forms.get(form, template)
        safe = {name: self._param(lang, value) for name, value in params.items()}
        if isinstance(params.get("minutes"), int) and key != "units.minutes":
            safe["minutes"] = self(lang, "units.minutes", n=params["minutes"])
        if isinstance(params.get("carrier"), str):
            safe["carrier"] = html.escape(self.carrier(lang, params["carrier"]), quote=False)
        return template.format_map(safe)

    def carrier(self, lang: Language, name: str) -> str:
        """A carrier's name in `lang`: a built-in carrier's in the catalog, any other as is."""
        key = _BUILT_IN.get(name)
        return self(lang, key) if key else name

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
        return _money_text(money.amount, money.currency, _BABEL[lang])

    def when(self, at: datetime, lang: Language) -> str:
        """A short local date and time."""
        pattern = "yyyy-MM-dd HH:mm"
        return str(format_datetime(at.astimezone(self.zone), pattern, locale=_BABEL[lang]))
