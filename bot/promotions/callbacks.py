"""Typed callback data of the merchant's promo codes (admin-only; prefixes start with "pm")."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.callback_data import Callback


@dataclass(frozen=True)
class PromoOpen(Callback):
    """Admin: a code's card."""

    prefix: ClassVar[str] = "pmo"
    promo_id: int


@dataclass(frozen=True)
class PromoPause(Callback):
    """Admin: pause (`pause` 1) or resume (0) a code."""

    prefix: ClassVar[str] = "pmp"
    promo_id: int
    pause: int


@dataclass(frozen=True)
class PromoList(Callback):
    """Admin: every code."""

    prefix: ClassVar[str] = "pml"
