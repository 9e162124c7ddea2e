"""What the entity parsers share: their errors, UTF-16 lengths and slices, the byte scanner,
the entity record and its Bot API form in Telegram's order."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


class EntityParseError(ValueError):
    """A parse_mode text could not be parsed; ``str(exc)`` is tdlib's message."""


class LinkError(ValueError):
    """A URL was rejected by tdlib's link checker; ``str(exc)`` is the reason."""


# --------------------------------------------------------------------------- helpers


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (the unit of Bot API entity offsets)."""
    return len(text.encode("utf-16-le")) // 2


def utf16_slice(text: str, offset: int, length: int) -> str:
    """The part of ``text`` covered by an entity with UTF-16 ``offset``/``length``."""
    raw = text.encode("utf-16-le")
    return raw[offset * 2 : (offset + length) * 2].decode("utf-16-le", errors="replace")


def _is_space(c: int) -> bool:
    # td::is_space also treats NUL as a space; the parsers rely on it to stop at the text end.
    return c in (0x20, 0x09, 0x0D, 0x0A, 0x00, 0x0B, 0x0C)


def _is_alpha(c: int) -> bool:
    return 0x41 <= c <= 0x5A or 0x61 <= c <= 0x7A


def _is_digit(c: int) -> bool:
    return 0x30 <= c <= 0x39


def _is_hex_digit(c: int) -> bool:
    return _is_digit(c) or 0x41 <= c <= 0x46 or 0x61 <= c <= 0x66


def _utf16_units_of_lead_byte(c: int) -> int:
    """UTF-16 units contributed by a UTF-8 byte (0 for continuation bytes)."""
    if (c & 0xC0) == 0x80:
        return 0
    return 2 if c >= 0xF0 else 1


class _Bytes:
    """A byte string that answers 0 past its end, like tdlib's NUL-terminated buffers."""

    __slots__ = ("data", "size")

    def __init__(self, text: str) -> None:
        self.data = text.encode("utf-8")
        self.size = len(self.data)

    def __getitem__(self, i: int) -> int:
        return self.data[i] if 0 <= i < self.size else 0

    def lower(self, start: int, end: int) -> str:
        return self.data[start:end].decode("utf-8", errors="replace").lower()


@dataclass
class _Entity:
    """An entity in tdlib terms (type names as in MessageEntity::Type)."""

    type: str
    offset: int
    length: int
    argument: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# tdlib type name -> (Bot API type, name used in error messages)
_TYPE_INFO: dict[str, tuple[str, str]] = {
    "bold": ("bold", "Bold"),
    "italic": ("italic", "Italic"),
    "underline": ("underline", "Underline"),
    "strikethrough": ("strikethrough", "Strikethrough"),
    "spoiler": ("spoiler", "Spoiler"),
    "code": ("code", "Code"),
    "pre": ("pre", "Pre"),
    "pre_code": ("pre", "PreCode"),
    "text_url": ("text_link", "TextUrl"),
    "mention_name": ("text_mention", "MentionName"),
    "custom_emoji": ("custom_emoji", "CustomEmoji"),
    "blockquote": ("blockquote", "BlockQuote"),
    "expandable_blockquote": ("expandable_blockquote", "ExpandableBlockQuote"),
}

# tdlib MessageEntity::get_type_priority, used to order nested entities at the same offset.
_PRIORITY: dict[str, int] = {
    "mention": 50,
    "hashtag": 50,
    "bot_command": 50,
    "url": 50,
    "email": 50,
    "bold": 90,
    "italic": 91,
    "code": 20,
    "pre": 11,
    "text_link": 49,
    "text_mention": 49,
    "cashtag": 50,
    "phone_number": 50,
    "underline": 92,
    "strikethrough": 93,
    "blockquote": 0,
    "expandable_blockquote": 0,
    "bank_card_number": 50,
    "spoiler": 94,
    "custom_emoji": 99,
}

BOT_API_ENTITY_TYPES = frozenset(
    {
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
    }
)


def _to_bot_api(entities: Iterable[_Entity]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    for e in entities:
        api_type = _TYPE_INFO.get(e.type, (e.type, e.type))[0]
        item: dict[str, Any] = {"type": api_type, "offset": e.offset, "length": e.length}
        if e.type == "pre_code":
            item["language"] = e.argument
        elif e.type == "text_url":
            item["url"] = e.argument
        elif e.type == "custom_emoji":
            item["custom_emoji_id"] = e.argument
        elif e.type == "mention_name":
            item["user"] = e.extra.get("user") or {
                "id": int(e.argument),
                "is_bot": False,
                "first_name": "",
            }
        result.append(item)
    return sort_entities(result)


def sort_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Order entities like tdlib: by offset, longer first, then by type priority."""
    return sorted(entities, key=lambda e: (e["offset"], -e["length"], _PRIORITY.get(e["type"], 50)))
