"""parse_mode MarkdownV2 and the legacy Markdown: ports of tdlib's ``parse_markdown_v2`` and
``parse_markdown``."""

from __future__ import annotations

from typing import Any

from .entities_base import (
    _TYPE_INFO,
    EntityParseError,
    _Bytes,
    _Entity,
    _is_space,
    _to_bot_api,
    _utf16_units_of_lead_byte,
)
from .entities_links import _TG_EMOJI_RE, UserLookup, _link_entity

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
