"""Orders from other sales channels under real concurrency, on SQLite and PostgreSQL: chat
buyers and API buyers racing for the last units sell exactly the stock, and one channel
reference placed several times at once makes one order."""

from __future__ import annotations

import asyncio
from typing import cast

from sqlalchemy import func, select

from domain.channels.orders import ChannelLine, ChannelOrderRequest, ChannelOrders
from domain.checkout.ordering import PlacedOrder
from domain.checkout.shop import Shop
from domain.merchant.rules import MerchantConfig
from domain.merchant.service import Merchant
from domain.orders.model import PaymentMethod
from domain.reactions import ORDER_FLOW
from domain.shared.clock import SystemClock
from domain.shared.errors import OutOfStockError
from domain.shared.ports import UnitOfWorkFactory
from storage.db import Database
from storage.tables.orders import OrderLineRow, OrderRow
from storage.tables.outbox import OutboxRow
from tests.integration.helpers import (
    ADMIN_CHAT,
    CURRENCY,
    count,
    draft,
    product_by_sku,
    walk_to_review,
)

CHAT_BUYERS = 20
API_BUYERS = 20
STOCK = 10


def channel_orders(db: Database, shop: Shop) -> ChannelOrders:
    factory = cast(UnitOfWorkFactory, db)  # a Database is one at run time
    merchant = Merchant(
        factory, SystemClock(), MerchantConfig(CURRENCY, ADMIN_CHAT), flow=ORDER_FLOW
    )
    return ChannelOrders(factory, SystemClock(), shop.config, merchant, flow=ORDER_FLOW)


def api_request(product_id: int, reference: str | None, quantity: int = 1) -> ChannelOrderRequest:
    return ChannelOrderRequest(
        channel="webshop",
        reference=reference,
        lines=[ChannelLine(product_id, quantity)],
        recipient="Bob Stone",
        phone="+14155552671",
        address_text="2 High Street, Springfield",
        payment_method=PaymentMethod.BANK_TRANSFER,
    )


async def test_chat_and_api_buyers_racing_for_the_last_units_sell_exactly_the_stock(
    db: Database, shop: Shop, seed
) -> None:
    ids = await seed(draft("HOT", stock=STOCK))
    channels = channel_orders(db, shop)
    everyone = asyncio.Barrier(CHAT_BUYERS + API_BUYERS)

    async def chat_buyer(customer_id: int) -> PlacedOrder | OutOfStockError:
        try:
            token = await walk_to_review(shop, customer_id, ids["HOT"])
        except BaseException:
            await everyone.abort()
            raise
        await everyone.wait()
        try:
            return await shop.place_order(customer_id, token)
        except OutOfStockError as exc:
            return exc

    async def api_buyer(n: int) -> PlacedOrder | OutOfStockError:
        await everyone.wait()
        try:
            return await channels.place(api_request(ids["HOT"], f"WS-{n}"))
        except OutOfStockError as exc:
            return exc

    results = await asyncio.wait_for(
        asyncio.gather(
            *(chat_buyer(1000 + n) for n in range(CHAT_BUYERS)),
            *(api_buyer(n) for n in range(API_BUYERS)),
        ),
        timeout=120,
    )

    placed = [r for r in results if isinstance(r, PlacedOrder)]
    refused = [r for r in results if isinstance(r, OutOfStockError)]
    assert (len(placed), len(refused)) == (STOCK, CHAT_BUYERS + API_BUYERS - STOCK)
    assert all(p.created for p in placed)
    assert len({p.order.number for p in placed}) == STOCK
    product = await product_by_sku(db, "HOT")
    assert (product.stock, product.reserved, product.available) == (STOCK, STOCK, 0)
    assert await count(db, select(func.count()).select_from(OrderRow)) == STOCK
    assert await count(db, select(func.sum(OrderLineRow.quantity))) == STOCK
    from_api = await count(
        db, select(func.count()).select_from(OrderRow).where(OrderRow.channel == "webshop")
    )
    assert from_api == sum(1 for p in placed if p.order.channel == "webshop")
    # One admin alert per order placed, whichever way it came.
    assert (
        await count(
            db, select(func.count()).select_from(OutboxRow).where(OutboxRow.chat_id == ADMIN_CHAT)
        )
        == STOCK
    )


async def test_one_reference_placed_five_times_at_once_makes_one_order(
    db: Database, shop: Shop, seed
) -> None:
    ids = await seed(draft("HOT", stock=STOCK))
    channels = channel_orders(db, shop)

    results = await asyncio.wait_for(
        asyncio.gather(
            *(channels.place(api_request(ids["HOT"], "WS-1", quantity=2)) for _ in range(5)),
            return_exceptions=True,
        ),
        timeout=60,
    )

    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == [], errors
    placed = cast(list[PlacedOrder], results)
    assert len({p.order.number for p in placed}) == 1
    assert sorted(p.created for p in placed) == [False, False, False, False, True]
    assert await count(db, select(func.count()).select_from(OrderRow)) == 1
    assert (await product_by_sku(db, "HOT")).reserved == 2  # the duplicates' holds rolled back
    assert await count(db, select(func.count()).select_from(OutboxRow)) == 1
