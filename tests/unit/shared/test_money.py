"""Money is exact: integer minor units and a currency; mixing currencies is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from domain.shared.money import Money, MoneyError, currency_exponent, is_known_currency


def usd(amount: int) -> Money:
    return Money(amount, "USD")


def test_adding_tenths_is_exact() -> None:
    total = Money.from_major("0.10", "USD") + Money.from_major("0.20", "USD")
    assert total == Money.from_major("0.30", "USD") == usd(30)


def test_arithmetic_works_in_minor_units() -> None:
    assert usd(1050) + usd(250) == usd(1300)
    assert usd(1050) - usd(1250) == usd(-200)
    assert usd(1250) * 3 == usd(3750)
    assert 3 * usd(1250) == usd(3750)


def test_multiplying_by_a_fraction_is_refused() -> None:
    with pytest.raises(TypeError):
        _ = usd(100) * 1.5  # type: ignore[operator]


@pytest.mark.parametrize(
    "operation", [lambda a, b: a + b, lambda a, b: a - b], ids=["add", "subtract"]
)
def test_mixing_currencies_is_refused(operation) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(MoneyError):
        operation(usd(100), Money(100, "JPY"))


def test_comparing_amounts_of_different_currencies_is_refused() -> None:
    with pytest.raises((MoneyError, TypeError)):
        _ = usd(1) < Money(100, "JPY")


def test_comparing_amounts_of_one_currency_orders_them() -> None:
    assert usd(99) < usd(100)
    assert max(usd(5), usd(500), usd(50)) == usd(500)


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.50", "USD", 1250),
        ("12.5", "USD", 1250),
        ("12", "USD", 1200),
        (" 0.01 ", "USD", 1),
        (Decimal("19.99"), "USD", 1999),
        (7, "USD", 700),
        ("1250", "JPY", 1250),
        ("1250.0", "JPY", 1250),
        ("5", "XTR", 5),
        ("1.234", "KWD", 1234),
    ],
)
def test_major_amounts_become_exact_minor_units(text: object, currency: str, minor: int) -> None:
    assert Money.from_major(text, currency) == Money(minor, currency)  # type: ignore[arg-type]


def test_the_currency_code_is_kept_in_upper_case() -> None:
    assert Money.from_major("1", "usd") == usd(100)


@pytest.mark.parametrize(
    ("text", "currency"),
    [("12.505", "USD"), ("0.001", "USD"), ("12.5", "JPY"), ("0.5", "JPY"), ("5.5", "XTR")],
)
def test_more_decimals_than_the_currency_has_are_refused(text: str, currency: str) -> None:
    with pytest.raises(MoneyError):
        Money.from_major(text, currency)


@pytest.mark.parametrize("text", ["abc", "", "12,50", "1.2.3", "NaN", "Infinity", "$12"])
def test_garbage_is_refused(text: str) -> None:
    with pytest.raises(MoneyError):
        Money.from_major(text, "USD")


@pytest.mark.parametrize(
    ("money", "major"),
    [
        (usd(1250), Decimal("12.50")),
        (usd(-5), Decimal("-0.05")),
        (Money(1250, "JPY"), Decimal(1250)),
        (Money(7, "XTR"), Decimal(7)),
    ],
)
def test_to_major_is_exact(money: Money, major: Decimal) -> None:
    assert money.to_major() == major


@pytest.mark.parametrize(
    ("currency", "digits"), [("USD", 2), ("EUR", 2), ("JPY", 0), ("XTR", 0), ("KWD", 3)]
)
def test_currency_exponents(currency: str, digits: int) -> None:
    assert currency_exponent(currency) == digits


@pytest.mark.parametrize(
    ("code", "known"),
    [("USD", True), ("cny", True), ("XTR", True), ("ABC", False), ("US", False), ("U1D", False)],
)
def test_known_currencies(code: str, known: bool) -> None:
    assert is_known_currency(code) is known


def test_zero_is_zero_in_its_currency() -> None:
    assert Money.zero("JPY") == Money(0, "JPY")
    assert Money.zero("JPY") != Money.zero("USD")
