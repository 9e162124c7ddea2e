"""Text entity handling exactly like the Bot API: parse_mode dispatch, entities found in plain
text, the final trimming of a text and its entities.

The three parsers (entities_html, entities_markdown) are byte-for-byte ports of tdlib's
``parse_html``, ``parse_markdown_v2`` and ``parse_markdown`` (td/telegram/MessageEntity.cpp),
so error texts and byte offsets match what Telegram answers after its ``"Bad Request: can't
parse entities: "`` prefix. Offsets of the produced entities are in UTF-16 code units, like
everywhere in the Bot API.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from .entities_base import sort_entities, utf16_len, utf16_slice
from .entities_html import parse_html
from .entities_links import UserLookup
from .entities_markdown import parse_markdown, parse_markdown_v2

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------- entity detection

_DETECTORS: list[tuple[str, re.Pattern[str]]] = [
    (
        "bot_command",
        re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])"),
    ),
    ("mention", re.compile(r"(?<!\w)@[A-Za-z0-9_]{2,32}(?!\w)")),
    ("hashtag", re.compile(r"(?<![\w#])#(?=\w*[^\W\d_])\w{1,256}(?!\w*#)")),
    ("cashtag", re.compile(r"(?<![\w$])\$(?:1INCH|[A-Z]{1,8})(?![\w$])")),
    (
        "email",
        re.compile(
            r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![\w@])"
        ),
    ),
    (
        "url",
        re.compile(
            r"(?<![\w@/])(?:(?:https?|tg|ton|ftp)://[^\s<>\"]+|"
            r"(?:www\.|t\.me/|telegram\.me/)[^\s<>\"]+|"
            r"[A-Za-z0-9][A-Za-z0-9-]*(?:\.[A-Za-z0-9-]+)*\.(?:com|org|net|ru|io|me|dev|app|info)"
            r"(?:/[^\s<>\"]*)?)(?![\w@])"
        ),
    ),
]
_TRAILING_PUNCT = ".,;:!?)]}'\""


def find_entities(text: str) -> list[dict[str, Any]]:
    """Auto-detected entities (bot_command, mention, hashtag, cashtag, email, url).

    A simplified version of tdlib's find_entities: good enough for the entities Telegram adds
    to every message on its own; phone numbers are not detected (tdlib doesn't either).
    """
    found: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _DETECTORS:
        for m in pattern.finditer(text):
            start, end = m.start(), m.end()
            if kind == "url":
                while end > start and text[end - 1] in _TRAILING_PUNCT:
                    end -= 1
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            found.append((start, end, kind))
    result = []
    for start, end, kind in found:
        offset = utf16_len(text[:start])
        result.append({"type": kind, "offset": offset, "length": utf16_len(text[start:end])})
    return sort_entities(result)


# --------------------------------------------------------------------------- finishing

_CONTINUOUS = frozenset({"code", "pre", "text_link", "text_mention", "custom_emoji"})
_DROP_IF_BLANK = frozenset({"bold", "italic", "underline", "strikethrough", "spoiler"})
_TRIM_CHARS = " \t\r\n"


def finish_text(
    text: str, entities: list[dict[str, Any]], *, detect: bool = True
) -> tuple[str, list[dict[str, Any]]]:
    """Apply tdlib's clean-up: trim whitespace, drop empty entities, add detected entities."""
    lead = len(text) - len(text.lstrip(_TRIM_CHARS))
    stripped = text.strip(_TRIM_CHARS)
    total = utf16_len(stripped)
    cleaned: list[dict[str, Any]] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end <= start:
            continue
        item = dict(entity, offset=start, length=end - start)
        if item["type"] in _DROP_IF_BLANK and not utf16_slice(stripped, start, end - start).strip():
            continue
        cleaned.append(item)
    if detect:
        blocked = [
            (e["offset"], e["offset"] + e["length"]) for e in cleaned if e["type"] in _CONTINUOUS
        ]
        for auto in find_entities(stripped):
            a_start, a_end = auto["offset"], auto["offset"] + auto["length"]
            if not any(a_start < b_end and b_start < a_end for b_start, b_end in blocked):
                cleaned.append(auto)
    return stripped, sort_entities(cleaned)


PARSERS: dict[str, Callable[..., tuple[str, list[dict[str, Any]]]]] = {
    "html": parse_html,
    "markdownv2": parse_markdown_v2,
    "markdown": parse_markdown,
}


def parse_text(
    text: str, parse_mode: str | None, lookup: UserLookup | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Parse ``text`` with a (case-insensitive) parse_mode; unknown modes raise KeyError."""
    mode = (parse_mode or "").lower()
    if not mode or mode == "none":
        return text, []
    return PARSERS[mode](text, lookup)


def canonical(value: Any) -> str:
    """A stable JSON key for comparing objects regardless of key order."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
