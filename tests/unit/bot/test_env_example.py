"""The .env.example the README tells people to copy must start the bot as it is."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.settings import Settings, load_settings

EXAMPLE = Path(__file__).resolve().parents[3] / ".env.example"


def test_a_copied_env_example_loads_and_empty_values_mean_unset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copy(EXAMPLE, tmp_path / ".env")
    monkeypatch.chdir(tmp_path)
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    settings = load_settings()
    assert settings.admin_chat_id is None
    assert settings.admin_user_ids == []
    assert settings.token().startswith("123456789:")


def test_every_setting_is_documented_in_env_example_and_readme() -> None:
    example = EXAMPLE.read_text(encoding="utf-8")
    readme = (EXAMPLE.parent / "README.md").read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"{name.upper()}=" in example, f"{name.upper()} missing from .env.example"
        assert f"`{name.upper()}`" in readme, f"{name.upper()} missing from the README table"
