"""Privacy's use cases on the fakes: /find's paging and input, /audit's filters."""

from __future__ import annotations

import pytest

from domain.privacy.service import AuditQuery, FindTooShortError, Privacy
from domain.shared.audit import AuditEntry, Target, record
from domain.shared.clock import FixedClock
from domain.shared.errors import NotFoundError
from tests.contract import seed
from tests.contract.seed import at
from tests.unit.fakes import FakeUnitOfWorkFactory


async def test_find_pages_the_orders_newest_first_and_puts_an_exact_number_first() -> None:
    factory = FakeUnitOfWorkFactory()
    ids = [await seed.order(factory, f"AAAA-000{n}") for n in range(1, 6)]
    privacy = Privacy(factory, FixedClock(at(0)), page_size=2)
    first = await privacy.find_orders("  (415)  555-2671 ", 0)  # the seed's phone, every order
    assert (first.total, [o.id for o in first.items]) == (5, ids[:2:-1][:2])
    last = await privacy.find_orders("+14155552671", 2)
    assert [o.id for o in last.items] == [ids[0]] and not last.has_next
    beyond = await privacy.find_orders("+14155552671", 9)  # a stale page: the first
    assert beyond.page.number == 0
    by_number = await privacy.find_orders("aaaa0003", 0)  # typed without the dash
    assert [o.number for o in by_number.items] == ["AAAA-0003"]
    with pytest.raises(FindTooShortError):
        await privacy.find_orders(" x ", 0)


async def test_audit_lists_entries_about_an_order_a_product_or_by_an_admin() -> None:
    factory = FakeUnitOfWorkFactory()
    order_id = await seed.order(factory, "AAAA-0001")
    product_id = await seed.product(factory, "TEA-1")
    async with factory() as uow:
        await record(uow, "admin:1", "order_ship", Target(order_id=order_id), at=at(1))
        await record(uow, "admin:2", "product_stock", Target(product_id=product_id), at=at(2))
        await record(uow, "cli", "backup", Target(), {"file": "x"}, at=at(3))
        await uow.commit()
    privacy = Privacy(factory, FixedClock(at(5)))
    everything = await privacy.audit(AuditQuery(), 0)
    assert [e.action for e in everything.items] == ["backup", "product_stock", "order_ship"]
    assert (await privacy.audit(AuditQuery(order_number="aaaa-0001"), 0)).items == [
        AuditEntry("admin:1", "order_ship", at(1), order_id=order_id)
    ]
    of_product = await privacy.audit(AuditQuery(sku="tea-1"), 0)
    assert [e.actor for e in of_product.items] == ["admin:2"]
    assert [e.action for e in (await privacy.audit(AuditQuery(admin_id=1), 0)).items] == [
        "order_ship"
    ]
    for unknown in (AuditQuery(order_number="ZZZZ-ZZZZ"), AuditQuery(sku="NOPE")):
        with pytest.raises(NotFoundError):
            await privacy.audit(unknown, 0)
