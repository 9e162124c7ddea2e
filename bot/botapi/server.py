"""FakeBotApi: a local Bot API server, as strict as Telegram (playground, e2e tests, benchmarks).

Usage::

    api = FakeBotApi(token="123456:TEST", bot_username="shop_test_bot")
    await api.start()          # api.url == "http://127.0.0.1:PORT"
    alice = api.add_user(1001, "Alice")
    # configure the bot with base_url=f"{api.url}/bot", base_file_url=f"{api.url}/file/bot"
    await alice.send_text("/start")
    await api.wait_for(lambda a: a.chat(1001).last_bot_message())
    await api.stop()

Requests arrive as ``POST {url}/bot<token>/<method>`` (JSON, urlencoded, multipart or query
string); files are served from ``GET {url}/file/bot<token>/<file_path>``. Method handlers live
in the ``methods_*`` modules (one small function per method, registered in ``METHODS`` of
:mod:`bot.botapi.methods`, which holds the helpers they share).

Package layout: ``server`` (this: HTTP, update queue, faults, rate limits) with
``server_parts`` (faults, flood limits, long poll), ``methods`` and ``methods_*`` (Bot API
methods by area), ``sim`` (users/chats/messages) with ``records`` (requests, files),
``markup`` (reply_markup validation), ``entities`` and ``entities_*`` (HTML/MarkdownV2/Markdown
parsers ported from tdlib, links, UTF-16 helpers), ``protocol`` (errors and request
parameters).

Fidelity notes (where this deliberately follows real Telegram rather than a simpler rule):

* A second getUpdates long poll terminates the *older* one with 409 (tdlib's abort_long_poll);
  short polls (timeout=0) never conflict.
* Text that is empty only after entity parsing/trimming gets "text must be non-empty"; a
  missing/empty ``text`` argument gets "message text is empty".
* Unknown HTML entities such as ``&nbsp;`` stay literal text (tdlib does not reject them).
* Inline buttons: the first action field present wins (url, callback_data, ...); an empty
  url/callback_data counts as absent. Malformed URLs get the Bot API's "inline keyboard button
  URL '...' is invalid: <reason>"; BUTTON_URL_INVALID is answered for localhost/private IPs.
* Unknown or answered pre-checkout queries get the same "query is too old ..." text as
  callback queries (the Bot API maps QUERY_ID_INVALID to it for every method).
* editMessageText/Caption/Media without reply_markup removes the inline keyboard.

Descriptions not verified against Telegram (plausible guesses, kept in one place so they are
easy to fix): sendInvoice TITLE_INVALID / DESCRIPTION_INVALID / CURRENCY_INVALID /
STARS_INVOICE_INVALID / PAYMENT_PROVIDER_INVALID for XTR with a token, the fiat minimums in
``methods._TOTAL_LIMITS``, answerPreCheckoutQuery "error_message must be non-empty",
sendMediaGroup count errors, "there is no media in the message to edit", setMyDescription
length errors, BUTTON_TEXT_INVALID for empty button texts.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import inspect
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from aiohttp import web

from . import methods as _methods

# Importing the handler modules registers their methods in METHODS.
from . import (  # noqa: F401
    methods_chats,
    methods_commands,
    methods_inline,
    methods_media,
    methods_messages,
    methods_payments,
)
from .entities import canonical
from .protocol import (
    BLOCKED,
    CANT_INITIATE,
    CHAT_ID_EMPTY,
    CHAT_NOT_FOUND,
    CONFLICT_GET_UPDATES,
    ApiError,
    Query,
    Reply,
    decode_for_record,
    error,
    read_params,
    status_text,
)
from .records import FileRecord, RequestRecord, image_info, now, unique_token
from .server_parts import (
    DEFAULT_ALLOWED_UPDATES,
    _Fault,
    _is_sending_method,
    _LongPoll,
    _RateLimiter,
)
from .sim import SimChat, SimMessage, SimUser
from .webhook import DEFAULT_MAX_CONNECTIONS, WebhookDelivery

logger = logging.getLogger(__name__)

__all__ = [
    "FakeBotApi",
    "RequestRecord",
    "SimChat",
    "SimMessage",
    "SimUser",
]


class FakeBotApi:
    """A Telegram Bot API server on 127.0.0.1 with simulated users and chats."""

    def __init__(
        self,
        token: str = "123456:TEST",
        bot_username: str = "shop_test_bot",
        *,
        bot_first_name: str = "Shop Test Bot",
        host: str = "127.0.0.1",
        port: int = 0,
        local: bool = False,
        webhook_retry_seconds: float = 0.5,
    ) -> None:
        self.token = token
        # Like telegram-bot-api's --local mode: webhooks may use http and any host and port.
        self.local = local
        self.webhook_retry_seconds = webhook_retry_seconds
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.bot_id = int(token.split(":")[0])
        self.host = host
        self.port = port
        self.url = ""
        self.users: dict[int, SimUser] = {}
        self.chats: dict[int, SimChat] = {}
        self.requests: list[RequestRecord] = []
        self.callback_answers: dict[str, dict[str, Any]] = {}
        self.pre_checkout_answers: dict[str, dict[str, Any]] = {}
        # Inline mode, as BotFather's /setinline switches it: off, no inline query is sent.
        self.inline_mode = False
        self.inline_answers: dict[str, dict[str, Any]] = {}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.menu_buttons: dict[int | None, dict[str, Any]] = {}
        self.files: dict[str, FileRecord] = {}
        self._photo_groups: dict[str, list[dict[str, Any]]] = {}
        self.charges: dict[str, dict[str, Any]] = {}
        self.refunds: list[dict[str, Any]] = []
        self.webhook_url = ""
        self.webhook: WebhookDelivery | None = None
        self.allowed_updates: frozenset[str] = DEFAULT_ALLOWED_UPDATES
        self._updates: deque[dict[str, Any]] = deque()
        # Redelivered updates (`redeliver`) not yet handed out: the bot's offset may already
        # be past their id, and they come once all the same (the duplicate is the point).
        self._again: set[int] = set()
        self._update_ids = itertools.count(1)
        self._file_counter = itertools.count(1)
        self._query_ids = itertools.count(int(time.time()) * 1000 % 10**12 + 4_000_000_000_000)
        self._callback_queries: dict[str, dict[str, Any]] = {}
        self._pre_checkout_queries: dict[str, dict[str, Any]] = {}
        self._inline_queries: dict[str, dict[str, Any]] = {}
        self._faults: dict[str, deque[_Fault]] = {}
        self._rate: _RateLimiter | None = None
        self._long_poll: _LongPoll | None = None
        self._activity = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._closing = False

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> FakeBotApi:
        """Bind 127.0.0.1 on a free port and serve."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self.url = f"http://{self.host}:{self.port}"
        self._closing = False
        logger.info("FakeBotApi listening on %s", self.url)
        return self

    async def stop(self) -> None:
        """Stop serving (pending long polls are answered first)."""
        self._closing = True
        await self.stop_webhook()
        if self._long_poll is not None:
            self._long_poll.wake.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotApi:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ world setup

    def add_user(
        self,
        user_id: int,
        first_name: str,
        language_code: str | None = "en",
        username: str | None = None,
        last_name: str | None = None,
        *,
        started: bool = True,
    ) -> SimUser:
        """Create a user and their private chat (chat id == user id).

        ``started=False`` models a user who never opened the bot: sends get 403 "bot can't
        initiate conversation with a user" until the user writes.
        """
        user = SimUser(
            self,
            user_id,
            first_name,
            language_code=language_code,
            username=username,
            last_name=last_name,
            started=started,
        )
        self.users[user_id] = user
        self.chats[user_id] = SimChat(self, user_id, "private", user=user)
        return user

    def add_group(self, chat_id: int, title: str) -> SimChat:
        """Create a supergroup the bot is in (every member is implicitly present)."""
        chat = SimChat(self, chat_id, "supergroup", title=title)
        self.chats[chat_id] = chat
        return chat

    def chat(self, chat_id: int) -> SimChat:
        """A known chat; KeyError if it doesn't exist."""
        try:
            return self.chats[chat_id]
        except KeyError:
            raise KeyError(f"unknown chat {chat_id}; known: {sorted(self.chats)}") from None

    def bot_user(self) -> dict[str, Any]:
        """The bot's User JSON."""
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def lookup_user(self, user_id: int) -> dict[str, Any] | None:
        """User JSON for a known user id (for text_mention entities)."""
        user = self.users.get(user_id)
        return user.to_dict() if user else None

    # ------------------------------------------------------------------ inspection

    def calls(self, method: str) -> list[RequestRecord]:
        """Records of one method (case-insensitive)."""
        lower = method.lower()
        return [r for r in self.requests if r.method.lower() == lower]

    @property
    def polling(self) -> bool:
        """True while a getUpdates long poll is waiting."""
        return self._long_poll is not None

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates queued but not yet confirmed through getUpdates offset."""
        return list(self._updates)

    async def wait_for(
        self,
        predicate: Callable[[FakeBotApi], Any],
        timeout: float = 5.0,
    ) -> Any:
        """Wait until predicate(api) is truthy (checked after every request and every 50 ms)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate(self)
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"condition not met within {timeout}s; recent requests:\n{self.dump(12)}"
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._activity.wait(), min(0.05, remaining))

    async def next_activity(self, timeout: float) -> bool:
        """Wait for the next request or queued update (True), or the timeout (False)."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._activity.wait(), timeout)
            return True
        return False

    async def wait_callback_answered(
        self,
        query_id: str,
        timeout: float = 5.0,
    ) -> dict[str, Any]:
        """Wait until answerCallbackQuery was called for this query; returns its params."""
        return await self.wait_for(lambda a: a.callback_answers.get(query_id), timeout)

    def dump(self, last: int = 20) -> str:
        """A short human-readable log of the last requests."""
        lines = []
        for record in self.requests[-last:]:
            params = {k: v for k, v in record.params.items() if k != "reply_markup"}
            text = repr(params)
            if len(text) > 160:
                text = text[:157] + "..."
            outcome = "ok" if record.ok else record.description
            lines.append(f"  {record.method} {record.status} {outcome} {text}")
        return "\n".join(lines) or "  (no requests)"

    # ------------------------------------------------------------------ fault injection

    def fail_next(
        self,
        method: str,
        status: int | None = 500,
        description: str = "Internal Server Error",
        retry_after: int | None = None,
        times: int = 1,
        delay: float = 0.0,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail with this error.

        ``delay`` sleeps before answering (to trigger client timeouts). With ``status=None``
        the call is processed normally and only the answer is delayed (e.g. a message that is
        sent although the client already timed out). A 429 carries ``parameters.retry_after``.
        """
        if status is not None and description == "Internal Server Error" and status != 500:
            description = status_text(status)
        if status == 429:
            retry_after = retry_after or 1
            if description == status_text(429):
                description = f"Too Many Requests: retry after {retry_after}"
        queue = self._faults.setdefault(method.lower(), deque())
        for _ in range(times):
            queue.append(_Fault(status, description, retry_after, delay))

    def faults_left(self, method: str) -> int:
        """How many of ``method``'s injected faults no call has met yet (a call meets its
        fault on arrival, so a drop says the call is now in flight)."""
        return len(self._faults.get(method.lower(), ()))

    def rate_limits(
        self,
        enabled: bool = True,
        global_per_sec: float = 30,
        private_per_sec: float = 1,
        private_burst: int = 3,
        group_per_min: float = 20,
    ) -> None:
        """Enable Telegram-like flood limits for message-sending methods (off by default)."""
        self._rate = (
            _RateLimiter(global_per_sec, private_per_sec, private_burst, group_per_min)
            if enabled
            else None
        )

    # ------------------------------------------------------------------ updates

    def enqueue_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue an Update for getUpdates and return it."""
        update = {"update_id": next(self._update_ids), kind: payload}
        self._updates.append(update)
        if self._long_poll is not None:
            self._long_poll.wake.set()
        if self.webhook is not None:
            self.webhook.wake()
        self._notify()
        return update

    def redeliver(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update that was delivered before, with its own id, as Telegram does at
        least once (a webhook retried, a restart before the offset moved, a double send)."""
        again = copy.deepcopy(update)
        self._updates.append(again)
        self._again.add(id(again))
        if self._long_poll is not None:
            self._long_poll.wake.set()
        if self.webhook is not None:
            self.webhook.wake()
        self._notify()
        return again

    def enqueue_my_chat_member(self, user: SimUser, old: str, new: str) -> dict[str, Any]:
        """Queue a my_chat_member update for the bot's membership in a private chat."""
        bot = self.bot_user()
        new_member: dict[str, Any] = {"user": bot, "status": new}
        if new == "kicked":
            new_member["until_date"] = 0
        old_member: dict[str, Any] = {"user": bot, "status": old}
        if old == "kicked":
            old_member["until_date"] = 0
        payload = {
            "chat": self.chat(user.id).to_dict(),
            "from": user.to_dict(),
            "date": now(),
            "old_chat_member": old_member,
            "new_chat_member": new_member,
        }
        return self.enqueue_update("my_chat_member", payload)

    def start_webhook(
        self, url: str, secret: str, max_connections: int = DEFAULT_MAX_CONNECTIONS
    ) -> None:
        """Push queued updates to `url` from now on (setWebhook)."""
        old = self.webhook
        if old is not None:
            asyncio.get_running_loop().create_task(old.stop())
        self.webhook_url = url
        self.webhook = WebhookDelivery(
            url,
            secret,
            max_connections,
            deliverable=self.deliverable_updates,
            delivered=self._delivered,
            retry_seconds=self.webhook_retry_seconds,
        )
        self.webhook.start()

    async def stop_webhook(self) -> None:
        """Stop pushing updates (deleteWebhook, or the server stopping)."""
        webhook, self.webhook = self.webhook, None
        if webhook is not None:
            await webhook.stop()

    def _delivered(self, update: dict[str, Any]) -> None:
        """The webhook answered 2xx: the update leaves the queue."""
        for index, queued in enumerate(self._updates):
            if queued is update:
                del self._updates[index]
                self._again.discard(id(update))
                break
        self._notify()

    def set_allowed_updates(self, names: list[str]) -> None:
        """getUpdates allowed_updates: an empty list restores the default set."""
        self.allowed_updates = frozenset(names) if names else DEFAULT_ALLOWED_UPDATES

    def clear_updates(self) -> None:
        """Drop every pending update (deleteWebhook drop_pending_updates)."""
        self._updates.clear()
        self._again.clear()

    def confirm_updates(self, offset: int) -> None:
        """Apply a getUpdates offset: drop confirmed updates."""
        if offset > 0:
            self._updates = deque(
                u for u in self._updates if u["update_id"] >= offset or id(u) in self._again
            )
        elif offset < 0:
            keep = -offset
            while len(self._updates) > keep:
                self._updates.popleft()

    def deliverable_updates(self, limit: int) -> list[dict[str, Any]]:
        """Up to ``limit`` queued updates of allowed types (others are dropped)."""
        kept = deque(u for u in self._updates if self._update_kind(u) in self.allowed_updates)
        self._updates = kept
        handed = list(itertools.islice(kept, limit))
        self._again.difference_update(id(u) for u in handed)  # the offset applies from now on
        return handed

    @staticmethod
    def _update_kind(update: dict[str, Any]) -> str:
        return next(k for k in update if k != "update_id")

    async def long_poll(self, seconds: float, limit: int) -> list[dict[str, Any]]:
        """Wait up to ``seconds`` for updates; an older pending poll gets 409 Conflict."""
        if self._long_poll is not None:
            self._long_poll.conflict = True
            self._long_poll.wake.set()
        poll = _LongPoll()
        self._long_poll = poll
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        try:
            while True:
                remaining = deadline - loop.time()
                if remaining <= 0 or self._closing:
                    return []
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(poll.wake.wait(), remaining)
                poll.wake.clear()
                if poll.conflict:
                    raise error(CONFLICT_GET_UPDATES, 409)
                updates = self.deliverable_updates(limit)
                if updates:
                    return updates
        finally:
            if self._long_poll is poll:
                self._long_poll = None

    # ------------------------------------------------------------------ callback / payments

    def new_query_id(self) -> str:
        """A fresh numeric-string query id."""
        return str(next(self._query_ids))

    def new_callback_query(self, user_id: int) -> str:
        """Register a callback query that the bot must answer once."""
        query_id = self.new_query_id()
        self._callback_queries[query_id] = {"user_id": user_id, "answered": False}
        return query_id

    def callback_query_state(self, query_id: str) -> dict[str, Any] | None:
        """Internal state of a callback query (None if unknown)."""
        return self._callback_queries.get(query_id)

    def pre_checkout_state(self, query_id: str) -> dict[str, Any] | None:
        """Internal state of a pre-checkout query (None if unknown)."""
        return self._pre_checkout_queries.get(query_id)

    def new_inline_query(self, user_id: int) -> str:
        """Register an inline query that the bot may answer once."""
        query_id = self.new_query_id()
        self._inline_queries[query_id] = {"user_id": user_id, "answered": False}
        return query_id

    def inline_query_state(self, query_id: str) -> dict[str, Any] | None:
        """Internal state of an inline query (None if unknown)."""
        return self._inline_queries.get(query_id)

    def new_pre_checkout_query(self, user_id: int) -> str:
        """Register a pre-checkout query that the bot must answer once."""
        query_id = self.new_query_id()
        self._pre_checkout_queries[query_id] = {"user_id": user_id, "answered": False}
        return query_id

    def resolve_invoice(self, user: SimUser, invoice: SimMessage | int | str) -> dict[str, Any]:
        """currency/total_amount/payload of an invoice given as message, message id or payload."""
        msg: SimMessage | None = None
        if isinstance(invoice, SimMessage):
            msg = invoice
        elif isinstance(invoice, int):
            msg = self.chat(user.id).all_messages.get(invoice)
        else:
            for chat in self.chats.values():
                for candidate in chat.all_messages.values():
                    if candidate.kind == "invoice" and candidate.extra.get("_payload") == invoice:
                        msg = candidate
            if msg is None:
                raise LookupError(f"no invoice with payload {invoice!r}")
        if msg is None or msg.kind != "invoice" or msg.invoice is None:
            raise LookupError(f"{invoice!r} is not an invoice message")
        return {
            "currency": msg.invoice["currency"],
            "total_amount": msg.invoice["total_amount"],
            "payload": msg.extra["_payload"],
        }

    def record_charge(self, user_id: int, payment: dict[str, Any]) -> None:
        """Remember a successful payment so refundStarPayment can find it."""
        self.charges[payment["telegram_payment_charge_id"]] = {
            "user_id": user_id,
            "currency": payment["currency"],
            "total_amount": payment["total_amount"],
            "payload": payment["invoice_payload"],
            "refunded": False,
        }

    # ------------------------------------------------------------------ files

    def _file_path(self, folder: str, ext: str) -> str:
        return f"{folder}/file_{next(self._file_counter)}{ext}"

    def store_photo(self, data: bytes | None, url: str | None = None) -> list[dict[str, Any]]:
        """Store a photo; returns PhotoSize list (thumbnail + full size for big images)."""
        info = image_info(data) if data else None
        fmt, width, height = info or ("jpg", 1280, 960)
        ext = ".jpg" if fmt in ("jpeg", "jpg") else f".{fmt}"
        sizes: list[tuple[int, int]] = []
        if max(width, height) > 320:
            scale = 320 / max(width, height)
            sizes.append((max(1, round(width * scale)), max(1, round(height * scale))))
        sizes.append((width, height))
        result = []
        for w, h in sizes:
            record = FileRecord(
                file_id=unique_token("AgACAgIAAxkBAA", 40),
                file_unique_id=unique_token("AQAD", 12),
                kind="photo",
                data=data,
                url=url,
                width=w,
                height=h,
                file_path=self._file_path("photos", ext),
            )
            self.files[record.file_id] = record
            result.append(record.photo_size())
        for size in result:
            self._photo_groups[size["file_id"]] = result
        return result

    def photo_sizes(self, file_id: str) -> list[dict[str, Any]]:
        """All PhotoSizes of the photo that ``file_id`` belongs to."""
        return list(self._photo_groups.get(file_id) or [self.files[file_id].photo_size()])

    def store_document(
        self,
        data: bytes | None,
        file_name: str | None,
        mime_type: str | None,
        url: str | None = None,
    ) -> FileRecord:
        """Store a document; returns its FileRecord."""
        ext = ""
        if file_name and "." in file_name:
            ext = "." + file_name.rsplit(".", 1)[1]
        record = FileRecord(
            file_id=unique_token("BQACAgIAAxkBAA", 40),
            file_unique_id=unique_token("AgAD", 12),
            kind="document",
            data=data,
            url=url,
            file_name=file_name,
            mime_type=mime_type,
            file_path=self._file_path("documents", ext),
        )
        self.files[record.file_id] = record
        return record

    # ------------------------------------------------------------------ helpers for methods

    def resolve_chat(self, query: Query, field: str = "chat_id") -> SimChat:
        """The chat named by a chat_id argument (id or @username) or 400 chat not found."""
        raw = query.arg(field).strip()
        if not raw:
            raise error(CHAT_ID_EMPTY)
        if raw.startswith("@"):
            name = raw[1:].lower()
            for user in self.users.values():
                if user.username and user.username.lower() == name:
                    return self.chats[user.id]
            raise error(CHAT_NOT_FOUND)
        try:
            chat_id = int(raw)
        except ValueError:
            raise error(CHAT_NOT_FOUND) from None
        chat = self.chats.get(chat_id)
        if chat is None:
            raise error(CHAT_NOT_FOUND)
        return chat

    def check_can_send(self, chat: SimChat) -> None:
        """403 when the private chat's user blocked the bot or never started it."""
        if chat.type == "private" and chat.user is not None:
            if chat.user.blocked:
                raise error(BLOCKED, 403)
            if not chat.user.started:
                raise error(CANT_INITIATE, 403)

    def new_bot_message(self, chat: SimChat, kind: str, **fields: Any) -> SimMessage:
        """Create a message sent by the bot in ``chat``."""
        msg = SimMessage(
            message_id=chat.next_message_id(),
            chat_id=chat.id,
            from_bot=True,
            kind=kind,
            date=now(),
            **fields,
        )
        return chat.add_message(msg)

    def _notify(self) -> None:
        event, self._activity = self._activity, asyncio.Event()
        event.set()

    # ------------------------------------------------------------------ HTTP

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/file/bot"):
            return self._download(path[len("/file/bot") :])
        if not path.startswith("/bot"):
            return web.json_response(ApiError(404, "Not Found").payload(), status=404)
        token, _, method = path[len("/bot") :].partition("/")
        record_method = method
        params: dict[str, Any] = {}
        try:
            args, files = await read_params(request)
            params = decode_for_record(args, files)
            if ":" not in token or not method:
                raise ApiError(404, "Not Found")
            if token != self.token:
                raise ApiError(401, "Unauthorized")
            entry = _methods.METHODS.get(method.lower())
            if entry is None:
                raise ApiError(404, "Not Found: method not found")
            record_method, handler = entry
            result = await self._run(method.lower(), handler, Query(record_method, args, files))
            if isinstance(result, Reply):
                body: dict[str, Any] = {"ok": True, "result": result.result}
                if result.description:
                    body["description"] = result.description
            else:
                body = {"ok": True, "result": result}
            status = 200
        except ApiError as exc:
            body, status = exc.payload(), exc.status
        except asyncio.CancelledError:
            self._record(record_method, params, 0, {"ok": False, "description": "client gone"})
            raise
        except Exception:  # a bug in the fake must be loud, but still answer like Telegram
            logger.exception("FakeBotApi handler crashed for %s", record_method)
            body, status = ApiError(500, "Internal Server Error").payload(), 500
        self._record(record_method, params, status, body)
        return web.json_response(body, status=status)

    def _record(
        self, method: str, params: dict[str, Any], status: int, body: dict[str, Any]
    ) -> None:
        self.requests.append(RequestRecord(method, params, status, body))
        self._notify()

    async def _run(self, lower: str, handler: Callable[..., Any], query: Query) -> Any:
        faults = self._faults.get(lower)
        fault = faults.popleft() if faults else None
        if fault is not None and fault.status is not None:
            if fault.delay > 0:
                await asyncio.sleep(fault.delay)
            parameters = {"retry_after": fault.retry_after} if fault.status == 429 else None
            raise ApiError(fault.status, fault.description, parameters)
        if self._rate is not None and _is_sending_method(lower):
            self._apply_rate_limit(lower, query)
        result = handler(self, query)
        if inspect.isawaitable(result):
            result = await result
        if fault is not None and fault.delay > 0:
            # processed, but the answer is late: the client may time out although it worked
            await asyncio.sleep(fault.delay)
        return result

    def _apply_rate_limit(self, lower: str, query: Query) -> None:
        assert self._rate is not None
        try:
            chat = self.resolve_chat(query)
        except ApiError:
            return  # the handler reports the real error
        count = 1
        if lower == "sendmediagroup":
            media = query.json_arg("media")
            count = len(media) if isinstance(media, list) and media else 1
        retry_after = self._rate.check(chat, count)
        if retry_after is not None:
            raise ApiError(
                429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
            )

    def _download(self, rest: str) -> web.StreamResponse:
        token, _, file_path = rest.partition("/")
        if token != self.token:
            return web.json_response(ApiError(401, "Unauthorized").payload(), status=401)
        for record in self.files.values():
            if record.file_path == file_path and record.data is not None:
                return web.Response(
                    body=record.data,
                    content_type=record.mime_type or "application/octet-stream",
                )
        return web.json_response(ApiError(404, "Not Found").payload(), status=404)

    # ------------------------------------------------------------------ misc

    def commands_for(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """Commands set for a scope dict (default scope when None) and language code."""
        key = canonical(scope or {"type": "default"})
        return self.commands.get((key, language_code), [])
