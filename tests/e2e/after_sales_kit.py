"""The after-sales side of the end-to-end tests: a running shop with a pinned clock, Alice and Bob
(customers), Ann (an admin, in the admin group) and Eve (in the group, not an admin); orders
placed through the chat and taken to delivered through the order lifecycle; readers for the
after-sales rows."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import select

from bot.botapi.server import FakeBotApi
from bot.botapi.sim import SimMessage
from domain.ports import UnitOfWork
from domain.reactions import ORDER_FLOW
from domain.shared.clock import FixedClock
from storage.tables.after_sales import AfterSalesEventRow, AfterSalesRequestRow
from storage.tables.catalog import InventoryLogRow
from storage.tables.payments import RefundRow
from storage.tables.reviews import ReviewRow
from tests.e2e import helpers as db
from tests.e2e.admin_kit import Admin
from tests.e2e.harness import ADMIN_CHAT, TOKEN, Person, seed_demo_catalog
from tests.e2e.payments_kit import (
    PROVIDER_TOKEN,
    ShopBot,
    _price_in_stars,
    invoices,
    pay,
    place_order,
    pre_checkout,
)

ANN, EVE = 5001, 6666
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
RETURN_ADDRESS = "Tea House Returns, 9 Dock Road, Shanghai"
LONGJING, KEEMUN = "Longjing Green Tea 100 g", "Keemun Black Tea 100 g"


@dataclass
class ShopWorld:
    """A running shop: Alice and Bob the customers, Ann the admin, Eve who is not one."""

    bot: ShopBot
    clock: FixedClock
    alice: Person
    bob: Person
    ann: Admin
    eve: Admin

    @property
    def api(self) -> FakeBotApi:
        return self.bot.api


@contextlib.asynccontextmanager
async def shop_world(
    tmp_path: Path, *, stars: bool = False, **overrides: Any
) -> AsyncIterator[ShopWorld]:
    """The bot with card payments (or, with stars=True, prices in Telegram Stars), an admin
    group, RETURN_ADDRESS set, and a clock pinned at T0."""
    api = FakeBotApi(token=TOKEN)
    await api.start()
    api.add_group(ADMIN_CHAT, "Tea House admins")
    alice = api.add_user(1001, "Alice", language_code="en", username="alice")
    bob = api.add_user(1002, "Bob", language_code="en")
    ann = api.add_user(ANN, "Ann", language_code="en")
    eve = api.add_user(EVE, "Eve", language_code="en")
    url = f"sqlite+aiosqlite:///{tmp_path}/shop.db"
    await seed_demo_catalog(url)
    settings: dict[str, Any] = {
        "admin_user_ids": [ANN],
        "return_address": RETURN_ADDRESS,
        # Customers' messages are not paced here: the journeys send several in a row.
        "outbox_private_per_second": 100,
    }
    if stars:
        await _price_in_stars(url)
        settings.update(currency="XTR", shipping_fee="0")
    else:
        settings.update(payment_provider_token=PROVIDER_TOKEN)
    settings.update(overrides)
    clock = FixedClock(T0)
    bot = ShopBot(api, url, clock=clock, settings_overrides=settings)
    await bot.start()
    try:
        yield ShopWorld(
            bot, clock, Person(bot, alice), Person(bot, bob), Admin(bot, ann), Admin(bot, eve)
        )
    finally:
        await bot.stop()
        await api.stop()


async def set_status(world: ShopWorld, number: str, *triggers: str) -> None:
    """Run lifecycle steps on an order as the merchant would (one transaction, pinned time)."""
    async with db.db_of(world.bot).uow() as uow:
        order = await uow.orders.get_by_number(number)
        assert order is not None and order.id is not None
        order.events = await uow.orders.events(order.id)
        for trigger in triggers:
            await ORDER_FLOW.step(
                cast(UnitOfWork, uow), order, trigger, actor=f"admin:{ANN}", at=world.clock.now()
            )
        await uow.commit()
    await world.bot.outbox_drained()


async def delivered_order(
    world: ShopWorld, person: Person | None = None, payment: str = "card"
) -> str:
    """An order of 2 Longjing and 1 Keemun, paid (card, Stars or cash) and delivered now."""
    person = person or world.alice
    if payment == "cod":
        number = await place_order(person, "Cash on delivery")
        await set_status(world, number, "ship", "deliver")
        return number
    label = "Telegram Stars" if payment == "stars" else "Pay by card"
    number = await place_order(person, label)
    invoice = invoices(person)[-1]
    assert (await pre_checkout(person, invoice))["ok"] is True
    await pay(person, invoice, f"charge-{number}")
    await set_status(world, number, "ship", "deliver")
    return number


async def open_order(person: Person, number: str) -> Any:
    """The customer opens an order's detail from My orders."""
    await person.say("/orders")
    return await person.tap(number)


async def ask(
    person: Person,
    number: str,
    kind: str,
    units: dict[str, int],
    reason: str,
    details: str | None = None,
    photos: int = 0,
) -> SimMessage:
    """The customer asks for a return, exchange or repair of some units through the chat (kind
    and reason are button labels); returns the bot's answer to "Send request"."""
    await open_order(person, number)
    await person.tap("Return / exchange / repair")
    await person.tap(kind)
    for name, count in units.items():
        for _ in range(count):
            await tap_in_row(person, name, "➕")
    await person.tap("Next")
    await person.tap(reason)
    if details is not None:
        await person.say(details)
    else:
        await person.tap("Skip")
    for _ in range(photos):
        await person.send_photo()
    await person.tap("Done" if photos else "Skip")
    return await person.tap("Send request")


async def tap_in_row(person: Person, text: str, key: str) -> SimMessage:
    """Tap the key labelled `key` in the row (of the bot's latest message) showing `text`."""
    screen = person.screen
    row = next(r for r in screen.inline_keyboard if any(text in b["text"] for b in r))
    [found] = [b for b in row if b["text"] == key]
    return await person.tap_data(found["callback_data"], screen)


async def requests_of(world: ShopWorld) -> list[AfterSalesRequestRow]:
    return sorted(await db.rows(world.bot, AfterSalesRequestRow), key=lambda r: r.id)


async def request_events(world: ShopWorld, request_id: int) -> list[tuple[str, str]]:
    found = await db.rows(
        world.bot, AfterSalesEventRow, AfterSalesEventRow.request_id == request_id
    )
    return [(e.type, e.actor) for e in sorted(found, key=lambda e: e.id)]


async def return_refunds(world: ShopWorld) -> list[RefundRow]:
    rows = await db.rows(world.bot, RefundRow)
    return sorted((r for r in rows if r.request_id is not None), key=lambda r: r.id)


async def reviews(world: ShopWorld) -> list[ReviewRow]:
    return sorted(await db.rows(world.bot, ReviewRow), key=lambda r: r.id)


async def inventory(world: ShopWorld, sku: str) -> list[InventoryLogRow]:
    product = await db.product(world.bot, sku)
    async with db.db_of(world.bot).uow(readonly=True) as uow:
        found = list(
            (
                await uow.session.scalars(
                    select(InventoryLogRow)
                    .where(InventoryLogRow.product_id == product.id)
                    .order_by(InventoryLogRow.id)
                )
            ).all()
        )
        uow.session.expunge_all()
        return found
