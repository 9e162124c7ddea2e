"""The outbox retention's batches (issue 13): on SQLite each batch is a transaction that holds
the write lock checkouts wait for, so the batch is sized by how long the last one held it, and
a writer that became ready meanwhile goes before the next batch."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from domain.shared.clock import FixedClock
from domain.shared.notifications import Notification
from jobs.outbox import (
    FAILED_KEPT,
    RETENTION_BATCH,
    RETENTION_HOLD_S,
    RETENTION_MAX_BATCH,
    RETENTION_MIN_BATCH,
    SENT_KEPT,
    Delivery,
    OutboxDispatcher,
    retention_batch_after,
)
from jobs.pacing import Limits, SendPacer
from tests.unit.fakes import FakeOutboxRepository, FakeUnitOfWorkFactory, OutboxEntry

ROW_COST_S = 80e-6  # a scattered row on a slow, busy machine (bench/outbox_retention.py)


def test_the_next_batch_deletes_what_the_hold_allows_moving_at_most_twofold() -> None:
    hold = RETENTION_HOLD_S
    assert retention_batch_after(400, hold) == 400
    assert retention_batch_after(400, hold * 4 / 3) == 300
    assert retention_batch_after(400, hold * 10) == 200, "halved at most"
    assert retention_batch_after(400, hold / 10) == 800, "doubled at most"
    assert retention_batch_after(400, 0.0) == 800
    assert retention_batch_after(RETENTION_MIN_BATCH, hold * 10) == RETENTION_MIN_BATCH
    assert retention_batch_after(RETENTION_MAX_BATCH, hold / 10) == RETENTION_MAX_BATCH


async def no_sends(notification: Notification) -> Delivery:
    raise AssertionError("the retention sends nothing")


def _old_rows(uow: FakeUnitOfWorkFactory, clock: FixedClock, sent: int, owed: int) -> None:
    store = uow.store
    long_ago = clock.now() - SENT_KEPT - timedelta(days=1)
    for n in range(sent + owed):
        row_id = store.new_id()
        store.outbox[row_id] = OutboxEntry(
            notification=Notification(chat_id=42, template="t", id=row_id),
            created_at=long_ago,
            next_attempt_at=long_ago,
            sent_at=long_ago if n < sent else None,
        )


async def test_each_batch_holds_about_the_target_and_everything_due_goes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock, uow = FixedClock(), FakeUnitOfWorkFactory()
    _old_rows(uow, clock, sent=2_000, owed=7)
    now_s = [0.0]
    holds: list[tuple[int, float]] = []
    forget = FakeOutboxRepository.forget_done

    async def costly(self: FakeOutboxRepository, *args: object) -> int:
        gone = await forget(self, *args)  # type: ignore[arg-type]
        now_s[0] += gone * ROW_COST_S  # the rows' cost, as SQLite's lock holder pays it
        holds.append((gone, gone * ROW_COST_S))
        return gone

    monkeypatch.setattr(FakeOutboxRepository, "forget_done", costly)
    jobs = OutboxDispatcher(
        uow, no_sends, clock, pacer=SendPacer(Limits.unlimited(), clock=lambda: now_s[0])
    )

    assert await jobs.forget_done() == 2_000
    assert len(uow.store.outbox) == 7, "what is owed stays"
    assert holds[0][0] == RETENTION_BATCH
    # the first batch is the guess (20 ms here), the second half of it (at most twofold a
    # step), and from then on each holds the lock about the target
    assert holds[1][0] == RETENTION_BATCH // 2
    assert max(held for _, held in holds[2:-1]) <= RETENTION_HOLD_S * 1.01
    fits = RETENTION_HOLD_S / ROW_COST_S  # 100 rows
    assert all(0.95 * fits <= gone <= fits for gone, _ in holds[2:-1]), holds
    assert len(holds) <= 2_000 / (0.95 * fits) + 2
    assert FAILED_KEPT > SENT_KEPT  # failed rows are kept longer (the contract test)


async def test_a_writer_that_became_ready_goes_between_two_batches() -> None:
    clock, uow = FixedClock(), FakeUnitOfWorkFactory()
    _old_rows(uow, clock, sent=RETENTION_BATCH * 3, owed=0)
    seen: list[int] = []

    async def checkout() -> None:
        seen.append(len(uow.store.outbox))

    jobs = OutboxDispatcher(uow, no_sends, clock)
    writer = asyncio.get_running_loop().create_task(checkout())
    await jobs.forget_done()
    await writer
    assert seen and 0 < seen[0] < RETENTION_BATCH * 3, seen
