"""Bot API request/response plumbing: errors, request parameters, exact error texts."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.web_request import FileField

logger = logging.getLogger(__name__)

# Exact descriptions Telegram answers with (verified against tdlib/telegram-bot-api sources or
# live-API test suites where possible; see README notes in server.py for unverified ones).
CHAT_NOT_FOUND = "Bad Request: chat not found"
CHAT_ID_EMPTY = "Bad Request: chat_id is empty"
BLOCKED = "Forbidden: bot was blocked by the user"
CANT_INITIATE = "Forbidden: bot can't initiate conversation with a user"
TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_MUST_BE_NON_EMPTY = "Bad Request: text must be non-empty"
TEXT_TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
UNSUPPORTED_PARSE_MODE = "Bad Request: unsupported parse_mode"
CANT_PARSE_ENTITIES = "Bad Request: can't parse entities: "
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
CANT_BE_EDITED = "Bad Request: message can't be edited"
NO_TEXT_TO_EDIT = "Bad Request: there is no text in the message to edit"
NO_CAPTION_TO_EDIT = "Bad Request: there is no caption in the message to edit"
NO_MEDIA_TO_EDIT = "Bad Request: there is no media in the message to edit"
DELETE_NOT_FOUND = "Bad Request: message to delete not found"
REPLY_NOT_FOUND = "Bad Request: message to be replied not found"
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
MESSAGE_TOO_LONG = "Bad Request: MESSAGE_TOO_LONG"
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
BUTTON_URL_INVALID = "Bad Request: BUTTON_URL_INVALID"
BUTTON_TEXT_INVALID = "Bad Request: BUTTON_TEXT_INVALID"
BUTTON_TYPE_INVALID = "Bad Request: BUTTON_TYPE_INVALID"
REPLY_MARKUP_TOO_LONG = "Bad Request: reply markup is too long"
TEXT_BUTTONS_UNALLOWED = (
    "Bad Request: can't parse inline keyboard button: "
    "Text buttons are unallowed in the inline keyboard"
)
CONFLICT_GET_UPDATES = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
WRONG_FILE_ID = "Bad Request: wrong file identifier/HTTP URL specified"
WRONG_FILE_ID_GETFILE = "Bad Request: wrong file_id or the file is temporarily unavailable"
CHARGE_NOT_FOUND = "Bad Request: CHARGE_NOT_FOUND"
CHARGE_ALREADY_REFUNDED = "Bad Request: CHARGE_ALREADY_REFUNDED"

_STATUS_TEXT = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


def status_text(status: int) -> str:
    """Telegram's description prefix for an HTTP status ("Bad Request", ...)."""
    return _STATUS_TEXT.get(status, "Error")


class ApiError(Exception):
    """A Bot API error answer ({"ok": false, "error_code": ..., "description": ...})."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def payload(self) -> dict[str, Any]:
        """The JSON body Telegram sends for this error."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(message: str) -> ApiError:
    """400 with ``"Bad Request: " + message`` (pass the message without the prefix)."""
    return ApiError(400, f"Bad Request: {message}")


def error(description: str, status: int = 400) -> ApiError:
    """ApiError from a full description constant."""
    return ApiError(status, description)


@dataclass
class Upload:
    """A file part of a multipart request."""

    filename: str
    content_type: str
    data: bytes


@dataclass
class Reply:
    """A successful result with an optional top-level description (e.g. deleteWebhook)."""

    result: Any
    description: str | None = None


def _stringify(value: Any) -> str | None:
    """JSON body values become strings exactly as the Bot API server sees them."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return json.dumps(value)
    return json.dumps(value, ensure_ascii=False)


async def read_params(request: web.Request) -> tuple[dict[str, str], dict[str, Upload]]:
    """Collect query-string, JSON, urlencoded and multipart parameters as strings + files."""
    args: dict[str, str] = dict(request.query)
    files: dict[str, Upload] = {}
    if not request.body_exists:
        return args, files
    ctype = request.content_type
    if ctype == "application/json":
        raw = await request.read()
        try:
            body = json.loads(raw or b"{}")
        except ValueError as exc:
            raise bad_request("can't parse JSON encoded request") from exc
        if isinstance(body, dict):
            for key, value in body.items():
                text = _stringify(value)
                if text is not None:
                    args[str(key)] = text
    elif ctype.startswith("multipart/"):
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            if part.filename is not None:
                data = await part.read()
                ctype_part = part.headers.get("Content-Type", "application/octet-stream")
                files[part.name] = Upload(part.filename, ctype_part, bytes(data))
            else:
                args[part.name] = await part.text()
    else:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, str):
                args[key] = value
            elif isinstance(value, FileField):
                files[key] = Upload(value.filename, value.content_type, value.file.read())
    return args, files


class Query:
    """One Bot API call: string arguments like tdlib's ``query->arg()`` plus uploaded files."""

    def __init__(
        self, method: str, args: dict[str, str], files: dict[str, Upload] | None = None
    ) -> None:
        self.method = method
        self.args = args
        self.files = files or {}

    def arg(self, name: str) -> str:
        """The raw string value ("" when absent, like the Bot API server)."""
        return self.args.get(name, "")

    def has(self, name: str) -> bool:
        """True when the argument is present and non-empty."""
        return bool(self.args.get(name))

    def required(self, name: str) -> str:
        """A non-empty argument or 400 'parameter "name" is required'."""
        value = self.arg(name)
        if not value:
            raise bad_request(f'parameter "{name}" is required')
        return value

    def int_arg(self, name: str, default: int = 0) -> int:
        """Integer value; unparsable values become 0 like td::to_integer."""
        value = self.arg(name).strip()
        if not value:
            return default
        try:
            return int(value)
        except ValueError:
            try:
                return int(float(value))
            except ValueError:
                return 0

    def bool_arg(self, name: str) -> bool:
        """Boolean value: "true", "yes" or "1" (case-insensitive) like Client::to_bool."""
        return self.arg(name).strip().lower() in ("true", "yes", "1")

    def json_arg(self, name: str, what: str | None = None) -> Any:
        """Decoded JSON value or None when absent; 400 when the JSON is malformed."""
        value = self.arg(name)
        if not value:
            return None
        try:
            return json.loads(value)
        except ValueError as exc:
            raise bad_request(f"can't parse {what or name} JSON object") from exc


_JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "prices",
        "scope",
        "commands",
        "media",
        "link_preview_options",
        "reply_parameters",
        "allowed_updates",
        "message_ids",
        "menu_button",
        "suggested_tip_amounts",
        "results",
    }
)
_INT_FIELDS = frozenset(
    {
        "chat_id",
        "from_chat_id",
        "message_id",
        "user_id",
        "offset",
        "limit",
        "timeout",
        "cache_time",
        "reply_to_message_id",
        "message_thread_id",
        "max_tip_amount",
        "photo_width",
        "photo_height",
        "photo_size",
    }
)
_BOOL_FIELDS = frozenset(
    {
        "show_alert",
        "ok",
        "disable_notification",
        "protect_content",
        "disable_web_page_preview",
        "drop_pending_updates",
        "has_spoiler",
        "show_caption_above_media",
        "allow_sending_without_reply",
        "need_name",
        "need_phone_number",
        "need_email",
        "need_shipping_address",
        "is_flexible",
        "disable_content_type_detection",
    }
)


def decode_for_record(args: dict[str, str], files: dict[str, Upload]) -> dict[str, Any]:
    """A convenient, typed view of the parameters for RequestRecord.params."""
    out: dict[str, Any] = {}
    for key, value in args.items():
        if key in _JSON_FIELDS:
            try:
                out[key] = json.loads(value)
            except ValueError:
                out[key] = value
        elif key in _INT_FIELDS:
            try:
                out[key] = int(value)
            except ValueError:
                out[key] = value
        elif key in _BOOL_FIELDS:
            out[key] = value.strip().lower() in ("true", "yes", "1")
        else:
            out[key] = value
    for key, upload in files.items():
        out[key] = {
            "filename": upload.filename,
            "content_type": upload.content_type,
            "size": len(upload.data),
        }
    return out
