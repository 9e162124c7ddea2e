"""One jobs runner at a time on PostgreSQL, with standbys, and its wake-up by LISTEN/NOTIFY.

`JobsLeadership` holds a connection of its own (asyncpg, outside the pool) for the runner's
whole life. On it the runner takes a session-level advisory lock (`pg_try_advisory_lock`): the
first runner gets it and runs the jobs; a second one tries again every few seconds (a standby)
and gets it the moment the first one's connection closes, which PostgreSQL does when its
process dies (SIGKILL included: the server sees the socket close). On the same connection the
leader LISTENs on `OUTBOX_CHANNEL`; every commit that queues notifications sends a NOTIFY in its
transaction (storage/db.py), so the leader delivers them at once instead of at its next poll,
whichever process committed them. Per-job locks (storage/jobs.py) still guard each run, so a
runner that lost the lock without noticing could not run a job twice at once.

Session advisory locks do not survive PgBouncer's transaction pooling: give the runner a direct
or session-pooled connection."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url

from storage.jobs import advisory_key

log = logging.getLogger(__name__)

OUTBOX_CHANNEL = "orderbot_outbox"
RUNNER_LOCK = "jobs-runner"


def asyncpg_dsn(url: str) -> str:
    """A libpq DSN for asyncpg from our SQLAlchemy URL."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class JobsLeadership:
    """The jobs runner's lock and wake-up line (PostgreSQL only)."""

    def __init__(self, url: str, *, retry_seconds: float = 2.0, check_seconds: float = 5.0) -> None:
        self.dsn = asyncpg_dsn(url)
        self.retry_seconds = retry_seconds
        self.check_seconds = check_seconds
        self.key = advisory_key(RUNNER_LOCK)
        self.lost = asyncio.Event()
        self._conn: Any = None
        self._watch: asyncio.Task[None] | None = None

    async def acquire(self, stop: asyncio.Event) -> bool:
        """Wait until this runner holds the lock (True), or until `stop` is set (False)."""
        announced = False
        while not stop.is_set():
            try:
                if self._conn is None or self._conn.is_closed():
                    self._conn = await asyncpg.connect(self.dsn)
                if await self._conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key):
                    self._conn.add_termination_listener(lambda _conn: self.lost.set())
                    self._watch = asyncio.create_task(self._watch_connection())
                    return True
                if not announced:
                    log.info("jobs runner on standby: another runner holds the jobs lock")
                    announced = True
            except (OSError, asyncpg.PostgresError) as exc:
                log.warning("jobs runner: cannot reach the database for the jobs lock: %s", exc)
                await self._close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.retry_seconds)
        return False

    async def listen(self, on_notify: Callable[[], None]) -> None:
        """Call `on_notify` whenever a transaction that queued notifications commits."""
        assert self._conn is not None
        await self._conn.add_listener(OUTBOX_CHANNEL, lambda *_args: on_notify())

    async def _watch_connection(self) -> None:
        """Notice a connection that died quietly (the termination listener covers the rest)."""
        while not self.lost.is_set():
            await asyncio.sleep(self.check_seconds)
            try:
                await asyncio.wait_for(self._conn.fetchval("SELECT 1"), self.check_seconds)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                log.error("jobs runner: the connection holding the jobs lock is gone")
                self.lost.set()

    async def release(self) -> None:
        """Give the lock up (closing the connection frees it too)."""
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        await self._close()

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), 5)
