"""The scheduler: APScheduler runs each job as a periodic sweep over database state."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from jobs.outbox import OutboxDispatcher

log = logging.getLogger(__name__)
OUTBOX_JOB = "outbox"


class Jobs:
    """The bot's scheduled work."""

    def __init__(self, outbox: OutboxDispatcher, outbox_every_seconds: float) -> None:
        self.outbox = outbox
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.scheduler.add_job(
            self._deliver_outbox,
            "interval",
            seconds=outbox_every_seconds,
            id=OUTBOX_JOB,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )

    async def _deliver_outbox(self) -> None:
        stats = await self.outbox.run_once()
        if stats.sent or stats.failed or stats.retried:
            log.info("outbox: %s", stats)

    def start(self) -> None:
        """Start running jobs on the current event loop."""
        self.scheduler.start()

    def shutdown(self) -> None:
        """Stop without waiting for the next runs."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def wake_outbox(self) -> None:
        """Deliver new notifications now instead of at the next tick."""
        self.outbox.poke()
        if self.scheduler.running:
            job = self.scheduler.get_job(OUTBOX_JOB)
            if job is not None:
                job.modify(next_run_time=datetime.now(UTC))
