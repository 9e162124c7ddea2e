"""Order numbers people can read aloud, that reveal nothing about how many orders exist."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

# Crockford's base32: no I, L, O or U, so numbers survive being read over the phone.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LENGTH = 8
_VALID = re.compile(rf"[{ALPHABET}]{{{_LENGTH}}}")

NumberSource = Callable[[], str]


def new_order_number(choice: Callable[[str], str] = secrets.choice) -> str:
    """A random order number such as "7KQ2-M9XD" (40 bits of randomness)."""
    raw = "".join(choice(ALPHABET) for _ in range(_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def normalize_order_number(text: str) -> str | None:
    """Accept what people type (lower case, no dash, O for 0, I/L for 1); None if invalid."""
    cleaned = text.strip().upper().replace("-", "").replace(" ", "")
    cleaned = cleaned.translate(str.maketrans("OIL", "011"))
    if not _VALID.fullmatch(cleaned):
        return None
    return f"{cleaned[:4]}-{cleaned[4:]}"
