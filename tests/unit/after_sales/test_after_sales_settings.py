"""After-sales settings: the window and the return address, with clear one-line errors."""

from __future__ import annotations

import pytest

from bot.settings import SettingsError, load_settings

TOKEN = "123456789:TEST-token-for-the-settings"


def test_the_window_is_fifteen_days_and_the_return_address_empty_by_default() -> None:
    settings = load_settings(bot_token=TOKEN)
    assert (settings.after_sales_days, settings.return_address) == (15, "")


def test_a_return_address_may_have_lines_written_as_backslash_n() -> None:
    settings = load_settings(bot_token=TOKEN, return_address="  Tea House\\n9 Dock Road ")
    assert settings.return_address == "Tea House\n9 Dock Road"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"after_sales_days": 0}, "AFTER_SALES_DAYS: Input should be greater than or equal to 1"),
        ({"after_sales_days": 366}, "AFTER_SALES_DAYS: Input should be less than or equal to 365"),
        ({"after_sales_days": "two weeks"}, "AFTER_SALES_DAYS:"),
        ({"return_address": "x" * 501}, "RETURN_ADDRESS: must be at most 500 characters"),
        ({"return_address": "Dock\x07Road"}, "RETURN_ADDRESS: must not contain control characters"),
    ],
)
def test_a_bad_setting_stops_with_one_line_naming_it(
    values: dict[str, object], message: str
) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings(bot_token=TOKEN, **values)
    assert str(error.value).startswith(message)
