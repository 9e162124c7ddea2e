"""The playground's web page: static assets shipped in the package, a small JSON API through
which the page acts as Telegram's client would (send, tap, share a contact, upload, pay), and
server-sent events that push every chat that changed."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.botapi.server import FakeBotApi
from bot.botapi.sim import SimChat, SimUser
from bot.playground.render import chat_json

log = logging.getLogger("bot.playground")

STATIC = Path(__file__).with_name("static")
MAX_TEXT = 4096  # Telegram's clients split longer messages into several
MAX_PHOTO = 10 * 1024 * 1024  # larger images go as documents, as Telegram's clients do
MAX_UPLOAD = 50 * 1024 * 1024
LANGUAGES = {"en": "en", "zh": "zh-hans"}
_PHONES = {"en": "+1415555{:04d}", "zh": "+86138001{:05d}"}


def split_text(text: str, size: int = MAX_TEXT) -> list[str]:
    """Telegram's clients send an over-long text as several messages, cut at line ends or
    spaces when possible."""
    parts: list[str] = []
    while len(text) > size:
        cut = text.rfind("\n", 0, size)
        if cut <= 0:
            cut = text.rfind(" ", 0, size)
        if cut <= 0:
            cut = size
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n ")
    if text.strip():
        parts.append(text)
    return parts


@web.middleware
async def json_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """The API answers errors as JSON, as the page expects."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if not request.path.startswith("/api/") or exc.status < 400:
            raise
        return web.json_response({"ok": False, "error": exc.text}, status=exc.status)


class PlaygroundWeb:
    """The page and its API, bound to one local Bot API server."""

    def __init__(
        self,
        api: FakeBotApi,
        *,
        merchant: SimUser,
        admin_chat: int,
        customers: list[int],
        tour: dict[str, Any] | None = None,
    ) -> None:
        self.api = api
        self.tour = dict(tour or {})  # what the page's "Try" panel names (the demo's seeds)
        self.merchant = merchant
        self.admin_chat = admin_chat
        self.customers = list(customers)  # the page's customers (not the generated ones)
        self._ids = itertools.count(max(self.customers, default=1000) + 1)
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self._paid: set[tuple[int, int]] = set()  # invoices paid from the page: (chat, message)
        self.url = ""

    # ------------------------------------------------------------------ lifecycle

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024, middlewares=[json_errors])
        r = app.router
        r.add_get("/", self._index)
        r.add_static("/static/", STATIC, append_version=False)
        r.add_get("/api/state", self._state)
        r.add_get("/api/events", self._events)
        r.add_get("/api/files/{file_id}", self._file)
        r.add_post("/api/customers", self._add_customer)
        r.add_post("/api/chats/{chat_id}/text", self._text)
        r.add_post("/api/chats/{chat_id}/tap", self._tap)
        r.add_post("/api/chats/{chat_id}/contact", self._contact)
        r.add_post("/api/chats/{chat_id}/file", self._upload)
        r.add_post("/api/chats/{chat_id}/pay", self._pay)
        return app

    async def start(self, host: str, port: int) -> str:
        self._runner = web.AppRunner(
            self.application(), access_log=None, handler_cancellation=True, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = int(self._runner.addresses[0][1])
        self.url = f"http://{host}:{bound}"
        return self.url

    async def stop(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ------------------------------------------------------------------ helpers

    def _language(self, chat: SimChat) -> str | None:
        user = chat.user or self.merchant
        return user.language_code

    def chat_state(self, chat: SimChat) -> dict[str, Any]:
        state = chat_json(self.api, chat, self._language(chat))
        for message in state["messages"]:
            if "invoice" in message and (chat.id, message["id"]) in self._paid:
                message["invoice"]["paid"] = True  # Telegram shows "Receipt" instead of Pay
        state["title"] = chat.title or (chat.user.first_name if chat.user else str(chat.id))
        state["type"] = chat.type
        if chat.user is not None:
            state["language"] = (chat.user.language_code or "en").split("-")[0]
            state["phone"] = self._phone(chat.user)
        return state

    def _phone(self, user: SimUser) -> str:
        language = (user.language_code or "en").split("-")[0]
        return _PHONES.get(language, _PHONES["en"]).format(user.id % 10_000)

    def _customers(self) -> list[SimUser]:
        return [self.api.users[i] for i in self.customers]

    def _visible(self) -> list[SimChat]:
        return [self.api.chat(self.admin_chat), *(self.api.chat(i) for i in self.customers)]

    def _chat(self, request: web.Request) -> tuple[SimChat, SimUser]:
        """The chat named in the URL and who acts in it (the customer, or the merchant in the
        admin chat)."""
        try:
            chat_id = int(request.match_info["chat_id"])
            chat = self.api.chat(chat_id)
        except (KeyError, ValueError):
            raise web.HTTPNotFound(text="no such chat") from None
        if chat.id == self.admin_chat:
            return chat, self.merchant
        if chat.user is None or chat.id not in self.customers:
            raise web.HTTPNotFound(text="no such chat")
        return chat, chat.user

    @staticmethod
    async def _json(request: web.Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise web.HTTPBadRequest(text="a JSON body is expected") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="a JSON object is expected")
        return body

    # ------------------------------------------------------------------ page and state

    async def _index(self, _request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html")

    async def _state(self, _request: web.Request) -> web.Response:
        bot = self.api.bot_user()
        return web.json_response(
            {
                "bot": {"name": bot["first_name"], "username": bot["username"]},
                "admin_chat": self.admin_chat,
                "merchant": {"id": self.merchant.id, "name": self.merchant.first_name},
                "customers": [
                    {
                        "id": u.id,
                        "name": u.first_name,
                        "language": (u.language_code or "en").split("-")[0],
                    }
                    for u in self._customers()
                ],
                "tour": self.tour,
            }
        )

    async def _events(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: a `chat` event with the whole chat each time it changes."""
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        seen: dict[int, str] = {}
        try:
            while not self._closing.is_set():
                for chat in self._visible():
                    state = json.dumps(self.chat_state(chat), ensure_ascii=False)
                    if seen.get(chat.id) != state:
                        seen[chat.id] = state
                        await response.write(f"event: chat\ndata: {state}\n\n".encode())
                changed = await self._next_change(15.0)
                if self._closing.is_set():
                    break
                if not changed:
                    await response.write(b": keep-alive\n\n")
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        return response

    async def _next_change(self, seconds: float) -> bool:
        """Wait for activity on the server (True), the timeout (False) or the page closing."""
        closing = asyncio.ensure_future(self._closing.wait())
        change = asyncio.ensure_future(self.api.next_activity(seconds))
        done, pending = await asyncio.wait({closing, change}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        return change in done and change.result()

    async def _file(self, request: web.Request) -> web.StreamResponse:
        record = self.api.files.get(request.match_info["file_id"])
        if record is None or record.data is None:
            raise web.HTTPNotFound(text="no such file")
        headers = {}
        if record.kind == "document":
            name = (record.file_name or "file").replace('"', "")
            headers["Content-Disposition"] = f'attachment; filename="{name}"'
        content_type = record.mime_type or (
            "image/png" if record.file_path.endswith(".png") else "image/jpeg"
        )
        if record.kind == "document" and not record.mime_type:
            content_type = "application/octet-stream"
        return web.Response(body=record.data, content_type=content_type, headers=headers)

    # ------------------------------------------------------------------ acting as a user

    async def _add_customer(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        name = str(body.get("name") or "").strip()
        language = str(body.get("language") or "en")
        if not name or len(name) > 64:
            raise web.HTTPBadRequest(text="a name of 1 to 64 characters is needed")
        if language not in LANGUAGES:
            raise web.HTTPBadRequest(text="language is en or zh")
        user_id = next(self._ids)
        while user_id in self.api.users:
            user_id = next(self._ids)
        self.api.add_user(user_id, name, language_code=LANGUAGES[language])
        self.customers.append(user_id)
        log.info("playground: new customer %s (%s)", name, language)
        chat = self.chat_state(self.api.chat(user_id))  # drawn at once, before any event
        return web.json_response({"id": user_id, "name": name, "language": language, "chat": chat})

    async def _text(self, request: web.Request) -> web.Response:
        chat, user = self._chat(request)
        body = await self._json(request)
        text = str(body.get("text") or "")
        reply_to = None
        if body.get("reply_to") is not None:
            reply_to = chat.message(int(body["reply_to"]))
        parts = split_text(text)
        if not parts:  # Telegram's clients do not send an empty message
            return web.json_response({"ok": False, "error": "empty"}, status=400)
        for part in parts:
            await user.send_text(part, chat_id=chat.id, reply_to=reply_to)
            reply_to = None
        return web.json_response({"ok": True, "messages": len(parts)})

    async def _tap(self, request: web.Request) -> web.Response:
        """Press an inline button; answers with the bot's toast or alert, like the client's
        spinner that waits for answerCallbackQuery."""
        chat, user = self._chat(request)
        body = await self._json(request)
        message = chat.message(int(body.get("message_id", 0)))
        if message is None:
            raise web.HTTPNotFound(text="message is gone")
        try:
            row, column = int(body["row"]), int(body["column"])
            button = message.inline_keyboard[row][column]
        except (KeyError, IndexError, ValueError, TypeError):
            raise web.HTTPBadRequest(text="no such button") from None
        data = button.get("callback_data")
        if data is None:
            raise web.HTTPBadRequest(text="not a callback button")
        update = await user.tap_data(message, data)
        query_id = update["callback_query"]["id"]
        try:
            answer = await self.api.wait_callback_answered(query_id, timeout=10.0)
        except TimeoutError:
            return web.json_response({"answered": False})
        return web.json_response(
            {
                "answered": True,
                "text": answer.get("text") or "",
                "alert": str(answer.get("show_alert", "")).lower() in ("true", "1"),
                "url": answer.get("url") or "",
            }
        )

    async def _contact(self, request: web.Request) -> web.Response:
        chat, user = self._chat(request)
        await user.send_contact(phone_number=self._phone(user), chat_id=chat.id)
        return web.json_response({"ok": True})

    async def _upload(self, request: web.Request) -> web.Response:
        chat, user = self._chat(request)
        form = await request.post()
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            raise web.HTTPBadRequest(text="a file is expected")
        data = upload.file.read()
        caption = str(form.get("caption") or "") or None
        name = upload.filename or "file"
        mime = upload.content_type or "application/octet-stream"
        as_photo = (
            form.get("as") == "photo" and mime.startswith("image/") and len(data) <= MAX_PHOTO
        )
        if as_photo:
            await user.send_photo(data, caption=caption, chat_id=chat.id)
        else:
            await user.send_document(
                data, file_name=name, mime_type=mime, caption=caption, chat_id=chat.id
            )
        return web.json_response({"ok": True, "kind": "photo" if as_photo else "document"})

    async def _pay(self, request: web.Request) -> web.Response:
        """The payment form: the pre-checkout query, then (unless the card is declined) the
        successful payment, as Telegram runs them after the user presses Pay."""
        chat, user = self._chat(request)
        body = await self._json(request)
        message = chat.message(int(body.get("message_id", 0)))
        if message is None or message.kind != "invoice":
            raise web.HTTPNotFound(text="no such invoice")
        update = await user.pre_checkout(message)
        query_id = update["pre_checkout_query"]["id"]
        try:
            answer = await self.api.wait_for(
                lambda a: a.pre_checkout_answers.get(query_id), timeout=10.0
            )
        except TimeoutError:
            return web.json_response({"ok": False, "error": "The bot did not answer in time."})
        if str(answer.get("ok", "")).lower() not in ("true", "1"):
            return web.json_response(
                {"ok": False, "error": answer.get("error_message") or "Payment refused."}
            )
        if body.get("outcome") == "decline":
            log.info("playground: %s's card was declined", user.first_name)
            return web.json_response(
                {"ok": False, "code": "declined", "error": "Your card was declined."}
            )
        self._paid.add((chat.id, message.message_id))
        with contextlib.suppress(LookupError):
            await user.successful_payment(message)
        invoice = message.invoice or {}
        log.info(
            "playground: %s paid %s (%s %s)",
            user.first_name,
            invoice.get("title"),
            invoice.get("total_amount"),
            invoice.get("currency"),
        )
        return web.json_response({"ok": True})
