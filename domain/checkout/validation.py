"""Checks for what customers type. Each returns the cleaned value or raises InvalidInputError."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

from domain.cart.model import MAX_QUANTITY, MIN_QUANTITY
from domain.shared.errors import InvalidInputError, InvalidQuantityError

RECIPIENT_MIN, RECIPIENT_MAX = 2, 64
ADDRESS_MIN, ADDRESS_MAX = 5, 300
_SPACES = re.compile(r"\s+")


def _clean(text: str | None) -> str:
    text = "".join(ch for ch in (text or "") if unicodedata.category(ch)[0] != "C" or ch.isspace())
    return _SPACES.sub(" ", text).strip()


def check_quantity(quantity: int) -> int:
    """A quantity must be a whole number from 1 to 99."""
    if (
        isinstance(quantity, bool)
        or not isinstance(quantity, int)
        or not MIN_QUANTITY <= quantity <= MAX_QUANTITY
    ):
        raise InvalidQuantityError(min=MIN_QUANTITY, max=MAX_QUANTITY)
    return quantity


def check_recipient(text: str | None) -> str:
    """A recipient name of 2 to 64 characters."""
    name = _clean(text)
    if not RECIPIENT_MIN <= len(name) <= RECIPIENT_MAX:
        raise InvalidInputError("error.recipient_invalid", min=RECIPIENT_MIN, max=RECIPIENT_MAX)
    return name


def check_address(text: str | None) -> str:
    """A delivery address of 5 to 300 characters."""
    address = _clean(text)
    if len(address) < ADDRESS_MIN:
        raise InvalidInputError("error.address_too_short", min=ADDRESS_MIN)
    if len(address) > ADDRESS_MAX:
        raise InvalidInputError("error.address_too_long", max=ADDRESS_MAX, length=len(address))
    return address


def check_phone(text: str | None, region: str | None = None, *, from_contact: bool = False) -> str:
    """A phone number that libphonenumber accepts as valid, returned in E.164 form."""
    raw = _clean(text)
    if from_contact and raw and not raw.startswith("+"):
        raw = "+" + raw  # Telegram contacts often omit the plus sign
    if not raw or len(raw) > 32:
        raise InvalidInputError("error.phone_invalid")
    try:
        number = phonenumbers.parse(raw, (region or None) if not raw.startswith("+") else None)
    except phonenumbers.NumberParseException as exc:
        raise InvalidInputError("error.phone_invalid") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidInputError("error.phone_invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
