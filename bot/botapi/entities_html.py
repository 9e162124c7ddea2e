"""parse_mode HTML: a byte-for-byte port of tdlib's ``parse_html``."""

from __future__ import annotations

from typing import Any

from .entities_base import (
    EntityParseError,
    _Bytes,
    _Entity,
    _is_alpha,
    _is_digit,
    _is_hex_digit,
    _is_space,
    _to_bot_api,
    _utf16_units_of_lead_byte,
)
from .entities_links import UserLookup, _link_entity

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
