"""Builders shared by the integration tests (importable, unlike conftest)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import select, text

from domain.catalog.importing import ProductDraft
from domain.catalog.model import Product
from domain.checkout.shop import Shop
from domain.checkout.shop_base import ShopConfig
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order, OrderLine, PaymentMethod
from domain.reactions import ORDER_FLOW
from domain.shared.clock import Clock, SystemClock
from domain.shared.customers import Customer
from domain.shared.money import Money
from domain.shared.ports import UnitOfWorkFactory
from storage.db import Database, SqlUnitOfWork, is_sqlite
from storage.tables.catalog import ProductRow

CURRENCY = "USD"
ADMIN_CHAT = -1001
PHONE = "+14155552671"
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def draft(
    sku: str,
    *,
    name: str | None = None,
    category: str = "Tea",
    price: int = 1000,
    stock: int = 10,
    description: str = "",
    photo: str | None = None,
    active: bool = True,
    low_stock_threshold: int = 0,
    line: int = 2,
) -> ProductDraft:
    """A catalog row; price in minor units (the contract tests' seed uses it too)."""
    return ProductDraft(
        sku=sku,
        name=name or f"Product {sku}",
        category=category,
        price=Money(price, CURRENCY),
        stock=stock,
        description=description,
        photo=photo,
        active=active,
        low_stock_threshold=low_stock_threshold,
        line=line,
    )


def make_shop(
    uow: Database | UnitOfWorkFactory,
    clock: Clock | None = None,
    *,
    admin_chat_id: int | None = ADMIN_CHAT,
) -> Shop:
    """The customer-side use cases on a Database (or any unit-of-work factory)."""
    return Shop(
        # Database is a UnitOfWorkFactory at run time; mypy disagrees (see the report).
        cast(UnitOfWorkFactory, uow),
        clock or SystemClock(),
        ShopConfig(
            currency=CURRENCY,
            shipping_fee=Money(500, CURRENCY),
            admin_chat_id=admin_chat_id,
        ),
        flow=ORDER_FLOW,
    )


async def seed_catalog(db: Database, *drafts: ProductDraft) -> dict[str, int]:
    """Import products through Shop.import_catalog; returns {sku: product id}."""
    await make_shop(db).import_catalog(list(drafts))
    async with db.uow(readonly=True) as uow:
        rows = await uow.session.execute(
            select(ProductRow.sku, ProductRow.id).where(ProductRow.sku.in_([d.sku for d in drafts]))
        )
        return {sku: pid for sku, pid in rows.all()}


async def add_customer(db: Database, customer_id: int, first_name: str = "Ann") -> None:
    """A committed customer row."""
    async with db.uow() as uow:
        await uow.customers.upsert(Customer(id=customer_id, first_name=first_name))
        await uow.commit()


async def walk_to_review(shop: Shop, customer_id: int, product_id: int, quantity: int = 1) -> str:
    """A new customer fills the cart and walks checkout up to the review step; returns the
    checkout token."""
    await shop.touch_customer(customer_id, f"Customer {customer_id}", None, "en")
    await shop.add_to_cart(customer_id, product_id, quantity)
    view = await shop.start_checkout(customer_id)
    token = view.checkout.token
    await shop.give_recipient(customer_id, f"Recipient {customer_id}")
    await shop.give_phone(customer_id, PHONE, from_contact=False)
    await shop.give_address(customer_id, f"{customer_id} Main Street, Springfield")
    await shop.choose_payment(customer_id, token, PaymentMethod.CASH_ON_DELIVERY.value)
    return token


def make_order(
    customer_id: int,
    number: str,
    *,
    product_id: int,
    token: str | None = None,
    created_at: datetime = T0,
    quantity: int = 2,
    unit_price: int = 1000,
) -> Order:
    """An unsaved order with one line."""
    return Order(
        number=number,
        customer_id=customer_id,
        status=OrderStatus.PENDING_PAYMENT,
        currency=CURRENCY,
        lines=[
            OrderLine(
                product_id=product_id,
                sku="SKU",
                name="Thing",
                unit_price=Money(unit_price, CURRENCY),
                quantity=quantity,
            )
        ],
        shipping=Money(500, CURRENCY),
        payment_method=PaymentMethod.BANK_TRANSFER,
        recipient="Ann Lee",
        phone=PHONE,
        address_text="1 Main Street",
        created_at=created_at,
        updated_at=created_at,
        checkout_token=token,
    )


async def product_by_sku(db: Database, sku: str) -> Product:
    """The product with that SKU (it must exist)."""
    async with db.uow(readonly=True) as uow:
        product_id = await uow.session.scalar(select(ProductRow.id).where(ProductRow.sku == sku))
        assert product_id is not None, sku
        product = await uow.products.get(product_id)
    assert product is not None
    return product


async def count(db: Database, statement: Any) -> int:
    """The integer a scalar query returns (0 for NULL)."""
    async with db.uow(readonly=True) as uow:
        return int(await uow.session.scalar(statement) or 0)


# -- pinning interleavings of concurrent use cases -------------------------------------------


class GatedUnitOfWork:
    """A write unit of work of `db` whose first call of one repository method (e.g.
    "carts.get") stops at `gate` after it returned: a test hook that pins one interleaving of
    concurrent use cases without touching production code."""

    def __init__(self, db: Database, method: str, gate: Callable[[], Awaitable[object]]) -> None:
        self._uow = db.uow()
        self._repository, self._method = method.split(".")
        self._gate = gate

    async def __aenter__(self) -> SqlUnitOfWork:
        uow = await self._uow.__aenter__()
        repository = getattr(uow, self._repository)
        original = getattr(repository, self._method)

        async def gated(*args: Any, **kwargs: Any) -> Any:
            found = await original(*args, **kwargs)
            setattr(repository, self._method, original)  # only the first call stops
            await asyncio.wait_for(self._gate(), timeout=10)
            return found

        setattr(repository, self._method, gated)
        return uow

    async def __aexit__(self, *exc_info: Any) -> None:
        await self._uow.__aexit__(*exc_info)


def gated_shop(
    db: Database, method: str, gate: Callable[[], Awaitable[object]], **shop_options: Any
) -> Shop:
    """A Shop whose write units of work stop at `gate` after the first `<repository>.<method>`."""

    def factory(*, readonly: bool = False) -> Any:
        return db.uow(readonly=True) if readonly else GatedUnitOfWork(db, method, gate)

    return make_shop(factory, **shop_options)


async def someone_waits_for_a_lock(db: Database) -> bool:
    """Whether a PostgreSQL session on this database is blocked on a lock."""
    return (
        await count(
            db,
            text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            ),
        )
        > 0
    )


async def until(db: Database, done: Callable[[], bool]) -> None:
    """Wait until `done()`, or until another session is blocked on a lock: gates give way
    then, so a correct implementation that serializes the contenders with a row lock makes
    the test pass instead of deadlocking. (SQLite's BEGIN IMMEDIATE wait is not observable:
    there a short grace period stands in for it.)"""
    async with asyncio.timeout(10):
        if is_sqlite(db.url):
            for _ in range(20):
                if done():
                    return
                await asyncio.sleep(0.01)
            return
        while not done() and not await someone_waits_for_a_lock(db):  # noqa: ASYNC110 - polls the server
            await asyncio.sleep(0.01)
