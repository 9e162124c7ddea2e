"""The dispatcher within Telegram's limits, on a pinned clock: global and per-chat budgets,
each chat's order, 429 / 403 / 5xx, two runners, and stopping half-way."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from domain.shared.clock import FixedClock
from domain.shared.customers import Customer
from domain.shared.notifications import Notification
from jobs.outbox import (
    Delivery,
    OutboxDispatcher,
    RetryLater,
    Sent,
    Unreachable,
)
from jobs.pacing import Limits, SendPacer
from tests.unit.fakes import FakeUnitOfWorkFactory

ALICE, BOB, CAROL, ADMINS = 1001, 1002, 1003, -100500


class Sender:
    """Records (seconds since start, chat, row id, text) per send; scripted answers per row
    template (the last answer repeats), Sent by default."""

    def __init__(self, clock: FixedClock, **scripts: list[Delivery]) -> None:
        self.clock = clock
        self.start = clock.now()
        self.scripts = scripts
        self.sent: list[tuple[float, int, int, str]] = []
        self.yield_each = False

    async def __call__(self, notification: Notification) -> Delivery:
        assert notification.id is not None
        if self.yield_each:
            await asyncio.sleep(0)
        at = (self.clock.now() - self.start).total_seconds()
        self.sent.append((at, notification.chat_id, notification.id, notification.template))
        script = self.scripts.get(notification.template, [Sent()])
        return script.pop(0) if len(script) > 1 else script[0]

    def texts(self, chat_id: int | None = None) -> list[str]:
        return [t for _, c, _, t in self.sent if chat_id is None or c == chat_id]

    def times(self, chat_id: int) -> list[float]:
        return [at for at, c, _, _ in self.sent if c == chat_id]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def uow() -> FakeUnitOfWorkFactory:
    factory = FakeUnitOfWorkFactory()
    for user in (ALICE, BOB, CAROL):
        factory.store.customers[user] = Customer(user, f"user {user}")
    return factory


def make(
    uow: FakeUnitOfWorkFactory, sender: Sender, clock: FixedClock, limits: Limits, **kw: Any
) -> OutboxDispatcher:
    """A dispatcher whose pacing clock is the pinned clock, and whose sleeps move it."""

    async def sleep(seconds: float) -> None:
        clock.advance(seconds=seconds)
        await asyncio.sleep(0)

    pacer = SendPacer(limits, clock=lambda: clock.now().timestamp())
    return OutboxDispatcher(uow, sender, clock, pacer=pacer, sleep=sleep, **kw)


async def queue(uow: FakeUnitOfWorkFactory, clock: FixedClock, *rows: tuple[int, str]) -> None:
    async with uow() as work:
        for chat_id, text in rows:
            await work.outbox.add(Notification(chat_id=chat_id, template=text), clock.now())
        await work.commit()


async def test_the_global_budget_is_never_exceeded_and_is_used_in_full(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    await queue(uow, clock, *[(2000 + n, f"m{n}") for n in range(60)])
    sender = Sender(clock)
    limits = Limits(global_per_second=10, global_burst=5)
    stats = await make(uow, sender, clock, limits, batch_size=50).run_once()

    assert stats.sent == 60
    times = [at for at, *_ in sender.sent]
    for start in times:
        assert sum(1 for t in times if start <= t < start + 1.0) <= 10 + 5
    assert times[-1] == pytest.approx((60 - 5) / 10, abs=0.01), "the ceiling, not less"


async def test_a_private_chat_gets_about_one_a_second_and_keeps_its_order(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    await queue(uow, clock, *[(ALICE, f"a{n}") for n in range(5)])
    sender = Sender(clock)
    await make(uow, sender, clock, Limits(private_per_second=1, private_burst=2)).run_once()

    assert sender.texts(ALICE) == ["a0", "a1", "a2", "a3", "a4"]
    assert sender.times(ALICE) == pytest.approx([0, 0, 1, 2, 3], abs=0.01)


async def test_a_busy_chat_is_skipped_while_the_others_go_on(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    await queue(uow, clock, *[(ALICE, f"a{n}") for n in range(4)], (BOB, "b0"), (CAROL, "c0"))
    sender = Sender(clock)
    await make(uow, sender, clock, Limits(private_per_second=1, private_burst=1)).run_once()

    assert sender.times(BOB) == [0] and sender.times(CAROL) == [0], "not behind Alice's burst"
    assert sender.texts(ALICE) == ["a0", "a1", "a2", "a3"]
    assert sender.times(ALICE) == pytest.approx([0, 1, 2, 3], abs=0.01)


async def test_a_chat_within_its_budget_is_not_slowed_by_another_chats_pacing(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    await queue(uow, clock, *[(ALICE, f"a{n}") for n in range(3)])
    await queue(uow, clock, *[(ADMINS, f"g{n}") for n in range(8)])
    sender = Sender(clock)
    sender.yield_each = True  # a send takes a moment, as over HTTP
    limits = Limits(private_per_second=1, private_burst=1, group_per_minute=20, group_burst=10)
    await make(uow, sender, clock, limits).run_once()
    assert sender.times(ADMINS) == [0] * 8, "the group's burst is not spread over Alice's wait"
    assert sender.times(ALICE) == pytest.approx([0, 1, 2], abs=0.01)


async def test_a_group_gets_twenty_a_minute(uow: FakeUnitOfWorkFactory, clock: FixedClock) -> None:
    await queue(uow, clock, *[(ADMINS, f"g{n}") for n in range(25)])
    sender = Sender(clock)
    limits = Limits(group_per_minute=20, group_burst=10)
    dispatcher = make(uow, sender, clock, limits, max_pace_wait=5.0)
    await dispatcher.run_once()

    times = sender.times(ADMINS)
    assert sender.texts(ADMINS) == [f"g{n}" for n in range(25)]
    assert times[:10] == [0] * 10
    assert times[10] == pytest.approx(3.0, abs=0.01)
    for start in times:
        assert sum(1 for t in times if start <= t < start + 60) <= 10 + 20


async def test_a_later_row_waits_while_an_earlier_one_of_its_chat_is_retried(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    await queue(uow, clock, (ALICE, "first"), (ALICE, "second"), (BOB, "other"))
    sender = Sender(clock, first=[RetryLater("network: 502 Bad Gateway"), Sent()])
    dispatcher = make(uow, sender, clock, Limits.unlimited())

    stats = await dispatcher.run_once()
    assert sender.texts() == ["first", "other", "first", "second"], "second never overtakes"
    assert sender.times(ALICE) == pytest.approx([0, 2, 2], abs=0.01), "after the back-off"
    assert (stats.sent, stats.retried) == (3, 1)


async def test_5xx_is_retried_with_growing_back_off(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    await queue(uow, clock, (ALICE, "flaky"))
    failing = [RetryLater("network: 500")] * 3
    sender = Sender(clock, flaky=[*failing, Sent()])
    dispatcher = make(uow, sender, clock, Limits.unlimited(), max_pace_wait=5)
    await dispatcher.run_once()
    # 2 s, then 4 s: waited for within the run; 8 s is longer than max_pace_wait.
    assert sender.times(ALICE) == pytest.approx([0, 2, 6], abs=0.01)
    [entry] = uow.store.outbox.values()
    assert entry.sent_at is None and entry.attempts == 3
    assert entry.next_attempt_at == clock.now() + timedelta(seconds=8)
    clock.advance(seconds=8)
    await dispatcher.run_once()
    [entry] = uow.store.outbox.values()
    assert entry.sent_at is not None and len(sender.sent) == 4


async def test_a_429_pauses_that_chat_for_retry_after_and_the_others_go_on(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    await queue(uow, clock, (ALICE, "a0"), (ALICE, "a1"), (BOB, "b0"), (BOB, "b1"))
    sender = Sender(clock, a0=[RetryLater("Too Many Requests: retry after 30", seconds=30), Sent()])
    dispatcher = make(uow, sender, clock, Limits.unlimited(), max_pace_wait=5)
    stats = await dispatcher.run_once()

    assert stats.flooded == 1
    assert sender.texts(BOB) == ["b0", "b1"], "Bob is not held up"
    assert sender.texts(ALICE) == ["a0"], "a1 waits behind a0"
    clock.advance(seconds=29)
    await dispatcher.run_once()
    assert sender.texts(ALICE) == ["a0"], "not before retry_after"
    clock.advance(seconds=1)
    await dispatcher.run_once()
    assert sender.texts(ALICE) == ["a0", "a0", "a1"]
    alice = [e for e in uow.store.outbox.values() if e.notification.chat_id == ALICE]
    assert [e.attempts for e in alice] == [1, 1], "the 429 did not use up an attempt"


async def test_a_short_retry_after_is_waited_for_within_the_run(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    await queue(uow, clock, (ALICE, "a0"), (ALICE, "a1"))
    sender = Sender(clock, a0=[RetryLater("Too Many Requests: retry after 3", seconds=3), Sent()])
    await make(uow, sender, clock, Limits.unlimited(), max_pace_wait=5).run_once()
    assert sender.texts(ALICE) == ["a0", "a0", "a1"]
    assert sender.times(ALICE) == pytest.approx([0, 3, 3], abs=0.01)


async def test_a_403_marks_the_user_unreachable_and_holds_their_messages(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    await queue(uow, clock, (ALICE, "a0"), (ALICE, "a1"), (BOB, "b0"))
    sender = Sender(clock, a0=[Unreachable("forbidden: bot was blocked by the user"), Sent()])
    dispatcher = make(uow, sender, clock, Limits.unlimited())

    stats = await dispatcher.run_once()
    assert (stats.held, stats.sent) == (1, 1)
    assert uow.store.customers[ALICE].reachable is False
    assert sender.texts() == ["a0", "b0"]
    held = [e for e in uow.store.outbox.values() if e.notification.chat_id == ALICE]
    assert all(e.sent_at is None and e.failed_at is None for e in held), "kept, not dropped"

    clock.advance(days=1)
    await dispatcher.run_once()
    assert sender.texts(ALICE) == ["a0"], "nothing is sent while they are unreachable"

    uow.store.customers[ALICE].reachable = True  # they unblocked the bot
    await dispatcher.run_once()
    assert sender.texts(ALICE) == ["a0", "a0", "a1"]
    held = [e for e in uow.store.outbox.values() if e.notification.chat_id == ALICE]
    assert [e.attempts for e in held] == [1, 1], "the 403 did not use up an attempt"


async def test_two_dispatchers_never_send_the_same_row(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    await queue(uow, clock, *[(3000 + n % 7, f"m{n}") for n in range(40)])
    sender = Sender(clock)
    sender.yield_each = True
    one = make(uow, sender, clock, Limits.unlimited(), batch_size=3)
    two = make(uow, sender, clock, Limits.unlimited(), batch_size=3)
    await asyncio.gather(one.run_once(), two.run_once(), one.run_once())
    ids = [row_id for _, _, row_id, _ in sender.sent]
    assert sorted(ids) == sorted(uow.store.outbox) and len(ids) == len(set(ids))
    for chat in range(3000, 3007):
        texts = sender.texts(chat)
        assert texts == sorted(texts, key=lambda t: int(t[1:])), "each chat in order"


async def test_a_stopped_dispatcher_puts_back_what_it_claimed_and_sends_nothing_twice(
    uow: FakeUnitOfWorkFactory, clock: FixedClock
) -> None:
    await queue(uow, clock, *[(4000 + n, f"m{n}") for n in range(30)])
    sender = Sender(clock)
    limits = Limits(global_per_second=10, global_burst=10)
    first = make(uow, sender, clock, limits, batch_size=30)
    original = sender.__call__

    async def stop_after_twelve(notification: Notification) -> Delivery:
        if len(sender.sent) == 11:
            first.stop()
        return await original(notification)

    first._send = stop_after_twelve
    await first.run_once()
    assert 12 <= len(sender.sent) < 30
    assert all(e.claimed_until is None for e in uow.store.outbox.values() if e.sent_at is None), (
        "no leases left behind"
    )

    second = make(uow, sender, clock, limits, batch_size=30)
    await second.run_once()
    ids = [row_id for _, _, row_id, _ in sender.sent]
    assert sorted(ids) == sorted(uow.store.outbox), "every message, exactly once"
