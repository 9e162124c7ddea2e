"""Text entity handling exactly like the Bot API: HTML / MarkdownV2 / Markdown parsing, links.

The three parsers are byte-for-byte ports of tdlib's ``parse_html``, ``parse_markdown_v2`` and
``parse_markdown`` (td/telegram/MessageEntity.cpp), so error texts and byte offsets match what
Telegram answers after its ``"Bad Request: can't parse entities: "`` prefix. Offsets of the
produced entities are in UTF-16 code units, like everywhere in the Bot API.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)


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


# --------------------------------------------------------------------------- links

_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_HOST_LABEL_RE = re.compile(r"^[A-Za-z0-9_\-\u00a0-\uffff]+$")
_IPV4_RE = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
_TG_USER_RE = re.compile(r"^tg://user\?id=(\d+)$", re.IGNORECASE)
_TG_EMOJI_RE = re.compile(r"^tg://emoji\?id=(\d+)$", re.IGNORECASE)


def check_link(url: str, *, https_only: bool = False) -> str:
    """Validate a link like tdlib's LinkManager::check_link; return the normalized URL.

    Raises LinkError with tdlib's reason ("Wrong HTTP URL", "Unsupported URL protocol",
    "URL host is empty", "Only HTTPS links are allowed").
    """
    url = url.strip()
    m = _SCHEME_RE.match(url)
    scheme = m.group(1).lower() if m else ""
    if scheme in ("tg", "ton", "tonsite"):
        if https_only:
            raise LinkError("Only HTTPS links are allowed")
        if len(url) <= len(scheme) + 3:
            raise LinkError("Wrong tg URL") if scheme == "tg" else LinkError("Wrong URL")
        return url
    if not url:
        raise LinkError("URL host is empty")
    if not scheme:
        if https_only:
            raise LinkError("Only HTTPS links are allowed")
        url = "http://" + url
        scheme = "http"
    if scheme not in ("http", "https"):
        raise LinkError("Unsupported URL protocol")
    if https_only and scheme != "https":
        raise LinkError("Only HTTPS links are allowed")
    rest = url[len(scheme) + 3 :]
    split = re.search(r"[/?#]", rest)
    authority = rest[: split.start()] if split else rest
    host = authority.rsplit("@", 1)[-1]
    port_match = re.match(r"^(.*?)(:\d{0,5})?$", host)
    host = port_match.group(1) if port_match else host
    if not host:
        raise LinkError("URL host is empty")
    if not _is_valid_host(host):
        raise LinkError("Wrong HTTP URL")
    if split is None:
        url += "/"
    return url


def _is_valid_host(host: str) -> bool:
    if _IPV4_RE.match(host):
        return all(int(part) <= 255 for part in host.split("."))
    if host.lower() == "localhost":
        return True
    labels = host.rstrip(".").split(".")
    if len(labels) < 2 or any(not label or not _HOST_LABEL_RE.match(label) for label in labels):
        return False
    tld = labels[-1]
    return tld.lower().startswith("xn--") or (len(tld) >= 2 and not tld.isdigit())


def get_checked_link(url: str) -> str:
    """Normalized link or "" if invalid (how the parsers silently drop bad links)."""
    try:
        return check_link(url)
    except LinkError:
        return ""


def get_link_user_id(url: str) -> int | None:
    """User id for tg://user?id=N links (turned into text_mention entities)."""
    m = _TG_USER_RE.match(url.strip())
    return int(m.group(1)) if m else None


UserLookup = Callable[[int], dict[str, Any] | None]


def _link_entity(offset: int, length: int, url: str, lookup: UserLookup | None) -> _Entity | None:
    user_id = get_link_user_id(url)
    if user_id is not None:
        user = lookup(user_id) if lookup else None
        return _Entity("mention_name", offset, length, str(user_id), {"user": user})
    checked = get_checked_link(url)
    if not checked:
        return None
    return _Entity("text_url", offset, length, checked)


# --------------------------------------------------------------------------- HTML

_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)


def _decode_html_entity(t: _Bytes, pos: int) -> tuple[int, int]:
    """(code point, position after the entity) or (0, pos) when not a supported entity."""
    end = pos + 1
    res = 0
    if t[pos + 1] == ord("#"):
        end += 1
        if t[pos + 2] == ord("x"):
            end += 1
            while _is_hex_digit(t[end]):
                res = res * 16 + int(chr(t[end]), 16)
                end += 1
        else:
            while _is_digit(t[end]):
                res = res * 10 + t[end] - 0x30
                end += 1
        if res == 0 or res >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while _is_alpha(t[end]):
            end += 1
        name = t.data[pos + 1 : end]
        res = {b"lt": 0x3C, b"gt": 0x3E, b"amp": 0x26, b"quot": 0x22}.get(name, 0)
        if res == 0:
            return 0, pos
    if t[end] == ord(";"):
        end += 1
    return res, end


def _utf8(code: int) -> bytes:
    return chr(code).encode("utf-8", errors="surrogatepass")


def parse_html(text: str, lookup: UserLookup | None = None) -> tuple[str, list[dict[str, Any]]]:
    """Parse Bot API HTML; return (plain text, entities). Raises EntityParseError."""
    t = _Bytes(text)
    out = bytearray()
    entities: list[_Entity] = []
    utf16 = 0
    need_recheck_utf8 = False
    # [tag name, argument, utf16 offset, byte position in out]
    nested: list[list[Any]] = []
    i = 0
    while i < t.size:
        c = t[i]
        if c == ord("&"):
            code, end = _decode_html_entity(t, i)
            if code:
                utf16 += 2 if code > 0xFFFF else 1
                if 0xD800 <= code <= 0xDFFF:
                    need_recheck_utf8 = True
                out += _utf8(code)
                i = end
                continue
        if c != ord("<"):
            utf16 += _utf16_units_of_lead_byte(c)
            out.append(c)
            i += 1
            continue

        begin_pos = i
        i += 1
        if t[i] != ord("/"):
            while not _is_space(t[i]) and t[i] != ord(">"):
                i += 1
            if t[i] == 0:
                raise EntityParseError(f"Unclosed start tag at byte offset {begin_pos}")
            tag = t.lower(begin_pos + 1, i)
            if tag not in _HTML_TAGS:
                raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {begin_pos}')
            argument = ""
            while t[i] != ord(">"):
                while t[i] != 0 and _is_space(t[i]):
                    i += 1
                if t[i] == ord(">"):
                    break
                attr_begin = i
                while not _is_space(t[i]) and t[i] not in b"=>/\"'":
                    i += 1
                attr_name = t.data[attr_begin:i]
                if not attr_name:
                    raise EntityParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset {begin_pos}'
                    )
                while t[i] != 0 and _is_space(t[i]):
                    i += 1
                if t[i] != ord("="):
                    if t[i] == 0:
                        raise EntityParseError(
                            f'Unclosed start tag "{tag}" at byte offset {begin_pos}'
                        )
                    if tag == "blockquote" and attr_name == b"expandable":
                        argument = "1"
                    continue
                i += 1
                while t[i] != 0 and _is_space(t[i]):
                    i += 1
                if t[i] == 0:
                    raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin_pos}')
                if t[i] not in (ord("'"), ord('"')):
                    token_begin = i
                    while _is_alpha(t[i]) or _is_digit(t[i]) or t[i] in b".-":
                        i += 1
                    value = t.lower(token_begin, i)
                    if not _is_space(t[i]) and t[i] != ord(">"):
                        raise EntityParseError(
                            f"Unexpected end of name token at byte offset {token_begin}"
                        )
                else:
                    end_char = t[i]
                    i += 1
                    raw = bytearray()
                    while t[i] != end_char and t[i] != 0:
                        if t[i] == ord("&"):
                            code, end = _decode_html_entity(t, i)
                            if code:
                                raw += _utf8(code)
                                i = end
                                continue
                        raw.append(t[i])
                        i += 1
                    if t[i] == end_char:
                        i += 1
                    value = raw.decode("utf-8", errors="replace")
                if t[i] == 0:
                    raise EntityParseError(f"Unclosed start tag at byte offset {begin_pos}")
                if tag == "a" and attr_name == b"href":
                    argument = value
                elif tag == "code" and attr_name == b"class" and value.startswith("language-"):
                    argument = value[9:]
                elif tag == "span" and attr_name == b"class" and value.startswith("tg-"):
                    argument = value[3:]
                elif tag == "tg-emoji" and attr_name == b"emoji-id":
                    argument = value
                elif tag == "blockquote" and attr_name == b"expandable":
                    argument = "1"
            if tag == "span" and argument != "spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {begin_pos}'
                )
            nested.append([tag, argument, utf16, len(out)])
            i += 1
            continue

        # end tag
        if not nested:
            raise EntityParseError(f"Unexpected end tag at byte offset {begin_pos}")
        while not _is_space(t[i]) and t[i] != ord(">"):
            i += 1
        end_tag = t.lower(begin_pos + 2, i)
        while _is_space(t[i]) and t[i] != 0:
            i += 1
        if t[i] != ord(">"):
            raise EntityParseError(f"Unclosed end tag at byte offset {begin_pos}")
        tag, argument, entity_offset, entity_begin = nested[-1]
        if end_tag and end_tag != tag:
            raise EntityParseError(
                f'Unmatched end tag at byte offset {begin_pos}, expected "</{tag}>", '
                f'found "</{end_tag}>"'
            )
        if utf16 > entity_offset:
            length = utf16 - entity_offset
            _close_html_entity(
                entities, tag, argument, entity_offset, length, out[entity_begin:], lookup
            )
        nested.pop()
        i += 1

    if nested:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{nested[-1][0]}"')
    for e in entities:
        if e.type == "code":
            e.argument = ""
    try:
        plain = bytes(out).decode("utf-8")
    except UnicodeDecodeError as exc:
        if need_recheck_utf8:
            raise EntityParseError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            ) from exc
        plain = bytes(out).decode("utf-8", errors="replace")
    return plain, _to_bot_api(entities)


def _close_html_entity(
    entities: list[_Entity],
    tag: str,
    argument: str,
    offset: int,
    length: int,
    inner: bytearray,
    lookup: UserLookup | None,
) -> None:
    simple = {
        "i": "italic",
        "em": "italic",
        "b": "bold",
        "strong": "bold",
        "s": "strikethrough",
        "strike": "strikethrough",
        "del": "strikethrough",
        "u": "underline",
        "ins": "underline",
        "tg-spoiler": "spoiler",
        "span": "spoiler",
    }
    if tag in simple:
        entities.append(_Entity(simple[tag], offset, length))
    elif tag == "tg-emoji":
        if not argument.isdigit() or int(argument) == 0 or int(argument) >= 2**63:
            raise EntityParseError("Invalid custom emoji identifier specified")
        entities.append(_Entity("custom_emoji", offset, length, str(int(argument))))
    elif tag == "a":
        url = argument or inner.decode("utf-8", errors="replace")
        entity = _link_entity(offset, length, url, lookup)
        if entity is not None:
            entities.append(entity)
    elif tag == "pre":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last.type == "code"
            and last.offset == offset
            and last.length == length
            and last.argument
        ):
            last.type = "pre_code"
        else:
            entities.append(_Entity("pre", offset, length))
    elif tag == "code":
        last = entities[-1] if entities else None
        if (
            last is not None
            and last.type == "pre"
            and last.offset == offset
            and last.length == length
            and argument
        ):
            last.type = "pre_code"
            last.argument = argument
        else:
            entities.append(_Entity("code", offset, length, argument))
    elif tag == "blockquote":
        kind = "expandable_blockquote" if argument else "blockquote"
        entities.append(_Entity(kind, offset, length))


# --------------------------------------------------------------------------- MarkdownV2


def _reserved(char: int) -> EntityParseError:
    return EntityParseError(
        f"Character '{chr(char)}' is reserved and must be escaped with the preceding '\\'"
    )


def _read_md_url(t: _Bytes, i: int) -> tuple[str, int, bool]:
    """Read an escaped URL starting at i; return (url, index of ')' or end, found)."""
    raw = bytearray()
    while i < t.size and t[i] != ord(")"):
        if t[i] == ord("\\") and 0 < t[i + 1] <= 126:
            raw.append(t[i + 1])
            i += 2
            continue
        raw.append(t[i])
        i += 1
    return raw.decode("utf-8", errors="replace"), i, t[i] == ord(")")


def parse_markdown_v2(
    text: str, lookup: UserLookup | None = None
) -> tuple[str, list[dict[str, Any]]]:
    """Parse Bot API MarkdownV2; return (plain text, entities). Raises EntityParseError."""
    t = _Bytes(text)
    out = bytearray()
    entities: list[_Entity] = []
    utf16 = 0
    # [type, argument, utf16 offset, byte offset in source, byte position in out]
    nested: list[list[Any]] = []
    have_blockquote = False
    i = 0
    while i < t.size:
        c = t[i]
        if c == ord("\\") and 0 < t[i + 1] <= 126:
            i += 1
            utf16 += 1
            out.append(t[i])
            i += 1
            continue
        reserved = b"_*[]()~`>#+-=|{}.!\n"
        if nested and nested[-1][0] in ("code", "pre", "pre_code"):
            reserved = b"`"
        if c not in reserved:
            utf16 += _utf16_units_of_lead_byte(c)
            out.append(c)
            i += 1
            continue

        is_end = False
        if nested:
            top = nested[-1][0]
            if have_blockquote and c == ord("\n") and (i + 1 == t.size or t[i + 1] != ord(">")):
                is_end = True
            elif top == "bold":
                is_end = c == ord("*")
            elif top == "italic":
                is_end = c == ord("_") and t[i + 1] != ord("_")
            elif top == "code":
                is_end = c == ord("`")
            elif top in ("pre", "pre_code"):
                is_end = c == ord("`") and t[i + 1] == ord("`") and t[i + 2] == ord("`")
            elif top in ("text_url", "custom_emoji"):
                is_end = c == ord("]")
            elif top == "underline":
                is_end = c == ord("_") and t[i + 1] == ord("_")
            elif top == "strikethrough":
                is_end = c == ord("~")
            elif top == "spoiler":
                is_end = c == ord("|") and t[i + 1] == ord("|")

        if not is_end:
            kind: str | None
            argument = ""
            byte_offset = i
            if c == ord("_"):
                if t[i + 1] == ord("_"):
                    kind = "underline"
                    i += 1
                else:
                    kind = "italic"
            elif c == ord("*"):
                kind = "bold"
            elif c == ord("~"):
                kind = "strikethrough"
            elif c == ord("|"):
                if t[i + 1] != ord("|"):
                    raise _reserved(c)
                i += 1
                kind = "spoiler"
            elif c == ord("["):
                kind = "text_url"
            elif c == ord("`"):
                if t[i + 1] == ord("`") and t[i + 2] == ord("`"):
                    i += 3
                    kind = "pre"
                    language_end = i
                    while not _is_space(t[language_end]) and t[language_end] != ord("`"):
                        language_end += 1
                    if i != language_end and language_end < t.size and t[language_end] != ord("`"):
                        kind = "pre_code"
                        argument = t.data[i:language_end].decode("utf-8", errors="replace")
                        i = language_end
                    if t[i] in (ord("\n"), ord("\r")):
                        if t[i + 1] in (ord("\n"), ord("\r")) and t[i] != t[i + 1]:
                            i += 2
                        else:
                            i += 1
                    i -= 1
                else:
                    kind = "code"
            elif c == ord("!"):
                if t[i + 1] != ord("["):
                    raise _reserved(c)
                i += 1
                kind = "custom_emoji"
            elif c == ord("\n"):
                utf16 += 1
                out.append(c)
                kind = None
                if i + 1 < t.size and t[i + 1] == ord(">"):
                    i += 1
                    if not have_blockquote:
                        kind = "blockquote"
                        have_blockquote = True
            elif c == ord(">"):
                if i != 0:
                    raise _reserved(c)
                kind = "blockquote"
                have_blockquote = True
            else:
                raise _reserved(c)
            if kind is not None:
                nested.append([kind, argument, utf16, byte_offset, len(out)])
            i += 1
            continue

        # end of an entity
        kind, argument, entity_offset, byte_offset, begin_pos = nested[-1]
        if c == ord("\n") and kind != "blockquote":
            raise EntityParseError(
                f"Can't find end of {_TYPE_INFO[kind][1]} entity at byte offset {byte_offset}"
            )
        skip = utf16 == entity_offset
        entity: _Entity | None = None
        if kind in ("underline", "spoiler"):
            i += 1
        elif kind in ("pre", "pre_code"):
            i += 2
        elif kind == "text_url":
            if t[i + 1] != ord("("):
                url = out[begin_pos:].decode("utf-8", errors="replace")
            else:
                url_begin = i + 2
                url, i, found = _read_md_url(t, url_begin)
                if not found:
                    raise EntityParseError(f"Can't find end of a URL at byte offset {url_begin}")
            entity = _link_entity(entity_offset, utf16 - entity_offset, url, lookup)
            skip = skip or entity is None
        elif kind == "custom_emoji":
            if t[i + 1] != ord("("):
                raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
            url_begin = i + 2
            url, i, found = _read_md_url(t, url_begin)
            if not found:
                raise EntityParseError(
                    f"Can't find end of a custom emoji URL at byte offset {url_begin}"
                )
            m = _TG_EMOJI_RE.match(url)
            if not m:
                raise EntityParseError("Invalid custom emoji URL specified")
            argument = m.group(1)
        elif kind == "blockquote":
            have_blockquote = False
            out.append(t[i])
            utf16 += 1
        if not skip:
            entities.append(entity or _Entity(kind, entity_offset, utf16 - entity_offset, argument))
        nested.pop()
        i += 1

    if have_blockquote and nested and nested[-1][0] == "blockquote":
        entity_offset = nested[-1][2]
        if utf16 != entity_offset:
            entities.append(_Entity("blockquote", entity_offset, utf16 - entity_offset))
        nested.pop()
    if nested:
        kind, _, _, byte_offset, _ = nested[-1]
        raise EntityParseError(
            f"Can't find end of {_TYPE_INFO[kind][1]} entity at byte offset {byte_offset}"
        )
    return out.decode("utf-8", errors="replace"), _to_bot_api(entities)


# --------------------------------------------------------------------------- Markdown (v1)


def parse_markdown(text: str, lookup: UserLookup | None = None) -> tuple[str, list[dict[str, Any]]]:
    """Parse legacy Bot API Markdown; return (plain text, entities). Raises EntityParseError."""
    t = _Bytes(text)
    out = bytearray()
    entities: list[_Entity] = []
    utf16 = 0
    i = 0
    specials = b"_*`["
    while i < t.size:
        c = t[i]
        if c == ord("\\") and t[i + 1] in specials and t[i + 1] != 0:
            i += 1
            out.append(t[i])
            utf16 += 1
            i += 1
            continue
        if c not in specials:
            utf16 += _utf16_units_of_lead_byte(c)
            out.append(c)
            i += 1
            continue

        begin_pos = i
        end_char = ord("]") if c == ord("[") else c
        is_pre = False
        language = ""
        i += 1
        if c == ord("`") and t[i] == ord("`") and t[i + 1] == ord("`"):
            i += 2
            is_pre = True
            language_end = i
            while not _is_space(t[language_end]) and t[language_end] != ord("`"):
                language_end += 1
            if i != language_end and language_end < t.size and t[language_end] != ord("`"):
                language = t.data[i:language_end].decode("utf-8", errors="replace")
                i = language_end
            if t[i] in (ord("\n"), ord("\r")):
                if t[i + 1] in (ord("\n"), ord("\r")) and t[i] != t[i + 1]:
                    i += 2
                else:
                    i += 1

        entity_offset = utf16
        entity_begin = len(out)
        while i < t.size and (
            t[i] != end_char or (is_pre and not (t[i + 1] == ord("`") and t[i + 2] == ord("`")))
        ):
            utf16 += _utf16_units_of_lead_byte(t[i])
            out.append(t[i])
            i += 1
        if i >= t.size:
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {begin_pos}"
            )
        if entity_offset != utf16:
            length = utf16 - entity_offset
            if c == ord("_"):
                entities.append(_Entity("italic", entity_offset, length))
            elif c == ord("*"):
                entities.append(_Entity("bold", entity_offset, length))
            elif c == ord("["):
                if t[i + 1] != ord("("):
                    url = out[entity_begin:].decode("utf-8", errors="replace")
                else:
                    i += 2
                    raw = bytearray()
                    while i < t.size and t[i] != ord(")"):
                        raw.append(t[i])
                        i += 1
                    url = raw.decode("utf-8", errors="replace")
                entity = _link_entity(entity_offset, length, url, lookup)
                if entity is not None:
                    entities.append(entity)
            elif is_pre:
                kind = "pre_code" if language else "pre"
                entities.append(_Entity(kind, entity_offset, length, language))
            else:
                entities.append(_Entity("code", entity_offset, length))
        if is_pre:
            i += 2
        i += 1
    return out.decode("utf-8", errors="replace"), _to_bot_api(entities)


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
