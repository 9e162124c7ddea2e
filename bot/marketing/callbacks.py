"""Typed callback data of marketing (issue 16): prefixes start with "b"."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.callback_data import Callback, Token

# ---- the customer: back in stock, a broadcast's product -------------------------------------


@dataclass(frozen=True)
class WatchProduct(Callback):
    """Customer: notify me when this sold-out product is back (the card's place rides along)."""

    prefix: ClassVar[str] = "bw"
    product_id: int
    category_id: int
    page: int


@dataclass(frozen=True)
class UnwatchProduct(Callback):
    """Customer: stop notifying me about this product."""

    prefix: ClassVar[str] = "bu"
    product_id: int
    category_id: int
    page: int


@dataclass(frozen=True)
class BroadcastProduct(Callback):
    """Customer: open the product a broadcast points to (a new message; the broadcast stays)."""

    prefix: ClassVar[str] = "bp"
    product_id: int


# ---- the merchant's /broadcast and /broadcasts (admin-only) --------------------------------


@dataclass(frozen=True)
class BcAudience(Callback):
    """Admin: broadcast to this audience (its index in domain.marketing.records.AUDIENCES)."""

    prefix: ClassVar[str] = "ba"
    index: int


@dataclass(frozen=True)
class BcSkip(Callback):
    """Admin: no product button."""

    prefix: ClassVar[str] = "bk"
    token: Token


@dataclass(frozen=True)
class BcSend(Callback):
    """Admin: send the previewed broadcast."""

    prefix: ClassVar[str] = "bs"
    token: Token


@dataclass(frozen=True)
class BcCancel(Callback):
    """Admin: drop the broadcast being written."""

    prefix: ClassVar[str] = "bx"
    token: Token


@dataclass(frozen=True)
class BcOpen(Callback):
    """Admin: one broadcast's card with its counts (also its Refresh)."""

    prefix: ClassVar[str] = "bo"
    broadcast_id: int


@dataclass(frozen=True)
class BcList(Callback):
    """Admin: the list of broadcasts."""

    prefix: ClassVar[str] = "bl"
