"""Typed callback data of the shared screens: menu, help, language, labels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.callback_data import Callback


@dataclass(frozen=True)
class Noop(Callback):
    """A label-only button (page counter)."""

    prefix: ClassVar[str] = "x"


@dataclass(frozen=True)
class Menu(Callback):
    """Back to the main menu."""

    prefix: ClassVar[str] = "m"


@dataclass(frozen=True)
class Help(Callback):
    """The help text."""

    prefix: ClassVar[str] = "h"


@dataclass(frozen=True)
class SetLanguage(Callback):
    """Choose the bot's language."""

    prefix: ClassVar[str] = "lg"
    code: str


@dataclass(frozen=True)
class SetOptionalMessages(Callback):
    """Turn review invitations and other optional messages on (1) or off (0)."""

    prefix: ClassVar[str] = "nt"
    on: int
