"""The scheduler: APScheduler runs each job of the table (jobs/schedule.py) as a periodic sweep
over database state.

Every run is guarded and recorded (jobs/runs.py): a database lock lets one runner at a time do
each job, so several bot processes (or `python -m bot jobs` next to them) can all run the
scheduler, and each run's result is kept for /jobs."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from domain.shared.clock import Clock
from jobs.outbox import OutboxDispatcher
from jobs.runs import GuardedRun, JobLock, JobRunLog, KeptLeases, Skipped
from jobs.schedule import Job


class Jobs:
    """The bot's scheduled work."""

    def __init__(
        self,
        table: Sequence[Job],
        outbox: OutboxDispatcher,
        *,
        lock: JobLock | None = None,
        runs: JobRunLog | None = None,
        clock: Clock | None = None,
        runner: str = "",
    ) -> None:
        self.outbox = outbox
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._running: set[asyncio.Task[object]] = set()
        self.lock = lock
        self.runs = runs
        self.clock = clock
        self.runner = runner
        self.guarded: dict[str, Callable[[], Awaitable[object]]] = {}  # job id -> its run
        self.intervals: dict[str, float] = {}  # job id -> seconds between runs
        self._woken: list[str] = []  # the jobs the outbox wake-up applies to
        self._in_progress: set[str] = set()  # jobs whose run is under way in this process
        for job in table:
            self._schedule(job)

    def _schedule(self, job: Job) -> None:
        """Run a job every `job.every`, the first time at start, one run at a time (and, for
        the outbox, at once again while notifications are still waiting)."""
        guarded = GuardedRun(
            job.name, job.run, lock=self.lock, runs=self.runs, clock=self.clock, runner=self.runner
        )
        outbox = self.outbox
        # A wake-up that arrives while a run is finishing (recording itself) is not lost:
        # APScheduler skips a second instance, so the run goes round again itself.
        again = job.outbox_wakeup

        running = self._in_progress
        name = job.name

        async def scheduled() -> object:
            running.add(name)
            try:
                while True:
                    result = await guarded()
                    # Another runner has the job: going round again would only spin.
                    if isinstance(result, Skipped):
                        return result
                    if not (again and outbox.dirty and not outbox.stopping):
                        return result
            finally:
                running.discard(name)

        scheduled.__name__ = scheduled.__qualname__ = job.name
        self.guarded[job.name] = scheduled
        self.intervals[job.name] = job.every.total_seconds()
        if job.outbox_wakeup:
            self._woken.append(job.name)
        self.scheduler.add_job(
            self._tracked(scheduled),
            "interval",
            seconds=job.every.total_seconds(),
            id=job.name,
            name=job.name,
            max_instances=1,
            coalesce=True,
            # A run the loop comes to late still runs (once, however many ticks it missed):
            # APScheduler's default grace of 1 s skipped every first run whenever start-up
            # took longer than that after the table was built (a loaded machine, gc.freeze),
            # so a kept payment waited 30 s for the next payment_inbox tick, and a wake-up
            # (next_run_time=now) that came late was dropped the same way.
            misfire_grace_time=None,
            next_run_time=datetime.now(UTC),
        )

    async def run(self, job_id: str) -> object:
        """Run one job now (guarded and recorded, as on its timer); for tools and tests."""
        return await self._tracked(self.guarded[job_id])()

    def next_run(self, job_id: str) -> datetime | None:
        """When this process runs the job next (None when its scheduler is not running)."""
        if not self.scheduler.running:
            return None
        job = self.scheduler.get_job(job_id)
        return job.next_run_time if job is not None else None

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

        tracked.__name__ = tracked.__qualname__ = getattr(run, "__name__", "job")
        return tracked

    async def stop(self, grace_seconds: float = 10.0) -> None:
        """Start no new runs, let the ones in progress finish (cancel them after the grace
        period), then shut the scheduler down. The outbox stops claiming at once and puts back
        what it claimed but did not send."""
        self.outbox.stop()
        if self.scheduler.running:
            self.scheduler.pause()
        if self._running:
            _, late = await asyncio.wait(set(self._running), timeout=grace_seconds)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late, timeout=grace_seconds)
        self.shutdown()
        if isinstance(self.lock, KeptLeases):  # no run is under way now
            await self.lock.give_back_kept()

    def start(self) -> None:
        """Start running jobs on the current event loop."""
        self.scheduler.start()

    def shutdown(self) -> None:
        """Stop without waiting for the next runs."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def wake(self, name: str) -> None:
        """Run a job now instead of at its next tick (a broadcast was just sent); a run under
        way is left to finish, the next tick takes what it missed."""
        if self.scheduler.running and name not in self._in_progress:
            job = self.scheduler.get_job(name)
            if job is not None:
                job.modify(next_run_time=datetime.now(UTC))

    def wake_outbox(self) -> None:
        """Deliver new notifications now instead of at the next tick."""
        self.outbox.poke()
        if self.scheduler.running:
            for name in self._woken:
                if name in self._in_progress:
                    continue  # the run under way goes round again itself (outbox.dirty)
                job = self.scheduler.get_job(name)
                if job is not None:
                    job.modify(next_run_time=datetime.now(UTC))
