"""Marketing's scheduled work (issue 16): fanning broadcasts out into the outbox in batches,
and counting each broadcast message's outcome as the outbox records it."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from domain.marketing.broadcasts import Broadcasts, record_delivery
from domain.marketing.records import BROADCAST_TEMPLATE, Broadcast, Outcome
from domain.shared.notifications import Notification
from jobs.outbox import Observer

BROADCASTS_JOB = "broadcasts"
# A broadcast just sent wakes the job at once (Jobs.wake); the tick picks up the rest (a run
# that was under way, another process's broadcast, a fan-out a crash interrupted).
BROADCASTS_EVERY = timedelta(seconds=15)
BROADCAST_RETENTION_JOB = "broadcast_retention"
BROADCAST_RETENTION_EVERY = timedelta(hours=6)

# What the outbox recorded -> the recipient's outcome ("retry": none yet).
OUTCOMES = {"sent": Outcome.SENT, "failed": Outcome.FAILED, "held": Outcome.BLOCKED}


log = logging.getLogger(__name__)

# Shows a broadcast's counts on the merchant's card (the adapter edits the message).
CardRefresher = Callable[[Broadcast], Awaitable[None]]


class BroadcastFanOut:
    """The job: queue every unfinished broadcast's messages, a batch per transaction, then
    bring the merchant's cards of the broadcasts whose counts moved up to date."""

    def __init__(self, broadcasts: Broadcasts, refresh: CardRefresher | None = None) -> None:
        self.broadcasts = broadcasts
        self.refresh = refresh

    async def run_once(self) -> object:
        stats = await self.broadcasts.fan_out()
        if self.refresh is not None:
            for broadcast in await self.broadcasts.moved():
                try:
                    await self.refresh(broadcast)
                except Exception:  # a card that cannot be edited must not stop the job
                    log.warning("broadcast %s: card not updated", broadcast.id, exc_info=True)
        return stats  # FanOutStats, in words when it did something


def broadcast_outcomes(admin_chat_id: int | None) -> Observer:
    """The outbox observer that counts broadcast messages (the other rows are not ours)."""

    async def observe(uow: Any, notification: Notification, recorded: str, at: datetime) -> None:
        outcome = OUTCOMES.get(recorded)
        if outcome is not None and notification.template == BROADCAST_TEMPLATE:
            await record_delivery(uow, notification, outcome, at, admin_chat_id)

    return observe
