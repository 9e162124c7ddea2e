"""Bot API methods for files and media: sendPhoto, sendDocument, sendMediaGroup, getFile, and
how a photo or document argument (file_id, URL or upload) becomes a stored file."""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .markup import check_markup_server_side, parse_reply_markup
from .protocol import (
    WRONG_FILE_ID,
    WRONG_FILE_ID_GETFILE,
    ApiError,
    Query,
    Upload,
    bad_request,
    error,
)
from .records import image_info

if TYPE_CHECKING:
    from .sim import ServerApi as FakeBotApi  # the server, as the handlers see it
from .methods import (
    Formatted,
    check_length,
    format_text,
    markup_fields,
    method,
    query_caption,
    reply_target,
)

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
