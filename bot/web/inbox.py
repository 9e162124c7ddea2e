"""The durable webhook: every update is kept in the database before Telegram hears 200, and
handled once.

python-telegram-bot's own webhook server puts an update on an in-memory queue and answers 200
before anything is stored, so an update Telegram considers delivered could die with the
process. Here `receive` writes the update to `update_inbox` (storage/inbox.py), keyed by (bot
id, update id), leased to this process, and only then does the endpoint answer. The update is
then handled by `OnceApplication.process_update`, under the same mark as a polled one (its
first write transaction records it in `handled_updates`, so a redelivery changes nothing), and
the row is forgotten (a payment's is kept until its payment is recorded, as in polling).

A redelivery of a kept update is answered 200 and left to whoever kept it. An update whose
process died before handling it keeps its row; once its lease has passed, any web process
takes it over (`take_stale`, `FOR UPDATE SKIP LOCKED` on PostgreSQL) and handles it. Leases
use the wall clock, not the shop's (possibly pinned) clock."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from telegram import Update

from bot.shared.updates import OnceApplication
from storage.db import Database

log = logging.getLogger(__name__)

TAKE_OVER_BATCH = 50


def charge_id_of(payload: dict[str, Any]) -> str | None:
    """The Telegram charge id of a successful_payment update (None for any other)."""
    message = payload.get("message")
    if not isinstance(message, dict):
        return None
    payment = message.get("successful_payment")
    if not isinstance(payment, dict):
        return None
    charge = payment.get("telegram_payment_charge_id")
    return str(charge) if charge else None


class WebhookInbox:
    """Keeps webhook updates before they are acknowledged, handles them, and takes over the
    ones a dead process left."""

    def __init__(
        self,
        app: OnceApplication,
        db: Database,
        *,
        lease: timedelta,
        concurrency: int,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.app = app
        self.db = db
        self.lease = lease
        self._slots = asyncio.Semaphore(concurrency)
        self._now = now
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_hand: set[int] = set()  # ids of the updates this process is handling
        self._sweeper: asyncio.Task[None] | None = None

    @property
    def bot_id(self) -> int:
        return self.app.bot.id

    async def receive(self, payload: dict[str, Any]) -> bool:
        """Keep an update (committed before this returns) and start handling it; False when
        it was kept before (a redelivery)."""
        update_id = int(payload["update_id"])
        now = self._now()
        async with self.db.uow() as uow:
            fresh = await uow.inbox.accept(
                self.bot_id, update_id, charge_id_of(payload), payload, now, now + self.lease
            )
            await uow.commit()
        if fresh:
            self._spawn(payload)
        else:
            log.info("update %s was delivered again; the first delivery handles it", update_id)
        return fresh

    def _spawn(self, payload: dict[str, Any]) -> None:
        task = asyncio.create_task(self._handle(payload), name=f"update-{payload['update_id']}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, payload: dict[str, Any]) -> None:
        """Handle one kept update, then forget it (handler errors are the error handler's)."""
        update_id = int(payload["update_id"])
        self._in_hand.add(update_id)
        try:
            async with self._slots:
                try:
                    update = Update.de_json(payload, self.app.bot)
                    await self.app.process_update(update)
                except Exception:  # a broken payload or a bug outside the handlers: not again
                    log.exception("update %s could not be handled", update_id)
                async with self.db.uow() as uow:
                    await uow.inbox.finish(self.bot_id, update_id, self._now())
                    await uow.commit()
        finally:
            self._in_hand.discard(update_id)

    async def take_over(self) -> int:
        """Handle the kept updates whose lease has passed (their process died); how many."""
        now = self._now()
        async with self.db.uow() as uow:
            payloads = await uow.inbox.take_stale(
                self.bot_id, now, now + self.lease, TAKE_OVER_BATCH
            )
            await uow.commit()
        for payload in payloads:
            log.warning(
                "update %s was kept but never handled (its process died); handling it now",
                payload.get("update_id"),
            )
            self._spawn(payload)
        return len(payloads)

    async def renew(self) -> None:
        """Extend the leases of the updates still in hand (waiting for a slot, or a handler
        that takes long), so no other process takes them while this one lives."""
        if not self._in_hand:
            return
        async with self.db.uow() as uow:
            await uow.inbox.renew(self.bot_id, sorted(self._in_hand), self._now() + self.lease)
            await uow.commit()

    def start(self) -> None:
        """Every third of the lease: renew the leases in hand, take over abandoned updates."""
        self._sweeper = asyncio.create_task(self._sweep(), name="webhook-inbox-sweep")

    async def _sweep(self) -> None:
        every = max(self.lease.total_seconds() / 3, 0.5)
        while True:
            try:
                await self.renew()
                while await self.take_over() == TAKE_OVER_BATCH:
                    pass
            except Exception:
                log.exception("renewing or taking over kept updates failed")
            await asyncio.sleep(every)

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Stop taking over, and let the updates in hand finish (their rows stay otherwise,
        and another process handles them once the lease has passed)."""
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=grace_seconds)
            for task in late:
                task.cancel()

    async def idle(self) -> None:
        """Wait until every update in hand is handled (tests, benches)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))
