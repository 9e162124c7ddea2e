"""No English inside Chinese screens (issue 15, item 6): every Chinese text, once its
placeholders, markup, commands and what the reader types (<code>…</code>) are taken out, holds
no ASCII word but the brand names, abbreviations and command words allowed below; the built-in
carriers and the /track statuses are said in Chinese."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from typing import Any

import pytest

from bot.shipping.handlers import _usage
from bot.texts import LOCALES, Texts
from domain.shared.audit import ACTIONS
from domain.shared.customers import Language
from domain.shipping.carriers import DEFAULT_CARRIERS, OTHER_CARRIER_NAME

# Brand names and abbreviations a Chinese reader meets as they are.
BRANDS = {"Telegram", "EMS", "DHL", "UPS", "SKU", "CSV", "ID", "KB", "UTF-8", "UTC"}
# The forecast's, the stock plan's and the customer ranking's methods, measures and formula
# letters, named as in the literature.
TERMS = {"RFM", "R", "F", "M", "D", "MAE", "sMAPE", "Holt-Winters", "Croston", "Lq", "Wq", "M/M/1"}
# Words a command takes, shown beside the command (/reviews low, /report week, /audit order …).
COMMAND_WORDS = {"all", "low", "today", "week", "month", "order", "product", "admin"}
ALLOWED = BRANDS | TERMS | COMMAND_WORDS

_TAKEN_OUT = [
    re.compile(r"<code>.*?</code>", re.S),  # what the reader types or copies
    re.compile(r"<[^>]+>"),  # markup
    re.compile(r"&[a-z]+;"),  # entities
    re.compile(r"\{[^{}]*\}"),  # placeholders
    re.compile(r"/[a-z_]+"),  # commands
    re.compile(r"\b[A-Z][A-Z_]+=[a-z]+"),  # a setting, as written in .env (RUN_JOBS=false)
    re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}\b"),  # an order number, as an example
]
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_/\-]*[A-Za-z0-9]|[A-Za-z]")


def _texts(table: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for key, value in table.items():
        if isinstance(value, dict):
            yield from _texts(value, f"{prefix}{key}.")
        elif isinstance(value, str):
            yield f"{prefix}{key}", value


def english_words(text: str) -> list[str]:
    """The ASCII words of a Chinese text that a reader would see, outside the allow-list."""
    for pattern in _TAKEN_OUT:
        text = pattern.sub(" ", text)
    return [word for word in _WORD.findall(text) if word not in ALLOWED]


with (LOCALES / "zh.toml").open("rb") as catalog:
    CHINESE = dict(_texts(tomllib.load(catalog)))


def test_the_scan_finds_english_words() -> None:
    assert english_words("快递公司：Other carrier") == ["Other", "carrier"]
    assert english_words("状态：in_transit") == ["in_transit"]
    assert english_words("<code>/track 7KQ2-M9XD in_transit</code> 顺丰速运 {carrier} SKU") == []


@pytest.mark.parametrize("key", sorted(CHINESE))
def test_no_english_inside_a_chinese_text(key: str) -> None:
    assert english_words(CHINESE[key]) == [], f"{key}: {CHINESE[key]!r}"


def test_the_built_in_carriers_are_named_in_chinese() -> None:
    texts = Texts()
    for carrier in DEFAULT_CARRIERS:
        name = texts.carrier(Language.ZH, carrier.name)
        assert name != carrier.name or name in BRANDS, carrier.code
        assert english_words(name) == [], name
    shipped = texts(
        Language.ZH,
        "adm.ship.done",
        number="7KQ2-M9XD",
        carrier=OTHER_CARRIER_NAME,
        tracking="LOCAL-42",
    )
    assert "其他快递" in shipped and english_words(shipped) == []
    # A name the merchant typed is kept as written, in either language.
    assert texts.carrier(Language.ZH, "City Express") == "City Express"
    assert texts.carrier(Language.EN, "SF Express") == "SF Express"


def test_track_names_the_statuses_in_the_admins_language() -> None:
    texts = Texts()
    chinese = _usage(texts, Language.ZH).text
    assert "运输中" in chinese and "_" not in chinese.split("状态：")[1]
    assert "<code>in_transit</code>" in _usage(texts, Language.EN).text


# Texts that name an order's status, each with the status table's word for it (one label per
# concept): the admin's button and toast, the customer's notice, the job and the alert.
SAYS_STATUS = {
    "delivered": [
        "adm.order.deliver",
        "adm.order.delivered_toast",
        "adm.notify.delivered",
        "jobs.name.auto_complete",
        "admin.order_delivered",
        "track.posted_delivered",
    ],
    "completed": ["admin.order_completed", "adm.order.completed_toast"],
    "cancelled": ["admin.order_expired", "adm.cancel.done", "order.cancelled_toast"],
}


@pytest.mark.parametrize("status", sorted(SAYS_STATUS))
def test_an_order_status_has_one_label(status: str) -> None:
    label = CHINESE[f"status.{status}"]
    for key in SAYS_STATUS[status]:
        assert label in CHINESE[key], f"{key} should say {label!r}: {CHINESE[key]!r}"


def test_every_audited_action_has_a_label() -> None:
    """/audit shows an action by its label; one recorded without a label would show its
    snake_case code (review_reply did) to the admin."""
    root = LOCALES.parents[1]
    call = re.compile(r"\brecord\(\s*uow,\s*[^,()]+(?:\([^()]*\))?,\s*\"([a-z_]+)\"", re.S)
    recorded = {
        action
        for folder in ("domain", "bot", "jobs", "storage")
        for path in (root / folder).rglob("*.py")
        for action in call.findall(path.read_text(encoding="utf-8"))
    }
    assert {"review_reply", "order_ship", "refund"} <= recorded, "the scan finds the calls"
    assert recorded <= set(ACTIONS), sorted(recorded - set(ACTIONS))
