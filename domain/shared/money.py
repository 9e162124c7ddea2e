"""Exact money: integer minor units plus an ISO 4217 currency code."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import get_currency_precision

# Telegram Stars are not ISO 4217; they have no minor unit.
_EXTRA_EXPONENTS = {"XTR": 0}


class MoneyError(ValueError):
    """A money amount or currency that cannot be represented exactly."""


def currency_exponent(currency: str) -> int:
    """Number of minor-unit digits of a currency (2 for USD, 0 for JPY and XTR)."""
    code = currency.upper()
    if code in _EXTRA_EXPONENTS:
        return _EXTRA_EXPONENTS[code]
    return int(get_currency_precision(code))


def is_known_currency(currency: str) -> bool:
    """True for an ISO 4217 currency some territory uses as legal tender today, or Telegram
    Stars. ISO's codes for no currency (XXX), testing (XTS), metals and fund units are not
    money a shop can price in."""
    code = currency.upper()
    if code in _EXTRA_EXPONENTS:
        return True
    return code in _tender_currencies()


@functools.cache
def _tender_currencies() -> frozenset[str]:
    from babel.core import get_global
    from babel.numbers import get_territory_currencies

    territories = get_global("territory_currencies").keys()
    return frozenset(
        code
        for territory in territories
        for code in get_territory_currencies(territory, tender=True, non_tender=False)
    )


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in minor units of one currency."""

    amount: int
    currency: str

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Zero in the given currency."""
        return cls(0, currency)

    @classmethod
    def from_major(cls, value: str | Decimal | int, currency: str) -> Money:
        """Parse a major-unit amount such as "12.50"; refuse fractions finer than the currency."""
        try:
            dec = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise MoneyError(f"not a number: {value!r}") from exc
        if not dec.is_finite():
            raise MoneyError(f"not a number: {value!r}")
        exp = currency_exponent(currency)
        minor = dec.scaleb(exp)
        if minor != minor.to_integral_value():
            raise MoneyError(f"{value} has more than {exp} decimal places for {currency}")
        return cls(int(minor.to_integral_value(rounding=ROUND_HALF_UP)), currency.upper())

    def to_major(self) -> Decimal:
        """The amount in major units, exactly."""
        return Decimal(self.amount).scaleb(-currency_exponent(self.currency))

    def _same(self, other: Money) -> None:
        if self.currency != other.currency:
            raise MoneyError(f"cannot mix {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __mul__(self, factor: int) -> Money:
        if not isinstance(factor, int):
            return NotImplemented
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount


def money_param(money: Money) -> dict[str, object]:
    """Money as a JSON-safe notification parameter (rendered in the reader's locale)."""
    return {"$money": [money.amount, money.currency]}
