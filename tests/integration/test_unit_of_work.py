"""The unit of work: one transaction, rolled back unless committed; repositories never commit."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, text

from domain.checkout.flow import Checkout, CheckoutStep
from domain.checkout.model import Address
from domain.shared.customers import Customer
from domain.shared.notifications import Notification
from domain.shared.paging import Page
from storage.db import Database
from tests.dbsetup import TEST_KEYS
from tests.integration.helpers import T0, add_customer, draft, make_order


async def test_work_that_is_not_committed_is_rolled_back(db: Database) -> None:
    async with db.uow() as uow:
        await uow.customers.upsert(Customer(id=1, first_name="Ann"))
        assert await uow.customers.get(1) is not None  # visible inside its own transaction

    async with db.uow(readonly=True) as uow:
        assert await uow.customers.get(1) is None


async def test_work_is_rolled_back_when_the_block_raises(db: Database) -> None:
    with pytest.raises(LookupError):
        async with db.uow() as uow:
            await uow.customers.upsert(Customer(id=1, first_name="Ann"))
            raise LookupError

    async with db.uow(readonly=True) as uow:
        assert await uow.customers.get(1) is None


async def test_commit_persists_the_work(db: Database) -> None:
    async with db.uow() as uow:
        await uow.customers.upsert(Customer(id=1, first_name="Ann"))
        await uow.commit()

    async with db.uow(readonly=True) as uow:
        customer = await uow.customers.get(1)
    assert customer is not None and customer.first_name == "Ann"


async def test_explicit_rollback_undoes_the_work(db: Database) -> None:
    async with db.uow() as uow:
        await uow.customers.upsert(Customer(id=1, first_name="Ann"))
        await uow.rollback()
        assert await uow.customers.get(1) is None


async def test_a_readonly_unit_of_work_refuses_to_commit_and_keeps_nothing(db: Database) -> None:
    # SQLite refuses the commit; PostgreSQL, where reads run in autocommit, the write itself.
    async with db.uow(readonly=True) as uow:
        with pytest.raises(RuntimeError, match="read-only"):
            await uow.customers.upsert(Customer(id=1, first_name="Ann"))
            await uow.commit()

    async with db.uow(readonly=True) as uow:
        assert await uow.customers.get(1) is None


async def test_a_readonly_unit_of_work_on_postgresql_sends_no_begin_or_rollback(
    db: Database, backend: str
) -> None:
    """Under READ COMMITTED a transaction block gives a read nothing a single statement does
    not, so read-only units of work run in autocommit: no BEGIN and no ROLLBACK round trips
    (issue 13). Inside a transaction block now() stays at the block's start; here each
    statement is its own transaction. Units of work that write keep their transaction."""
    if backend != "postgresql":
        pytest.skip("SQLite keeps BEGIN: its read transaction is one snapshot")
    async with db.uow(readonly=True) as uow:
        first = await uow.session.scalar(text("SELECT now()"))
        await asyncio.sleep(0.02)
        second = await uow.session.scalar(text("SELECT now()"))
        assert first != second
        assert await uow.session.scalar(text("SELECT pg_current_xact_id_if_assigned()")) is None
    async with db.uow() as uow:
        first = await uow.session.scalar(text("SELECT now()"))
        await asyncio.sleep(0.02)
        assert await uow.session.scalar(text("SELECT now()")) == first
        await uow.customers.upsert(Customer(id=2, first_name="Bo"))
        await uow.commit()
    async with db.uow(readonly=True) as uow:  # the pool gave the connection back as it was
        assert await uow.customers.get(2) is not None
    async with db.uow() as uow:
        first = await uow.session.scalar(text("SELECT now()"))
        await asyncio.sleep(0.02)
        assert await uow.session.scalar(text("SELECT now()")) == first


async def test_the_database_is_callable_as_a_unit_of_work_factory(db: Database) -> None:
    async with db(readonly=True) as uow:
        assert await uow.customers.get(1) is None


async def test_repositories_never_commit_on_their_own(db: Database, seed) -> None:
    ids = await seed(draft("A", stock=5))
    await add_customer(db, 1)
    commits = 0

    def counted(_conn: object) -> None:
        nonlocal commits
        commits += 1

    event.listen(db.engine.sync_engine, "commit", counted)
    try:
        async with db.uow() as uow:
            await uow.customers.upsert(Customer(id=2, first_name="Bob"))
            await uow.customers.set_language(1, "zh")
            await uow.customers.set_reachable(1, False)
            assert await uow.products.reserve(ids["A"], 2)
            await uow.products.set_photo_file_id(ids["A"], "file-1")
            await uow.products.upsert_drafts([draft("B")])
            await uow.carts.set_quantity(1, ids["A"], 1)
            await uow.addresses.add(Address(0, 1, "Ann Lee", "+14155552671", "1 Main Street"))
            await uow.checkouts.save(Checkout(1, "tok", CheckoutStep.REVIEW, updated_at=T0))
            order_id = await uow.orders.add(make_order(1, "AAAA-0001", product_id=ids["A"]))
            await uow.outbox.add(Notification(chat_id=1, template="t"), T0)
            assert await uow.orders.get(order_id) is not None
        assert commits == 0
    finally:
        event.remove(db.engine.sync_engine, "commit", counted)

    async with db.uow(readonly=True) as uow:
        assert await uow.customers.get(2) is None
        customer = await uow.customers.get(1)
        assert customer is not None and customer.language is None and customer.reachable
        product = await uow.products.get(ids["A"])
        assert product is not None and product.reserved == 0 and product.photo_file_id is None
        assert (await uow.products.search("Product B", Page(0, 10))).total == 0
        assert (await uow.carts.get(1)).empty
        assert await uow.addresses.count(1) == 0
        assert await uow.checkouts.get(1) is None
        assert await uow.orders.get_by_number("AAAA-0001") is None
        assert await uow.outbox.pending_count() == 0


async def test_commit_wakes_the_outbox_dispatcher_only_when_messages_were_queued(
    database_url: str, db: Database
) -> None:
    wakeups: list[int] = []
    waking = Database(database_url, keys=TEST_KEYS, on_outbox=lambda: wakeups.append(1))
    try:
        async with waking.uow() as uow:
            await uow.customers.upsert(Customer(id=1, first_name="Ann"))
            await uow.commit()
        assert wakeups == []

        async with waking.uow() as uow:
            await uow.outbox.add(Notification(chat_id=1, template="t"), T0)
            await uow.commit()
        assert wakeups == [1]
    finally:
        await waking.dispose()


async def test_a_reader_is_not_blocked_by_an_open_write_transaction(db: Database) -> None:
    await add_customer(db, 1)
    async with db.uow() as writer:
        await writer.customers.set_language(1, "zh")

        async def read() -> Customer | None:
            async with db.uow(readonly=True) as reader:
                return await reader.customers.get(1)

        seen = await asyncio.wait_for(read(), timeout=5)
        assert seen is not None and seen.language is None  # the uncommitted change is invisible
        await writer.commit()


async def test_an_urgent_writer_goes_before_the_ordinary_writers_waiting() -> None:
    import asyncio

    from storage.db import WriteLock

    lock = WriteLock()
    order: list[str] = []
    await lock.acquire()

    async def writer(name: str, urgent: bool) -> None:
        await lock.acquire(urgent=urgent)
        order.append(name)
        lock.release()

    waiting = [asyncio.create_task(writer(f"w{i}", False)) for i in range(3)]
    await asyncio.sleep(0)
    waiting.append(asyncio.create_task(writer("mark-sent", True)))
    await asyncio.sleep(0)
    cancelled = asyncio.create_task(writer("gone", False))
    await asyncio.sleep(0)
    cancelled.cancel()
    lock.release()
    await asyncio.gather(*waiting)
    assert order == ["mark-sent", "w0", "w1", "w2"]
    assert not lock.locked()


async def test_a_connection_the_server_closed_is_dropped_at_checkout(
    db: Database, backend: str
) -> None:
    """PostgreSQL without pool_pre_ping (three round trips a checkout): a pooled connection whose
    backend is gone (a restart, an idle timeout, a terminated backend) is dropped when checked
    out, and the unit of work runs on a fresh one."""
    if backend != "postgresql":
        pytest.skip("SQLite has no server to lose")
    async with db.uow(readonly=True) as uow:  # one pooled connection, idle afterwards
        pid = await uow.session.scalar(text("SELECT pg_backend_pid()"))
    killer = Database(db.url, keys=TEST_KEYS)
    try:
        async with killer.engine.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await killer.dispose()
    await asyncio.sleep(0.2)  # the loop reads the closed socket
    for _ in range(3):
        async with db.uow() as uow:
            await uow.customers.upsert(Customer(id=7, first_name="Ann"))
            await uow.commit()
    async with db.uow(readonly=True) as uow:
        assert (await uow.customers.get(7)) is not None
