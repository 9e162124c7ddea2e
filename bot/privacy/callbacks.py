"""Typed callback data of /find and /audit (admin-only; prefixes start with "a") and of a
customer's /mydata (prefixes start with "md")."""

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
    """Admin: a page of /audit's entries; `key` names the filter the chat remembers. Sent
    before the log paged by key (AuditSeek): a page above 0 now opens the first page."""

    prefix: ClassVar[str] = "aap"
    key: Token
    page: int


@dataclass(frozen=True)
class AuditSeek(Callback):
    """Admin: the page of /audit next to an entry of the page shown (issue 13: one index
    range however deep): `toward` n, the entries after `entry` (the last shown); p, the ones
    before it (the first shown). `page` is what the page is called ("page 3 of 120")."""

    prefix: ClassVar[str] = "aak"
    key: Token
    page: int
    toward: str
    entry: int


@dataclass(frozen=True)
class MyDataErase(Callback):
    """Customer: ask to delete my data (a confirmation with a fresh token follows)."""

    prefix: ClassVar[str] = "mde"


@dataclass(frozen=True)
class MyDataConfirm(Callback):
    """Customer: yes, delete my data; `token` is the one the confirmation was shown with."""

    prefix: ClassVar[str] = "mdc"
    token: Token


@dataclass(frozen=True)
class MyDataKeep(Callback):
    """Customer: keep my data after all."""

    prefix: ClassVar[str] = "mdk"
    token: Token
