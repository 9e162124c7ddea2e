"""The payments side of the end-to-end tests: a shop that takes payments (card through a provider
token, Telegram Stars, bank transfer, cash on delivery), a customer, a merchant in the admin
chat, a pinned clock when a test needs one, and readers for the payment rows."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import update

from bot.botapi.server import FakeBotApi
from bot.botapi.sim import SimChat, SimMessage, SimUser
from domain.shared.clock import Clock, SystemClock
from storage.db import Database
from storage.tables.catalog import ProductRow
from storage.tables.orders import OrderEventRow, OrderRow
from storage.tables.payments import PaymentRow, RefundRow, TransferReceiptRow
from tests.e2e import helpers as db
from tests.e2e.harness import ADMIN_CHAT, TOKEN, BotUnderTest, Person, seed_demo_catalog
from tests.e2e.test_customer_journey import checkout_new_address, fill_cart

PROVIDER_TOKEN = "284685063:TEST:payments-provider"
MERCHANT, STRANGER = 7001, 7666
NUMBER = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}")
BANK_DETAILS = "Tea House Ltd, IBAN DE02 1203 0000 0000 2020 51"


@dataclass
class ShopBot(BotUnderTest):
    """The bot under test with any settings, the shop's defaults included."""

    settings_overrides: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.overrides = {**self.overrides, **self.settings_overrides}


@dataclass
class Merchant:
    """An admin acting in the admin chat, reading it as they see it."""

    bot: BotUnderTest
    sim: SimUser
    last_query: str | None = None

    @property
    def chat(self) -> SimChat:
        return self.bot.api.chat(ADMIN_CHAT)

    def find(self, text: str) -> SimMessage:
        """The newest bot message in the admin chat whose text or buttons contain `text`."""
        for message in reversed(self.chat.bot_messages()):
            labels = [label for row in message.buttons for label in row]
            if text in (message.body or "") or any(text in label for label in labels):
                return message
        raise LookupError(f"nothing with {text!r} in the admin chat:\n{self.transcript()}")

    async def tap(self, text: str, message: SimMessage | None = None) -> SimMessage:
        """Press a button; returns the tapped message as it is now."""
        target = message or self.find(text)
        update = await self.sim.tap(target, text, exact=False)
        return await self._after(update, target)

    async def tap_data(self, data: str, message: SimMessage) -> SimMessage:
        """Send callback data on a message of the admin chat (buttons of another feature)."""
        return await self._after(await self.sim.tap_data(message, data), message)

    async def reply(self, message: SimMessage, text: str) -> None:
        """Reply to a message of the admin chat with text."""
        update = await self.sim.send_text(text, chat_id=ADMIN_CHAT, reply_to=message)
        await self.bot.processed(update)

    async def _after(self, update: dict[str, Any], target: SimMessage) -> SimMessage:
        self.last_query = update["callback_query"]["id"]
        await self.bot.processed(update)
        return self.chat.message(target.message_id) or target

    @property
    def answer(self) -> dict[str, Any]:
        assert self.last_query is not None
        answer = self.bot.api.callback_answers.get(self.last_query)
        assert answer is not None, "the bot did not answer the callback query"
        return answer

    def transcript(self) -> str:
        return "\n".join(f"[#{m.message_id}] {m.body!r} {m.buttons}" for m in self.chat.messages)


@dataclass
class PayWorld:
    """A running shop with Alice (customer), Bob (another customer), the merchant and a
    stranger who is not an admin."""

    bot: ShopBot
    alice: Person
    bob: Person
    merchant: Merchant
    stranger: Merchant

    @property
    def api(self) -> FakeBotApi:
        return self.bot.api


@contextlib.asynccontextmanager
async def pay_world(
    tmp_path: Path, *, clock: Clock | None = None, stars: bool = False, **overrides: Any
) -> AsyncIterator[PayWorld]:
    """The bot taking card payments (or, with stars=True, pricing in Telegram Stars), the admin
    group and everyone created before it starts, on a fresh database with the demo catalog."""
    api = FakeBotApi(token=TOKEN)
    await api.start()
    api.add_group(ADMIN_CHAT, "Tea House admins")
    alice = api.add_user(1001, "Alice", language_code="en", username="alice")
    bob = api.add_user(1002, "Bob", language_code="en")
    merchant = api.add_user(MERCHANT, "Mia", language_code="en")
    stranger = api.add_user(STRANGER, "Sid", language_code="en")
    url = overrides.pop("database_url", None) or f"sqlite+aiosqlite:///{tmp_path}/shop.db"
    await seed_demo_catalog(url)
    settings: dict[str, Any] = {
        "admin_user_ids": [MERCHANT],
        "bank_transfer_details": BANK_DETAILS,
    }
    if stars:
        await _price_in_stars(url)
        settings.update(currency="XTR", shipping_fee="0")
    else:
        settings.update(payment_provider_token=PROVIDER_TOKEN)
    settings.update(overrides)
    bot = ShopBot(api, url, clock=clock or SystemClock(), settings_overrides=settings)
    await bot.start()
    try:
        yield PayWorld(
            bot,
            Person(bot, alice),
            Person(bot, bob),
            Merchant(bot, merchant),
            Merchant(bot, stranger),
        )
    finally:
        await bot.stop()
        await api.stop()


async def _price_in_stars(url: str) -> None:
    """A digital-goods shop: every price in whole Stars (Longjing 25, Keemun 22...)."""
    database = Database(url)
    try:
        async with database.uow() as uow:
            await uow.session.execute(
                update(ProductRow).values(currency="XTR", price_minor=ProductRow.price_minor / 50)
            )
            await uow.commit()
    finally:
        await database.dispose()


async def place_order(person: Person, payment: str) -> str:
    """2 Longjing and 1 Keemun, paid by `payment` (a button label); returns the number."""
    await fill_cart(person)
    if await db.addresses(person.bot, person.id):
        await person.tap("Cart")
        await person.tap("Checkout")
        await person.tap("1 Main Street")
    else:
        await checkout_new_address(person)
    await person.tap(payment)
    await person.tap("Confirm order")
    for message in reversed(person.messages):
        found = NUMBER.search(message.body or "")
        if message.from_bot and found and "placed" in (message.body or ""):
            return found.group(0)
    raise AssertionError(f"no order placed:\n{person.transcript()}")


def invoices(person: Person) -> list[SimMessage]:
    """The invoices in the person's chat, oldest first."""
    return [m for m in person.bot.api.chat(person.id).bot_messages() if m.kind == "invoice"]


async def pre_checkout(person: Person, invoice: SimMessage, **changes: Any) -> dict[str, Any]:
    """Start paying an invoice; returns the bot's answer ({"ok", "error_message"})."""
    update = await person.sim.pre_checkout(invoice, **changes)
    await person.bot.processed(update)
    answer = person.bot.api.pre_checkout_answers.get(update["pre_checkout_query"]["id"])
    assert answer is not None, "the pre-checkout query was not answered"
    return answer


async def pay(person: Person, invoice: SimMessage, charge_id: str, **changes: Any) -> None:
    """Telegram reports the payment of an invoice; waits until the bot handled it and the
    messages it caused were delivered."""
    update = await person.sim.successful_payment(
        invoice, telegram_payment_charge_id=charge_id, **changes
    )
    await person.bot.processed(update)
    await person.bot.outbox_drained()


async def sweep(bot: BotUnderTest) -> Any:
    """Run the payment sweep job as the scheduler would, and deliver what it queued."""
    assert bot.app is not None
    job = bot.app.bot_data.jobs.scheduler.get_job("payments")
    assert job is not None, "the payment sweep is not scheduled"
    stats = await job.func()
    await bot.outbox_drained()
    return stats


async def order_row(bot: BotUnderTest, number: str) -> OrderRow:
    (row,) = await db.rows(bot, OrderRow, OrderRow.number == number)
    return row


async def payments(bot: BotUnderTest, order_id: int | None = None) -> list[PaymentRow]:
    where = [PaymentRow.order_id == order_id] if order_id is not None else []
    return sorted(await db.rows(bot, PaymentRow, *where), key=lambda r: r.id)


async def refunds(bot: BotUnderTest) -> list[RefundRow]:
    return sorted(await db.rows(bot, RefundRow), key=lambda r: r.id)


async def receipts(bot: BotUnderTest, order_id: int) -> list[TransferReceiptRow]:
    found = await db.rows(bot, TransferReceiptRow, TransferReceiptRow.order_id == order_id)
    return sorted(found, key=lambda r: r.id)


async def event_types(bot: BotUnderTest, order_id: int) -> list[str]:
    found = await db.rows(bot, OrderEventRow, OrderEventRow.order_id == order_id)
    return [e.type for e in sorted(found, key=lambda e: e.id)]


async def stock(bot: BotUnderTest, sku: str) -> tuple[int, int]:
    """(stock, reserved) of a product."""
    row = await db.product(bot, sku)
    return row.stock, row.reserved
