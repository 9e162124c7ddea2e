"""The one table of scheduled jobs, and the scheduler that reads it."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace
from typing import Any, cast

from domain.marketing.broadcasts import Broadcasts
from domain.orders.completion import Completion
from domain.payments.service import Payments
from domain.shipping.tracking import Tracking
from jobs.marketing import BroadcastFanOut
from jobs.merchant import DailyLowStock
from jobs.outbox import OutboxDispatcher
from jobs.schedule import Intervals, Job, jobs_table
from jobs.scheduler import Jobs

EVERY = Intervals(
    outbox_poll=timedelta(seconds=2),
    payment_sweep=timedelta(seconds=60),
    payment_inbox=timedelta(seconds=30),
    tracking_poll=timedelta(minutes=30),
)


class IdleOutbox:
    dirty = False
    stopping = False
    pokes = 0

    def poke(self) -> None:
        self.pokes += 1

    def stop(self) -> None:
        self.stopping = True


async def nothing() -> None:
    return None


class DailyReport:
    async def run_once(self) -> None:
        return None


def table(**parts: Any) -> tuple[Job, ...]:
    given: dict[str, Any] = {
        "outbox": cast(OutboxDispatcher, IdleOutbox()),
        "payments": cast(Payments, object()),
        "replay_payments": nothing,
        "tracking": None,
        "completion": cast(Completion, object()),
        "low_stock": None,
        "every": EVERY,
    }
    given.update(parts)
    return jobs_table(**given)


def test_the_table_lists_each_job_once_with_its_interval() -> None:
    jobs = table(tracking=cast(Tracking, object()), low_stock=cast(DailyLowStock, DailyReport()))
    assert [(job.name, job.every) for job in jobs] == [
        ("outbox", timedelta(seconds=2)),
        ("outbox_retention", timedelta(hours=1)),
        ("payment_inbox", timedelta(seconds=30)),
        ("payments", timedelta(seconds=60)),
        ("tracking", timedelta(minutes=5)),  # polled at least every five minutes
        ("auto_complete", timedelta(minutes=15)),
        ("low_stock", timedelta(minutes=10)),
    ]
    assert [job.name for job in jobs if job.outbox_wakeup] == ["outbox"]


def test_broadcasts_bring_their_fan_out_and_their_retention() -> None:
    fan_out = BroadcastFanOut(cast(Broadcasts, SimpleNamespace(forget_recipients=nothing)))
    assert [(job.name, job.every) for job in table(broadcasts=fan_out)][-2:] == [
        ("broadcasts", timedelta(seconds=15)),
        ("broadcast_retention", timedelta(hours=6)),
    ]


def test_manual_tracking_and_no_report_leave_their_jobs_out() -> None:
    assert [job.name for job in table()] == [
        "outbox",
        "outbox_retention",
        "payment_inbox",
        "payments",
        "auto_complete",
    ]


async def test_the_scheduler_names_its_jobs_by_the_table() -> None:
    outbox = IdleOutbox()
    jobs = Jobs(
        (
            Job("outbox", nothing, timedelta(seconds=2), outbox_wakeup=True),
            Job("payments", nothing, timedelta(seconds=60)),
        ),
        cast(OutboxDispatcher, outbox),
    )
    jobs.start()
    try:
        assert [(job.id, job.name) for job in jobs.scheduler.get_jobs()] == [
            ("outbox", "outbox"),
            ("payments", "payments"),
        ]
        assert jobs.intervals == {"outbox": 2.0, "payments": 60.0}
        jobs.wake_outbox()
        assert outbox.pokes == 1
    finally:
        await jobs.stop()
    assert outbox.stopping


class DirtyOutbox(IdleOutbox):
    dirty = True  # notifications keep waiting: another runner holds the job


class HeldElsewhere:
    """A job lock that another (live) runner holds."""

    def __init__(self) -> None:
        self.tries = 0

    def hold(self, job: str) -> Any:
        import contextlib

        lock = self

        @contextlib.asynccontextmanager
        async def held() -> Any:
            lock.tries += 1
            yield False

        return held()


async def test_a_job_another_runner_holds_is_not_retried_in_a_busy_loop() -> None:
    import asyncio
    import time

    lock = HeldElsewhere()
    jobs = Jobs(
        (Job("outbox", nothing, timedelta(seconds=30), outbox_wakeup=True),),
        cast(OutboxDispatcher, DirtyOutbox()),
        lock=lock,
    )
    started = time.process_time()
    result = await asyncio.wait_for(jobs.run("outbox"), 2)
    assert str(result) == "skipped: another runner has it"
    assert lock.tries == 1, "one try per tick, not a spin while the outbox is dirty"
    assert time.process_time() - started < 0.5


class KeepingLock:
    """A job lock that keeps leases between runs (storage/jobs.py JobLocks with `keep`)."""

    def __init__(self) -> None:
        self.given_back = 0
        self.running = 0

    def hold(self, job: str) -> Any:
        import contextlib

        lock = self

        @contextlib.asynccontextmanager
        async def held() -> Any:
            lock.running += 1
            try:
                yield True
            finally:
                lock.running -= 1

        return held()

    async def give_back_kept(self) -> None:
        assert self.running == 0, "given back while a run was still under way"
        self.given_back += 1


async def test_stopping_the_jobs_gives_back_kept_leases_once_the_runs_are_over() -> None:
    import asyncio

    started = asyncio.Event()

    async def slow() -> None:
        started.set()
        await asyncio.sleep(0.2)

    lock = KeepingLock()
    jobs = Jobs(
        (Job("outbox", slow, timedelta(seconds=30), outbox_wakeup=True),),
        cast(OutboxDispatcher, IdleOutbox()),
        lock=lock,
    )
    jobs.start()
    await asyncio.wait_for(started.wait(), 5)
    await jobs.stop()
    assert lock.given_back == 1
