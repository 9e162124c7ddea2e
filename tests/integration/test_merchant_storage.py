"""The merchant repositories on SQLite and PostgreSQL: shipments, dialogs, the inventory log and
the back office; and the ship race between two admins on a real database."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import cast

import pytest
from sqlalchemy import delete

from domain.catalog.model import InventoryEntry
from domain.merchant.rules import MerchantConfig
from domain.merchant.service import Merchant
from domain.orders.lifecycle import OrderStatus
from domain.reactions import ORDER_FLOW
from domain.shared.clock import FixedClock
from domain.shared.dialogs import Dialog, DialogKind
from domain.shared.errors import DuplicateError, IllegalTransitionError
from domain.shared.money import Money
from domain.shared.paging import Page
from domain.shared.ports import UnitOfWorkFactory
from domain.shipping.carriers import Shipment
from storage.db import Database
from storage.tables.catalog import InventoryLogRow
from tests.integration.helpers import CURRENCY, T0, add_customer, draft, make_order

ANN, BEN, ADMIN_CHAT = 5001, 5002, -1001


@pytest.fixture
async def product_ids(db: Database, seed) -> dict[str, int]:  # type: ignore[no-untyped-def]
    ids = await seed(draft("A", stock=10), draft("B", stock=5, active=False))
    await add_customer(db, 1)
    await add_customer(db, ANN, "Ann")
    return ids


async def add_order(db: Database, number: str, product_id: int, status: OrderStatus, at=T0) -> int:  # type: ignore[no-untyped-def]
    order = make_order(1, number, product_id=product_id, created_at=at)
    order.status = status
    async with db.uow() as uow:
        order_id = await uow.orders.add(order)
        await uow.commit()
    return order_id


def shipment(order_id: int, key: str, at=T0) -> Shipment:  # type: ignore[no-untyped-def]
    return Shipment(
        order_id=order_id,
        carrier_code="sf",
        carrier_name="SF Express",
        tracking_number="SF123456789012",
        tracking_url="https://example.com/SF123456789012",
        actor=f"admin:{ANN}",
        shipped_at=at,
        key=key,
        note="2 boxes",
    )


async def test_a_shipment_round_trips_and_its_key_records_it_once(
    db: Database, product_ids: dict[str, int]
) -> None:
    order_id = await add_order(db, "AAAA-0001", product_ids["A"], OrderStatus.PAID)
    async with db.uow() as uow:
        first = await uow.shipments.add(shipment(order_id, "tok-1"))
        await uow.shipments.add(shipment(order_id, "tok-2", T0 + timedelta(hours=1)))
        await uow.commit()
    async with db.uow() as uow:
        with pytest.raises(DuplicateError):
            await uow.shipments.add(shipment(order_id, "tok-1"))

    async with db.uow(readonly=True) as uow:
        found = await uow.shipments.for_orders([order_id, 999])
    assert list(found) == [order_id]
    assert [(s.id, s.key) for s in found[order_id]][:1] == [(first, "tok-1")]
    stored = found[order_id][0]
    assert (stored.tracking_number, stored.note, stored.shipped_at) == (
        "SF123456789012",
        "2 boxes",
        T0,
    )
    async with db.uow(readonly=True) as uow:
        assert await uow.shipments.for_orders([]) == {}


async def test_a_dialog_is_saved_replaced_and_deleted_per_chat_and_user(db: Database) -> None:
    dialog = Dialog(
        ADMIN_CHAT, ANN, DialogKind.SHIP, "tok-1", "carrier", {"number": "AAAA-0001"}, T0
    )
    async with db.uow() as uow:
        await uow.dialogs.save(dialog)
        await uow.dialogs.save(Dialog(ANN, ANN, DialogKind.NOTE, "tok-2", "text", {}, T0))
        await uow.commit()
    async with db.uow() as uow:
        loaded = await uow.dialogs.get(ADMIN_CHAT, ANN)
        assert loaded == dialog
        loaded.step, loaded.data["carrier"] = "tracking", "sf"
        await uow.dialogs.save(loaded)
        assert await uow.dialogs.get(ADMIN_CHAT, ANN) == loaded, "visible in the same transaction"
        await uow.commit()
    async with db.uow() as uow:
        assert not await uow.dialogs.delete(ADMIN_CHAT, ANN, "someone-elses")
        again = await uow.dialogs.get(ADMIN_CHAT, ANN)
        assert again is not None and again.data == {"number": "AAAA-0001", "carrier": "sf"}
        assert await uow.dialogs.delete(ADMIN_CHAT, ANN, "tok-1")
        assert await uow.dialogs.get(ADMIN_CHAT, ANN) is None
        await uow.commit()
    async with db.uow(readonly=True) as uow:
        assert await uow.dialogs.get(ADMIN_CHAT, ANN) is None
        assert (await uow.dialogs.get(ANN, ANN)) is not None, "another chat's dialog stays"


async def test_two_saves_of_the_same_dialog_at_once_leave_one_row(db: Database) -> None:
    async def save(token: str) -> None:
        async with db.uow() as uow:
            await uow.dialogs.save(Dialog(ADMIN_CHAT, ANN, DialogKind.NOTE, token, "text", {}, T0))
            await uow.commit()

    await asyncio.gather(save("tok-a"), save("tok-b"))
    async with db.uow(readonly=True) as uow:
        dialog = await uow.dialogs.get(ADMIN_CHAT, ANN)
    assert dialog is not None and dialog.token in ("tok-a", "tok-b")


async def test_the_inventory_log_lists_a_products_entries_newest_first(
    db: Database, product_ids: dict[str, int]
) -> None:
    a = product_ids["A"]
    async with db.uow() as uow:
        # The seed's import logged the starting stock (stamped now); this test's entries only.
        await uow.session.execute(delete(InventoryLogRow))
        for minutes, delta in ((0, 10), (5, -2), (10, 3)):
            entry = InventoryEntry(
                a, delta, 10, f"reason {delta}", f"admin:{ANN}", T0 + timedelta(minutes=minutes)
            )
            assert await uow.inventory.add(entry) > 0
        await uow.inventory.add(InventoryEntry(product_ids["B"], 1, 6, "other", "admin:1", T0))
        await uow.commit()
    async with db.uow(readonly=True) as uow:
        entries = await uow.inventory.for_product(a, 2)
    assert [(e.delta, e.reason, e.at) for e in entries] == [
        (3, "reason 3", T0 + timedelta(minutes=10)),
        (-2, "reason -2", T0 + timedelta(minutes=5)),
    ]


async def test_the_back_office_filters_and_pages_orders_across_customers(
    db: Database, product_ids: dict[str, int]
) -> None:
    a = product_ids["A"]
    for i, status in enumerate(
        [OrderStatus.PAID, OrderStatus.CONFIRMED, OrderStatus.SHIPPED, OrderStatus.PAID]
    ):
        await add_order(db, f"AAAA-000{i}", a, status, T0 + timedelta(minutes=i))
    async with db.uow(readonly=True) as uow:
        oldest = await uow.backoffice.orders(
            {OrderStatus.PAID, OrderStatus.CONFIRMED}, Page(0, 2), oldest_first=True
        )
        rest = await uow.backoffice.orders(
            {OrderStatus.PAID, OrderStatus.CONFIRMED}, Page(1, 2), oldest_first=True
        )
        newest = await uow.backoffice.orders(None, Page(0, 10), oldest_first=False)
        recent = await uow.backoffice.recent_orders(2)
    assert [o.number for o in oldest.items] == ["AAAA-0000", "AAAA-0001"] and oldest.total == 3
    assert [o.number for o in rest.items] == ["AAAA-0003"]
    assert [o.number for o in newest.items] == ["AAAA-0003", "AAAA-0002", "AAAA-0001", "AAAA-0000"]
    assert [o.number for o in recent] == ["AAAA-0003", "AAAA-0002"]
    assert recent[0].lines and recent[0].lines[0].product_id == a


async def test_the_back_office_edits_products_and_sees_its_edits_at_once(
    db: Database, product_ids: dict[str, int]
) -> None:
    a, b = product_ids["A"], product_ids["B"]
    async with db.uow() as uow:
        listing = await uow.backoffice.products(Page(0, 10))
        assert {p.id for p in listing.items} == {a, b}, "inactive products too"
        assert await uow.backoffice.product_id_by_sku("A") == a
        assert await uow.backoffice.product_id_by_sku("nope") is None
        before = await uow.products.get(a)  # loaded into the session first
        assert before is not None and before.price == Money(1000, CURRENCY)
        assert await uow.backoffice.update_product(
            a, name="Renamed", price=Money(1234, CURRENCY), description="New", photo_file_id="f1"
        )
        assert not await uow.backoffice.update_product(999_999, name="x")
        after = await uow.products.get(a)
        assert after is not None
        assert (after.name, after.price.amount, after.description, after.photo_file_id) == (
            "Renamed",
            1234,
            "New",
            "f1",
        )
        assert await uow.backoffice.update_product(b, active=True, low_stock_threshold=4)
        await uow.commit()
    async with db.uow(readonly=True) as uow:
        product = await uow.products.get(b)
        assert product is not None and product.active and product.low_stock_threshold == 4
        assert len(await uow.backoffice.all_products()) == 2


async def test_stock_is_adjusted_atomically_and_never_below_what_orders_hold(
    db: Database, product_ids: dict[str, int]
) -> None:
    a = product_ids["A"]
    async with db.uow() as uow:
        assert await uow.products.reserve(a, 4)
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.products.get(a) is not None
        assert await uow.backoffice.adjust_stock(a, -7) is None, "10 - 7 < 4 reserved"
        assert await uow.backoffice.adjust_stock(a, -6) == 4
        product = await uow.products.get(a)
        assert product is not None and (product.stock, product.reserved) == (4, 4)
        assert await uow.backoffice.adjust_stock(999_999, 1) is None
        await uow.commit()


async def test_two_admins_confirming_a_shipment_at_once_make_one_shipment(
    db: Database, product_ids: dict[str, int]
) -> None:
    order_id = await add_order(db, "AAAA-0001", product_ids["A"], OrderStatus.PAID)
    tokens = iter(["tok-ann", "tok-ben"])
    merchant = Merchant(
        cast(UnitOfWorkFactory, db),
        FixedClock(),
        MerchantConfig(CURRENCY, ADMIN_CHAT),
        tokens=lambda: next(tokens),
        flow=ORDER_FLOW,
    )
    for admin in (ANN, BEN):
        dialog = await merchant.start_ship(ADMIN_CHAT, admin, "AAAA-0001")
        await merchant.choose_carrier(ADMIN_CHAT, admin, dialog.token, "dhl")
        await merchant.answer(ADMIN_CHAT, admin, "1234567890")
        await merchant.skip(ADMIN_CHAT, admin, dialog.token)

    results = await asyncio.gather(
        merchant.confirm(ADMIN_CHAT, ANN, "tok-ann"),
        merchant.confirm(ADMIN_CHAT, BEN, "tok-ben"),
        return_exceptions=True,
    )

    refused = [r for r in results if isinstance(r, IllegalTransitionError)]
    assert len(refused) == 1, results
    assert refused[0].key == "adm.error.already_shipped"
    async with db.uow(readonly=True) as uow:
        assert len((await uow.shipments.for_orders([order_id]))[order_id]) == 1
        order = await uow.orders.get(order_id)
        assert order is not None and order.status == OrderStatus.SHIPPED
        assert [e.type for e in await uow.orders.events(order_id)].count("shipped") == 1
        assert await uow.dialogs.get(ADMIN_CHAT, ANN) is None
        assert await uow.dialogs.get(ADMIN_CHAT, BEN) is None
