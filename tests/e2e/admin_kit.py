"""The merchant's side of the end-to-end tests: admins acting in the admin group (or privately),
and a running shop with a customer, two admins and a bystander who is not an admin."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.botapi.server import FakeBotApi
from bot.botapi.sim import SimChat, SimMessage, SimUser
from storage.tables.catalog import InventoryLogRow
from storage.tables.orders import OrderRow
from storage.tables.shipping import ShipmentRow
from tests.e2e import harness
from tests.e2e import helpers as db
from tests.e2e.harness import ADMIN_CHAT, TOKEN, BotUnderTest, Person, seed_demo_catalog
from tests.e2e.test_customer_journey import checkout_new_address, fill_cart

ANN, BEN, EVE = 5001, 5002, 6666
NUMBER = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}")


@dataclass
class Admin:
    """Someone acting in a chat with the bot (the admin group by default), reading it as they
    see it. Used for admins and, to test refusals, for people who are not."""

    bot: BotUnderTest
    sim: SimUser
    chat_id: int = ADMIN_CHAT
    last_query: str | None = None

    @property
    def id(self) -> int:
        return self.sim.id

    @property
    def chat(self) -> SimChat:
        return self.bot.api.chat(self.chat_id)

    @property
    def screen(self) -> SimMessage:
        """The bot's latest message in the chat."""
        message = self.chat.last_bot_message()
        assert message is not None, "the bot has said nothing here"
        return message

    def privately(self) -> Admin:
        """The same person in their private chat with the bot."""
        return Admin(self.bot, self.sim, self.sim.id)

    def texts(self) -> list[str]:
        return [m.body or "" for m in self.chat.bot_messages()]

    async def _done(self, update: dict[str, Any]) -> SimMessage:
        await self.bot.processed(update)
        return self.screen

    async def say(self, text: str) -> SimMessage:
        return await self._done(await self.sim.send_text(text, chat_id=self.chat_id))

    async def send_photo(self, data: bytes = b"\x89PNG\r\n\x1a\n fake") -> SimMessage:
        return await self._done(await self.sim.send_photo(data=data, chat_id=self.chat_id))

    async def send_document(
        self, data: bytes, file_name: str, mime_type: str = "text/csv"
    ) -> SimMessage:
        update = await self.sim.send_document(
            data=data, file_name=file_name, mime_type=mime_type, chat_id=self.chat_id
        )
        return await self._done(update)

    def find(self, text: str) -> SimMessage:
        """The newest bot message in the chat with a button containing `text`."""
        for message in reversed(self.chat.bot_messages()):
            if any(text in label for row in message.buttons for label in row):
                return message
        raise LookupError(f"no button with {text!r}; chat:\n{self.transcript()}")

    async def tap(self, text: str, message: SimMessage | None = None) -> SimMessage:
        """Tap a button; returns the bot's new message if it sent one, else the tapped message
        as it is now (edited in place)."""
        target = message or self.find(text)
        before = self.chat.last_bot_message()
        await self.bot.processed(await self.press(text, target))
        latest = self.chat.last_bot_message()
        if latest is not None and (before is None or latest.message_id > before.message_id):
            return latest
        return self.chat.message(target.message_id) or self.screen

    async def press(self, text: str, message: SimMessage | None = None) -> dict[str, Any]:
        """Tap without waiting for the bot (to race two admins)."""
        update = await self.sim.tap(message or self.find(text), text, exact=False)
        self.last_query = update["callback_query"]["id"]
        return update

    async def tap_data(self, data: str, message: SimMessage | None = None) -> SimMessage:
        update = await self.sim.tap_data(message or self.screen, data)
        self.last_query = update["callback_query"]["id"]
        return await self._done(update)

    @property
    def answer(self) -> dict[str, Any]:
        """How the bot answered the last tap (toast or alert)."""
        assert self.last_query is not None
        answer = self.bot.api.callback_answers.get(self.last_query)
        assert answer is not None, "the bot did not answer the callback query"
        return answer

    def transcript(self) -> str:
        return "\n".join(
            f"[{'BOT' if m.from_bot else m.sender_id} #{m.message_id}] {m.body!r} {m.buttons}"
            for m in self.chat.messages
        )


@dataclass
class World:
    """A running shop: Alice the customer, Ann and Ben the admins, Eve who is not an admin."""

    bot: BotUnderTest
    alice: Person
    ann: Admin
    ben: Admin
    eve: Admin


@contextlib.asynccontextmanager
async def admin_world(tmp_path: Path, **overrides: Any) -> AsyncIterator[World]:
    """The bot with ADMIN_USER_IDS = Ann and Ben, the admin group and everyone in it created
    before the bot starts (as in a shop that runs), on a fresh database with the demo catalog."""
    api = FakeBotApi(token=TOKEN)
    await api.start()
    api.add_group(ADMIN_CHAT, "Tea House admins")
    alice = api.add_user(1001, "Alice", language_code="en", username="alice")
    ann = api.add_user(ANN, "Ann", language_code="en")
    ben = api.add_user(BEN, "Ben", language_code="en")
    eve = api.add_user(EVE, "Eve", language_code="en")
    url = overrides.pop("database_url", None) or f"sqlite+aiosqlite:///{tmp_path}/shop.db"
    await seed_demo_catalog(url, overrides.pop("stock", None))
    bot = BotUnderTest(api, url, {"admin_user_ids": [ANN, BEN], **overrides})
    await bot.start()
    try:
        yield World(bot, Person(bot, alice), Admin(bot, ann), Admin(bot, ben), Admin(bot, eve))
    finally:
        await bot.stop()
        await api.stop()


async def place_order(alice: Person, payment: str = "Cash on delivery") -> str:
    """Alice orders 2 Longjing and 1 Keemun; returns the order number."""
    await fill_cart(alice)
    if await db.addresses(alice.bot, alice.id):
        await alice.tap("Cart")
        await alice.tap("Checkout")
        await alice.tap("Alice Smith, 1 Main Street")
    else:
        await checkout_new_address(alice)
    await alice.tap(payment)
    await alice.tap("Confirm order")
    # The order's alerts go out through the outbox, after the answer: wait for them, or the
    # admin's next command may read a new-order alert as its answer (the admin chat's newest
    # message), as it did on PostgreSQL once placing got faster.
    await alice.bot.outbox_drained()
    # The newest "placed" message, not the newest message: an outbox notice (a review
    # invitation for an earlier order, say) may arrive between the tap and its answer.
    for message in reversed(alice.messages):
        found = NUMBER.search(message.body or "")
        if message.from_bot and found and "placed" in (message.body or ""):
            return found.group(0)
    raise AssertionError(f"no order placed:\n{alice.transcript()}")


async def open_from_alert(admin: Admin, number: str) -> SimMessage:
    """Wait for the new-order alert and open the order from its button."""
    await admin.bot.outbox_drained()
    alert = next(
        m for m in reversed(admin.chat.bot_messages()) if f"New order {number}" in (m.text or "")
    )
    return await admin.tap("Open order", alert)


async def make_shippable(admin: Admin, detail: SimMessage) -> SimMessage:
    """A cash-on-delivery order can ship once confirmed; confirm it if it still waits."""
    if any("Confirm (cash on delivery)" in b for row in detail.buttons for b in row):
        detail = await admin.tap("Confirm (cash on delivery)", detail)
    assert any("Ship" in b for row in detail.buttons for b in row), detail.text
    return detail


async def order_row(bot: BotUnderTest, number: str) -> OrderRow:
    (row,) = await db.rows(bot, OrderRow, OrderRow.number == number)
    return row


async def shipments(bot: BotUnderTest, order_id: int) -> list[ShipmentRow]:
    return await db.rows(bot, ShipmentRow, ShipmentRow.order_id == order_id)


async def inventory_log(bot: BotUnderTest, product_id: int) -> list[InventoryLogRow]:
    """The product's inventory log since the test's shop opened (the seeded starting stock,
    logged by the catalog import as actor "seed", left out)."""
    async with db.db_of(bot).uow(readonly=True) as uow:
        found = list(
            (
                await uow.session.scalars(
                    select(InventoryLogRow)
                    .where(
                        InventoryLogRow.product_id == product_id, InventoryLogRow.actor != "seed"
                    )
                    .order_by(InventoryLogRow.id)
                )
            ).all()
        )
        uow.session.expunge_all()
        return found


# -- how loud the admin chat is (bench/admin_chat.py and test_admin_quiet_chat.py) -------------

DIALOG_KEYS = {"✖️ Cancel", "⏭ Skip"}
SENDS = {"sendmessage", "sendphoto", "senddocument", "sendmediagroup"}


def sent_to_admins(admin: Admin, since: int) -> list[str]:
    """Texts of the bot's new messages in the admin chat after Bot API request `since`."""
    found = []
    for record in admin.bot.api.requests[since:]:
        if record.method.lower() in SENDS and record.ok:
            if int(record.params.get("chat_id", 0)) == admin.chat_id:
                found.append(str(record.params.get("text") or record.params.get("caption") or ""))
    return found


async def open_alert(admin: Admin, number: str) -> SimMessage:
    """Open an order from the newest alert about it (the alert's button)."""
    await admin.bot.outbox_drained()
    message = next(
        m
        for m in reversed(admin.chat.bot_messages())
        if number in (m.text or "") and any("Open order" in b for row in m.buttons for b in row)
    )
    return await admin.tap("Open order", message)


async def admin_script(admin: Admin, a: str, b: str) -> None:
    """Fifteen admin actions on two cash-on-delivery orders A and B: ship A with a typed
    tracking number, deliver it, note and message on it; cancel B with a typed reason."""
    await open_alert(admin, a)  # 1
    await admin.tap("Ship")  # 2
    await admin.tap("SF Express")  # 3
    await admin.say("SF1234567890123")  # 4
    await admin.tap("Skip")  # 5
    await admin.tap("Confirm shipment")  # 6
    await admin.tap("Mark delivered")  # 7
    await admin.tap("Note")  # 8
    await admin.say("Two boxes, fragile")  # 9
    await admin.tap("Message customer")  # 10
    await admin.say("Your tea left today; enjoy!")  # 11
    await open_alert(admin, b)  # 12
    await admin.tap("Cancel order")  # 13
    await admin.say("Out of Longjing until spring")  # 14
    await admin.tap("Yes, cancel the order")  # 15
    await admin.bot.outbox_drained()


@contextlib.asynccontextmanager
async def admin_world_on(
    backend: str, tmp_path: Path, monkeypatch: Any, **overrides: Any
) -> AsyncIterator[World]:
    """`admin_world` on a SQLite file ("sqlite") or on a fresh PostgreSQL database
    ("postgres": TEST_DATABASE_URL; the test is skipped without it), for tests whose fixture is
    parametrized over both."""
    if backend != "postgres":
        async with admin_world(tmp_path, **overrides) as running:
            yield running
        return
    async with harness.fresh_pg_shop(monkeypatch) as settings:
        async with admin_world(tmp_path, **settings, **overrides) as running:
            yield running
