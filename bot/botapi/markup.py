"""Reply markup parsing/validation with the Bot API's error texts."""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from dataclasses import dataclass
from typing import Any

from .entities import canonical
from .entities_base import LinkError
from .entities_links import check_link
from .protocol import (
    BUTTON_DATA_INVALID,
    BUTTON_TEXT_INVALID,
    BUTTON_TYPE_INVALID,
    BUTTON_URL_INVALID,
    REPLY_MARKUP_TOO_LONG,
    TEXT_BUTTONS_UNALLOWED,
    ApiError,
    bad_request,
    error,
)

logger = logging.getLogger(__name__)

MAX_BUTTONS = 100
MAX_CALLBACK_DATA_BYTES = 64

# The Bot API server checks inline button fields in this order and uses the first one present.
_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "callback_game",
    "pay",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "login_url",
    "web_app",
    "copy_text",
)
_KEYBOARD_BUTTON_FIELDS = (
    "request_contact",
    "request_location",
    "request_poll",
    "request_users",
    "request_chat",
    "web_app",
)
_REPLY_KEYBOARD_BOOLS = ("resize_keyboard", "one_time_keyboard", "is_persistent", "selective")


@dataclass
class Markup:
    """A parsed reply_markup: ``kind`` is inline_keyboard/keyboard/remove_keyboard/force_reply."""

    kind: str
    data: dict[str, Any]

    @property
    def inline(self) -> bool:
        """True for InlineKeyboardMarkup (the only kind echoed in Message objects)."""
        return self.kind == "inline_keyboard"

    def buttons(self) -> list[dict[str, Any]]:
        """All buttons, flattened."""
        rows = self.data.get(self.kind) if self.kind in ("inline_keyboard", "keyboard") else []
        return [button for row in rows or [] for button in row]

    def key(self) -> str:
        """Canonical form used for "message is not modified" comparisons."""
        return canonical(self.data)


def _field_type_error(name: str, expected: str, prefix: str = "") -> ApiError:
    return bad_request(f'{prefix}field "{name}" must be of type {expected}'.strip())


def _inline_button(raw: Any) -> dict[str, Any]:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(raw, dict):
        raise bad_request(prefix + "InlineKeyboardButton must be an Object")
    if "text" not in raw:
        raise bad_request(prefix + 'Can\'t find field "text"')
    text = raw["text"]
    if not isinstance(text, str):
        raise bad_request(prefix + 'Field "text" must be of type String')
    for action in _INLINE_ACTIONS:
        if action not in raw:
            continue
        value = raw[action]
        if action in ("url", "callback_data"):
            if not isinstance(value, str):
                raise bad_request(prefix + f'Field "{action}" must be of type String')
            if not value:
                continue  # an empty url/callback_data counts as absent
            if action == "url":
                try:
                    check_link(value)
                except LinkError as exc:
                    raise bad_request(
                        f"inline keyboard button URL '{value}' is invalid: {exc}"
                    ) from exc
        elif action == "web_app":
            url = value.get("url", "") if isinstance(value, dict) else ""
            try:
                check_link(url, https_only=True)
            except LinkError as exc:
                raise bad_request(
                    f"inline keyboard button Web App URL '{url}' is invalid: {exc}"
                ) from exc
        elif action == "switch_inline_query_chosen_chat" and isinstance(value, dict):
            for flag in ("allow_user_chats", "allow_bot_chats", "allow_group_chats"):
                if flag in value and not isinstance(value[flag], bool):
                    raise bad_request(prefix + f'Field "{flag}" must be of type Boolean')
        return {"text": text, action: value}
    raise error(TEXT_BUTTONS_UNALLOWED)


def _keyboard_button(raw: Any) -> dict[str, Any]:
    prefix = "can't parse keyboard button: "
    if isinstance(raw, str):
        return {"text": raw}
    if not isinstance(raw, dict):
        raise bad_request(prefix + "KeyboardButton must be a String or an Object")
    if "text" not in raw:
        raise bad_request(prefix + 'Can\'t find field "text"')
    if not isinstance(raw["text"], str):
        raise bad_request(prefix + 'Field "text" must be of type String')
    button: dict[str, Any] = {"text": raw["text"]}
    for name in _KEYBOARD_BUTTON_FIELDS:
        if name not in raw:
            continue
        value = raw[name]
        if name in ("request_contact", "request_location") and not isinstance(value, bool):
            raise bad_request(prefix + f'Field "{name}" must be of type Boolean')
        if name in ("request_users", "request_chat"):
            if not isinstance(value, dict) or "request_id" not in value:
                raise bad_request(prefix + 'Can\'t find field "request_id"')
        if name == "web_app":
            url = value.get("url", "") if isinstance(value, dict) else ""
            try:
                check_link(url, https_only=True)
            except LinkError as exc:
                raise bad_request(f"keyboard button Web App URL '{url}' is invalid: {exc}") from exc
        button[name] = value
    return button


def _rows(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise _field_type_error(name, "Array")
    for row in value:
        if not isinstance(row, list):
            raise _field_type_error(name, "Array of Arrays")
    return value


def parse_reply_markup(raw: str) -> Markup | None:
    """Parse the reply_markup argument (a JSON string); None when absent or empty."""
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise bad_request("can't parse reply keyboard markup JSON object") from exc
    if not isinstance(value, dict):
        raise bad_request("object expected as reply markup")
    inline_rows: list[list[dict[str, Any]]] = []
    rows: list[list[dict[str, Any]]] = []
    if "inline_keyboard" in value:
        raw_rows = _rows(value["inline_keyboard"], "inline_keyboard")
        inline_rows = [[_inline_button(b) for b in row] for row in raw_rows]
    if "keyboard" in value:
        rows = [[_keyboard_button(b) for b in row] for row in _rows(value["keyboard"], "keyboard")]
    for name in (*_REPLY_KEYBOARD_BOOLS, "remove_keyboard", "force_reply"):
        if name in value and not isinstance(value[name], bool):
            raise _field_type_error(name, "Boolean")
    if any(rows):
        data: dict[str, Any] = {"keyboard": rows}
        for name in (*_REPLY_KEYBOARD_BOOLS, "input_field_placeholder"):
            if name in value:
                data[name] = value[name]
        return Markup("keyboard", data)
    if any(inline_rows):
        return Markup("inline_keyboard", {"inline_keyboard": inline_rows})
    if value.get("remove_keyboard"):
        data = {"remove_keyboard": True}
        if "selective" in value:
            data["selective"] = value["selective"]
        return Markup("remove_keyboard", data)
    if value.get("force_reply"):
        data = {"force_reply": True}
        for name in ("selective", "input_field_placeholder"):
            if name in value:
                data[name] = value[name]
        return Markup("force_reply", data)
    return None


_PRIVATE_HOST_RE = re.compile(r"^(?:https?://)?(?:[^@/]*@)?([^:/?#]+)", re.IGNORECASE)


def _is_local_url(url: str) -> bool:
    m = _PRIVATE_HOST_RE.match(url.strip())
    if not m:
        return False
    host = m.group(1).lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_private or address.is_loopback or address.is_unspecified


def check_markup_server_side(markup: Markup | None, *, is_invoice: bool = False) -> None:
    """Checks Telegram's servers do after the Bot API accepted the markup."""
    if markup is None:
        return
    buttons = markup.buttons()
    if len(buttons) > MAX_BUTTONS:
        raise error(REPLY_MARKUP_TOO_LONG)
    if not markup.inline:
        for button in buttons:
            if not button["text"]:
                raise error(BUTTON_TEXT_INVALID)
        return
    for index, button in enumerate(buttons):
        if not button["text"]:
            raise error(BUTTON_TEXT_INVALID)
        data = button.get("callback_data")
        if data is not None and len(data.encode("utf-8")) > MAX_CALLBACK_DATA_BYTES:
            raise error(BUTTON_DATA_INVALID)
        if "url" in button and _is_local_url(button["url"]):
            raise error(BUTTON_URL_INVALID)
        if "copy_text" in button:
            copy = button["copy_text"]
            text = copy.get("text") if isinstance(copy, dict) else None
            if not isinstance(text, str) or not 1 <= len(text) <= 256:
                raise bad_request("BUTTON_COPY_TEXT_INVALID")
        if "callback_game" in button:
            raise error(BUTTON_TYPE_INVALID)
        if "pay" in button and not (is_invoice and index == 0):
            raise error(BUTTON_TYPE_INVALID)
    if is_invoice and buttons and "pay" not in buttons[0]:
        raise bad_request("REPLY_MARKUP_BUY_EMPTY")


def require_inline(markup: Markup | None) -> Markup | None:
    """Edit methods only take inline keyboards."""
    if markup is not None and not markup.inline:
        raise bad_request("inline keyboard expected")
    return markup
