"""Delivering the outbox: each row sent once, retried when Telegram says so, given up in the end."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from domain.shared.clock import FixedClock
from domain.shared.notifications import Notification
from jobs.outbox import Delivery, OutboxDispatcher, RetryLater, Sent, Undeliverable
from jobs.pacing import Limits, SendPacer
from tests.unit.fakes import FakeOutboxRepository, FakeUnitOfWorkFactory, OutboxEntry


class FakeSender:
    """Answers with a script per notification id (the last answer repeats); Sent by default."""

    def __init__(self, **scripts: list[Delivery | Exception]) -> None:
        self.scripts = scripts
        self.calls: list[int] = []
        self.seen: list[Notification] = []
        self.pause = False

    async def __call__(self, notification: Notification) -> Delivery:
        assert notification.id is not None
        self.calls.append(notification.id)
        self.seen.append(notification)
        if self.pause:
            await asyncio.sleep(0)  # let another runner interleave
        script = self.scripts.get(notification.template, [Sent()])
        answer = script.pop(0) if len(script) > 1 else script[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def uow() -> FakeUnitOfWorkFactory:
    return FakeUnitOfWorkFactory()


async def queue(uow: FakeUnitOfWorkFactory, clock: FixedClock, *templates: str) -> list[int]:
    async with uow() as work:
        for template in templates:
            await work.outbox.add(Notification(chat_id=42, template=template), clock.now())
        await work.commit()
    return sorted(uow.store.outbox)


def row(uow: FakeUnitOfWorkFactory, row_id: int) -> OutboxEntry:
    return uow.store.outbox[row_id]


def dispatcher(
    uow: FakeUnitOfWorkFactory, send: Callable[[Notification], Any], clock: FixedClock, **kw: Any
) -> OutboxDispatcher:
    """A dispatcher without rate limits whose pacing runs on the pinned clock, and which never
    waits within a run (pacing and short waits have their own tests: test_outbox_pacing.py)."""

    async def sleep(seconds: float) -> None:
        clock.advance(seconds=seconds)

    kw.setdefault("pacer", SendPacer(Limits.unlimited(), clock=lambda: clock.now().timestamp()))
    kw.setdefault("sleep", sleep)
    kw.setdefault("max_pace_wait", 0)  # each run ends; the tests move the clock between runs
    return OutboxDispatcher(uow, send, clock, **kw)


async def test_due_rows_are_sent_and_marked(uow: FakeUnitOfWorkFactory, clock: FixedClock) -> None:
    ids = await queue(uow, clock, "a", "b")
    sender = FakeSender()
    stats = await dispatcher(uow, sender, clock).run_once()
    assert sender.calls == ids
    assert (stats.sent, stats.retried, stats.failed) == (2, 0, 0)
    for row_id in ids:
        assert row(uow, row_id).sent_at == clock.now()
        assert row(uow, row_id).claimed_until is None
    async with uow(readonly=True) as work:
        assert await work.outbox.pending_count() == 0


async def test_sent_rows_are_never_sent_again_across_runs(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    ids = await queue(uow, clock, "a", "b")
    sender = FakeSender()
    jobs = dispatcher(uow, sender, clock)
    await jobs.run_once()
    for _ in range(3):
        clock.advance(days=1)
        stats = await jobs.run_once()
        assert (stats.sent, stats.retried, stats.failed) == (0, 0, 0)
    assert sender.calls == ids


async def test_rows_queued_later_are_sent_by_the_next_run(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    first = await queue(uow, clock, "a")
    sender = FakeSender()
    jobs = dispatcher(uow, sender, clock)
    await jobs.run_once()
    clock.advance(seconds=1)
    later = [i for i in await queue(uow, clock, "b") if i not in first]
    await jobs.run_once()
    assert sender.calls == first + later


async def test_a_row_not_yet_due_waits(uow: FakeUnitOfWorkFactory, clock: FixedClock) -> None:
    async with uow() as work:
        await work.outbox.add(Notification(chat_id=1, template="a"), clock.now())
        await work.commit()
    clock_behind = FixedClock(clock.now())
    clock_behind.advance(seconds=-1)
    sender = FakeSender()
    await dispatcher(uow, sender, clock_behind).run_once()
    assert sender.calls == []


async def test_more_rows_than_a_batch_are_all_sent_in_one_run_oldest_first(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    ids = await queue(uow, clock, *"abcde")
    sender = FakeSender()
    stats = await dispatcher(uow, sender, clock, batch_size=2).run_once()
    assert sender.calls == ids
    assert stats.sent == 5


async def test_retry_after_is_honoured_before_sending_again(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    (row_id,) = await queue(uow, clock, "a")
    sender = FakeSender(a=[RetryLater("429 Too Many Requests", seconds=30), Sent()])
    jobs = dispatcher(uow, sender, clock)

    stats = await jobs.run_once()
    assert (stats.sent, stats.retried) == (0, 1)
    assert row(uow, row_id).last_error == "429 Too Many Requests"
    assert row(uow, row_id).sent_at is None

    clock.advance(seconds=29)
    await jobs.run_once()
    assert sender.calls == [row_id]

    clock.advance(seconds=1)
    stats = await jobs.run_once()
    assert stats.sent == 1
    assert sender.calls == [row_id, row_id]
    assert row(uow, row_id).sent_at == clock.now()


async def test_a_sender_that_raises_is_retried_with_backoff(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    (row_id,) = await queue(uow, clock, "a")
    sender = FakeSender(a=[KeyError("no text for 'admin.x'"), Sent()])
    jobs = dispatcher(uow, sender, clock)

    stats = await jobs.run_once()
    assert stats.retried == 1
    assert str(row(uow, row_id).last_error).startswith("KeyError")
    assert row(uow, row_id).failed_at is None

    clock.advance(seconds=jobs.backoff(1) - 1)
    await jobs.run_once()
    assert sender.calls == [row_id]
    clock.advance(seconds=1)
    await jobs.run_once()
    assert sender.calls == [row_id, row_id]
    assert row(uow, row_id).sent_at is not None


def test_backoff_doubles_and_is_capped() -> None:
    jobs = OutboxDispatcher(
        FakeUnitOfWorkFactory(), FakeSender(), FixedClock(), max_backoff_seconds=600
    )
    assert [jobs.backoff(n) for n in (0, 1, 2, 3, 9)] == [2, 2, 4, 8, 512]
    assert jobs.backoff(10) == 600
    assert jobs.backoff(5000) == 600


async def test_a_row_is_given_up_after_max_attempts(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    (row_id,) = await queue(uow, clock, "a")
    sender = FakeSender(a=[RetryLater("timed out")])
    jobs = dispatcher(uow, sender, clock, max_attempts=3)
    totals = [0, 0, 0]
    for _ in range(10):
        stats = await jobs.run_once()
        totals = [totals[0] + stats.sent, totals[1] + stats.retried, totals[2] + stats.failed]
        clock.advance(seconds=jobs.max_backoff_seconds)
    assert sender.calls == [row_id] * 3
    assert [n.attempts for n in sender.seen] == [1, 2, 3]
    assert totals == [0, 2, 1]
    assert row(uow, row_id).failed_at is not None
    assert row(uow, row_id).sent_at is None
    assert row(uow, row_id).last_error == "timed out"


async def test_a_flood_wait_of_zero_still_waits_a_second_and_ends_the_run(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    (row_id,) = await queue(uow, clock, "a")
    sender = FakeSender(a=[RetryLater("flood", seconds=0)])
    jobs = dispatcher(uow, sender, clock, max_attempts=4)
    stats = await jobs.run_once()
    assert sender.calls == [row_id]
    assert (stats.retried, stats.failed, stats.flooded) == (1, 0, 1)
    assert row(uow, row_id).next_attempt_at == clock.now() + timedelta(seconds=1)
    for _ in range(6):  # a 429 is not the message's fault: it never uses up its attempts
        clock.advance(seconds=1)
        await jobs.run_once()
    assert sender.calls == [row_id] * 7
    assert row(uow, row_id).failed_at is None and row(uow, row_id).attempts == 0


async def test_an_undeliverable_row_is_given_up_at_once(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    blocked, fine = await queue(uow, clock, "blocked", "fine")
    sender = FakeSender(blocked=[Undeliverable("forbidden: bot was blocked by the user")])
    jobs = dispatcher(uow, sender, clock)
    stats = await jobs.run_once()
    assert (stats.sent, stats.retried, stats.failed) == (1, 0, 1)
    assert row(uow, blocked).failed_at == clock.now()
    assert row(uow, blocked).last_error == "forbidden: bot was blocked by the user"
    clock.advance(days=2)
    await jobs.run_once()
    assert sender.calls == [blocked, fine]


async def test_a_dedupe_key_queues_a_message_once(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    async with uow() as work:
        for _ in range(2):
            await work.outbox.add(
                Notification(chat_id=1, template="a", dedupe_key="admin.new_order:X"), clock.now()
            )
        await work.commit()
    sender = FakeSender()
    await dispatcher(uow, sender, clock).run_once()
    assert len(sender.calls) == 1


async def test_two_runners_never_send_the_same_row(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    ids = await queue(uow, clock, *"abcdef")
    sender = FakeSender()
    sender.pause = True
    one = dispatcher(uow, sender, clock, batch_size=2)
    two = dispatcher(uow, sender, clock, batch_size=2)
    await asyncio.gather(one.run_once(), two.run_once())
    assert sorted(sender.calls) == ids


async def test_a_run_claims_twice_for_one_message(
    uow: FakeUnitOfWorkFactory, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 13: one notification costs two claims (the one that finds it, and the one after
    its send that finds nothing), not a third at once while the send is in flight; the only
    runner lets go of a gone runner's claims once, before its first claim."""
    claims: list[int] = []
    releases: list[int] = []
    claim_due, release_all = FakeOutboxRepository.claim_due, FakeOutboxRepository.release_all_claims

    async def counted_claim(self: FakeOutboxRepository, *args: Any, **kw: Any) -> Any:
        claims.append(len(uow.store.outbox))
        return await claim_due(self, *args, **kw)

    async def counted_release(self: FakeOutboxRepository) -> int:
        releases.append(len(claims))
        return await release_all(self)

    monkeypatch.setattr(FakeOutboxRepository, "claim_due", counted_claim)
    monkeypatch.setattr(FakeOutboxRepository, "release_all_claims", counted_release)
    [only] = await queue(uow, clock, "a")
    sender = FakeSender()
    sender.pause = True  # the send takes a turn of the loop, as a real one does
    stats = await dispatcher(uow, sender, clock, exclusive=True).run_once()

    assert stats.sent == 1 and row(uow, only).sent_at is not None
    assert len(claims) == 2, claims
    assert releases == [0]
