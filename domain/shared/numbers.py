"""Numbers people can read aloud (orders, after-sales requests), that reveal nothing about how
many exist: random Crockford base32 codes, and the forgiving reading of what people type."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

# Crockford's base32: no I, L, O or U, so numbers survive being read over the phone.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LOOKALIKES = str.maketrans("OIL", "011")
_LENGTH = 8
_VALID = re.compile(rf"[{ALPHABET}]{{{_LENGTH}}}")

NumberSource = Callable[[], str]


def random_code(length: int, choice: Callable[[str], str] = secrets.choice) -> str:
    """`length` random characters of the alphabet (5 bits each)."""
    return "".join(choice(ALPHABET) for _ in range(length))


def readable(text: str | None) -> str:
    """What people type, read as they meant it: upper case, no dashes or spaces, O as 0 and
    I or L as 1."""
    return (text or "").strip().upper().replace("-", "").replace(" ", "").translate(_LOOKALIKES)


def new_order_number(choice: Callable[[str], str] = secrets.choice) -> str:
    """A random order number such as "7KQ2-M9XD" (40 bits of randomness)."""
    raw = random_code(_LENGTH, choice)
    return f"{raw[:4]}-{raw[4:]}"


def normalize_order_number(text: str) -> str | None:
    """Accept what people type (lower case, no dash, O for 0, I/L for 1); None if invalid."""
    cleaned = readable(text)
    if not _VALID.fullmatch(cleaned):
        return None
    return f"{cleaned[:4]}-{cleaned[4:]}"
