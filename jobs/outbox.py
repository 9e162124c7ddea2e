"""Delivering the notification outbox: claim due rows, send, mark. Idempotent and safe to run
on several runners (rows are leased while being sent).

Order and pace. A chat's rows go out in the order they were written: a row is claimed only
when no earlier row of its chat is pending (the claim query checks), and one message per chat
is in flight at a time. Sends are paced within Telegram's limits (jobs/pacing.py): a global
budget, and one per chat; a chat over its budget is skipped for now, with its later rows, and
the other chats go on. A 429 pauses its chat for retry_after (and everything when two chats
get one), and the row is retried then without counting as a failed attempt. 5xx, timeouts and
bugs in rendering are retried with exponential back-off, up to `max_attempts`. A 403 (the
user blocked the bot, or never started it) marks the customer unreachable and holds the
chat's rows: they stay pending, are not tried while the customer is unreachable, and go out in
order when the user comes back (my_chat_member, or any message from them).

Sent once. Each message is marked sent in its own short transaction right after Telegram
accepts it, and a stopping dispatcher finishes the sends in flight and puts back the rows it
claimed but did not send, so a restart neither loses nor repeats a message. What cannot be
ruled out is at-least-once at the transport: if the process dies in the few milliseconds
between Telegram's answer and that commit, or Telegram accepted a message whose answer never
arrived (a timeout), the row is sent again when its lease expires (`lease_seconds`). Telegram
has no idempotency key for sendMessage, so this is the narrowest the window can be."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from domain.shared.clock import Clock
from domain.shared.journal import in_words
from domain.shared.notifications import Notification
from domain.shared.ports import UnitOfWorkFactory
from jobs.pacing import SendPacer

log = logging.getLogger(__name__)

# Retention (issue 13): sent rows are kept two weeks (a dedupe key outlives every replay of
# what caused it: Telegram redelivers an update for 24 hours, and sweeps act on rows days old
# at most), failed rows a month for the merchant to look into.
SENT_KEPT = timedelta(days=14)
FAILED_KEPT = timedelta(days=30)
# A batch is one transaction; on SQLite it holds the one write lock (checkouts wait on it).
# 1,000 rows held it 25-32 ms with 1.2M orders' rows (bench/scale.py), and what a row costs
# depends on where the due rows lie: bench/outbox_retention.py measured 21-22 ms of CPU per
# 1,000 rows scattered over the table (the scale bench's seed) against about 5 ms for rows in
# the order they were written (a shop's). So the batch is sized by time:
# the first has RETENTION_BATCH rows, each next one as many as the last batch's rate deletes in
# RETENTION_HOLD_S (at most doubling or halving, within the bounds). An hourly run after the
# first has about an hour's rows to delete anyway.
RETENTION_BATCH = 250
RETENTION_MIN_BATCH = 50
RETENTION_MAX_BATCH = 2_000
RETENTION_HOLD_S = 0.008
OUTBOX_RETENTION_EVERY = timedelta(hours=1)


def retention_batch_after(size: int, held_s: float) -> int:
    """The next retention batch: as many rows as `size` rows held for `held_s` delete in
    `RETENTION_HOLD_S`, no more than double or less than half of `size`, within the bounds."""
    wanted = size * RETENTION_HOLD_S / held_s if held_s > 0 else size * 2
    wanted = min(max(wanted, size / 2), size * 2)
    return int(min(max(wanted, RETENTION_MIN_BATCH), RETENTION_MAX_BATCH))


@dataclass(frozen=True)
class Sent:
    """Telegram accepted the message."""


@dataclass(frozen=True)
class RetryLater:
    """A passing failure; try again after `seconds` (Telegram's retry_after when it gave one)."""

    error: str
    seconds: float | None = None


@dataclass(frozen=True)
class Undeliverable:
    """A permanent failure (chat gone, bad request); do not try again."""

    error: str


@dataclass(frozen=True)
class Unreachable:
    """The user blocked the bot (or never started it): hold their messages until they are
    reachable again."""

    error: str


Delivery = Sent | RetryLater | Undeliverable | Unreachable
Sender = Callable[[Notification], Awaitable[Delivery]]
# Told, inside the transaction that records a send, what was recorded: "sent", "retry",
# "failed" (given up) or "held" (the chat is unreachable); it may write in that transaction
# (a broadcast counts its outcomes this way: jobs/marketing.py). Arguments: the unit of work,
# the notification, what was recorded, when.
Observer = Callable[[Any, Notification, str, datetime], Awaitable[None]]


@dataclass
class DispatchStats:
    """What one run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    held: int = 0
    flooded: int = 0  # 429s

    def __str__(self) -> str:
        return in_words(
            (self.sent, "sent"),
            (self.retried, "to retry"),
            (self.failed, "given up"),
            (self.held, "held for unreachable chats"),
            (self.flooded, "answered 429"),
            idle="nothing to send",
        )

    def __bool__(self) -> bool:  # whether the run did something worth a log line
        return bool(self.sent or self.retried or self.failed or self.held or self.flooded)


class OutboxDispatcher:
    """Sends what the outbox owes, oldest first per chat, within Telegram's limits, with
    retries and back-off."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        send: Sender,
        clock: Clock,
        *,
        batch_size: int = 50,
        lease_seconds: float = 120.0,
        max_attempts: int = 10,
        max_backoff_seconds: float = 600.0,
        pacer: SendPacer | None = None,
        concurrency: int = 8,
        max_pace_wait: float = 5.0,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
        record_uow: UnitOfWorkFactory | None = None,
        exclusive: bool = False,
        observers: Sequence[Observer] = (),
    ) -> None:
        self._uow = uow
        # Where a send's outcome is recorded: the database's fast lane when it has one, so a
        # message Telegram accepted is marked sent within milliseconds (a crash in between
        # sends it again).
        self._record_uow = record_uow or uow
        # The only runner of the outbox (the job lock says so): rows still claimed when a run
        # starts were claimed by a runner that is gone (killed), and go out now rather than
        # when their lease expires. A run finishes its own sends before it returns.
        self.exclusive = exclusive
        self._send = send
        self._observers = tuple(observers)
        self._clock = clock
        self.batch_size = batch_size
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.max_backoff_seconds = max_backoff_seconds
        self.pacer = pacer or SendPacer()
        self.concurrency = max(1, concurrency)
        self.max_pace_wait = max_pace_wait
        self._sleep = sleep
        self._dirty = False
        self._stopping = False
        self._inflight: dict[int, asyncio.Task[None]] = {}  # chat -> its send in flight
        self._soon: datetime | None = None  # a retry due within max_pace_wait

    def poke(self) -> None:
        """Note that new rows were committed, so a run in progress goes round once more."""
        self._dirty = True

    def stop(self) -> None:
        """Claim nothing more: a run in progress finishes its sends in flight, puts back the
        rows it claimed but did not send, and returns."""
        self._stopping = True

    @property
    def dirty(self) -> bool:
        """Whether rows were committed since the current (or last) run last looked."""
        return self._dirty

    @property
    def stopping(self) -> bool:
        """Whether `stop()` was called."""
        return self._stopping

    async def forget_done(self) -> int:
        """Retention: delete rows sent more than `SENT_KEPT` ago and rows given up more than
        `FAILED_KEPT` ago, in batches of one short transaction each, so the table holds what
        is owed plus recent history, however many orders the shop has taken."""
        now = self._clock.now()
        forgotten = 0
        size = RETENTION_BATCH
        for _ in range(100_000):  # a bound, not a limit: each batch removes its rows from view
            async with self._uow() as uow:
                started = self._now_m()  # the write lock is ours from here (SQLite)
                gone = await uow.outbox.forget_done(now - SENT_KEPT, now - FAILED_KEPT, size)
                await uow.commit()
                held = self._now_m() - started
            forgotten += gone
            if gone < size:
                break
            size = retention_batch_after(size, held)
            # Writers that became ready meanwhile queue for the lock before the next batch
            # does (it is handed over first come, first served).
            await asyncio.sleep(0)
        return forgotten  # logged by the run, in words (jobs/schedule.py, jobs/runs.py)

    def backoff(self, attempts: int) -> float:
        """Seconds to wait before attempt number `attempts + 1`."""
        return float(min(2 ** max(attempts, 1), self.max_backoff_seconds))

    def _now_m(self) -> float:
        return self.pacer.clock()

    async def run_once(self) -> DispatchStats:
        """Deliver everything that is due now (several batches if need be); waits for chats
        that are over their budget when they have more to send (up to `max_pace_wait` at a
        time), so a burst for one chat still goes out in this run."""
        stats = DispatchStats()
        slots = asyncio.Semaphore(self.concurrency)
        # Rows still claimed when the only runner starts were claimed by a runner that is gone;
        # they are let go in the first claim's transaction, before it looks for due rows.
        release = self.exclusive and not self._inflight
        try:
            while not self._stopping:
                self._dirty = False
                now_m = self._now_m()
                busy = self.pacer.busy_chats(now_m)
                # (A task may be done with its done-callback not yet run: look at the task.)
                sending = {chat for chat, task in self._inflight.items() if not task.done()}
                skip = set(busy) | sending
                # Claim no more than the global budget lets out soon: leases stay short.
                room = max(1, min(self.batch_size, int(self.pacer.limits.global_burst)))
                async with self._uow() as uow:
                    freed = await uow.outbox.release_all_claims() if release else 0
                    batch = await uow.outbox.claim_due(
                        self._clock.now(), room, self.lease_seconds, exclude_chats=skip
                    )
                    await uow.commit()
                if release and freed:
                    log.info("outbox: %d rows claimed by a runner that is gone go out now", freed)
                release = False
                if batch:
                    await self._send_batch(batch, stats, slots)
                    pending = [task for task in self._inflight.values() if not task.done()]
                    if pending and len(batch) < room and not self._dirty:
                        # The claim took every due row of the chats it could: what can become
                        # claimable next is a sending chat's next row, once its send is done.
                        # So wait for a send rather than claim again at once and find nothing,
                        # as each run used to (one claim in three, issue 13).
                        await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                    continue
                pending = [task for task in self._inflight.values() if not task.done()]
                if pending:  # their chats may have more once they are done
                    await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                    continue
                if sending:  # done while we claimed: their chats may have more
                    continue
                if self._dirty:
                    continue
                wait = await self._pace_wait(busy, now_m)
                if wait is None:
                    if self._dirty:  # woken while we looked
                        continue
                    wait = self._retry_wait()
                    if wait is None:
                        break
                await self._sleep(wait)
        finally:
            if self._inflight:
                await asyncio.gather(*self._inflight.values(), return_exceptions=True)
        return stats

    def _retry_wait(self) -> float | None:
        """How long until a retry this run scheduled for the next few seconds (a 429's short
        retry_after, a first back-off), if there is one: worth waiting for, not for the next
        tick."""
        soon, self._soon = self._soon, None
        if soon is None:
            return None
        wait = (soon - self._clock.now()).total_seconds()
        return wait + 0.001 if 0 <= wait <= self.max_pace_wait else None

    def _retry_at(self, at: datetime) -> None:
        if at <= self._clock.now() + timedelta(seconds=self.max_pace_wait):
            self._soon = at if self._soon is None else min(self._soon, at)

    async def _pace_wait(self, busy: dict[int, float], now_m: float) -> float | None:
        """How long to wait for a paced chat that has a row due (None: nothing to wait for)."""
        if not busy:
            return None
        async with self._uow(readonly=True) as uow:
            waiting = await uow.outbox.waiting_chats(self._clock.now(), busy.keys())
        if not waiting:
            return None
        ready = min(busy[chat] for chat in waiting)
        return max(0.0, min(ready - now_m, self.max_pace_wait)) + 0.001

    async def _send_batch(
        self, batch: list[Notification], stats: DispatchStats, slots: asyncio.Semaphore
    ) -> None:
        for index, notification in enumerate(batch):
            if self._stopping:
                await self._release(batch[index:])
                return
            # Wait for the budget (the chat was ready when claimed; the global budget may not).
            while True:
                now_m = self._now_m()
                ready = self.pacer.ready_at(notification.chat_id, now_m)
                if ready <= now_m:
                    break
                if self._stopping:
                    await self._release(batch[index:])
                    return
                await self._sleep(ready - now_m)
            await slots.acquire()
            if self._stopping:
                slots.release()
                await self._release(batch[index:])
                return
            self.pacer.take(notification.chat_id, self._now_m())
            task = asyncio.create_task(self._deliver(notification, stats))
            self._inflight[notification.chat_id] = task

            def done(finished: asyncio.Task[None], chat_id: int = notification.chat_id) -> None:
                slots.release()
                self._inflight.pop(chat_id, None)
                if not finished.cancelled() and finished.exception() is not None:
                    log.error("outbox: recording a send failed", exc_info=finished.exception())

            task.add_done_callback(done)

    async def _release(self, rows: list[Notification]) -> None:
        """Put back rows claimed but not sent, so the next runner needs no lease to expire."""
        async with self._uow() as uow:
            for notification in rows:
                assert notification.id is not None
                await uow.outbox.release(notification.id)
            await uow.commit()
        log.info("outbox: stopping; %d claimed rows put back", len(rows))

    async def _deliver(self, notification: Notification, stats: DispatchStats) -> None:
        assert notification.id is not None
        try:
            result = await self._send(notification)
        except Exception as exc:  # a bug in rendering must not stop the queue
            log.exception("sending notification %s failed", notification.id)
            result = RetryLater(f"{type(exc).__name__}: {exc}")
        now = self._clock.now()
        async with self._record_uow() as uow:
            recorded = "retry"
            if isinstance(result, Sent):
                await uow.outbox.mark_sent(notification.id, now)
                stats.sent += 1
                recorded = "sent"
            elif isinstance(result, RetryLater) and result.seconds is not None:
                # Telegram's flood limit: wait as told (at least a second), in this chat or
                # everywhere; the message is not at fault, so the attempt does not count.
                wait = max(result.seconds, 1.0)
                self.pacer.flood(notification.chat_id, wait)
                await uow.outbox.retry_later(
                    notification.id, result.error, now + timedelta(seconds=wait), counted=False
                )
                self._retry_at(now + timedelta(seconds=wait))
                stats.retried += 1
                stats.flooded += 1
                log.warning(
                    "notification %s to %s: %s; retry in %.0fs",
                    notification.id,
                    notification.chat_id,
                    result.error,
                    wait,
                )
            elif isinstance(result, RetryLater) and notification.attempts < self.max_attempts:
                wait = self.backoff(notification.attempts)
                await uow.outbox.retry_later(
                    notification.id, result.error, now + timedelta(seconds=wait)
                )
                self._retry_at(now + timedelta(seconds=wait))
                stats.retried += 1
                log.info("notification %s: %s; retry in %.0fs", notification.id, result.error, wait)
            elif isinstance(result, Unreachable):
                await uow.customers.set_reachable(notification.chat_id, False)
                await uow.outbox.hold(notification.id, result.error)
                stats.held += 1
                recorded = "held"
                log.info(
                    "chat %s is unreachable (%s); its messages wait for it",
                    notification.chat_id,
                    result.error,
                )
            else:
                await uow.outbox.give_up(notification.id, result.error, now)
                stats.failed += 1
                recorded = "failed"
                log.warning("notification %s given up: %s", notification.id, result.error)
            for observe in self._observers:
                await observe(uow, notification, recorded, now)
            await uow.commit()
