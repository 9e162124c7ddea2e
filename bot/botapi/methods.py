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
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .entities import (
    BOT_API_ENTITY_TYPES,
    PARSERS,
    EntityParseError,
    LinkError,
    canonical,
    check_link,
    finish_text,
    utf16_len,
)
from .markup import Markup, check_markup_server_side, parse_reply_markup, require_inline
from .protocol import (
    CANT_BE_EDITED,
    CANT_PARSE_ENTITIES,
    CAPTION_TOO_LONG,
    CHARGE_ALREADY_REFUNDED,
    CHARGE_NOT_FOUND,
    CONFLICT_GET_UPDATES,
    CONFLICT_WEBHOOK,
    DELETE_NOT_FOUND,
    EDIT_NOT_FOUND,
    MESSAGE_TOO_LONG,
    NO_CAPTION_TO_EDIT,
    NO_MEDIA_TO_EDIT,
    NO_TEXT_TO_EDIT,
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    REPLY_NOT_FOUND,
    TEXT_EMPTY,
    TEXT_MUST_BE_NON_EMPTY,
    TEXT_TOO_LONG,
    UNSUPPORTED_PARSE_MODE,
    WRONG_FILE_ID,
    WRONG_FILE_ID_GETFILE,
    ApiError,
    Query,
    Reply,
    Upload,
    bad_request,
    error,
)
from .sim import SimChat, SimMessage, image_info, now

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


# ---------------------------------------------------------------- files


@dataclass
class Media:
    """A resolved photo or document for a message."""

    kind: str
    photo: list[dict[str, Any]] | None = None
    document: dict[str, Any] | None = None

    def fields(self) -> dict[str, Any]:
        """SimMessage fields."""
        if self.kind == "photo":
            return {"photo": self.photo or [], "document": None}
        return {"document": self.document, "photo": []}

    def file_id(self) -> str:
        """The identifying file_id (largest photo size / the document)."""
        if self.kind == "photo":
            return (self.photo or [{}])[-1].get("file_id", "")
        return (self.document or {}).get("file_id", "")


def _upload_media(api: FakeBotApi, kind: str, upload: Upload) -> Media:
    if not upload.data:
        raise bad_request("file must be non-empty")
    if kind == "photo":
        if image_info(upload.data) is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        return Media("photo", photo=api.store_photo(upload.data))
    mime = upload.content_type
    if not mime or mime == "application/octet-stream":
        mime = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
    record = api.store_document(upload.data, upload.filename, mime)
    return Media("document", document=record.document())


def _unsupported_media(kind: Any) -> ApiError:
    return bad_request(f'can\'t parse InputMedia: type "{kind}" is not supported by the fake')


def resolve_media(api: FakeBotApi, q: Query, kind: str, value: str, field: str) -> Media:
    """An InputFile value: attach://name, uploaded part, http(s) URL or a known file_id."""
    upload = q.files.get(field) if not value else None
    if value.startswith("attach://"):
        upload = q.files.get(value[len("attach://") :])
        if upload is None:
            raise error(WRONG_FILE_ID)
    if upload is not None:
        return _upload_media(api, kind, upload)
    if not value:
        raise bad_request(f"there is no {kind} in the request")
    if re.match(r"^https?://", value, re.IGNORECASE):
        if kind == "photo":
            return Media("photo", photo=api.store_photo(None, url=value))
        name = value.rstrip("/").rsplit("/", 1)[-1] or "file"
        mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
        stored = api.store_document(None, name, mime, url=value)
        return Media("document", document=stored.document())
    known = api.files.get(value)
    if known is None:
        raise error(WRONG_FILE_ID)
    if known.kind != kind:
        raise bad_request(f"can't use file of type {known.kind.title()} as {kind.title()}")
    if kind == "photo":
        return Media("photo", photo=api.photo_sizes(known.file_id))
    return Media("document", document=known.document())


# =========================================================================== getting updates


@method("getUpdates")
async def get_updates(api: FakeBotApi, q: Query) -> list[dict[str, Any]]:
    """Long polling; confirms by offset; an older pending long poll gets 409 Conflict."""
    if api.webhook_url:
        raise error(CONFLICT_WEBHOOK, 409)
    offset = q.int_arg("offset")
    limit = q.int_arg("limit", 100)
    if limit <= 0 or limit > 100:
        limit = 100
    timeout = min(max(q.int_arg("timeout"), 0), 50)
    allowed = q.json_arg("allowed_updates", "allowed updates")
    if isinstance(allowed, list):
        api.set_allowed_updates([str(a) for a in allowed])
    api.confirm_updates(offset)
    updates = api.deliverable_updates(limit)
    if updates or timeout == 0:
        return updates
    return await api.long_poll(timeout, limit)


@method("deleteWebhook")
def delete_webhook(api: FakeBotApi, q: Query) -> Reply:
    """Remove the webhook; drop_pending_updates clears the queue."""
    if q.bool_arg("drop_pending_updates"):
        api.clear_updates()
    had = bool(api.webhook_url)
    api.webhook_url = ""
    return Reply(True, "Webhook was deleted" if had else "Webhook is already deleted")


@method("setWebhook")
def set_webhook(api: FakeBotApi, q: Query) -> Reply:
    """Store a webhook URL (updates are not pushed; getUpdates then answers 409)."""
    url = q.arg("url")
    if not url:
        return delete_webhook(api, q)
    if q.bool_arg("drop_pending_updates"):
        api.clear_updates()
    api.webhook_url = url
    return Reply(True, "Webhook was set")


@method("getWebhookInfo")
def get_webhook_info(api: FakeBotApi, q: Query) -> dict[str, Any]:
    """Webhook status."""
    return {
        "url": api.webhook_url,
        "has_custom_certificate": False,
        "pending_update_count": len(api.pending_updates()),
    }


# =========================================================================== bot


@method("getMe")
def get_me(api: FakeBotApi, q: Query) -> dict[str, Any]:
    """The bot user."""
    return {
        **api.bot_user(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@method("logOut")
def log_out(api: FakeBotApi, q: Query) -> bool:
    """Always succeeds."""
    return True


@method("close")
def close(api: FakeBotApi, q: Query) -> bool:
    """Always succeeds."""
    return True


# =========================================================================== sending


@method("sendMessage")
def send_message(api: FakeBotApi, q: Query) -> dict[str, Any]:
    """Send a text message."""
    fmt = query_text(api, q)
    markup = parse_reply_markup(q.arg("reply_markup"))
    chat = api.resolve_chat(q)
    reply = reply_target(q, chat)
    check_length(fmt, caption=False)
    check_markup_server_side(markup)
    api.check_can_send(chat)
    msg = api.new_bot_message(
        chat,
        "text",
        text=fmt.text,
        html=fmt.raw,
        parse_mode=fmt.parse_mode,
        entities=fmt.entities,
        reply_to=reply,
        **markup_fields(markup),
    )
    return msg.to_dict()


def _send_media(api: FakeBotApi, q: Query, kind: str) -> dict[str, Any]:
    fmt = query_caption(api, q)
    markup = parse_reply_markup(q.arg("reply_markup"))
    media = resolve_media(api, q, kind, q.arg(kind), kind)
    chat = api.resolve_chat(q)
    reply = reply_target(q, chat)
    check_length(fmt, caption=True)
    check_markup_server_side(markup)
    api.check_can_send(chat)
    msg = api.new_bot_message(
        chat,
        kind,
        caption=fmt.text or None,
        html=fmt.raw or None,
        parse_mode=fmt.parse_mode,
        entities=fmt.entities,
        reply_to=reply,
        **media.fields(),
        **markup_fields(markup),
    )
    return msg.to_dict()


@method("sendPhoto")
def send_photo(api: FakeBotApi, q: Query) -> dict[str, Any]:
    """Send a photo (upload, file_id or URL)."""
    return _send_media(api, q, "photo")


@method("sendDocument")
def send_document(api: FakeBotApi, q: Query) -> dict[str, Any]:
    """Send a document (upload, file_id or URL)."""
    return _send_media(api, q, "document")


@method("sendMediaGroup")
def send_media_group(api: FakeBotApi, q: Query) -> list[dict[str, Any]]:
    """Send an album of photos or of documents (attach:// uploads supported)."""
    items = q.json_arg("media", "media")
    if items is None:
        raise bad_request('parameter "media" is required')
    if not isinstance(items, list):
        raise bad_request("expected an Array of InputMedia")
    if not items:
        raise bad_request("there are no messages to send")
    if len(items) > 10:
        raise bad_request("too many messages to send as an album")
    prepared: list[tuple[Media, Formatted]] = []
    for item in items:
        if not isinstance(item, dict):
            raise bad_request("can't parse InputMedia: InputMedia must be an Object")
        kind = item.get("type")
        if kind not in ("photo", "document"):
            raise _unsupported_media(kind)
        fmt = format_text(
            api,
            str(item.get("caption", "")),
            str(item.get("parse_mode", "")),
            item.get("caption_entities"),
            caption=True,
        )
        media = resolve_media(api, q, kind, str(item.get("media", "")), "")
        prepared.append((media, fmt))
    kinds = {media.kind for media, _ in prepared}
    if len(kinds) > 1 and "document" in kinds:
        raise bad_request("can't use the media of the specified type in the album")
    chat = api.resolve_chat(q)
    reply = reply_target(q, chat)
    for _, fmt in prepared:
        check_length(fmt, caption=True)
    api.check_can_send(chat)
    group_id = str(api.new_query_id())
    result = []
    for media, fmt in prepared:
        msg = api.new_bot_message(
            chat,
            media.kind,
            caption=fmt.text or None,
            html=fmt.raw or None,
            parse_mode=fmt.parse_mode,
            entities=fmt.entities,
            reply_to=reply,
            extra={"media_group_id": group_id},
            **media.fields(),
        )
        result.append(msg.to_dict())
    return result


_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "record_audio",
        "upload_audio",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
        "cancel",
    }
)


@method("sendChatAction")
def send_chat_action(api: FakeBotApi, q: Query) -> bool:
    """Show "typing..." etc; recorded in chat.actions."""
    action = q.arg("action").lower()
    if action not in _CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat = api.resolve_chat(q)
    api.check_can_send(chat)
    chat.actions.append(action)
    return True


def _source_message(api: FakeBotApi, q: Query, what: str) -> SimMessage:
    source_chat = api.resolve_chat(q, "from_chat_id")
    source = source_chat.message(q.int_arg("message_id"))
    if source is None:
        raise bad_request(f"message to {what} not found")
    service = source.kind == "successful_payment"
    if service or (what == "copy" and source.kind == "invoice"):
        raise bad_request(f"message can't be {'copied' if what == 'copy' else 'forwarded'}")
    return source


def _clone_fields(source: SimMessage) -> dict[str, Any]:
    extra = {k: v for k, v in source.extra.items() if k not in ("forward_origin", "media_group_id")}
    return {
        "text": source.text,
        "caption": source.caption,
        "html": source.html,
        "parse_mode": source.parse_mode,
        "entities": list(source.entities),
        "photo": list(source.photo),
        "document": source.document,
        "invoice": source.invoice,
        "extra": extra,
    }


@method("copyMessage")
def copy_message(api: FakeBotApi, q: Query) -> dict[str, Any]:
    """Copy a message (optionally with a new caption/markup); returns MessageId."""
    markup = parse_reply_markup(q.arg("reply_markup"))
    chat = api.resolve_chat(q)
    source = _source_message(api, q, "copy")
    fields = _clone_fields(source)
    if "caption" in q.args and source.kind in ("photo", "document"):
        fmt = query_caption(api, q)
        check_length(fmt, caption=True)
        fields.update(caption=fmt.text or None, html=fmt.raw, entities=fmt.entities)
        fields["parse_mode"] = fmt.parse_mode
    check_markup_server_side(markup)
    api.check_can_send(chat)
    msg = api.new_bot_message(chat, source.kind, **fields, **markup_fields(markup))
    return {"message_id": msg.message_id}


@method("forwardMessage")
def forward_message(api: FakeBotApi, q: Query) -> dict[str, Any]:
    """Forward a message with forward_origin."""
    chat = api.resolve_chat(q)
    source = _source_message(api, q, "forward")
    api.check_can_send(chat)
    sender = api.bot_user() if source.from_bot else api.users[source.sender_id or 0].to_dict()
    fields = _clone_fields(source)
    fields["extra"]["forward_origin"] = {
        "type": "user",
        "sender_user": sender,
        "date": source.date,
    }
    msg = api.new_bot_message(chat, source.kind, **fields)
    return msg.to_dict()


# =========================================================================== editing


def _edit_target(api: FakeBotApi, q: Query) -> SimMessage:
    if q.has("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")
    chat = api.resolve_chat(q)
    message_id = q.int_arg("message_id")
    if message_id <= 0:
        raise bad_request("message identifier is not specified")
    msg = chat.message(message_id)
    if msg is None:
        raise error(EDIT_NOT_FOUND)
    if not msg.from_bot:
        raise error(CANT_BE_EDITED)
    return msg


def _touch(msg: SimMessage, previous: str | None) -> dict[str, Any]:
    msg.history.append(previous)
    msg.edits += 1
    msg.edit_date = now()
    return msg.to_dict()


@method("editMessageText")
def edit_message_text(api: FakeBotApi, q: Query) -> dict[str, Any]:
    """Edit a bot text message (no reply_markup removes the inline keyboard)."""
    fmt = query_text(api, q)
    markup = require_inline(parse_reply_markup(q.arg("reply_markup")))
    msg = _edit_target(api, q)
    if msg.kind != "text":
        raise error(NO_TEXT_TO_EDIT)
    check_length(fmt, caption=False)
    check_markup_server_side(markup)
    same_markup = _inline_key(msg) == (markup.key() if markup else None)
    if msg.text == fmt.text and msg.entities == fmt.entities and same_markup:
        raise error(NOT_MODIFIED)
    previous = msg.text
    msg.text, msg.entities = fmt.text, fmt.entities
    msg.html, msg.parse_mode = fmt.raw, fmt.parse_mode
    _set_inline_markup(msg, markup)
    return _touch(msg, previous)


@method("editMessageCaption")
def edit_message_caption(api: FakeBotApi, q: Query) -> dict[str, Any]:
    """Edit the caption of a bot photo/document message."""
    fmt = query_caption(api, q)
    markup = require_inline(parse_reply_markup(q.arg("reply_markup")))
    msg = _edit_target(api, q)
    if msg.kind not in ("photo", "document"):
        raise error(NO_CAPTION_TO_EDIT)
    check_length(fmt, caption=True)
    check_markup_server_side(markup)
    same_markup = _inline_key(msg) == (markup.key() if markup else None)
    if (msg.caption or "") == fmt.text and msg.entities == fmt.entities and same_markup:
        raise error(NOT_MODIFIED)
    previous = msg.caption
    msg.caption, msg.entities = fmt.text or None, fmt.entities
    msg.html, msg.parse_mode = fmt.raw or None, fmt.parse_mode
    _set_inline_markup(msg, markup)
    return _touch(msg, previous)


@method("editMessageReplyMarkup")
def edit_message_reply_markup(api: FakeBotApi, q: Query) -> dict[str, Any]:
    """Replace (or remove) the inline keyboard of a bot message."""
    markup = require_inline(parse_reply_markup(q.arg("reply_markup")))
    msg = _edit_target(api, q)
    check_markup_server_side(markup, is_invoice=msg.kind == "invoice")
    if _inline_key(msg) == (markup.key() if markup else None):
        raise error(NOT_MODIFIED)
    _set_inline_markup(msg, markup)
    msg.edits += 1
    msg.edit_date = now()
    return msg.to_dict()


@method("editMessageMedia")
def edit_message_media(api: FakeBotApi, q: Query) -> dict[str, Any]:
    """Replace the photo/document (and caption) of a bot media message."""
    item = q.json_arg("media", "media")
    if not isinstance(item, dict):
        raise bad_request('parameter "media" is required')
    kind = item.get("type")
    if kind not in ("photo", "document"):
        raise _unsupported_media(kind)
    fmt = format_text(
        api,
        str(item.get("caption", "")),
        str(item.get("parse_mode", "")),
        item.get("caption_entities"),
        caption=True,
    )
    markup = require_inline(parse_reply_markup(q.arg("reply_markup")))
    msg = _edit_target(api, q)
    if msg.kind not in ("photo", "document"):
        raise error(NO_MEDIA_TO_EDIT)
    check_length(fmt, caption=True)
    check_markup_server_side(markup)
    ref = str(item.get("media", ""))
    current = msg.photo[-1]["file_id"] if msg.photo else (msg.document or {}).get("file_id")
    same_markup = _inline_key(msg) == (markup.key() if markup else None)
    same_caption = (msg.caption or "") == fmt.text and msg.entities == fmt.entities
    if ref == current and kind == msg.kind and same_caption and same_markup:
        raise error(NOT_MODIFIED)
    media = resolve_media(api, q, kind, ref, "")
    previous = msg.caption
    msg.kind = media.kind
    for name, value in media.fields().items():
        setattr(msg, name, value)
    msg.caption, msg.entities = fmt.text or None, fmt.entities
    msg.html, msg.parse_mode = fmt.raw or None, fmt.parse_mode
    _set_inline_markup(msg, markup)
    return _touch(msg, previous)


@method("deleteMessage")
def delete_message(api: FakeBotApi, q: Query) -> bool:
    """Delete a message (bots may delete anything in private chats and, as admin, groups)."""
    chat = api.resolve_chat(q)
    msg = chat.message(q.int_arg("message_id"))
    if msg is None:
        raise error(DELETE_NOT_FOUND)
    msg.deleted = True
    return True


@method("deleteMessages")
def delete_messages(api: FakeBotApi, q: Query) -> bool:
    """Delete up to 100 messages; missing ones are skipped."""
    chat = api.resolve_chat(q)
    ids = q.json_arg("message_ids", "message identifiers")
    if not isinstance(ids, list) or not ids:
        raise bad_request('parameter "message_ids" is required')
    if len(ids) > 100:
        raise bad_request("too many message identifiers specified")
    for message_id in ids:
        msg = chat.message(_as_int(message_id))
        if msg is not None:
            msg.deleted = True
    return True


# =========================================================================== callbacks


@method("answerCallbackQuery")
def answer_callback_query(api: FakeBotApi, q: Query) -> bool:
    """Answer a callback query once; recorded in api.callback_answers."""
    query_id = q.arg("callback_query_id")
    state = api.callback_query_state(query_id)
    if state is None or state["answered"]:
        raise error(QUERY_TOO_OLD)
    text = q.arg("text")
    if len(text) > MAX_CALLBACK_ANSWER:
        raise error(MESSAGE_TOO_LONG)
    state["answered"] = True
    api.callback_answers[query_id] = {
        "text": text or None,
        "show_alert": q.bool_arg("show_alert"),
        "url": q.arg("url") or None,
        "cache_time": q.int_arg("cache_time"),
    }
    return True


# =========================================================================== commands & profile

_COMMAND_RE = re.compile(r"^[a-z0-9_]+$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2}$")
_SCOPES = {
    "default": (),
    "all_private_chats": (),
    "all_group_chats": (),
    "all_chat_administrators": (),
    "chat": ("chat_id",),
    "chat_administrators": ("chat_id",),
    "chat_member": ("chat_id", "user_id"),
}


def _language(q: Query) -> str:
    code = q.arg("language_code")
    if code and not _LANGUAGE_RE.match(code):
        raise bad_request("invalid language code specified")
    return code


def _scope_key(api: FakeBotApi, q: Query) -> str:
    scope = q.json_arg("scope", "bot command scope")
    if scope is None:
        scope = {"type": "default"}
    if not isinstance(scope, dict):
        raise bad_request("object expected as bot command scope")
    if "type" not in scope:
        raise bad_request("can't parse BotCommandScope: Can't find field \"type\"")
    fields = _SCOPES.get(str(scope["type"]))
    if fields is None:
        raise bad_request("can't parse BotCommandScope: Unsupported type specified")
    for name in fields:
        if name not in scope:
            raise bad_request(f"can't parse BotCommandScope: Can't find field \"{name}\"")
    if "chat_id" in fields:
        api.resolve_chat(Query(q.method, {"chat_id": str(scope["chat_id"])}))
    return canonical({k: scope[k] for k in ("type", *fields)})


@method("setMyCommands")
def set_my_commands(api: FakeBotApi, q: Query) -> bool:
    """Store commands per (scope, language_code); validated like tdlib + Telegram."""
    raw = q.json_arg("commands", "bot commands")
    if raw is None:
        raise bad_request('parameter "commands" is required')
    if not isinstance(raw, list):
        raise bad_request("expected an Array of BotCommand")
    commands: list[dict[str, str]] = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand: BotCommand must be an Object")
        for name in ("command", "description"):
            if name not in item:
                raise bad_request(f"can't parse BotCommand: Can't find field \"{name}\"")
            if not isinstance(item[name], str):
                raise bad_request(f'can\'t parse BotCommand: Field "{name}" must be of type String')
        command = item["command"].strip().removeprefix("/")
        description = item["description"].strip()
        if not command:
            raise bad_request("command must be non-empty")
        if len(command) > 32:
            raise bad_request("command length must not exceed 32")
        if not description:
            raise bad_request("command description must be non-empty")
        if len(description) > 256:
            raise bad_request("command description length must not exceed 256")
        commands.append({"command": command, "description": description})
    key = _scope_key(api, q)
    language = _language(q)
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    for command in commands:
        if not _COMMAND_RE.match(command["command"]):
            raise bad_request("BOT_COMMAND_INVALID")
    if commands:
        api.commands[(key, language)] = commands
    else:
        api.commands.pop((key, language), None)
    return True


@method("getMyCommands")
def get_my_commands(api: FakeBotApi, q: Query) -> list[dict[str, str]]:
    """Commands of exactly this scope and language."""
    return api.commands.get((_scope_key(api, q), _language(q)), [])


@method("deleteMyCommands")
def delete_my_commands(api: FakeBotApi, q: Query) -> bool:
    """Delete the commands of this scope and language."""
    api.commands.pop((_scope_key(api, q), _language(q)), None)
    return True


@method("setMyDescription")
def set_my_description(api: FakeBotApi, q: Query) -> bool:
    """Store the bot description (<= 512 characters) per language."""
    text = q.arg("description")
    if len(text) > 512:
        raise bad_request("description is too long")
    language = _language(q)
    if text:
        api.descriptions[language] = text
    else:
        api.descriptions.pop(language, None)
    return True


@method("getMyDescription")
def get_my_description(api: FakeBotApi, q: Query) -> dict[str, str]:
    """The stored description."""
    return {"description": api.descriptions.get(_language(q), "")}


@method("setMyShortDescription")
def set_my_short_description(api: FakeBotApi, q: Query) -> bool:
    """Store the short description (<= 120 characters) per language."""
    text = q.arg("short_description")
    if len(text) > 120:
        raise bad_request("short description is too long")
    language = _language(q)
    if text:
        api.short_descriptions[language] = text
    else:
        api.short_descriptions.pop(language, None)
    return True


@method("getMyShortDescription")
def get_my_short_description(api: FakeBotApi, q: Query) -> dict[str, str]:
    """The stored short description."""
    return {"short_description": api.short_descriptions.get(_language(q), "")}


@method("setChatMenuButton")
def set_chat_menu_button(api: FakeBotApi, q: Query) -> bool:
    """Store the menu button (per chat or default)."""
    chat_id = api.resolve_chat(q).id if q.has("chat_id") else None
    button = q.json_arg("menu_button", "menu button") or {"type": "default"}
    if not isinstance(button, dict) or button.get("type") not in ("default", "commands", "web_app"):
        raise bad_request("can't parse MenuButton: Unsupported type specified")
    api.menu_buttons[chat_id] = button
    return True


@method("getChatMenuButton")
def get_chat_menu_button(api: FakeBotApi, q: Query) -> dict[str, Any]:
    """The stored menu button."""
    chat_id = api.resolve_chat(q).id if q.has("chat_id") else None
    return api.menu_buttons.get(chat_id) or api.menu_buttons.get(None) or {"type": "commands"}


# =========================================================================== chats


@method("getChat")
def get_chat(api: FakeBotApi, q: Query) -> dict[str, Any]:
    """ChatFullInfo."""
    chat = api.resolve_chat(q)
    return {
        **chat.to_dict(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }


def _chat_member(status: str, user: dict[str, Any]) -> dict[str, Any]:
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(
            {
                "can_be_edited": False,
                "is_anonymous": False,
                "can_manage_chat": True,
                "can_delete_messages": True,
                "can_manage_video_chats": True,
                "can_restrict_members": True,
                "can_promote_members": False,
                "can_change_info": True,
                "can_invite_users": True,
                "can_post_stories": False,
                "can_edit_stories": False,
                "can_delete_stories": False,
                "can_pin_messages": True,
            }
        )
    elif status == "kicked":
        member["until_date"] = 0
    return member


@method("getChatMember")
def get_chat_member(api: FakeBotApi, q: Query) -> dict[str, Any]:
    """Membership; in groups every user is "administrator" unless set via set_member_status."""
    chat = api.resolve_chat(q)
    user_id = q.int_arg("user_id")
    if user_id == api.bot_id:
        return _chat_member("administrator" if chat.type != "private" else "member", api.bot_user())
    user = api.users.get(user_id)
    if user is None or (chat.type == "private" and chat.id != user_id):
        raise bad_request("user not found")
    if chat.type == "private":
        return _chat_member("kicked" if user.blocked else "member", user.to_dict())
    return _chat_member(chat.member_status.get(user_id, chat.default_member_status), user.to_dict())


@method("getChatAdministrators")
def get_chat_administrators(api: FakeBotApi, q: Query) -> list[dict[str, Any]]:
    """The bot plus every known user whose group status is administrator/creator."""
    chat = api.resolve_chat(q)
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    admins = [_chat_member("administrator", api.bot_user())]
    for user in api.users.values():
        status = chat.member_status.get(user.id, chat.default_member_status)
        if status in ("administrator", "creator"):
            admins.append(_chat_member(status, user.to_dict()))
    return admins


# =========================================================================== files


@method("getFile")
def get_file(api: FakeBotApi, q: Query) -> dict[str, Any]:
    """File info with a file_path served under /file/bot<token>/."""
    record = api.files.get(q.arg("file_id"))
    if record is None:
        raise error(WRONG_FILE_ID_GETFILE)
    if record.size > 20 * 1024 * 1024:
        raise bad_request("file is too big")
    return record.file()


# =========================================================================== payments

_TOTAL_LIMITS = {"XTR": (1, 100_000), "USD": (100, 1_000_000), "EUR": (100, 1_000_000)}


def _prices(q: Query) -> list[dict[str, Any]]:
    raw = q.json_arg("prices", "prices")
    if raw is None:
        raise bad_request('parameter "prices" is required')
    if not isinstance(raw, list):
        raise bad_request("expected an Array of labeled prices")
    prefix = "can't parse labeled price: "
    prices = []
    for item in raw:
        if not isinstance(item, dict):
            raise bad_request(prefix + "LabeledPrice must be an Object")
        if "label" not in item:
            raise bad_request(prefix + 'Can\'t find field "label"')
        if not isinstance(item["label"], str) or not item["label"]:
            raise bad_request(prefix + "LabeledPrice label must be non-empty")
        if "amount" not in item:
            raise bad_request(prefix + 'Can\'t find field "amount"')
        amount = item["amount"]
        if isinstance(amount, bool) or not isinstance(amount, int | str | float):
            raise bad_request(prefix + 'Field "amount" must be of type Number or String')
        try:
            value = int(str(amount))
        except ValueError:
            raise bad_request(prefix + 'Can\'t parse "amount" as Number') from None
        prices.append({"label": item["label"], "amount": value})
    if not prices:
        raise bad_request("there must be at least one price")
    return prices


@method("sendInvoice")
def send_invoice(api: FakeBotApi, q: Query) -> dict[str, Any]:
    """Send an invoice (Telegram Stars: currency XTR, no provider_token, exactly one price)."""
    title = q.required("title")
    description = q.required("description")
    payload = q.required("payload")
    currency = q.required("currency")
    prices = _prices(q)
    markup = parse_reply_markup(q.arg("reply_markup"))
    chat = api.resolve_chat(q)
    reply = reply_target(q, chat)
    total = sum(p["amount"] for p in prices)
    if total <= 0:
        raise bad_request("total price must be positive")
    check_markup_server_side(markup, is_invoice=True)
    if len(title) > 32:
        raise bad_request("TITLE_INVALID")
    if len(description) > 255:
        raise bad_request("DESCRIPTION_INVALID")
    if len(payload.encode("utf-8")) > 128:
        raise bad_request("INVOICE_PAYLOAD_INVALID")
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise bad_request("CURRENCY_INVALID")
    provider_token = q.arg("provider_token")
    if currency == "XTR":
        if provider_token:
            raise bad_request("PAYMENT_PROVIDER_INVALID")
        if len(prices) != 1:
            raise bad_request("STARS_INVOICE_INVALID")
    elif not provider_token:
        raise bad_request("PAYMENT_PROVIDER_INVALID")
    low, high = _TOTAL_LIMITS.get(currency, (1, 10**12))
    if not low <= total <= high:
        raise bad_request("CURRENCY_TOTAL_AMOUNT_INVALID")
    api.check_can_send(chat)
    invoice = {
        "title": title,
        "description": description,
        "start_parameter": q.arg("start_parameter"),
        "currency": currency,
        "total_amount": total,
    }
    extra = {"_payload": payload, "_prices": prices, "_provider_token": provider_token}
    msg = api.new_bot_message(
        chat, "invoice", invoice=invoice, reply_to=reply, extra=extra, **markup_fields(markup)
    )
    return msg.to_dict()


@method("answerPreCheckoutQuery")
def answer_pre_checkout_query(api: FakeBotApi, q: Query) -> bool:
    """Answer a pre-checkout query once; recorded in api.pre_checkout_answers."""
    query_id = q.arg("pre_checkout_query_id")
    state = api.pre_checkout_state(query_id)
    if state is None or state["answered"]:
        raise error(QUERY_TOO_OLD)
    ok = q.bool_arg("ok")
    message = q.arg("error_message")
    if not ok and not message:
        raise bad_request("error_message must be non-empty")
    state["answered"] = True
    api.pre_checkout_answers[query_id] = {"ok": ok, "error_message": message or None}
    return True


@method("refundStarPayment")
def refund_star_payment(api: FakeBotApi, q: Query) -> bool:
    """Refund a Telegram Stars payment once."""
    charge_id = q.required("telegram_payment_charge_id")
    user_id = q.int_arg("user_id")
    charge = api.charges.get(charge_id)
    if charge is None or charge["user_id"] != user_id or charge["currency"] != "XTR":
        raise bad_request(CHARGE_NOT_FOUND.removeprefix("Bad Request: "))
    if charge["refunded"]:
        raise bad_request(CHARGE_ALREADY_REFUNDED.removeprefix("Bad Request: "))
    charge["refunded"] = True
    api.refunds.append({"user_id": user_id, "telegram_payment_charge_id": charge_id})
    return True
