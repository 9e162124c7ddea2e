"""What the page shows of a chat: messages as JSON, their text as HTML rebuilt from the Bot API
entities (as a Telegram client does), the reply keyboard in force and the command menu."""

from __future__ import annotations

import html
from typing import Any

from bot.botapi.server import FakeBotApi
from bot.botapi.sim import SimChat, SimMessage

_SIMPLE = {
    "bold": ("<b>", "</b>"),
    "italic": ("<i>", "</i>"),
    "underline": ("<u>", "</u>"),
    "strikethrough": ("<s>", "</s>"),
    "spoiler": ('<span class="spoiler">', "</span>"),
    "code": ("<code>", "</code>"),
    "blockquote": ("<blockquote>", "</blockquote>"),
    "expandable_blockquote": ('<blockquote class="expandable">', "</blockquote>"),
}


def _tags(entity: dict[str, Any], text: str) -> tuple[str, str]:
    kind = entity["type"]
    if kind in _SIMPLE:
        return _SIMPLE[kind]
    if kind == "pre":
        language = entity.get("language")
        attr = f' data-language="{html.escape(language)}"' if language else ""
        return f"<pre{attr}>", "</pre>"
    if kind == "text_link":
        url = html.escape(entity["url"], quote=True)
        return f'<a href="{url}" target="_blank" rel="noopener">', "</a>"
    if kind == "url":
        url = text if "://" in text else f"http://{text}"
        return f'<a href="{html.escape(url, quote=True)}" target="_blank" rel="noopener">', "</a>"
    if kind == "bot_command":
        return f'<a href="#" class="command" data-command="{html.escape(text)}">', "</a>"
    if kind in ("mention", "text_mention", "hashtag", "cashtag", "email", "phone_number"):
        return f'<span class="{kind}">', "</span>"
    return "", ""


def entities_to_html(text: str, entities: list[dict[str, Any]]) -> str:
    """HTML for a text and its entities (offsets in UTF-16 code units, properly nested)."""
    units = text.encode("utf-16-le")
    size = len(units) // 2
    opens: dict[int, list[tuple[int, dict[str, Any]]]] = {}
    for index, entity in enumerate(entities):
        opens.setdefault(entity["offset"], []).append((index, entity))
    out: list[str] = []
    stack: list[tuple[int, str]] = []  # (end offset, closing tag)
    position = 0
    boundaries = sorted({0, size, *opens, *(e["offset"] + e["length"] for e in entities)})
    for point in boundaries:
        if point > position:
            chunk = units[position * 2 : point * 2].decode("utf-16-le", errors="replace")
            out.append(html.escape(chunk, quote=False))
            position = point
        while stack and stack[-1][0] <= point:
            out.append(stack.pop()[1])
        for _, entity in sorted(opens.get(point, []), key=lambda pair: -pair[1]["length"]):
            end = entity["offset"] + entity["length"]
            inner = units[point * 2 : end * 2].decode("utf-16-le", errors="replace")
            start_tag, end_tag = _tags(entity, inner)
            out.append(start_tag)
            stack.append((end, end_tag))
    while stack:
        out.append(stack.pop()[1])
    return "".join(out)


def file_url(file_id: str) -> str:
    return f"/api/files/{file_id}"


def message_json(message: SimMessage) -> dict[str, Any]:
    """One message as the page draws it."""
    body = message.body
    data: dict[str, Any] = {
        "id": message.message_id,
        "from_bot": message.from_bot,
        "sender": message.sender_id,
        "kind": message.kind,
        "date": message.date,
        "edited": bool(message.edit_date),
        "html": entities_to_html(body, message.entities) if body else "",
        "keyboard": message.inline_keyboard,
    }
    if message.photo:
        largest = message.photo[-1]
        data["photo"] = {
            "url": file_url(largest["file_id"]),
            "width": largest.get("width", 0),
            "height": largest.get("height", 0),
        }
    if message.document:
        data["document"] = {
            "url": file_url(message.document["file_id"]),
            "name": message.document.get("file_name") or "file",
            "size": message.document.get("file_size", 0),
        }
    if message.invoice:
        data["invoice"] = dict(message.invoice)
    contact = message.extra.get("contact")
    if contact:
        data["contact"] = contact
    payment = message.extra.get("successful_payment")
    if payment:
        data["payment"] = {"currency": payment["currency"], "total": payment["total_amount"]}
    if message.reply_to is not None:
        quoted = message.reply_to.body or message.reply_to.kind
        data["reply_to"] = {"id": message.reply_to.message_id, "text": quoted[:120]}
    return data


def reply_keyboard(chat: SimChat) -> dict[str, Any] | None:
    """The reply keyboard the chat shows now: the newest bot message that set or removed one,
    hidden again once the user answered a one-time keyboard."""
    answered = False
    for message in reversed(chat.messages):
        if not message.from_bot:
            answered = True
            continue
        if message.reply_markup_kind == "remove_keyboard":
            return None
        if message.reply_markup_kind == "keyboard" and message.reply_markup:
            markup = message.reply_markup
            if answered and markup.get("one_time_keyboard"):
                return None
            return {
                "rows": markup["keyboard"],
                "placeholder": markup.get("input_field_placeholder", ""),
            }
    return None


def _language(code: str | None) -> str:
    return (code or "").split("-")[0].lower()


def commands(api: FakeBotApi, chat: SimChat, language_code: str | None) -> list[dict[str, str]]:
    """The command menu Telegram resolves for this chat: the most specific scope first, each
    scope with the user's language and then without."""
    if chat.type == "private":
        scopes: list[dict[str, Any]] = [
            {"type": "chat", "chat_id": chat.id},
            {"type": "all_private_chats"},
            {"type": "default"},
        ]
    else:
        scopes = [
            {"type": "chat_administrators", "chat_id": chat.id},
            {"type": "chat", "chat_id": chat.id},
            {"type": "all_chat_administrators"},
            {"type": "all_group_chats"},
            {"type": "default"},
        ]
    language = _language(language_code)
    for scope in scopes:
        for code in (language, ""):
            found = api.commands_for(scope, code)
            if found:
                return found
    return []


def chat_json(api: FakeBotApi, chat: SimChat, language_code: str | None) -> dict[str, Any]:
    """Everything the page needs to draw one chat."""
    return {
        "id": chat.id,
        "messages": [message_json(m) for m in chat.messages],
        "reply_keyboard": reply_keyboard(chat),
        "commands": commands(api, chat, language_code),
    }
