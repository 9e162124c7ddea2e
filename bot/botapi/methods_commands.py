"""Bot API methods for callbacks and the bot's profile: answerCallbackQuery, the command lists
per scope and language, descriptions and the chat menu button."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .entities import canonical
from .protocol import (
    MESSAGE_TOO_LONG,
    QUERY_TOO_OLD,
    Query,
    bad_request,
    error,
)

if TYPE_CHECKING:
    from .sim import ServerApi as FakeBotApi  # the server, as the handlers see it
from .methods import MAX_CALLBACK_ANSWER, method

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
    return _store_per_language(api.descriptions, q, "description", 512)


@method("getMyDescription")
def get_my_description(api: FakeBotApi, q: Query) -> dict[str, str]:
    """The stored description."""
    return {"description": api.descriptions.get(_language(q), "")}


@method("setMyShortDescription")
def set_my_short_description(api: FakeBotApi, q: Query) -> bool:
    """Store the short description (<= 120 characters) per language."""
    return _store_per_language(api.short_descriptions, q, "short_description", 120)


def _store_per_language(store: dict[str, str], q: Query, field: str, most: int) -> bool:
    """Keep `field` for the query's language (an empty one removes it), as Telegram does."""
    text = q.arg(field)
    if len(text) > most:
        raise bad_request(f"{field.replace('_', ' ')} is too long")
    language = _language(q)
    if text:
        store[language] = text
    else:
        store.pop(language, None)
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
