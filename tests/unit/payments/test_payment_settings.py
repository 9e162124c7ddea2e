"""Payment settings: methods offered only when configured, clear one-line errors, and the rules'
configuration derived from them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.payments.handlers import payments_config
from bot.settings import SettingsError, load_settings

TOKEN = "123456789:TEST-token-for-the-settings"


def settings(**values: object):  # type: ignore[no-untyped-def]
    return load_settings(bot_token=TOKEN, **values)


@pytest.mark.parametrize(
    ("values", "methods"),
    [
        ({}, ["cod", "bank"]),
        ({"payment_methods": ""}, ["cod", "bank"]),
        ({"payment_provider_token": "284685063:TEST:x"}, ["cod", "bank", "card"]),
        ({"payment_provider_token": "   "}, ["cod", "bank"]),
        ({"currency": "XTR"}, ["stars"]),
        ({"payment_methods": "bank, card", "payment_provider_token": "t"}, ["bank", "card"]),
    ],
)
def test_online_methods_are_offered_only_when_configured(
    values: dict[str, object], methods: list[str]
) -> None:
    assert settings(**values).payment_methods == methods


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"payment_methods": "card"}, "PAYMENT_METHODS: card needs PAYMENT_PROVIDER_TOKEN"),
        ({"payment_methods": "stars"}, "PAYMENT_METHODS: stars needs CURRENCY=XTR"),
        ({"currency": "XTR", "payment_methods": "stars,cod"}, "offers only stars"),
        ({"payment_methods": "cash"}, "PAYMENT_METHODS: must be a comma-separated subset"),
        # nothing to pay is offered by the checkout while a total is 0, never by a setting
        ({"payment_methods": "cod,free"}, "subset of bank, card, cod, stars"),
        ({"payment_timeout_minutes": 0}, "PAYMENT_TIMEOUT_MINUTES:"),
        ({"payment_reminder_minutes": 30}, "PAYMENT_REMINDER_MINUTES: must be less than"),
        ({"payment_reminder_minutes": -1}, "PAYMENT_REMINDER_MINUTES:"),
        ({"payment_sweep_seconds": 0}, "PAYMENT_SWEEP_SECONDS:"),
    ],
)
def test_a_bad_payment_setting_is_one_line_naming_it(
    values: dict[str, object], message: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        settings(**values)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_rules_get_the_timeout_the_reminder_and_a_secret_from_the_token() -> None:
    default = payments_config(settings(payment_timeout_minutes=40))
    assert (default.timeout, default.reminder_after) == (
        timedelta(minutes=40),
        timedelta(minutes=20),
    )
    assert payments_config(settings(payment_reminder_minutes=0)).reminder_after is None
    assert payments_config(settings(payment_reminder_minutes=5)).reminder_after == timedelta(
        minutes=5
    )
    other = payments_config(load_settings(bot_token="987654321:ANOTHER-token-for-tests"))
    assert len(default.invoice_secret) == 32
    assert default.invoice_secret == payments_config(settings()).invoice_secret
    assert default.invoice_secret != other.invoice_secret
    assert TOKEN.encode() not in default.invoice_secret
