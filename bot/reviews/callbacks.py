"""Typed callback data of reviews."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.callback_data import Callback, OrderNo, Token

# ---- reviews: prefixes start with "v" (bot/reviews/) ---------------------------------------


@dataclass(frozen=True)
class RvAsk(Callback):
    """Customer: show the 1-5 star buttons for a completed order."""

    prefix: ClassVar[str] = "vn"
    number: OrderNo
    page: int


@dataclass(frozen=True)
class RvRate(Callback):
    """Customer: rate a completed order (1-5)."""

    prefix: ClassVar[str] = "vr"
    number: OrderNo
    rating: int


@dataclass(frozen=True)
class RvSkip(Callback):
    """Customer: no comment on the review."""

    prefix: ClassVar[str] = "vs"
    token: Token


# ---- the merchant's /reviews (admin-only) ----------------------------------------------------


@dataclass(frozen=True)
class RvAdmList(Callback):
    """Admin: the first page of reviews (filter "all" or "low"; product_id 0: every product).
    A page above 0 is a Prev/Next button sent before the list paged by key (RvAdmPage)."""

    prefix: ClassVar[str] = "vl"
    filter: str
    product_id: int
    page: int


@dataclass(frozen=True)
class RvAdmPage(Callback):
    """Admin: the page of reviews next to a review of the page shown (issue 13: one index
    range however deep): `toward` n, the reviews after `review` (the last shown); p, the ones
    before it (the first shown); a, from it on (the first shown: the page again). `page` is
    what the page is called ("page 3 of 120")."""

    prefix: ClassVar[str] = "vk"
    filter: str
    product_id: int
    page: int
    toward: str
    review: int


@dataclass(frozen=True)
class RvAdmReply(Callback):
    """Admin: start the shop's one reply to a review."""

    prefix: ClassVar[str] = "vy"
    review_id: int


@dataclass(frozen=True)
class RvAdmCancel(Callback):
    """Admin: leave the reply unwritten."""

    prefix: ClassVar[str] = "vx"
    token: Token
