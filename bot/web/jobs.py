"""The jobs runner's process (`python -m bot jobs`): the scheduled jobs of every web process,
in one place, with standbys on PostgreSQL.

On PostgreSQL the runner first takes the jobs lock (storage/leader.py): a second runner waits
on standby and takes over when the first one's connection closes (its process died), within
its retry interval. The leader LISTENs for the NOTIFY every commit that queues notifications
sends, and wakes the outbox at once, whichever process committed. A leader that loses its
connection stops and exits with code 1, so its service manager starts it again as a standby.
On SQLite nothing changes: the per-job leases guard the runs, and this process wakes itself.

With JOBS_PORT set, /healthz, /readyz and /metrics are served on WEB_HOST:JOBS_PORT, on standby
too (`orderbot_jobs_leader` says which runner leads)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from starlette.applications import Starlette

from bot.app import build_application
from bot.data_keys import resolve_data_keys
from bot.settings import Settings
from bot.web.app import health_routes, listening_socket, serve
from bot.web.metrics import Metrics
from storage.db import Database, is_sqlite
from storage.leader import JobsLeadership

log = logging.getLogger(__name__)

LEADERSHIP_LOST = 1  # the exit code of a runner that lost the jobs lock


async def run_jobs_runner(settings: Settings, *, standby_retry_seconds: float = 2.0) -> int:
    """Run the jobs (after taking the jobs lock, on PostgreSQL) until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    metrics = Metrics()
    health = await _serve_health(settings, metrics, stop)
    leadership = (
        None
        if is_sqlite(settings.database_url)
        else JobsLeadership(settings.database_url, retry_seconds=standby_retry_seconds)
    )
    try:
        if leadership is not None:
            if not await leadership.acquire(stop):
                return 0
            log.info("jobs runner holds the jobs lock: running the jobs")
        metrics.leader.set(1)
        return await _run_jobs(settings, metrics, stop, leadership)
    finally:
        metrics.leader.set(0)
        if leadership is not None:
            await leadership.release()
        stop.set()
        if health is not None:
            await health


async def _run_jobs(
    settings: Settings, metrics: Metrics, stop: asyncio.Event, leadership: JobsLeadership | None
) -> int:
    app = build_application(settings, metrics=metrics)
    await app.initialize()
    # Started without an updater: nothing is polled, but payment updates the inbox job
    # replays are still handled here.
    await app.start()
    jobs = app.bot_data.jobs
    try:
        jobs.start()
        if leadership is not None:
            await leadership.listen(jobs.wake_outbox)
        log.info("job runner started: %s", ", ".join(jobs.intervals))
        waits = [asyncio.create_task(stop.wait())]
        if leadership is not None:
            waits.append(asyncio.create_task(leadership.lost.wait()))
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in waits:
            task.cancel()
        if leadership is not None and leadership.lost.is_set() and not stop.is_set():
            log.error("jobs runner lost the jobs lock; stopping (a restart waits on standby)")
            return LEADERSHIP_LOST
        return 0
    finally:
        await jobs.stop()
        await app.stop()
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
        log.info("job runner stopped")


async def _serve_health(
    settings: Settings, metrics: Metrics, stop: asyncio.Event
) -> asyncio.Task[None] | None:
    """/healthz, /readyz and /metrics on JOBS_PORT (None when it is 0)."""
    if not settings.jobs_port:
        return None
    sock = listening_socket(settings.web_host, settings.jobs_port)
    db = Database(settings.database_url, keys=resolve_data_keys(settings))
    asgi = Starlette(routes=health_routes(db, metrics))

    async def serving() -> None:
        try:
            await serve(asgi, sock, stop)
        finally:
            sock.close()
            with contextlib.suppress(Exception):
                await db.dispose()

    return asyncio.create_task(serving())
