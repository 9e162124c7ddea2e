"""The import contract that keeps the playground and the local Bot API server out of the bot
names every part of bot/ (a new feature folder cannot slip past it unnoticed)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The command line starts the playground; the playground and the server are what is guarded;
# bot/demo/ holds the demo's data and history generator, and __main__ only calls the command line.
OUTSIDE = {"cli", "__main__", "__init__", "playground", "botapi", "demo"}


def test_the_contract_names_every_module_and_folder_of_bot() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [contract] = [
        c
        for c in config["tool"]["importlinter"]["contracts"]
        if c.get("forbidden_modules") == ["bot.playground", "bot.botapi"]
    ]
    parts = {
        path.stem
        for path in (ROOT / "bot").iterdir()
        if (path.suffix == ".py" or (path / "__init__.py").exists())
    }
    assert {f"bot.{name}" for name in parts - OUTSIDE} == set(contract["source_modules"])
