"""The texts of this session's features (issue 16: promo codes, shipping options, back in stock,
broadcasts; issue 17: orders from other sales channels) exist in English and Chinese, the
Chinese ones in one register (您) with no English words a reader would see, their keys are
labels a keyboard can show, and counts follow the plural rule; the new admin commands have a
description in both languages."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from typing import Any

import pytest

from bot.marketing.handlers import COMMAND_TEXTS as MARKETING_COMMAND_TEXTS
from bot.merchant.handlers import GROUP_MENU, PRIVATE_MENU
from bot.promotions.handlers import COMMAND_TEXTS as PROMO_COMMAND_TEXTS
from bot.texts import LOCALES, Texts
from domain.shared.customers import Language
from tests.unit.bot.test_chinese_words import english_words

PLURAL_FORMS = {"zero", "one", "two", "few", "many", "other"}
# Whole tables these features added.
FAMILIES = ("promo.", "bis.", "mkt.", "checkout.shipping.", "channel.")
# Keys they added to older tables.
KEYS = (
    "adm.doc.promo",
    "adm.error.unknown_carrier",
    "adm.order.channel",
    "adm.order.channel_reference",
    "admin.channel_cancelled",
    "admin.channel_order",
    "checkout.ask.enter_code",
    "checkout.code_applied",
    "checkout.code_left",
    "checkout.code_problem",
    "checkout.code_removed",
    "checkout.have_code",
    "checkout.now.enter_code",
    "checkout.placeholder.enter_code",
    "checkout.remove_code",
    "jobs.name.broadcasts",
    "jobs.words.broadcast_batches",
    "jobs.words.broadcast_blocked",
    "jobs.words.broadcast_queued",
    "jobs.words.broadcast_skipped",
    "jobs.words.broadcasts_finished",
    "jobs.words.no_broadcast",
    "order.totals_discount",
    "pay.customer.receipt_promo",
    "pay.invoice_discount",
    "privacy.audit.action.broadcast",
    "privacy.audit.action.order_mark_paid",
    "privacy.audit.action.promo_create",
    "privacy.audit.action.promo_pause",
    "privacy.audit.action.promo_resume",
    "product.notify_me",
    "product.notify_stop",
)
# Labels of keys these features put on keyboards.
BUTTONS = (
    "checkout.have_code",
    "checkout.remove_code",
    "product.notify_me",
    "product.notify_stop",
    "bis.add_to_cart",
    "mkt.view_product",
    "mkt.adm.send",
    "mkt.adm.skip",
    "mkt.adm.refresh",
    "mkt.adm.list_button",
    "mkt.adm.open",
    "promo.adm.pause",
    "promo.adm.resume",
    "promo.adm.all",
)
NEW_ADMIN_COMMANDS = {**PROMO_COMMAND_TEXTS, **MARKETING_COMMAND_TEXTS}


def _entries(table: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in table.items():
        if isinstance(value, dict) and not (set(value) <= PLURAL_FORMS and "other" in value):
            yield from _entries(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}", value


def _catalog(language: str) -> dict[str, Any]:
    with (LOCALES / f"{language}.toml").open("rb") as file:
        return dict(_entries(tomllib.load(file)))


EN, ZH = _catalog("en"), _catalog("zh")
NEW = sorted({k for k in EN if k.startswith(FAMILIES)} | set(KEYS))


def _forms(value: Any) -> list[str]:
    return list(value.values()) if isinstance(value, dict) else [value]


def test_every_family_is_in_both_catalogs_with_the_same_keys() -> None:
    for family in FAMILIES:
        english = {k for k in EN if k.startswith(family)}
        chinese = {k for k in ZH if k.startswith(family)}
        assert len(english) >= 4, family  # the scan finds the family
        assert english == chinese, (family, english ^ chinese)
    assert len(NEW) > 150


@pytest.mark.parametrize("key", NEW)
def test_a_new_text_exists_in_both_languages(key: str) -> None:
    assert key in EN, key
    assert key in ZH, key
    assert all(form.strip() for form in _forms(EN[key]) + _forms(ZH[key])), key


@pytest.mark.parametrize("key", NEW)
def test_a_new_chinese_text_has_no_english_words_and_says_nin(key: str) -> None:
    for form in _forms(ZH[key]):
        assert english_words(form) == [], (key, form)
        assert "你" not in form, (key, form)


@pytest.mark.parametrize("key", NEW)
def test_a_new_english_text_never_hedges_a_plural(key: str) -> None:
    """'1 times' or 'item(s)': a count is a plural table picked by {n} instead."""
    for form in _forms(EN[key]):
        assert "(s)" not in form, (key, form)
        if not isinstance(EN[key], dict):
            assert not re.search(r"\{(n|uses|count)\} [a-z]+s\b", form), (key, form)


@pytest.mark.parametrize("key", BUTTONS)
def test_a_new_key_label_is_short_and_not_blank(key: str) -> None:
    for language in Language:
        label = Texts()(language, key, code="SPRING10")  # Remove code names it
        assert label.strip() and len(label) <= 40, (key, language, label)


@pytest.mark.parametrize(("command", "key"), sorted(NEW_ADMIN_COMMANDS.items()))
def test_a_new_admin_command_is_in_both_admin_menus_with_a_description(
    command: str, key: str
) -> None:
    assert (command, key) in GROUP_MENU and (command, key) in PRIVATE_MENU
    english, chinese = Texts()(Language.EN, key), Texts()(Language.ZH, key)
    assert 3 <= len(english) <= 256 and 3 <= len(chinese) <= 256  # Telegram's bounds
    assert english != chinese and english_words(chinese) == [], (command, chinese)
