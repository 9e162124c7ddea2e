"""Bot API methods for messages: sendMessage, sendChatAction, copyMessage, forwardMessage, the
editMessage* family and deleteMessage(s)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .markup import check_markup_server_side, parse_reply_markup, require_inline
from .protocol import (
    CANT_BE_EDITED,
    DELETE_NOT_FOUND,
    EDIT_NOT_FOUND,
    NO_CAPTION_TO_EDIT,
    NO_MEDIA_TO_EDIT,
    NO_TEXT_TO_EDIT,
    NOT_MODIFIED,
    Query,
    bad_request,
    error,
)
from .records import now
from .sim import SimMessage

if TYPE_CHECKING:
    from .sim import ServerApi as FakeBotApi  # the server, as the handlers see it
from .methods import (
    _as_int,
    _inline_key,
    _set_inline_markup,
    check_length,
    format_text,
    markup_fields,
    method,
    query_caption,
    query_text,
    reply_target,
)
from .methods_media import _unsupported_media, resolve_media

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
