"""Bot API method handlers: one small function per method, registered in ``METHODS``.

A handler takes ``(api, query)`` and returns the JSON ``result`` (or a ``Reply`` to add a
top-level description), raising ``ApiError`` for Telegram errors. To add a method::

    @method("getSomething")
    def get_something(api: FakeBotApi, q: Query) -> Any:
        return {...}

Validation order follows the real Bot API server: argument parsing (text/entities, reply
markup) first, then chat resolution, then tdlib checks (empty/too long text), then checks
Telegram's servers do (button data, blocked user).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .entities import PARSERS, canonical, finish_text
from .entities_base import BOT_API_ENTITY_TYPES, EntityParseError, LinkError, utf16_len
from .entities_links import check_link
from .markup import Markup
from .protocol import (
    CANT_PARSE_ENTITIES,
    CAPTION_TOO_LONG,
    CONFLICT_GET_UPDATES,
    REPLY_NOT_FOUND,
    TEXT_EMPTY,
    TEXT_MUST_BE_NON_EMPTY,
    TEXT_TOO_LONG,
    UNSUPPORTED_PARSE_MODE,
    ApiError,
    Query,
    bad_request,
    error,
)
from .sim import SimChat, SimMessage

if TYPE_CHECKING:
    from .sim import ServerApi as FakeBotApi  # the server, as the handlers see it


logger = logging.getLogger(__name__)

__all__ = ["CONFLICT_GET_UPDATES", "METHODS", "method"]

Handler = Callable[["FakeBotApi", Query], Any]
METHODS: dict[str, tuple[str, Handler]] = {}

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_ANSWER = 200


def method(name: str) -> Callable[[Handler], Handler]:
    """Register a handler under a (case-insensitive) Bot API method name."""

    def register(fn: Handler) -> Handler:
        METHODS[name.lower()] = (name, fn)
        return fn

    return register


# =========================================================================== shared helpers


def _as_int(value: Any) -> int:
    """int() that maps garbage to 0 like td::to_integer (so bad input can't crash the fake)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


@dataclass
class Formatted:
    """A text or caption after parse_mode/entities processing."""

    text: str
    entities: list[dict[str, Any]]
    raw: str
    parse_mode: str | None


_AUTO_TYPES = frozenset(
    {"mention", "hashtag", "cashtag", "bot_command", "url", "email", "phone_number"}
)


def _manual_entities(api: FakeBotApi, text: str, raw: Any) -> list[dict[str, Any]]:
    """Validate an explicit entities array like the Bot API + tdlib do."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise bad_request("expected an Array of MessageEntity")
    prefix = "can't parse MessageEntity: "
    result: list[dict[str, Any]] = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad_request(prefix + "MessageEntity must be an Object")
        for name in ("type", "offset", "length"):
            if name not in item:
                raise bad_request(prefix + f'Can\'t find field "{name}"')
        kind = item["type"]
        if kind not in BOT_API_ENTITY_TYPES:
            raise bad_request(prefix + "Unsupported type specified")
        for name in ("offset", "length"):
            if not isinstance(item[name], int) or isinstance(item[name], bool):
                raise bad_request(prefix + f'Field "{name}" must be of type Number')
        entity: dict[str, Any] = {"type": kind, "offset": item["offset"], "length": item["length"]}
        if kind == "text_link":
            if "url" not in item:
                raise bad_request(prefix + 'Can\'t find field "url"')
            try:
                entity["url"] = check_link(str(item["url"]))
            except LinkError as exc:
                raise bad_request(f"entity URL '{item['url']}' is invalid: {exc}") from exc
        elif kind == "text_mention":
            user = item.get("user")
            if not isinstance(user, dict):
                raise bad_request(prefix + 'Can\'t find field "user"')
            known = api.lookup_user(_as_int(user.get("id")))
            if known is None:
                raise bad_request("user not found")
            entity["user"] = known
        elif kind == "custom_emoji":
            if "custom_emoji_id" not in item:
                raise bad_request(prefix + 'Can\'t find field "custom_emoji_id"')
            value = str(item["custom_emoji_id"])
            if not value.isdigit() or int(value) >= 2**63:
                raise bad_request(prefix + 'Field "custom_emoji_id" must be a valid Number')
            entity["custom_emoji_id"] = value
        elif kind == "pre" and item.get("language"):
            entity["language"] = str(item["language"])
        if kind not in _AUTO_TYPES:
            result.append(entity)
    total = utf16_len(text)
    for entity in result:
        offset, length = entity["offset"], entity["length"]
        if offset < 0:
            raise bad_request(f"receive an entity with incorrect offset {offset}")
        if length < 0:
            raise bad_request(f"receive an entity with incorrect length {length}")
        if offset > total:
            raise bad_request(f"entity begins after the end of the text at UTF-16 offset {offset}")
        if offset + length > total:
            raise bad_request(
                f"entity beginning at UTF-16 offset {offset} ends after the end of the text "
                f"at UTF-16 offset {offset + length}"
            )
    return [e for e in result if e["length"] > 0]


def format_text(
    api: FakeBotApi,
    raw: str,
    parse_mode: str,
    entities: Any,
    *,
    caption: bool,
) -> Formatted:
    """Parse text/caption with parse_mode (or explicit entities) and apply tdlib clean-up."""
    if not raw:
        if caption:
            return Formatted("", [], "", parse_mode or None)
        raise error(TEXT_EMPTY)
    mode = parse_mode.lower()
    if mode and mode != "none":
        parser = PARSERS.get(mode)
        if parser is None:
            raise error(UNSUPPORTED_PARSE_MODE)
        try:
            plain, found = parser(raw, api.lookup_user)
        except EntityParseError as exc:
            raise ApiError(400, CANT_PARSE_ENTITIES + str(exc)) from exc
    else:
        plain, found = raw, _manual_entities(api, raw, entities)
    plain, found = finish_text(plain, found)
    return Formatted(plain, found, raw, parse_mode or None)


def query_text(api: FakeBotApi, q: Query) -> Formatted:
    """The ``text`` argument of sendMessage/editMessageText."""
    return format_text(
        api, q.arg("text"), q.arg("parse_mode"), q.json_arg("entities", "entities"), caption=False
    )


def query_caption(api: FakeBotApi, q: Query) -> Formatted:
    """The ``caption`` argument of media methods."""
    return format_text(
        api,
        q.arg("caption"),
        q.arg("parse_mode"),
        q.json_arg("caption_entities", "caption entities"),
        caption=True,
    )


def check_length(fmt: Formatted, *, caption: bool) -> None:
    """tdlib's checks on the final text: non-empty and within 4096 / 1024 UTF-16 units."""
    size = utf16_len(fmt.text)
    if caption:
        if size > MAX_CAPTION:
            raise error(CAPTION_TOO_LONG)
        return
    if not fmt.text:
        raise error(TEXT_MUST_BE_NON_EMPTY)
    if size > MAX_TEXT:
        raise error(TEXT_TOO_LONG)


def reply_target(q: Query, chat: SimChat) -> SimMessage | None:
    """reply_parameters / reply_to_message_id -> the replied message (or 400)."""
    params = q.json_arg("reply_parameters", "reply parameters")
    allow = q.bool_arg("allow_sending_without_reply")
    message_id = 0
    if params is not None:
        if not isinstance(params, dict) or "message_id" not in params:
            raise bad_request('can\'t find field "message_id"')
        message_id = _as_int(params["message_id"])
        allow = bool(params.get("allow_sending_without_reply", allow))
    elif q.has("reply_to_message_id"):
        message_id = q.int_arg("reply_to_message_id")
    if not message_id:
        return None
    target = chat.message(message_id)
    if target is None and not allow:
        raise error(REPLY_NOT_FOUND)
    return target


def markup_fields(markup: Markup | None) -> dict[str, Any]:
    """SimMessage fields for a reply markup."""
    if markup is None:
        return {}
    return {"reply_markup": markup.data, "reply_markup_kind": markup.kind}


def _inline_key(msg: SimMessage) -> str | None:
    if msg.reply_markup_kind == "inline_keyboard" and msg.reply_markup:
        return canonical(msg.reply_markup)
    return None


def _set_inline_markup(msg: SimMessage, markup: Markup | None) -> None:
    """Edits replace the inline keyboard (and remove it when no markup is passed)."""
    if markup is not None:
        msg.reply_markup, msg.reply_markup_kind = markup.data, markup.kind
    elif msg.reply_markup_kind == "inline_keyboard":
        msg.reply_markup, msg.reply_markup_kind = None, None
