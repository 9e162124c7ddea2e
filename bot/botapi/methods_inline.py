"""Inline mode: answerInlineQuery, checked as Telegram checks it, and the answers kept so a
simulated user can pick a result and post it "via @bot" (SimUser.inline_query and
choose_inline_result). Article and photo results are supported, a photo by URL or cached
(photo_file_id: a photo file this bot already has, as Telegram's InlineQueryResultCachedPhoto);
another result type is refused with a 400 naming it, so a test never passes on a result this
server does not model."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from .markup import check_markup_server_side, parse_reply_markup
from .methods import check_length, format_text, method
from .protocol import QUERY_TOO_OLD, WRONG_FILE_ID, Query, bad_request, error

if TYPE_CHECKING:
    from .sim import ServerApi as FakeBotApi  # the server, as the handlers see it

MAX_RESULTS = 50
MAX_ID_BYTES = 64
MAX_OFFSET_BYTES = 64
_START_PARAMETER = re.compile(r"[A-Za-z0-9_-]{1,64}")
SUPPORTED = frozenset({"article", "photo"})
KNOWN = SUPPORTED | {
    "audio",
    "contact",
    "game",
    "document",
    "gif",
    "location",
    "mpeg4_gif",
    "venue",
    "video",
    "voice",
    "sticker",
}


def _content(api: FakeBotApi, raw: Any, *, title: str) -> dict[str, Any]:
    """An input_message_content of text (the kind article results carry), formatted."""
    if not isinstance(raw, dict):
        raise bad_request(f"can't parse input_message_content of {title}")
    if "message_text" not in raw:
        raise bad_request("SEND_MESSAGE_TYPE_INVALID")  # only text content is modelled
    text = raw["message_text"]
    if not isinstance(text, str) or not text.strip():
        raise bad_request("MESSAGE_EMPTY")
    fmt = format_text(
        api, text, str(raw.get("parse_mode") or ""), raw.get("entities"), caption=False
    )
    check_length(fmt, caption=False)
    return {"kind": "text", "text": fmt.text, "entities": fmt.entities}


def _result(api: FakeBotApi, raw: Any, seen: set[str]) -> dict[str, Any]:
    """One result, checked; returns what posting it shows."""
    if not isinstance(raw, dict):
        raise bad_request("can't parse InlineQueryResult: an Object expected")
    kind = raw.get("type")
    if kind not in KNOWN:
        raise bad_request("RESULT_TYPE_INVALID")
    if kind not in SUPPORTED:
        raise bad_request(f"inline results of type {kind} are not modelled by this server")
    result_id = raw.get("id")
    if not isinstance(result_id, str) or not 1 <= len(result_id.encode()) <= MAX_ID_BYTES:
        raise bad_request("RESULT_ID_INVALID")
    if result_id in seen:
        raise bad_request("RESULT_ID_DUPLICATE")
    seen.add(result_id)
    markup = parse_reply_markup(json.dumps(raw["reply_markup"])) if "reply_markup" in raw else None
    if markup is not None and not markup.inline:
        raise bad_request("REPLY_MARKUP_INVALID")
    check_markup_server_side(markup)
    shown: dict[str, Any]
    if kind == "article":
        title = raw.get("title")
        if not isinstance(title, str) or not title.strip():
            raise bad_request("ARTICLE_TITLE_EMPTY")
        shown = _content(api, raw.get("input_message_content"), title=title)
    else:  # photo: the photo itself, or a text instead of it
        cached = "photo_file_id" in raw
        if cached:  # a file of this bot's: Telegram has the thumbnail already
            known = api.files.get(str(raw["photo_file_id"]))
            if known is None:
                raise error(WRONG_FILE_ID)
            if known.kind != "photo":
                raise bad_request(f"can't use file of type {known.kind.title()} as Photo")
        else:
            if not raw.get("photo_url"):
                raise bad_request("PHOTO_CONTENT_URL_EMPTY")
            if not raw.get("thumbnail_url"):
                raise bad_request("PHOTO_THUMB_URL_EMPTY")
        if "input_message_content" in raw:
            shown = _content(api, raw["input_message_content"], title=result_id)
        else:
            caption = format_text(
                api,
                str(raw.get("caption") or ""),
                str(raw.get("parse_mode") or ""),
                raw.get("caption_entities"),
                caption=True,
            )
            check_length(caption, caption=True)
            shown = {
                "kind": "photo",
                "photo_file_id": raw["photo_file_id"] if cached else None,
                "photo_url": None if cached else raw["photo_url"],
                "caption": caption.text or None,
                "entities": caption.entities,
            }
    shown["reply_markup"] = markup.data if markup is not None else None
    return {"raw": raw, "shown": shown}


@method("answerInlineQuery")
def answer_inline_query(api: FakeBotApi, q: Query) -> bool:
    """Answer an inline query once, within the limits; kept in api.inline_answers."""
    query_id = q.arg("inline_query_id")
    state = api.inline_query_state(query_id)
    if state is None or state["answered"]:
        raise error(QUERY_TOO_OLD)
    results = q.json_arg("results", "results")
    if not isinstance(results, list):
        raise bad_request("can't parse results JSON object")
    if len(results) > MAX_RESULTS:
        raise bad_request("RESULTS_TOO_MUCH")
    seen: set[str] = set()
    checked = [_result(api, raw, seen) for raw in results]
    offset = q.arg("next_offset")
    if len(offset.encode()) > MAX_OFFSET_BYTES:
        raise bad_request("NEXT_OFFSET_INVALID")
    button = q.json_arg("button", "button") if q.has("button") else None
    if button is not None:
        if not isinstance(button, dict) or not str(button.get("text") or "").strip():
            raise bad_request("BUTTON_TEXT_INVALID")
        start = button.get("start_parameter")
        if start is not None and not _START_PARAMETER.fullmatch(str(start)):
            raise bad_request("START_PARAM_INVALID")
        if start is None and "web_app" not in button:
            raise bad_request("BUTTON_TYPE_INVALID")
    state["answered"] = True
    api.inline_answers[query_id] = {
        "results": [c["raw"] for c in checked],
        "shown": {c["raw"]["id"]: c["shown"] for c in checked},
        "cache_time": q.int_arg("cache_time", 300),
        "is_personal": q.bool_arg("is_personal"),
        "next_offset": offset,
        "button": button,
    }
    return True
