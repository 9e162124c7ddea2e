"""The simulated world: users, chats, messages and what the user "sees" (files are in
records.py)."""

from __future__ import annotations

import asyncio
import itertools
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .entities import find_entities

if TYPE_CHECKING:
    from .protocol import Query
from .records import FileRecord, now, unique_token

logger = logging.getLogger(__name__)

_ids = itertools.count(1)


# --------------------------------------------------------------------------- messages


@dataclass
class SimMessage:
    """A message in a simulated chat, as the user would see it."""

    message_id: int
    chat_id: int
    from_bot: bool
    kind: str
    date: int
    text: str | None = None
    caption: str | None = None
    html: str | None = None
    parse_mode: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    reply_markup_kind: str | None = None
    photo: list[dict[str, Any]] = field(default_factory=list)
    document: dict[str, Any] | None = None
    invoice: dict[str, Any] | None = None
    edits: int = 0
    history: list[str | None] = field(default_factory=list)
    edit_date: int | None = None
    deleted: bool = False
    sender_id: int | None = None
    reply_to: SimMessage | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    chat: SimChat | None = field(default=None, repr=False, compare=False)

    # ---- convenience for tests
    @property
    def photo_file_id(self) -> str | None:
        """file_id of the largest photo size (None if not a photo)."""
        return self.photo[-1]["file_id"] if self.photo else None

    @property
    def body(self) -> str | None:
        """Text for text messages, caption for media."""
        return self.text if self.text is not None else self.caption

    @property
    def inline_keyboard(self) -> list[list[dict[str, Any]]]:
        """Inline keyboard rows ([] if none)."""
        if self.reply_markup_kind != "inline_keyboard" or not self.reply_markup:
            return []
        return self.reply_markup["inline_keyboard"]

    @property
    def buttons(self) -> list[list[str]]:
        """Inline button texts by row ([] if no inline keyboard)."""
        return [[b["text"] for b in row] for row in self.inline_keyboard]

    def button(self, text: str, exact: bool = True) -> dict[str, Any]:
        """The inline button with this text (contains it when exact=False); LookupError if none."""
        for row in self.inline_keyboard:
            for b in row:
                if b["text"] == text or (not exact and text in b["text"]):
                    return b
        raise LookupError(
            f"no inline button {text!r} in message {self.message_id}; available: {self.buttons}"
        )

    def callback_data(self, text: str) -> str:
        """callback_data of the button with this text."""
        data = self.button(text).get("callback_data")
        if data is None:
            raise LookupError(f"button {text!r} has no callback_data")
        return data

    @property
    def reply_keyboard(self) -> list[list[dict[str, Any]]] | None:
        """ReplyKeyboardMarkup rows (None if the message has no reply keyboard)."""
        if self.reply_markup_kind != "keyboard" or not self.reply_markup:
            return None
        return self.reply_markup["keyboard"]

    # ---- Bot API JSON
    def to_dict(self, *, with_reply: bool = True) -> dict[str, Any]:
        """The Message object as the Bot API returns it."""
        assert self.chat is not None
        api = self.chat.api
        msg: dict[str, Any] = {"message_id": self.message_id}
        if self.from_bot:
            msg["from"] = api.bot_user()
        elif self.sender_id is not None:
            msg["from"] = api.users[self.sender_id].to_dict()
        msg["chat"] = self.chat.to_dict()
        msg["date"] = self.date
        if self.edit_date:
            msg["edit_date"] = self.edit_date
        if with_reply and self.reply_to is not None:
            msg["reply_to_message"] = self.reply_to.to_dict(with_reply=False)
        msg.update({k: v for k, v in self.extra.items() if not k.startswith("_")})
        if self.kind == "text":
            msg["text"] = self.text or ""
            if self.entities:
                msg["entities"] = self.entities
        elif self.kind in ("photo", "document"):
            if self.kind == "photo":
                msg["photo"] = self.photo
            else:
                msg["document"] = self.document
            if self.caption:
                msg["caption"] = self.caption
                if self.entities:
                    msg["caption_entities"] = self.entities
        elif self.kind == "invoice":
            msg["invoice"] = self.invoice
        if self.reply_markup_kind == "inline_keyboard" and self.reply_markup:
            msg["reply_markup"] = self.reply_markup
        return msg


# --------------------------------------------------------------------------- chats


class SimChat:
    """A private chat or supergroup with its visible message list."""

    def __init__(
        self,
        api: ServerApi,
        chat_id: int,
        chat_type: str,
        title: str | None = None,
        user: SimUser | None = None,
    ) -> None:
        self.api = api
        self.id = chat_id
        self.type = chat_type
        self.title = title
        self.user = user
        self.all_messages: dict[int, SimMessage] = {}
        self.actions: list[str] = []
        self.member_status: dict[int, str] = {}
        self.default_member_status = "administrator"
        self._next_message_id = 1

    def __repr__(self) -> str:
        return f"SimChat(id={self.id}, type={self.type!r}, messages={len(self.messages)})"

    def next_message_id(self) -> int:
        """Allocate the next message id (user and bot messages share the sequence)."""
        value = self._next_message_id
        self._next_message_id += 1
        return value

    @property
    def messages(self) -> list[SimMessage]:
        """Visible messages in order (deleted ones removed)."""
        return [m for m in self.all_messages.values() if not m.deleted]

    def bot_messages(self) -> list[SimMessage]:
        """Visible messages sent by the bot."""
        return [m for m in self.messages if m.from_bot]

    def last_bot_message(self) -> SimMessage | None:
        """The newest visible bot message or None."""
        bot = self.bot_messages()
        return bot[-1] if bot else None

    def message(self, message_id: int) -> SimMessage | None:
        """A visible message by id."""
        msg = self.all_messages.get(message_id)
        return msg if msg is not None and not msg.deleted else None

    def set_member_status(self, user_id: int, status: str) -> None:
        """getChatMember answer for a user in a group (default "administrator")."""
        self.member_status[user_id] = status

    def add_message(self, msg: SimMessage) -> SimMessage:
        """Attach a message to the chat."""
        msg.chat = self
        self.all_messages[msg.message_id] = msg
        return msg

    def to_dict(self) -> dict[str, Any]:
        """Chat JSON."""
        if self.type == "private" and self.user is not None:
            chat: dict[str, Any] = {"id": self.id, "type": "private"}
            chat["first_name"] = self.user.first_name
            if self.user.last_name:
                chat["last_name"] = self.user.last_name
            if self.user.username:
                chat["username"] = self.user.username
            return chat
        return {"id": self.id, "type": self.type, "title": self.title or ""}


# --------------------------------------------------------------------------- users


class SimUser:
    """A Telegram user driving the bot; every action queues a real Update."""

    def __init__(
        self,
        api: ServerApi,
        user_id: int,
        first_name: str,
        *,
        language_code: str | None = "en",
        username: str | None = None,
        last_name: str | None = None,
        started: bool = True,
    ) -> None:
        self.api = api
        self.id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self.blocked = False
        self.started = started

    def __repr__(self) -> str:
        return f"SimUser(id={self.id}, first_name={self.first_name!r})"

    def to_dict(self) -> dict[str, Any]:
        """User JSON."""
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    @property
    def chat(self) -> SimChat:
        """The private chat with the bot."""
        return self.api.chat(self.id)

    # ---- sending
    def _target(self, chat_id: int | None) -> SimChat:
        chat = self.api.chat(self.id if chat_id is None else chat_id)
        if chat.type == "private":
            self.started = True
        return chat

    def _user_message(self, chat: SimChat, kind: str, **fields: Any) -> SimMessage:
        msg = SimMessage(
            message_id=chat.next_message_id(),
            chat_id=chat.id,
            from_bot=False,
            kind=kind,
            date=now(),
            sender_id=self.id,
            **fields,
        )
        return chat.add_message(msg)

    async def _emit(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = self.api.enqueue_update(kind, payload)
        await asyncio.sleep(0)
        return update

    async def send_text(
        self, text: str, chat_id: int | None = None, reply_to: SimMessage | None = None
    ) -> dict[str, Any]:
        """Send a text message (commands get bot_command entities), optionally as a reply;
        returns the Update."""
        chat = self._target(chat_id)
        msg = self._user_message(
            chat, "text", text=text, entities=find_entities(text), reply_to=reply_to
        )
        return await self._emit("message", msg.to_dict())

    async def send_contact(
        self,
        phone_number: str = "+8613800138000",
        first_name: str | None = None,
        user_id: int | None = None,
        last_name: str | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """Share a contact (by default: your own, as the request_contact button does)."""
        chat = self._target(chat_id)
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or self.first_name,
            "user_id": self.id if user_id is None else user_id,
        }
        if last_name or (first_name is None and self.last_name):
            contact["last_name"] = last_name or self.last_name
        msg = self._user_message(chat, "contact", extra={"contact": contact})
        return await self._emit("message", msg.to_dict())

    async def send_photo(
        self,
        data: bytes = b"",
        caption: str | None = None,
        chat_id: int | None = None,
        reply_to: SimMessage | None = None,
    ) -> dict[str, Any]:
        """Send a photo (optionally as a reply); the update carries photo sizes whose
        file_ids work with getFile."""
        chat = self._target(chat_id)
        sizes = self.api.store_photo(data)
        msg = self._user_message(
            chat,
            "photo",
            caption=caption,
            photo=sizes,
            entities=find_entities(caption) if caption else [],
            reply_to=reply_to,
        )
        return await self._emit("message", msg.to_dict())

    async def send_document(
        self,
        data: bytes = b"",
        file_name: str = "file.bin",
        mime_type: str = "application/octet-stream",
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """Send a document (stored so getFile/download work)."""
        chat = self._target(chat_id)
        record = self.api.store_document(data, file_name, mime_type)
        msg = self._user_message(
            chat,
            "document",
            caption=caption,
            document=record.document(),
            entities=find_entities(caption) if caption else [],
        )
        return await self._emit("message", msg.to_dict())

    # ---- buttons
    def _find_message(self, message: SimMessage | int, chat_id: int | None) -> SimMessage:
        if isinstance(message, SimMessage):
            chat = self.api.chat(message.chat_id)
            found = chat.message(message.message_id)
        else:
            chat = self.api.chat(self.id if chat_id is None else chat_id)
            found = chat.message(message)
        if found is None:
            raise LookupError(f"message {message!r} is not visible in chat {chat.id}")
        return found

    async def tap(
        self,
        message: SimMessage | int,
        text: str,
        *,
        exact: bool = True,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """Press the inline button with this text in the message's CURRENT keyboard."""
        msg = self._find_message(message, chat_id)
        button = msg.button(text, exact=exact)
        if "callback_data" not in button:
            raise LookupError(f"button {button['text']!r} is not a callback button: {button}")
        return await self._callback(msg, button["callback_data"])

    async def tap_data(
        self, message: SimMessage | int, data: str, *, chat_id: int | None = None
    ) -> dict[str, Any]:
        """Send a callback_query with arbitrary data (forged/stale buttons)."""
        return await self._callback(self._find_message(message, chat_id), data)

    async def _callback(self, msg: SimMessage, data: str) -> dict[str, Any]:
        query_id = self.api.new_callback_query(self.id)
        payload = {
            "id": query_id,
            "from": self.to_dict(),
            "message": msg.to_dict(),
            "chat_instance": str(abs(hash((self.id, msg.chat_id))) % 10**18),
            "data": data,
        }
        return await self._emit("callback_query", payload)

    # ---- payments
    async def pre_checkout(
        self,
        invoice: SimMessage | int | str,
        total_amount: int | None = None,
        currency: str | None = None,
    ) -> dict[str, Any]:
        """Start checkout of an invoice (message, message id or payload); returns the Update."""
        info = self.api.resolve_invoice(self, invoice)
        query_id = self.api.new_pre_checkout_query(self.id)
        payload = {
            "id": query_id,
            "from": self.to_dict(),
            "currency": currency or info["currency"],
            "total_amount": info["total_amount"] if total_amount is None else total_amount,
            "invoice_payload": info["payload"],
        }
        return await self._emit("pre_checkout_query", payload)

    async def successful_payment(
        self,
        invoice: SimMessage | int | str,
        telegram_payment_charge_id: str | None = None,
        provider_payment_charge_id: str | None = None,
        total_amount: int | None = None,
        currency: str | None = None,
        payload: str | None = None,
    ) -> dict[str, Any]:
        """Complete a payment: a message with successful_payment in the private chat."""
        info = self.api.resolve_invoice(self, invoice)
        currency = currency or info["currency"]
        amount = info["total_amount"] if total_amount is None else total_amount
        charge_id = telegram_payment_charge_id or unique_token(
            "stxtest" if currency == "XTR" else "tgtest", 24
        )
        provider_id = provider_payment_charge_id
        if provider_id is None:
            provider_id = "" if currency == "XTR" else unique_token("prov_", 16)
        payment = {
            "currency": currency,
            "total_amount": amount,
            "invoice_payload": info["payload"] if payload is None else payload,
            "telegram_payment_charge_id": charge_id,
            "provider_payment_charge_id": provider_id,
        }
        self.api.record_charge(self.id, payment)
        chat = self._target(None)
        msg = self._user_message(chat, "successful_payment", extra={"successful_payment": payment})
        return await self._emit("message", msg.to_dict())

    # ---- inline mode
    async def inline_query(
        self, query: str, chat_type: str = "sender", offset: str = ""
    ) -> dict[str, Any]:
        """Type "@bot query" in a chat: an inline_query update (the bot must have inline mode
        on, as with BotFather's /setinline; a client sends at most 256 characters)."""
        if not self.api.inline_mode:
            raise RuntimeError("inline mode is off for this bot: clients send no inline queries")
        payload = {
            "id": self.api.new_inline_query(self.id),
            "from": self.to_dict(),
            "query": query[:256],
            "offset": offset,
            "chat_type": chat_type,
        }
        return await self._emit("inline_query", payload)

    async def choose_inline_result(
        self, query: dict[str, Any], result_id: str, chat_id: int | None = None
    ) -> SimMessage:
        """Pick a result of an answered inline query: it is posted "via @bot" in the chat (the
        private chat with the bot unless given); the bot gets it as a message only there."""
        query_id = query["inline_query"]["id"]
        answer = self.api.inline_answers.get(query_id)
        if answer is None:
            raise LookupError(f"inline query {query_id} was not answered")
        shown = answer["shown"].get(result_id)
        if shown is None:
            raise LookupError(f"no result {result_id!r} in the answer")
        chat = self._target(chat_id)
        markup = shown.get("reply_markup")
        fields: dict[str, Any] = {
            "reply_markup": markup,
            "reply_markup_kind": "inline_keyboard" if markup else None,
            "extra": {"via_bot": self.api.bot_user()},
        }
        if shown["kind"] == "photo":
            msg = self._user_message(
                chat,
                "photo",
                photo=(
                    self.api.photo_sizes(shown["photo_file_id"])
                    if shown.get("photo_file_id")
                    else self.api.store_photo(None, shown["photo_url"])
                ),
                caption=shown["caption"],
                entities=shown["entities"],
                **fields,
            )
        else:
            msg = self._user_message(
                chat, "text", text=shown["text"], entities=shown["entities"], **fields
            )
        if chat.id == self.id:  # the update's id stays with the message, for tests to wait on
            msg.extra["_update_id"] = (await self._emit("message", msg.to_dict()))["update_id"]
        return msg

    # ---- blocking
    def block(self) -> dict[str, Any]:
        """Block the bot: sends now fail with 403; queues my_chat_member (kicked)."""
        self.blocked = True
        return self.api.enqueue_my_chat_member(self, "member", "kicked")

    def unblock(self) -> dict[str, Any]:
        """Unblock the bot; queues my_chat_member (member)."""
        self.blocked = False
        return self.api.enqueue_my_chat_member(self, "kicked", "member")


# --------------------------------------------------------------------------- the server


class ServerApi(Protocol):
    """What the simulated world and the method handlers use of the server (FakeBotApi in
    server.py), declared here so that neither imports the server: the import graph stays
    without cycles."""

    bot_id: int
    webhook_url: str
    local: bool
    webhook: Any  # webhook.WebhookDelivery | None
    allowed_updates: frozenset[str]
    users: dict[int, SimUser]
    files: dict[str, FileRecord]
    commands: dict[tuple[str, str], list[dict[str, str]]]
    descriptions: dict[str, str]
    short_descriptions: dict[str, str]
    menu_buttons: dict[int | None, dict[str, Any]]
    callback_answers: dict[str, dict[str, Any]]
    pre_checkout_answers: dict[str, dict[str, Any]]
    inline_mode: bool
    inline_answers: dict[str, dict[str, Any]]
    charges: dict[str, dict[str, Any]]
    refunds: list[dict[str, Any]]

    def chat(self, chat_id: int) -> SimChat: ...
    def bot_user(self) -> dict[str, Any]: ...
    def lookup_user(self, user_id: int) -> dict[str, Any] | None: ...
    def pending_updates(self) -> list[dict[str, Any]]: ...
    def enqueue_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]: ...
    def enqueue_my_chat_member(self, user: SimUser, old: str, new: str) -> dict[str, Any]: ...
    def set_allowed_updates(self, names: list[str]) -> None: ...
    def start_webhook(self, url: str, secret: str, max_connections: int = 40) -> None: ...
    async def stop_webhook(self) -> None: ...
    def clear_updates(self) -> None: ...
    def confirm_updates(self, offset: int) -> None: ...
    def deliverable_updates(self, limit: int) -> list[dict[str, Any]]: ...
    async def long_poll(self, seconds: float, limit: int) -> list[dict[str, Any]]: ...
    def new_query_id(self) -> str: ...
    def new_callback_query(self, user_id: int) -> str: ...
    def callback_query_state(self, query_id: str) -> dict[str, Any] | None: ...
    def pre_checkout_state(self, query_id: str) -> dict[str, Any] | None: ...
    def new_pre_checkout_query(self, user_id: int) -> str: ...
    def new_inline_query(self, user_id: int) -> str: ...
    def inline_query_state(self, query_id: str) -> dict[str, Any] | None: ...
    def resolve_invoice(self, user: SimUser, invoice: SimMessage | int | str) -> dict[str, Any]: ...
    def record_charge(self, user_id: int, payment: dict[str, Any]) -> None: ...
    def store_photo(self, data: bytes | None, url: str | None = None) -> list[dict[str, Any]]: ...
    def photo_sizes(self, file_id: str) -> list[dict[str, Any]]: ...
    def store_document(
        self,
        data: bytes | None,
        file_name: str | None,
        mime_type: str | None,
        url: str | None = None,
    ) -> FileRecord: ...
    def resolve_chat(self, query: Query, field: str = "chat_id") -> SimChat: ...
    def check_can_send(self, chat: SimChat) -> None: ...
    def new_bot_message(self, chat: SimChat, kind: str, **fields: Any) -> SimMessage: ...
