"""SHIPPING_METHODS: read at start into the shop's methods, and a wrong value ends the program
with one line naming the setting (exit code 2)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings
from domain.checkout.shipping_methods import ShippingKind
from domain.shared.money import Money

TOKEN = "123456789:TEST-token-for-the-settings"
METHODS = [
    {"code": "std", "name": {"en": "Standard", "zh": "标准快递"}, "fee": "5.00"},
    {"code": "pickup", "kind": "pickup", "name": "Pickup", "fee": 0, "place": "1 Shop St"},
]


def test_shipping_methods_are_read_in_the_shop_currency() -> None:
    settings = load_settings(bot_token=TOKEN, currency="CNY", shipping_methods=json.dumps(METHODS))
    std, pickup = settings.shipping_method_list
    assert (std.code, std.fee) == ("std", Money(500, "CNY"))
    assert pickup.kind == ShippingKind.PICKUP and pickup.place == "1 Shop St"


@pytest.mark.parametrize("value", ["", "   "])
def test_no_shipping_methods_keep_the_flat_fee(value: str) -> None:
    settings = load_settings(bot_token=TOKEN, shipping_fee="5.00", shipping_methods=value)
    assert settings.shipping_method_list == ()
    assert settings.shipping == Money(500, "USD")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"shipping_methods": "standard"},
            "SHIPPING_METHODS: must be a JSON list of methods (Expecting value)",
        ),
        (
            {"shipping_methods": json.dumps([{**METHODS[0], "fee": "5.5"}]), "currency": "JPY"},
            "SHIPPING_METHODS: method 'std': fee: 5.5 has more than 0 decimal places for JPY",
        ),
        (
            {"shipping_methods": json.dumps([METHODS[1]])},
            "SHIPPING_METHODS: needs at least one delivery method besides pickup",
        ),
    ],
)
def test_a_wrong_value_is_one_line_naming_the_setting(values: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(bot_token=TOKEN, **values)
    assert str(caught.value) == message


def test_the_program_stops_with_exit_code_2_and_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SHIPPING_", "BOT_TOKEN"))}
    env |= {
        "BOT_TOKEN": TOKEN,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/shop.db",
        "SHIPPING_METHODS": json.dumps([{**METHODS[0], "regions": "Beijing"}]),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.strip().endswith(
        "SHIPPING_METHODS: method 'std': regions must be a list of non-empty texts"
    )
