"""Delivering the notification outbox: claim due rows, send, mark. Idempotent and safe to run
on several runners (rows are leased while being sent)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from domain.clock import Clock
from domain.model import Notification
from domain.ports import UnitOfWorkFactory

log = logging.getLogger(__name__)


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
    """A permanent failure (blocked bot, chat gone, bad request); do not try again."""

    error: str


Delivery = Sent | RetryLater | Undeliverable
Sender = Callable[[Notification], Awaitable[Delivery]]


@dataclass
class DispatchStats:
    """What one run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


class OutboxDispatcher:
    """Sends what the outbox owes, oldest first, with retries and back-off."""

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
    ) -> None:
        self._uow = uow
        self._send = send
        self._clock = clock
        self.batch_size = batch_size
        self.lease_seconds = lease_seconds
        self.max_attempts = max_attempts
        self.max_backoff_seconds = max_backoff_seconds
        self._dirty = False

    def poke(self) -> None:
        """Note that new rows were committed, so a run in progress goes round once more."""
        self._dirty = True

    def backoff(self, attempts: int) -> float:
        """Seconds to wait before attempt number `attempts + 1`."""
        return float(min(2 ** max(attempts, 1), self.max_backoff_seconds))

    async def run_once(self) -> DispatchStats:
        """Deliver everything that is due now (several batches if need be)."""
        stats = DispatchStats()
        while True:
            self._dirty = False
            async with self._uow() as uow:
                batch = await uow.outbox.claim_due(
                    self._clock.now(), self.batch_size, self.lease_seconds
                )
                await uow.commit()
            for notification in batch:
                await self._deliver(notification, stats)
            if not batch and not self._dirty:
                return stats

    async def _deliver(self, notification: Notification, stats: DispatchStats) -> None:
        assert notification.id is not None
        try:
            result = await self._send(notification)
        except Exception as exc:  # a bug in rendering must not stop the queue
            log.exception("sending notification %s failed", notification.id)
            result = RetryLater(f"{type(exc).__name__}: {exc}")
        now = self._clock.now()
        async with self._uow() as uow:
            if isinstance(result, Sent):
                await uow.outbox.mark_sent(notification.id, now)
                stats.sent += 1
            elif isinstance(result, RetryLater) and notification.attempts < self.max_attempts:
                wait = (
                    result.seconds
                    if result.seconds is not None
                    else self.backoff(notification.attempts)
                )
                await uow.outbox.retry_later(
                    notification.id, result.error, now + timedelta(seconds=wait)
                )
                stats.retried += 1
                log.info("notification %s: %s; retry in %.0fs", notification.id, result.error, wait)
            else:
                await uow.outbox.give_up(notification.id, result.error, now)
                stats.failed += 1
                log.warning("notification %s given up: %s", notification.id, result.error)
            await uow.commit()
