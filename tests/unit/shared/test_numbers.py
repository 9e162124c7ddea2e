"""Order numbers: XXXX-XXXX in Crockford's base32, random, and forgiving of how people type."""

from __future__ import annotations

import random
import re

import pytest

from domain.shared.numbers import ALPHABET, new_order_number, normalize_order_number

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
FORMAT = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def test_the_alphabet_is_crockfords_base32() -> None:
    assert ALPHABET == CROCKFORD
    assert len(set(ALPHABET)) == 32
    assert not set("ILOU") & set(ALPHABET)


def test_a_new_number_has_the_form_xxxx_dash_xxxx() -> None:
    for _ in range(200):
        assert FORMAT.match(new_order_number())


def test_a_thousand_new_numbers_are_all_distinct() -> None:
    numbers = [new_order_number() for _ in range(1000)]
    assert len(set(numbers)) == 1000


def test_numbers_use_every_letter_of_the_alphabet_and_nothing_else() -> None:
    seen = set("".join(new_order_number() for _ in range(1000)).replace("-", ""))
    assert seen == set(CROCKFORD)


def test_the_random_source_can_be_injected() -> None:
    assert new_order_number(lambda _: "7") == "7777-7777"
    rng = random.Random(4)
    again = random.Random(4)
    assert new_order_number(rng.choice) == new_order_number(again.choice)


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("7KQ2-M9XD", "7KQ2-M9XD"),
        ("7kq2-m9xd", "7KQ2-M9XD"),
        ("7KQ2M9XD", "7KQ2-M9XD"),
        (" 7kq2 m9xd ", "7KQ2-M9XD"),
        ("OOOO-0000", "0000-0000"),
        ("oI1L-lio0", "0111-1100"),
        ("7KQ2--M9XD", "7KQ2-M9XD"),
    ],
)
def test_what_people_type_is_normalised(typed: str, number: str) -> None:
    assert normalize_order_number(typed) == number


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "-",
        "7KQ2-M9X",
        "7KQ2-M9XDE",
        "UUUU-0000",
        "7KQ2-M9X!",
        "7KQ2_M9XD",
        "hello world",
        "１２３４-５６７８",
        "7KQ2-M9XD\n7KQ2",
    ],
)
def test_garbage_is_not_an_order_number(typed: str) -> None:
    assert normalize_order_number(typed) is None


def test_a_normalised_number_is_a_fixed_point() -> None:
    for _ in range(100):
        number = new_order_number()
        assert normalize_order_number(number) == number
