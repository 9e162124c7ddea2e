"""Storage of the jobs, on SQLite and PostgreSQL: the outbox's per-chat claim, tracking state
and checkpoints, the sweeps' queries, the run log, and one runner per job."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import OrderEvent
from domain.shared.notifications import Notification
from domain.shipping.carriers import Shipment
from domain.shipping.tracking_records import Checkpoint, TrackingState, TrackingStatus
from storage.db import Database
from storage.jobs import JobLocks, SqlJobRuns
from storage.tables.catalog import ProductRow
from storage.tables.orders import OrderRow
from tests.dbsetup import TEST_KEYS
from tests.integration.helpers import T0, add_customer, draft, make_order, seed_catalog

LEASE = 60.0
S = TrackingStatus


async def add(db: Database, *rows: tuple[int, str]) -> None:
    async with db.uow() as uow:
        for chat_id, template in rows:
            await uow.outbox.add(Notification(chat_id=chat_id, template=template), T0)
        await uow.commit()


async def claim(db: Database, limit: int = 10, exclude: tuple[int, ...] = ()) -> list[str]:
    async with db.uow() as uow:
        found = await uow.outbox.claim_due(T0, limit, LEASE, exclude_chats=exclude)
        await uow.commit()
    return [n.template for n in found]


# -- the outbox: one chat's rows in order -----------------------------------------------------


async def test_only_the_oldest_pending_row_of_each_chat_is_claimed(db: Database) -> None:
    await add(db, (1, "a1"), (2, "b1"), (1, "a2"), (3, "c1"), (2, "b2"))
    assert await claim(db) == ["a1", "b1", "c1"]
    assert await claim(db) == [], "a2 and b2 wait while a1 and b1 are out"


async def test_the_next_row_of_a_chat_is_claimed_once_the_earlier_one_is_sent(
    db: Database,
) -> None:
    await add(db, (1, "a1"), (1, "a2"), (1, "a3"))
    async with db.uow() as uow:
        [first] = await uow.outbox.claim_due(T0, 10, LEASE)
        assert first.id is not None
        await uow.outbox.retry_later(first.id, "502", T0 + timedelta(minutes=1))
        await uow.commit()
    assert await claim(db) == [], "a retried row still holds back the rest of its chat"
    async with db.uow() as uow:
        [again] = await uow.outbox.claim_due(T0 + timedelta(minutes=1), 10, LEASE)
        assert again.id is not None
        await uow.outbox.mark_sent(again.id, T0)
        await uow.commit()
    assert await claim(db) == ["a2"]


async def test_excluded_and_unreachable_chats_are_skipped(db: Database) -> None:
    await add_customer(db, 2)
    async with db.uow() as uow:
        await uow.customers.set_reachable(2, False)
        await uow.commit()
    await add(db, (1, "a1"), (2, "b1"), (3, "c1"))
    assert await claim(db, exclude=(1,)) == ["c1"]
    async with db.uow(readonly=True) as uow:
        assert await uow.outbox.waiting_chats(T0, [1, 2, 3]) == {1}
    async with db.uow() as uow:
        await uow.customers.set_reachable(2, True)
        await uow.commit()
    assert await claim(db) == ["a1", "b1"]


async def test_hold_and_release_put_a_row_back_without_counting_it(db: Database) -> None:
    await add(db, (1, "a1"), (2, "b1"))
    async with db.uow() as uow:
        first, second = await uow.outbox.claim_due(T0, 10, LEASE)
        assert first.id is not None and second.id is not None
        await uow.outbox.hold(first.id, "forbidden: bot was blocked by the user")
        await uow.outbox.release(second.id)
        await uow.commit()
    async with db.uow() as uow:
        again = await uow.outbox.claim_due(T0, 10, LEASE)
        await uow.commit()
    assert [(n.template, n.attempts) for n in again] == [("a1", 1), ("b1", 1)]


async def test_two_runners_claiming_at_once_get_different_rows(db: Database) -> None:
    await add(db, *[(chat, f"m{chat}") for chat in range(1, 41)])

    async def runner() -> list[str]:
        taken: list[str] = []
        for _ in range(10):
            taken += await claim(db, limit=3)
            await asyncio.sleep(0)
        return taken

    one, two = await asyncio.gather(runner(), runner())
    assert not set(one) & set(two)
    assert sorted(one + two) == sorted(f"m{chat}" for chat in range(1, 41))


# -- tracking --------------------------------------------------------------------------------


async def shipped_order(db: Database, number: str = "TRAK-0001") -> tuple[int, int]:
    """A shipped order with one shipment; (order id, shipment id)."""
    async with db.uow(readonly=True) as uow:
        product_id = await uow.session.scalar(select(ProductRow.id).limit(1))
        known = await uow.customers.get(7)
    if known is None:
        await add_customer(db, 7)
    if product_id is None:
        product_id = (await seed_catalog(db, draft("TEA-1")))["TEA-1"]
    async with db.uow() as uow:
        order_id = await uow.orders.add(make_order(7, number, product_id=product_id))
        await uow.session.execute(
            update(OrderRow).where(OrderRow.id == order_id).values(status="shipped")
        )
        shipment_id = await uow.shipments.add(
            Shipment(
                order_id=order_id,
                carrier_code="sf",
                carrier_name="SF Express",
                tracking_number=f"SF{order_id:013d}",
                tracking_url=None,
                actor="admin:1",
                shipped_at=T0,
                key=f"ship-{number}",
            )
        )
        await uow.commit()
    return order_id, shipment_id


async def test_shipments_are_claimed_for_a_poll_once_per_lease(db: Database) -> None:
    _, shipment_id = await shipped_order(db)
    async with db.uow() as uow:
        [found] = await uow.tracking.claim_due(T0, 10, 300)
        assert (found.shipment_id, found.order_number, found.status) == (
            shipment_id,
            "TRAK-0001",
            None,
        )
        assert await uow.tracking.claim_due(T0, 10, 300) == [], "leased"
        await uow.commit()
    async with db.uow() as uow:
        assert [
            s.shipment_id for s in await uow.tracking.claim_due(T0 + timedelta(minutes=5), 10, 300)
        ] == [shipment_id]
        await uow.commit()


async def test_two_polls_at_once_do_not_share_a_shipment(db: Database) -> None:
    ids = [(await shipped_order(db, f"TRAK-{n:04d}"))[1] for n in range(6)]

    async def poll() -> list[int]:
        async with db.uow() as uow:
            found = await uow.tracking.claim_due(T0, 4, 300)
            await uow.commit()
        return [s.shipment_id for s in found]

    one, two = await asyncio.gather(poll(), poll())
    assert not set(one) & set(two) and sorted(one + two) == sorted(ids)


async def test_a_delivered_or_not_yet_due_shipment_is_not_claimed(db: Database) -> None:
    _, late = await shipped_order(db, "TRAK-0001")
    _, done = await shipped_order(db, "TRAK-0002")
    async with db.uow() as uow:
        await uow.tracking.save_state(
            TrackingState(late, S.IN_TRANSIT, next_poll_at=T0 + timedelta(hours=1)), T0
        )
        await uow.tracking.save_state(TrackingState(done, S.DELIVERED, next_poll_at=None), T0)
        assert await uow.tracking.claim_due(T0, 10, 300) == []
        [due] = await uow.tracking.claim_due(T0 + timedelta(hours=1), 10, 300)
        assert due.shipment_id == late and due.status == S.IN_TRANSIT
        await uow.commit()


async def test_a_checkpoint_is_stored_once(db: Database) -> None:
    order_id, shipment_id = await shipped_order(db)
    checkpoint = Checkpoint("as:abc", S.IN_TRANSIT, T0, "Shenzhen", "Departed")
    async with db.uow() as uow:
        assert await uow.tracking.add_checkpoint(
            shipment_id, order_id, checkpoint, source="aftership", actor="system:tracking", at=T0
        )
        assert not await uow.tracking.add_checkpoint(
            shipment_id, order_id, checkpoint, source="aftership", actor="system:tracking", at=T0
        )
        await uow.commit()
    async with db.uow(readonly=True) as uow:
        [stored] = await uow.tracking.checkpoints(order_id)
    assert stored.checkpoint == checkpoint and stored.source == "aftership"


async def test_tracking_state_is_upserted_and_counts_polls(db: Database) -> None:
    _, shipment_id = await shipped_order(db)
    async with db.uow() as uow:
        await uow.tracking.save_state(
            TrackingState(shipment_id, None, 1, T0, T0, "HTTP 500", polled=True), T0
        )
        await uow.tracking.save_state(
            TrackingState(shipment_id, S.IN_TRANSIT, 0, T0, T0, None, polled=True), T0
        )
        await uow.commit()
    async with db.uow(readonly=True) as uow:
        state = await uow.tracking.state(shipment_id)
    assert state is not None and (state.status, state.streak, state.last_error) == (
        S.IN_TRANSIT,
        0,
        None,
    )


# -- the sweeps' queries ---------------------------------------------------------------------


async def test_orders_due_for_completion_by_their_delivery_event(db: Database) -> None:
    old, _ = await shipped_order(db, "DONE-0001")
    recent, _ = await shipped_order(db, "DONE-0002")
    disputed, _ = await shipped_order(db, "DONE-0003")
    async with db.uow() as uow:
        for order_id, at in (
            (old, T0 - timedelta(days=8)),
            (recent, T0 - timedelta(days=2)),
            (disputed, T0 - timedelta(days=30)),
        ):
            await uow.session.execute(
                update(OrderRow).where(OrderRow.id == order_id).values(status="delivered")
            )
            await uow.orders.add_event(
                order_id,
                OrderEvent(
                    OrderEventType.DELIVERED,
                    "system:tracking",
                    at,
                    OrderStatus.SHIPPED,
                    OrderStatus.DELIVERED,
                ),
            )
        await uow.orders.change_after_sales_open(disputed, 1)
        await uow.commit()
    async with db.uow() as uow:
        assert await uow.sweeps.due_for_completion(T0 - timedelta(days=7), 10) == [old]


async def test_low_stock_lists_products_at_or_below_threshold_with_recent_sales(
    db: Database, seed: Callable[..., Awaitable[dict[str, int]]]
) -> None:
    ids = await seed(draft("LOW", stock=3), draft("FINE", stock=40), draft("NONE", stock=0))
    async with db.uow() as uow:
        await uow.session.execute(
            update(ProductRow)
            .where(ProductRow.sku.in_(["LOW", "FINE"]))
            .values(low_stock_threshold=5)
        )
        await uow.commit()
    await add_customer(db, 9)
    async with db.uow() as uow:
        await uow.orders.add(
            make_order(
                9, "SOLD-0001", product_id=ids["LOW"], quantity=4, created_at=T0 - timedelta(days=3)
            )
        )
        await uow.orders.add(
            make_order(
                9,
                "SOLD-0002",
                product_id=ids["LOW"],
                quantity=50,
                created_at=T0 - timedelta(days=45),
            )
        )
        await uow.commit()
    async with db.uow(readonly=True) as uow:
        found = await uow.sweeps.low_stock(T0 - timedelta(days=30), 10)
    assert [(p.sku, sold) for p, sold in found] == [("LOW", 4)]


# -- job runs and locks ----------------------------------------------------------------------


async def test_job_runs_are_recorded_and_the_oldest_forgotten(db: Database) -> None:
    runs = SqlJobRuns(db, kept=3)
    for n in range(5):
        at = T0 + timedelta(minutes=n)
        await runs.record("outbox", "runner", at, at, 10 * n, n != 4, f"sent={n}")
    await runs.record("tracking", "runner", T0, T0, 5, True, "polled=1")
    history = await runs.history("outbox")
    assert [r.summary for r in history] == ["sent=4", "sent=3", "sent=2"]
    latest = await runs.latest()
    assert (latest["outbox"].summary, latest["outbox"].ok) == ("sent=4", False)
    assert latest["tracking"].duration_ms == 5
    assert await runs.last_ok_start("outbox") == T0 + timedelta(minutes=3)


async def test_one_runner_at_a_time_holds_a_job(database_url: str, db: Database) -> None:
    other_db = Database(database_url, keys=TEST_KEYS)
    try:
        one, two = JobLocks(db, "one"), JobLocks(other_db, "two")
        async with one.hold("outbox") as mine:
            assert mine
            async with two.hold("outbox") as theirs:
                assert not theirs
            async with two.hold("tracking") as other_job:
                assert other_job, "another job is free"
        async with two.hold("outbox") as theirs:
            assert theirs, "released at the end of the run"
    finally:
        await other_db.dispose()


async def test_a_crashed_runners_sqlite_lease_expires(tmp_path: object) -> None:
    from storage.migrate import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path}/locks.db"
    await upgrade(url)
    db = Database(url, keys=TEST_KEYS)
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    try:
        dead = JobLocks(db, "dead", lease_seconds=60, now=lambda: now[0])
        alive = JobLocks(db, "alive", lease_seconds=60, now=lambda: now[0])
        assert await dead.acquire("outbox")  # and then the process dies
        assert not await alive.acquire("outbox")
        now[0] += timedelta(seconds=61)
        assert await alive.acquire("outbox")
        assert not await dead.renew("outbox"), "the dead runner's lease is gone"
    finally:
        await db.dispose()


async def test_a_killed_runners_sqlite_lease_is_taken_over_at_once(tmp_path: object) -> None:
    import os
    import socket
    import sys

    from storage.migrate import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path}/locks.db"
    await upgrade(url)
    db = Database(url, keys=TEST_KEYS)
    gone = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "pass"
    )  # a process that has exited: its pid is free
    await gone.wait()
    dead_pid = gone.pid
    host = socket.gethostname()[:32]
    try:
        elsewhere = JobLocks(db, f"otherhost:{dead_pid}:def456", lease_seconds=60)
        assert await elsewhere.acquire("payments")
        here = JobLocks(db, f"{host}:{os.getpid()}:fed321", lease_seconds=60)
        assert not await here.acquire("payments"), "a runner on another host: wait for expiry"

        dead = JobLocks(db, f"{host}:{dead_pid}:abc123", lease_seconds=60)
        assert await dead.acquire("outbox")  # and then the process is killed (kill -9)
        assert await here.acquire("outbox"), "the dead process's lease is taken at once"
        assert not await dead.renew("outbox")
        alive = JobLocks(db, f"{host}:{os.getppid()}:aaa111", lease_seconds=60)
        assert await alive.acquire("inbox") and not await here.acquire("inbox"), (
            "a live holder keeps its lease"
        )
    finally:
        await db.dispose()


# -- a lease kept between runs (SQLite: the outbox job, issue 13) --------------------------------


async def sqlite_locks_db(tmp_path: object) -> Database:
    from storage.migrate import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path}/kept.db"
    await upgrade(url)
    return Database(url, keys=TEST_KEYS)


async def lease_row(db: Database, job: str) -> tuple[str, datetime] | None:
    from storage.tables.jobs import JobLockRow

    async with db.uow(readonly=True) as uow:
        row = (
            await uow.session.execute(
                select(JobLockRow.holder, JobLockRow.locked_until).where(JobLockRow.job == job)
            )
        ).first()
    return None if row is None else (row[0], row[1])


class CountedLocks(JobLocks):
    """JobLocks counting its transactions on the lease."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.writes = 0

    async def acquire(self, job: str) -> bool:
        self.writes += 1
        return await super().acquire(job)

    async def renew(self, job: str) -> bool:
        self.writes += 1
        return await super().renew(job)

    async def release(self, job: str) -> None:
        self.writes += 1
        await super().release(job)


async def test_a_kept_lease_is_taken_once_and_kept_between_runs(tmp_path: object) -> None:
    db = await sqlite_locks_db(tmp_path)
    try:
        here = CountedLocks(db, "here", keep=("outbox",))
        other = JobLocks(db, "other")
        for _ in range(5):
            async with here.hold("outbox") as mine:
                assert mine
        assert here.writes == 1, "one transaction for five runs: the first run's take"
        held = await lease_row(db, "outbox")
        assert held is not None and held[0] == "here", "kept after the runs"
        async with other.hold("outbox") as theirs:
            assert not theirs, "another runner waits while this one lives"

        async with here.hold("tracking") as mine:  # not kept: taken and given back
            assert mine
        assert await lease_row(db, "tracking") is None
        assert here.writes == 3

        await here.give_back_kept()
        assert await lease_row(db, "outbox") is None
        async with other.hold("outbox") as theirs:
            assert theirs, "given back when the jobs stop: the other runner takes it at once"
    finally:
        await db.dispose()


async def test_a_kept_job_is_not_run_twice_at_once_in_one_process(tmp_path: object) -> None:
    db = await sqlite_locks_db(tmp_path)
    try:
        here = JobLocks(db, "here", keep=("outbox",))
        async with here.hold("outbox") as mine:
            assert mine
            async with here.hold("outbox") as again:
                assert not again, "a second run here waits its turn, as with any lease"
        async with here.hold("outbox") as mine:
            assert mine, "and runs once the first is over"
        await here.give_back_kept()
    finally:
        await db.dispose()


async def test_a_kept_lease_is_renewed_by_its_heartbeat_between_runs(tmp_path: object) -> None:
    db = await sqlite_locks_db(tmp_path)
    try:
        here = CountedLocks(db, "here", keep=("outbox",), lease_seconds=0.6)
        async with here.hold("outbox") as mine:
            assert mine
        first = await lease_row(db, "outbox")
        await asyncio.sleep(1.0)  # idle: no run, the heartbeat beats every 0.2 s
        later = await lease_row(db, "outbox")
        assert first is not None and later is not None and later[1] > first[1]
        assert here.writes >= 3
        other = JobLocks(db, "other", lease_seconds=0.6)
        assert not await other.acquire("outbox"), "still ours: it never ran out"
        await here.give_back_kept()
        beats = here.writes
        await asyncio.sleep(0.5)
        assert here.writes == beats, "given back: the heartbeat stopped"
    finally:
        await db.dispose()


async def test_a_kept_lease_lost_to_another_runner_is_noticed_by_the_next_run(
    tmp_path: object,
) -> None:
    db = await sqlite_locks_db(tmp_path)
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    try:
        # A pinned clock: the heartbeat's renewals land, but time stands still for both
        # runners until it is moved; then this runner looks silent for longer than its lease.
        here = JobLocks(db, "here", keep=("outbox",), lease_seconds=60, now=lambda: now[0])
        other = JobLocks(db, "other", lease_seconds=60, now=lambda: now[0])
        async with here.hold("outbox") as mine:
            assert mine
        now[0] += timedelta(seconds=61)  # the process stalled past its lease
        assert await other.acquire("outbox"), "an expired lease is anybody's"
        async with here.hold("outbox") as mine:
            assert not mine, "the next run finds the lease gone instead of running as well"
        await other.release("outbox")
        async with here.hold("outbox") as mine:
            assert mine, "and takes it again once it is free"
        await here.give_back_kept()
    finally:
        await db.dispose()


async def test_a_kept_lease_whose_heartbeat_is_late_is_checked_in_the_database(
    tmp_path: object,
) -> None:
    db = await sqlite_locks_db(tmp_path)
    now = [datetime(2026, 1, 1, tzinfo=UTC)]
    try:
        here = CountedLocks(db, "here", keep=("outbox",), lease_seconds=60, now=lambda: now[0])
        async with here.hold("outbox") as mine:
            assert mine
        now[0] += timedelta(seconds=45)  # within the lease, past the heartbeat's margin
        async with here.hold("outbox") as mine:
            assert mine, "renewed in the database: still ours"
        assert here.writes == 2
        held = await lease_row(db, "outbox")
        assert held is not None
        assert held[1].replace(tzinfo=UTC) == now[0] + timedelta(seconds=60)
        await here.give_back_kept()
    finally:
        await db.dispose()


async def test_postgresql_keeps_no_lease_its_advisory_lock_goes_with_each_run(
    database_url: str, db: Database
) -> None:
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps the lease: the tests above")
    here = JobLocks(db, "here", keep=("outbox",))
    other_db = Database(database_url, keys=TEST_KEYS)
    try:
        async with here.hold("outbox") as mine:
            assert mine
        async with JobLocks(other_db, "other").hold("outbox") as theirs:
            assert theirs, "free between runs"
        await here.give_back_kept()
    finally:
        await other_db.dispose()
