"""What customers type is cleaned and checked before any use case sees it."""

from __future__ import annotations

import pytest

from domain.checkout.validation import check_address, check_phone, check_quantity, check_recipient
from domain.shared.errors import InvalidInputError, InvalidQuantityError

# -- quantities ------------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", [1, 2, 98, 99])
def test_quantities_from_one_to_ninety_nine_are_accepted(quantity: int) -> None:
    assert check_quantity(quantity) == quantity


@pytest.mark.parametrize("quantity", [0, -1, 100, 1000])
def test_quantities_outside_one_to_ninety_nine_are_refused(quantity: int) -> None:
    with pytest.raises(InvalidQuantityError) as caught:
        check_quantity(quantity)
    assert caught.value.params == {"min": 1, "max": 99}


@pytest.mark.parametrize("quantity", [1.0, 2.5, "3", None])
def test_quantities_that_are_not_whole_numbers_are_refused(quantity: object) -> None:
    with pytest.raises(InvalidQuantityError):
        check_quantity(quantity)  # type: ignore[arg-type]


# -- recipient -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", None, "A", " A ", "x" * 65])
def test_a_recipient_name_must_have_two_to_sixty_four_characters(text: str | None) -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_recipient(text)
    assert caught.value.key == "error.recipient_invalid"
    assert caught.value.params == {"min": 2, "max": 64}


@pytest.mark.parametrize("text", ["Al", "x" * 64, "李雷"])
def test_recipient_names_at_the_limits_are_accepted(text: str) -> None:
    assert check_recipient(text) == text


def test_control_characters_are_stripped_from_a_recipient() -> None:
    assert check_recipient("Ada\x00 Love\u200blace\x1b") == "Ada Lovelace"


def test_spaces_and_line_breaks_in_a_recipient_are_folded() -> None:
    assert check_recipient("  Ada \n\n  Lovelace  ") == "Ada Lovelace"


def test_control_characters_do_not_count_towards_the_length() -> None:
    with pytest.raises(InvalidInputError):
        check_recipient("A\x00\x01\x02")


@pytest.mark.parametrize("separator", ["\t", "\r", "\x0c"])
def test_a_tab_or_carriage_return_between_words_becomes_a_space(separator: str) -> None:
    assert check_recipient(f"Ada{separator}Lovelace") == "Ada Lovelace"


# -- address ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", None, "   ", "1 Ma", " 1 Ma \n"])
def test_an_address_shorter_than_five_characters_is_refused(text: str | None) -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_address(text)
    assert caught.value.key == "error.address_too_short"
    assert caught.value.params == {"min": 5}


def test_an_address_of_a_thousand_characters_is_refused() -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_address("x" * 1000)
    assert caught.value.key == "error.address_too_long"
    assert caught.value.params == {"max": 300, "length": 1000}


@pytest.mark.parametrize("length", [5, 300])
def test_addresses_at_the_limits_are_accepted(length: int) -> None:
    assert check_address("x" * length) == "x" * length


def test_whitespace_in_an_address_is_folded() -> None:
    assert check_address("  12   Main St\n\nApt 4 \n London  ") == "12 Main St Apt 4 London"


def test_the_length_limit_applies_after_folding() -> None:
    padded = "12 Main St" + " " * 500 + "London"
    assert check_address(padded) == "12 Main St London"


# -- phone -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "e164"),
    [
        ("+1 202 555 0143", "+12025550143"),
        ("+1 (202) 555-0143", "+12025550143"),
        ("+86 138 0013 8000", "+8613800138000"),
        ("  +86\n138 0013 8000 ", "+8613800138000"),
    ],
)
def test_valid_international_numbers_come_back_in_e164(text: str, e164: str) -> None:
    assert check_phone(text) == e164


@pytest.mark.parametrize(
    ("text", "e164"), [("8613800138000", "+8613800138000"), ("12025550143", "+12025550143")]
)
def test_a_shared_contact_without_a_plus_sign_is_accepted(text: str, e164: str) -> None:
    assert check_phone(text, from_contact=True) == e164


def test_a_typed_number_without_plus_or_region_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        check_phone("8613800138000")


def test_a_national_number_is_read_in_the_shops_region() -> None:
    assert check_phone("138 0013 8000", "CN") == "+8613800138000"


def test_an_international_number_ignores_the_shops_region() -> None:
    assert check_phone("+1 202 555 0143", "CN") == "+12025550143"


@pytest.mark.parametrize(
    ("text", "region", "from_contact"),
    [
        ("12ab", None, False),
        ("12ab", "CN", False),
        ("+1 123", None, False),
        ("", None, False),
        ("", None, True),
        (None, "CN", False),
        ("1" * 40, None, False),
        ("1" * 40, "CN", True),
        ("+" + "8" * 40, None, False),
        ("+999 1234 5678", None, False),
    ],
)
def test_malformed_numbers_are_refused(
    text: str | None, region: str | None, from_contact: bool
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        check_phone(text, region, from_contact=from_contact)
    assert caught.value.key == "error.phone_invalid"
