"""The rules of promo codes: which codes apply to a cart, and how much they take off.

Rounding rule (the one place it is stated): a percent code takes `value`% of the eligible
lines' subtotal, rounded half up to a whole minor unit, once per order; a fixed code takes its
value, but never more than the eligible subtotal. The order's discount is then split over the
eligible lines in proportion to their totals by the largest-remainder method: each line gets
the floor of its exact share, and the minor units left over go one each to the lines with the
largest remainders (the earlier line first on a tie). So the shares sum exactly to the
discount, no line's share exceeds its total (no line is ever negative), and lines outside the
code's scope get nothing. A return of k of a line's q units gives back the units' price minus
floor(share·(p+k)/q) − floor(share·p/q) when p units of the line were returned before
(`returned_units_discount`): the parts telescope, so returning every unit, at once or over
several returns, gives back exactly what the line was paid."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from domain.promotions.model import PromoCode, PromoKind
from domain.shared.errors import DomainError
from domain.shared.money import Money

CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9_-]{2,31}")
# Why a code does not apply: promo.error.<reason> says it to the customer entering it,
# promo.why.<reason> when it no longer applies at Confirm.
REASONS = (
    "unknown",
    "not_yet",
    "expired",
    "used_up",
    "used_by_you",
    "min_subtotal",
    "not_applicable",
)


def reason_of(error: DomainError) -> str:
    """The reason a PromoError names (its key's last part)."""
    reason = error.key.rsplit(".", 1)[-1]
    return reason if reason in REASONS else "unknown"


class PromoError(DomainError):
    """A code the customer cannot use now (the key says why); nothing was changed."""

    key = "promo.error.unknown"


class PromoNoLongerAppliesError(DomainError):
    """At Confirm, the code in the checkout no longer applies (params: reason, total: the
    re-quoted total without it). The order was not placed."""

    key = "promo.error.no_longer"


def normalise_code(text: str) -> str:
    """A code as stored and compared: upper case, without spaces; '' when it cannot be one."""
    code = "".join(text.split()).upper()
    return code if CODE_PATTERN.fullmatch(code) else ""


@dataclass(frozen=True)
class PromoLine:
    """A cart or order line as a code sees it: amounts in minor units."""

    product_id: int
    category_id: int
    amount: int


@dataclass(frozen=True)
class Discount:
    """What a code takes off an order: `amount` in minor units, `shares` per line (in the
    lines' order, zero for ineligible lines), and whether shipping is free."""

    code: str
    amount: int
    shares: tuple[int, ...]
    free_shipping: bool = False
    promo_id: int | None = None  # the code quoted, so redeeming it needs no second read


def is_eligible(promo: PromoCode, line: PromoLine) -> bool:
    """Whether the code applies to the line (every line when the code is not scoped)."""
    if not promo.scoped:
        return True
    return line.product_id in promo.product_ids or line.category_id in promo.category_ids


def discount_amount(promo: PromoCode, eligible_subtotal: int) -> int:
    """The order's discount on `eligible_subtotal` minor units (see the module's rounding
    rule); never negative, never more than the eligible subtotal."""
    if eligible_subtotal <= 0:
        return 0
    if promo.kind == PromoKind.PERCENT:
        taken = (eligible_subtotal * promo.value + 50) // 100  # half up, exact in integers
    else:
        taken = promo.value
    return max(0, min(taken, eligible_subtotal))


def split(discount: int, amounts: list[int]) -> list[int]:
    """`discount` over lines of `amounts` in proportion, by the largest-remainder method; the
    shares sum to `discount` exactly and no share exceeds its line (0 <= discount <= sum)."""
    whole = sum(amounts)
    if discount <= 0 or whole <= 0:
        return [0] * len(amounts)
    if discount > whole:
        raise ValueError("a discount larger than the lines it is split over")
    shares = [discount * a // whole for a in amounts]
    remainders = [discount * a % whole for a in amounts]
    left = discount - sum(shares)
    # The lines with the largest remainders, the earlier first on a tie.
    for index in sorted(range(len(amounts)), key=lambda i: (-remainders[i], i))[:left]:
        shares[index] += 1
    return shares


def returned_units_discount(share: int, quantity: int, returned: int, before: int = 0) -> int:
    """The part of a line's discount share that `returned` of its `quantity` units carry,
    after `before` units of the line came back in earlier returns: floor(share·(p+k)/q) −
    floor(share·p/q). The parts of successive returns add up to the whole share exactly."""
    if quantity <= 0 or returned <= 0:
        return 0
    done = min(max(before, 0), quantity)
    upto = min(done + returned, quantity)
    return share * upto // quantity - share * done // quantity


def check_code(
    promo: PromoCode | None,
    lines: list[PromoLine],
    *,
    now: datetime,
    customer_uses: int,
) -> Discount:
    """The discount the code gives these lines now, or PromoError saying why it does not
    apply (unknown or paused, not yet or no longer valid, used up, used by this customer
    already, minimum not reached, nothing in the cart it applies to)."""
    if promo is None or promo.paused:
        raise PromoError("promo.error.unknown")
    if promo.valid_from is not None and now < promo.valid_from:
        raise PromoError("promo.error.not_yet", code=promo.code, at=promo.valid_from)
    if promo.valid_until is not None and now >= promo.valid_until:
        raise PromoError("promo.error.expired", code=promo.code)
    if promo.max_uses is not None and promo.uses >= promo.max_uses:
        raise PromoError("promo.error.used_up", code=promo.code)
    if promo.max_uses_per_customer is not None and customer_uses >= promo.max_uses_per_customer:
        raise PromoError("promo.error.used_by_you", code=promo.code)
    subtotal = sum(line.amount for line in lines)
    if subtotal < promo.min_subtotal:
        raise PromoError(
            "promo.error.min_subtotal",
            code=promo.code,
            min=Money(promo.min_subtotal, promo.currency),
            missing=Money(promo.min_subtotal - subtotal, promo.currency),
        )
    eligible = [line.amount if is_eligible(promo, line) else 0 for line in lines]
    if not any(eligible):
        raise PromoError("promo.error.not_applicable", code=promo.code)
    amount = discount_amount(promo, sum(eligible))
    shares = tuple(split(amount, eligible))
    return Discount(promo.code, amount, shares, promo.free_shipping, promo.id)
