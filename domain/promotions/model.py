"""Promo codes: what the merchant creates, what a customer's order redeems, and the repository."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from domain.shared.money import Money


class PromoKind(StrEnum):
    """How a code takes money off."""

    PERCENT = "percent"  # `value` percent (1..100) of the eligible lines
    FIXED = "fixed"  # `value` minor units off the eligible lines (never more than they cost)


@dataclass
class PromoCode:
    """A code the merchant created. `code` is stored normalised (upper case, no spaces), so
    customers may type it in any case. Empty `product_ids` and `category_ids`: every product
    is eligible; otherwise a line is eligible when its product or its category is named."""

    code: str
    kind: PromoKind
    value: int  # percent (1..100), or minor units of the shop's currency
    currency: str
    min_subtotal: int = 0  # minor units the cart's subtotal must reach
    valid_from: datetime | None = None
    valid_until: datetime | None = None  # the code works until this moment (exclusive)
    max_uses: int | None = None  # in all; None: unlimited
    max_uses_per_customer: int | None = None
    product_ids: tuple[int, ...] = ()
    category_ids: tuple[int, ...] = ()
    free_shipping: bool = False
    paused: bool = False
    uses: int = 0  # orders holding a use (a cancelled or expired order gives it back)
    created_at: datetime | None = None
    id: int | None = None

    @property
    def scoped(self) -> bool:
        """True when only some products or categories are eligible."""
        return bool(self.product_ids or self.category_ids)

    @property
    def uses_left(self) -> int | None:
        """Uses still available; None when unlimited."""
        return None if self.max_uses is None else max(self.max_uses - self.uses, 0)


@dataclass(frozen=True)
class PromoStats:
    """A code's figures for its card: orders holding a use, and paid revenue (order totals,
    net of the discount) with the discount given on those paid orders."""

    orders: int
    paid_orders: int
    revenue: Money
    discount: Money


@dataclass(frozen=True)
class Redemption:
    """One order's use of a code."""

    promo_id: int
    order_id: int
    customer_id: int
    at: datetime
    returned: bool = False  # the order was cancelled or expired: its use went back
    phone: str | None = None  # a buyer without Telegram (another channel's): who they are


class PromoRepository(Protocol):
    async def add(self, promo: PromoCode) -> int:
        """Insert the code; DuplicateError if the normalised code exists."""

    async def get(self, code: str) -> PromoCode | None:
        """The code by its normalised text."""

    async def get_by_id(self, promo_id: int) -> PromoCode | None: ...
    async def list(self) -> list[PromoCode]:
        """Every code, newest first."""

    async def set_paused(self, promo_id: int, paused: bool) -> bool:
        """Pause or resume; False when no such code, or it was so already (a conditional
        UPDATE: of two taps at once, one changes it)."""

    async def redeem(
        self,
        promo_id: int,
        order_id: int,
        customer_id: int,
        at: datetime,
        phone: str | None = None,
    ) -> bool:
        """Take one use for the order with one conditional update (`uses < max_uses`) and
        record the redemption; False when no use is left (nothing written). `phone` (E.164)
        for a buyer without a Telegram account (see `buyer_phone`)."""

    async def customer_uses(self, promo_id: int, customer_id: int, phone: str | None = None) -> int:
        """The customer's redemptions of the code that still hold a use; with `phone`, those
        of the buyer with that phone among the buyers without a Telegram account."""

    async def give_back(self, order_id: int, at: datetime) -> bool:
        """Return the order's use (its redemption marked returned, the counter down by one);
        False when the order redeemed nothing or gave its use back already."""

    async def stats(self, promo_id: int) -> PromoStats: ...
