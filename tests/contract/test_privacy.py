"""Privacy's repositories: the audit log and finding orders (the blind index on SQL, the
stored orders in the fake)."""

from __future__ import annotations

from domain.after_sales.records import (
    AfterSalesRequest,
    Draft,
    DraftKind,
    RequestKind,
    RequestLine,
    RequestStatus,
    ReturnReason,
)
from domain.checkout.model import Address
from domain.orders.lifecycle import OrderStatus
from domain.privacy.ports import Erasure
from domain.reviews.records import Review
from domain.shared.audit import AuditEntry, AuditFilter
from domain.shared.customers import Customer
from domain.shared.notifications import Notification
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


async def test_erasing_a_customer_removes_the_person_and_keeps_the_books(
    uow_factory: Factory,
) -> None:
    async with uow_factory() as uow:
        await uow.customers.upsert(Customer(id=41, first_name="Zhang Wei", username="Zhang_W"))
        await uow.customers.upsert(Customer(id=42, first_name="Other", username="other"))
        for n in range(6):  # more than the checkout's five latest
            await uow.addresses.add(Address(0, 41, f"Zhang Wei {n}", "+8613800138000", "1 Road"))
        await uow.addresses.add(Address(0, 42, "Other", "+14155552671", "2 Road"))
        await uow.commit()
    mine = await seed.order(uow_factory, "AAAA-0001", customer_id=41, status=OrderStatus.COMPLETED)
    theirs = await seed.order(uow_factory, "AAAA-0002", customer_id=42)
    async with uow_factory() as uow:
        order = await uow.orders.get(mine)
        assert order is not None
        await uow.after_sales.add(
            AfterSalesRequest(
                number="R-1",
                order_id=mine,
                customer_id=41,
                kind=RequestKind.RETURN,
                status=RequestStatus.CLOSED,
                reason=ReturnReason.DEFECTIVE,
                lines=[RequestLine(order.lines[0].id or 0, 1)],
                created_at=at(1),
                details="cracked, call me on 13800138000",
                photos=["file-1"],
            )
        )
        await uow.after_sales.save_draft(Draft(41, DraftKind.REQUEST, "tok", "details", {"d": 1}))
        await uow.reviews.save(Review(mine, 41, 5, at(2), at(2), comment="Zhang loved it"))
        await uow.outbox.add(
            Notification(chat_id=41, template="t.sent", params={"n": "Zhang"}), at(1)
        )
        await uow.outbox.add(
            Notification(chat_id=41, template="t.due", params={"n": "Zhang"}), at(1)
        )
        await uow.outbox.add(Notification(chat_id=42, template="t.other", params={"n": "X"}), at(1))
        await uow.commit()
    async with uow_factory() as uow:
        (sent, *_) = await uow.outbox.claim_due(at(2), 1, 30)
        await uow.outbox.mark_sent(sent.id or 0, at(2))
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert len(await uow.personal.addresses(41)) == 6
        assert await uow.search.orders("zhang", 10) == [mine]
        assert await uow.outbox.pending_count() == 2

    async with uow_factory() as uow:
        erased = await uow.personal.erase(41, "[erased]", at(5))
        await uow.commit()
    assert erased == Erasure(orders=1, addresses=6, requests=1, reviews=1, messages=2)

    async with uow_factory(readonly=True) as uow:
        customer = await uow.customers.get(41)
        assert customer is not None and (customer.first_name, customer.username) == (
            "[erased]",
            None,
        )
        assert await uow.personal.addresses(41) == []
        assert len(await uow.personal.addresses(42)) == 1
        kept = await uow.orders.get(mine)
        assert kept is not None
        assert (kept.recipient, kept.phone, kept.address_text) == ("[erased]",) * 3
        assert (kept.status, kept.total, len(kept.lines)) == (
            OrderStatus.COMPLETED,
            order.total,
            1,
        )
        other = await uow.orders.get(theirs)
        assert other is not None and other.recipient == "Ann"
        for gone in ["zhang", "@zhang_w", "+8613800138000"]:
            assert await uow.search.orders(gone, 10) == [], gone
        assert await uow.search.orders("aaaa-0001", 10) == [mine]  # the number still finds it
        assert await uow.search.orders("other", 10) == [theirs]
        request = await uow.after_sales.get_by_number("R-1")
        assert request is not None and (request.details, request.photos) == (None, [])
        assert await uow.after_sales.get_draft(41) is None
        review = await uow.reviews.get(mine, 41)
        assert review is not None and (review.rating, review.comment) == (5, None)
        assert await uow.outbox.pending_count() == 1  # the other customer's message only


async def test_erasing_a_customer_ends_their_back_in_stock_waits_only(
    uow_factory: Factory,
) -> None:
    tea = await seed.product(uow_factory, "TEA", stock=0)
    ann = await seed.customer(uow_factory, 51)
    bob = await seed.customer(uow_factory, 52)
    async with uow_factory() as uow:
        for customer in (ann, bob):
            assert await uow.stock_watchers.watch(customer, tea, at(1))
        await uow.commit()
    async with uow_factory() as uow:
        await uow.personal.erase(ann, "[erased]", at(2))
        await uow.commit()
    async with uow_factory() as uow:
        assert not await uow.stock_watchers.is_watching(ann, tea)
        assert await uow.stock_watchers.is_watching(bob, tea)
        await uow.products.restock(tea, 2)
        taken = await uow.stock_watchers.take_waiting([tea], at(3))
    assert [w.customer_id for w in taken] == [bob]
