"""The scheduler: APScheduler runs each job as a periodic sweep over database state."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
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
        self._running: set[asyncio.Task[object]] = set()
        self.scheduler.add_job(
            self._tracked(self._deliver_outbox),
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

    def every(self, job_id: str, run: Callable[[], Awaitable[object]], seconds: float) -> None:
        """Run a sweep every `seconds`, the first time at start, one run at a time."""
        self.scheduler.add_job(
            self._tracked(run),
            "interval",
            seconds=seconds,
            id=job_id,
            max_instances=1,
            coalesce=True,
            next_run_time=datetime.now(UTC),
        )

    def _tracked(self, run: Callable[[], Awaitable[object]]) -> Callable[[], Awaitable[object]]:
        """Remember runs in progress, so stopping can let them finish before the database
        and the HTTP client close under them."""

        async def tracked() -> object:
            task = asyncio.current_task()
            assert task is not None
            self._running.add(task)
            try:
                return await run()
            finally:
                self._running.discard(task)

        tracked.__name__ = getattr(run, "__name__", "job")
        return tracked

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Start no new runs, let the ones in progress finish (cancel them after the grace
        period), then shut the scheduler down."""
        if self.scheduler.running:
            self.scheduler.pause()
        if self._running:
            _, late = await asyncio.wait(set(self._running), timeout=grace_seconds)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=grace_seconds)
        self.shutdown()

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
