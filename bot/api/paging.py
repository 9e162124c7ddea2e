"""Opaque cursors: what the next page starts after, as URL-safe base64 of JSON, so clients
never build one (and the API may change what is inside)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from bot.api.problems import Problem


def encode(value: dict[str, Any]) -> str:
    raw = json.dumps(value, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> dict[str, Any]:
    """The cursor's content; Problem 400 for one this API did not give out."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        value = None
    if not isinstance(value, dict):
        raise Problem(400, "bad-cursor", "api.problem.invalid_title", "api.problem.bad_cursor")
    return value
