"""A job run, guarded and recorded: one runner at a time does each job (a database lock), and
each run that does something is written down (job, runner, start, duration, result) for /jobs.

The lock and the run log are ports; storage/jobs.py implements them (`JobLocks`, `SqlJobRuns`).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from domain.shared.clock import Clock, SystemClock

log = logging.getLogger(__name__)


class JobLock(Protocol):
    def hold(self, job: str) -> contextlib.AbstractAsyncContextManager[bool]:
        """Hold the job's lock for the block; the value says whether we got it."""


@runtime_checkable
class KeptLeases(Protocol):
    """A job lock that keeps some jobs' locks between runs (storage/jobs.py `JobLocks`)."""

    async def give_back_kept(self) -> None:
        """Give back what is kept: the jobs are stopping."""


class JobRunLog(Protocol):
    async def record(
        self,
        job: str,
        runner: str,
        started_at: datetime,
        finished_at: datetime,
        duration_ms: int,
        ok: bool,
        summary: str,
    ) -> None: ...

    async def last_ok_start(self, job: str) -> datetime | None: ...
    async def latest(self) -> dict[str, Any]:
        """The newest run of each job (with started_at, duration_ms, ok, summary)."""


@dataclass(frozen=True)
class Skipped:
    """A run that had nothing to do by its own rules (not due yet, another runner has the job):
    not recorded, so the last recorded run stays the last real one."""

    reason: str

    def __str__(self) -> str:
        return f"skipped: {self.reason}"


def summary_of(result: object) -> str:
    """What a run returned, as one line for /jobs."""
    if result is None:
        return "done"
    return str(result)[:500]


class GuardedRun:
    """Calls `run` under the job's lock and records the outcome; never raises (a failed run is
    logged and recorded, and the job runs again at its next tick)."""

    def __init__(
        self,
        job_id: str,
        run: Callable[[], Awaitable[object]],
        *,
        lock: JobLock | None = None,
        runs: JobRunLog | None = None,
        clock: Clock | None = None,
        runner: str = "",
    ) -> None:
        self.job_id = job_id
        self._run = run
        self.lock = lock
        self.runs = runs
        self.clock = clock or SystemClock()
        self.runner = runner
        self.__name__ = f"job_{job_id}"

    async def __call__(self) -> object:
        """One run, if this runner gets the job."""
        if self.lock is None:
            return await self._recorded()
        async with self.lock.hold(self.job_id) as mine:
            if not mine:
                log.debug("job %s: another runner has it", self.job_id)
                return Skipped("another runner has it")
            return await self._recorded()

    async def _recorded(self) -> object:
        started = self.clock.now()
        t0 = time.monotonic()
        ok = True
        result: object
        try:
            result = await self._run()
        except Exception as exc:
            log.exception("job %s failed", self.job_id)
            ok, result = False, f"{type(exc).__name__}: {exc}"
        if isinstance(result, Skipped):
            return result
        duration_ms = int((time.monotonic() - t0) * 1000)
        if ok:
            # One line per run that did something, its counts in words ("3 sent, 1 to retry");
            # an idle run (falsy stats: nothing sent, nothing due) stays at DEBUG.
            log.log(
                logging.INFO if result else logging.DEBUG,
                "job %s: %s (%d ms)",
                self.job_id,
                summary_of(result),
                duration_ms,
                extra={"job": self.job_id, "duration_ms": duration_ms},
            )
        if self.runs is not None:
            try:
                await self.runs.record(
                    self.job_id,
                    self.runner,
                    started,
                    self.clock.now(),
                    duration_ms,
                    ok,
                    summary_of(result),
                )
            except Exception:  # the log must not break the job
                log.exception("job %s: could not record the run", self.job_id)
        return result
