"""Builders for the contract tests. They write only through the ports, so they work the same
on the fakes and on the SQL repositories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.catalog.importing import ProductDraft
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order, OrderLine, PaymentMethod
from domain.ports import UnitOfWork
from domain.shared.customers import Customer
from domain.shared.money import Money
from domain.shared.ports import UnitOfWorkFactory
from tests.integration.helpers import draft

# Units of work over every repository: the fakes' and storage/db.py's.
Factory = UnitOfWorkFactory[UnitOfWork]

CURRENCY = "USD"
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    """T0 plus some minutes."""
    return T0 + timedelta(minutes=minutes)


async def products(uow_factory: Factory, *drafts: ProductDraft) -> dict[str, int]:
    """Import products; returns {sku: product id}."""
    async with uow_factory() as uow:
        await uow.products.upsert_drafts(list(drafts))
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        found = {}
        for d in drafts:
            product_id = await uow.backoffice.product_id_by_sku(d.sku)
            assert product_id is not None
            found[d.sku] = product_id
        return found


async def product(
    uow_factory: Factory, sku: str = "TEA", *, reserved: int = 0, **fields: object
) -> int:
    """One product, with `reserved` units already held; returns its id."""
    product_id = (await products(uow_factory, draft(sku, **fields)))[sku]  # type: ignore[arg-type]
    if reserved:
        async with uow_factory() as uow:
            assert await uow.products.reserve(product_id, reserved)
            await uow.commit()
    return product_id


async def customer(uow_factory: Factory, customer_id: int = 7, *, reachable: bool = True) -> int:
    """A customer (Telegram user) of that id."""
    async with uow_factory() as uow:
        await uow.customers.upsert(
            Customer(id=customer_id, first_name=f"User {customer_id}", reachable=reachable)
        )
        await uow.commit()
    return customer_id


def new_order(
    number: str,
    customer_id: int,
    product_ids: dict[int, int],
    *,
    status: OrderStatus = OrderStatus.PENDING_PAYMENT,
    method: PaymentMethod = PaymentMethod.BANK_TRANSFER,
    created_at: datetime = T0,
    token: str | None = None,
) -> Order:
    """An unsaved order of {product id: quantity}, 10.00 each."""
    return Order(
        number=number,
        customer_id=customer_id,
        status=status,
        currency=CURRENCY,
        lines=[
            OrderLine(pid, f"SKU{pid}", f"Product {pid}", Money(1000, CURRENCY), qty)
            for pid, qty in product_ids.items()
        ],
        shipping=Money(500, CURRENCY),
        payment_method=method,
        recipient="Ann",
        phone="+14155552671",
        address_text="1 Main St",
        created_at=created_at,
        checkout_token=token,
    )


async def order(
    uow_factory: Factory,
    number: str = "A-1",
    *,
    customer_id: int = 7,
    product_ids: dict[int, int] | None = None,
    **fields: object,
) -> int:
    """A stored order (its customer and, unless given, one product created as needed)."""
    async with uow_factory(readonly=True) as uow:
        known = await uow.customers.get(customer_id)
    if known is None:
        await customer(uow_factory, customer_id)
    if product_ids is None:
        async with uow_factory(readonly=True) as uow:
            pid = await uow.backoffice.product_id_by_sku("ORDERED")
        if pid is None:
            pid = await product(uow_factory, "ORDERED", stock=100)
        product_ids = {pid: 1}
    async with uow_factory() as uow:
        order_id = await uow.orders.add(new_order(number, customer_id, product_ids, **fields))  # type: ignore[arg-type]
        await uow.commit()
    return order_id
