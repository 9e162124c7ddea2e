"""Typed callback data of /find and /audit (admin-only; prefixes start with "a")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.callback_data import Callback, Token


@dataclass(frozen=True)
class FindPage(Callback):
    """Admin: a page of /find's results; `key` names the search the chat remembers."""

    prefix: ClassVar[str] = "afp"
    key: Token
    page: int


@dataclass(frozen=True)
class AuditPage(Callback):
    """Admin: a page of /audit's entries; `key` names the filter the chat remembers."""

    prefix: ClassVar[str] = "aap"
    key: Token
    page: int
