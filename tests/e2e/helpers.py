"""Reading the database as the merchant would, for end-to-end assertions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.db import Database
from storage.tables.cart import CartLineRow
from storage.tables.catalog import ProductRow
from storage.tables.checkout import AddressRow, CheckoutRow
from storage.tables.orders import OrderEventRow, OrderLineRow, OrderRow
from storage.tables.outbox import OutboxRow
from tests.e2e.harness import BotUnderTest


def db_of(bot: BotUnderTest) -> Database:
    assert bot.app is not None
    return bot.app.bot_data.db


async def rows(bot: BotUnderTest, table: Any, *where: Any) -> list[Any]:
    async with db_of(bot).uow(readonly=True) as uow:
        found = list((await uow.session.scalars(select(table).where(*where))).all())
        uow.session.expunge_all()  # keep the values readable after the transaction ends
        return found


async def product(bot: BotUnderTest, sku: str) -> ProductRow:
    (row,) = await rows(bot, ProductRow, ProductRow.sku == sku)
    return row


async def orders(bot: BotUnderTest, customer_id: int | None = None) -> list[OrderRow]:
    where = [OrderRow.customer_id == customer_id] if customer_id else []
    return await rows(bot, OrderRow, *where)


async def order_lines(bot: BotUnderTest, order_id: int) -> list[OrderLineRow]:
    return await rows(bot, OrderLineRow, OrderLineRow.order_id == order_id)


async def order_events(bot: BotUnderTest, order_id: int) -> list[OrderEventRow]:
    return await rows(bot, OrderEventRow, OrderEventRow.order_id == order_id)


async def cart_lines(bot: BotUnderTest, customer_id: int) -> list[CartLineRow]:
    return await rows(bot, CartLineRow, CartLineRow.customer_id == customer_id)


async def addresses(bot: BotUnderTest, customer_id: int) -> list[AddressRow]:
    return await rows(bot, AddressRow, AddressRow.customer_id == customer_id)


async def checkout(bot: BotUnderTest, customer_id: int) -> CheckoutRow | None:
    found = await rows(bot, CheckoutRow, CheckoutRow.customer_id == customer_id)
    return found[0] if found else None


async def outbox(bot: BotUnderTest) -> list[OutboxRow]:
    return await rows(bot, OutboxRow)


async def set_product(bot: BotUnderTest, sku: str, **values: Any) -> None:
    from sqlalchemy import update

    async with db_of(bot).uow() as uow:
        await uow.session.execute(update(ProductRow).where(ProductRow.sku == sku).values(**values))
        await uow.commit()


def bad_requests(bot: BotUnderTest) -> list[str]:
    """Bot API calls Telegram refused — each one a bug a real user would hit."""
    return [
        f"{r.method}: {r.description}"
        for r in bot.api.requests
        if r.status != 200 and r.method.lower() != "getupdates"
    ]
