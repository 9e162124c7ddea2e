"""Privacy's repositories: the audit log and finding orders (the blind index on SQL, the
stored orders in the fake)."""

from __future__ import annotations

from domain.shared.audit import AuditEntry, AuditFilter
from domain.shared.customers import Customer
from domain.shared.paging import Page
from domain.shipping.carriers import Shipment
from tests.contract import seed
from tests.contract.seed import Factory, at


async def test_the_audit_log_lists_the_latest_entries_filtered_and_paged(
    uow_factory: Factory,
) -> None:
    async with uow_factory() as uow:
        await uow.audit.append(AuditEntry("admin:1", "order_ship", at(1), order_id=5))
        await uow.audit.append(
            AuditEntry("admin:2", "product_stock", at(2), product_id=9, details={"delta": -2})
        )
        await uow.audit.append(AuditEntry("cli", "backup", at(3), details={"file": "b.db"}))
        await uow.audit.append(AuditEntry("admin:1", "order_note", at(4), order_id=5))
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        everything = await uow.audit.latest(Page(0, 3), AuditFilter())
        assert everything.total == 4
        assert [e.action for e in everything.items] == ["order_note", "backup", "product_stock"]
        assert everything.items[2] == AuditEntry(
            "admin:2", "product_stock", at(2), product_id=9, details={"delta": -2}
        )
        last = await uow.audit.latest(Page(1, 3), AuditFilter())
        assert [e.action for e in last.items] == ["order_ship"]
        about_order = await uow.audit.latest(Page(0, 5), AuditFilter(order_id=5))
        assert [e.action for e in about_order.items] == ["order_note", "order_ship"]
        about_product = await uow.audit.latest(Page(0, 5), AuditFilter(product_id=9))
        assert [e.actor for e in about_product.items] == ["admin:2"]
        by_admin = await uow.audit.latest(Page(0, 5), AuditFilter(actor="admin:1"))
        assert by_admin.total == 2
        assert (await uow.audit.latest(Page(0, 5), AuditFilter(actor="admin:3"))).total == 0


async def test_an_uncommitted_audit_entry_is_gone_with_its_transaction(
    uow_factory: Factory,
) -> None:
    async with uow_factory() as uow:
        await uow.audit.append(AuditEntry("admin:1", "order_ship", at(1), order_id=5))
    async with uow_factory(readonly=True) as uow:
        assert (await uow.audit.latest(Page(0, 5), AuditFilter())).total == 0


async def test_orders_are_found_by_number_tracking_phone_username_and_name_words(
    uow_factory: Factory,
) -> None:
    async with uow_factory() as uow:
        await uow.customers.upsert(Customer(id=41, first_name="Zhang Wei", username="Zhang_W"))
        await uow.commit()
    first = await seed.order(uow_factory, "AAAA-0001", customer_id=41)
    second = await seed.order(uow_factory, "AAAA-0002", customer_id=41)
    other = await seed.order(uow_factory, "AAAA-0003", customer_id=42)
    async with uow_factory() as uow:
        await uow.shipments.add(
            Shipment(
                order_id=first,
                carrier_code="ups",
                carrier_name="UPS",
                tracking_number="1ZTRACK42",
                tracking_url=None,
                actor="admin:1",
                shipped_at=at(5),
                key="k-first",
            )
        )
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert await uow.search.orders("aaaa-0002", 10) == [second]
        assert await uow.search.orders("1ZTRACK42", 10) == [first]
        # every order has the seed's phone +14155552671: newest first, limited
        assert await uow.search.orders("(415) 555-2671", 10) == [other, second, first]
        assert await uow.search.orders("+1 415 555 2671", 2) == [other, second]
        assert await uow.search.orders("@zhang_w", 10) == [second, first]
        assert await uow.search.orders("zhang", 10) == [second, first]
        assert await uow.search.orders("WEI zhang", 10) == [second, first]
        assert await uow.search.orders("ann", 10) == [other, second, first]  # the recipient
        for miss in ["zha", "wei li", "@zhang", "4155552670", "1ZTRACK4"]:
            assert await uow.search.orders(miss, 10) == [], miss
