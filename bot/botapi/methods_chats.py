"""Bot API methods for updates and chats: getUpdates and webhooks, getMe/logOut/close, getChat
and chat members."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from .protocol import (
    CONFLICT_WEBHOOK,
    Query,
    Reply,
    bad_request,
    error,
)

if TYPE_CHECKING:
    from .sim import ServerApi as FakeBotApi  # the server, as the handlers see it
from .methods import method
from .webhook import DEFAULT_MAX_CONNECTIONS

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
async def delete_webhook(api: FakeBotApi, q: Query) -> Reply:
    """Remove the webhook (getUpdates works again); drop_pending_updates clears the queue."""
    if q.bool_arg("drop_pending_updates"):
        api.clear_updates()
    had = bool(api.webhook_url)
    api.webhook_url = ""
    await api.stop_webhook()
    return Reply(True, "Webhook was deleted" if had else "Webhook is already deleted")


WEBHOOK_PORTS = (80, 88, 443, 8443)
_SECRET = re.compile(r"^[A-Za-z0-9_-]{0,256}$")


def _check_webhook_url(api: FakeBotApi, url: str) -> None:
    """Telegram's rules for a webhook URL (relaxed in local mode, as the self-hosted server
    started with --local allows http and any port)."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
    if api.local:
        return
    if parsed.scheme != "https":
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    if (parsed.port or 443) not in WEBHOOK_PORTS:
        raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")


@method("setWebhook")
async def set_webhook(api: FakeBotApi, q: Query) -> Reply:
    """Push updates to a URL from now on (getUpdates then answers 409); an empty url deletes
    the webhook."""
    url = q.arg("url")
    if not url:
        return await delete_webhook(api, q)
    _check_webhook_url(api, url)
    secret = q.arg("secret_token")
    if not _SECRET.match(secret):
        raise bad_request("secret token contains unallowed characters")
    max_connections = q.int_arg("max_connections", DEFAULT_MAX_CONNECTIONS)
    max_connections = DEFAULT_MAX_CONNECTIONS if max_connections == 0 else max_connections
    max_connections = min(max(max_connections, 1), 100)
    allowed = q.json_arg("allowed_updates", "allowed updates")
    if isinstance(allowed, list):
        api.set_allowed_updates([str(a) for a in allowed])
    if q.bool_arg("drop_pending_updates"):
        api.clear_updates()
    same = (
        api.webhook is not None
        and api.webhook_url == url
        and api.webhook.secret == secret
        and api.webhook.max_connections == max_connections
    )
    if same:
        return Reply(True, "Webhook is already set")
    api.start_webhook(url, secret, max_connections)
    return Reply(True, "Webhook was set")


@method("getWebhookInfo")
def get_webhook_info(api: FakeBotApi, q: Query) -> dict[str, Any]:
    """Webhook status: its URL, the updates waiting, the last delivery error."""
    info: dict[str, Any] = {
        "url": api.webhook_url,
        "has_custom_certificate": False,
        "pending_update_count": len(api.pending_updates()),
    }
    webhook = api.webhook
    if webhook is not None:
        info["max_connections"] = webhook.max_connections
        info["allowed_updates"] = sorted(api.allowed_updates)
        if webhook.last_error_date:
            info["last_error_date"] = webhook.last_error_date
            info["last_error_message"] = webhook.last_error_message
    return info


# =========================================================================== bot


@method("getMe")
def get_me(api: FakeBotApi, q: Query) -> dict[str, Any]:
    """The bot user."""
    return {
        **api.bot_user(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": api.inline_mode,
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
