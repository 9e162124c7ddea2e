"""SQLAlchemy side of the scheduled jobs: tracking state and checkpoints (uow.tracking), the
sweeps' queries (uow.sweeps), the log of job runs, and the lock that lets one runner at a time
do each job. Repositories never commit; the lock and the run log open their own short
transactions, since they bracket a job's own units of work."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable, Collection
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.tables.jobs import JobLockRow, JobRunRow

log = logging.getLogger(__name__)


# -- the log of job runs ------------------------------------------------------------------------

RUNS_KEPT = 20  # per job

# The statements of a job's bracket (its lease and its run's record), built once: the outbox
# job runs after every order, and building these cost SQLAlchemy more than running them
# (issue 13).
_RUNS = cast(Table, JobRunRow.__table__)
_LOCKS = cast(Table, JobLockRow.__table__)
_ADD_RUN = insert(_RUNS)
_KEPT_RUNS = (
    select(_RUNS.c.id)
    .where(_RUNS.c.job == bindparam("run_job"))
    .order_by(_RUNS.c.started_at.desc(), _RUNS.c.id.desc())
    .limit(bindparam("kept"))
    .scalar_subquery()
)
_FORGET_RUNS = delete(_RUNS).where(
    _RUNS.c.job == bindparam("run_job"), _RUNS.c.id.not_in(_KEPT_RUNS)
)
_TAKE_LEASE = sqlite_insert(_LOCKS).values(
    job=bindparam("lock_job"),
    holder=bindparam("lock_holder"),
    locked_until=bindparam("until", type_=_LOCKS.c.locked_until.type),
)
# Taken when free or expired: the upsert changes the row only where its lease has run out.
_TAKE_LEASE = _TAKE_LEASE.on_conflict_do_update(
    index_elements=[_LOCKS.c.job],
    set_={"holder": _TAKE_LEASE.excluded.holder, "locked_until": _TAKE_LEASE.excluded.locked_until},
    where=_LOCKS.c.locked_until < bindparam("now", type_=_LOCKS.c.locked_until.type),
)
_RENEW_LEASE = (
    update(_LOCKS)
    .where(_LOCKS.c.job == bindparam("lock_job"), _LOCKS.c.holder == bindparam("lock_holder"))
    .values(locked_until=bindparam("until", type_=_LOCKS.c.locked_until.type))
)
_GIVE_BACK_LEASE = delete(_LOCKS).where(
    _LOCKS.c.job == bindparam("lock_job"), _LOCKS.c.holder == bindparam("lock_holder")
)


class SqlJobRuns:
    """Records each job run and answers /jobs; keeps the last `RUNS_KEPT` runs of each job."""

    def __init__(self, db: Any, kept: int = RUNS_KEPT) -> None:
        self.db = db
        self.kept = kept

    async def record(
        self,
        job: str,
        runner: str,
        started_at: datetime,
        finished_at: datetime,
        duration_ms: int,
        ok: bool,
        summary: str,
    ) -> None:
        """Add a finished run and forget the oldest beyond what is kept."""
        async with self.db.uow() as uow:
            session: AsyncSession = uow.session
            await session.execute(
                _ADD_RUN,
                {
                    "job": job,
                    "runner": runner[:64],
                    "started_at": started_at,
                    "finished_at": finished_at,
                    "duration_ms": max(int(duration_ms), 0),
                    "ok": ok,
                    "summary": summary[:2000],
                },
            )
            await session.execute(_FORGET_RUNS, {"run_job": job, "kept": self.kept})
            await uow.commit()

    async def latest(self) -> dict[str, JobRunRow]:
        """The newest run of each job."""
        async with self.db.uow(readonly=True) as uow:
            session: AsyncSession = uow.session
            newest = (
                select(JobRunRow.job, func.max(JobRunRow.id).label("id"))
                .group_by(JobRunRow.job)
                .subquery()
            )
            rows = await session.scalars(
                select(JobRunRow).join(newest, newest.c.id == JobRunRow.id)
            )
            found = {row.job: row for row in rows.all()}
            session.expunge_all()
        return found

    async def last_ok_start(self, job: str) -> datetime | None:
        """When the newest successful run of a job started."""
        async with self.db.uow(readonly=True) as uow:
            session: AsyncSession = uow.session
            found = await session.scalar(
                select(func.max(JobRunRow.started_at)).where(JobRunRow.job == job, JobRunRow.ok)
            )
        if found is None:
            return None
        return found if found.tzinfo else found.replace(tzinfo=UTC)

    async def history(self, job: str) -> list[JobRunRow]:
        """The kept runs of one job, newest first."""
        async with self.db.uow(readonly=True) as uow:
            session: AsyncSession = uow.session
            rows = await session.scalars(
                select(JobRunRow)
                .where(JobRunRow.job == job)
                .order_by(JobRunRow.started_at.desc(), JobRunRow.id.desc())
            )
            found = list(rows.all())
            session.expunge_all()
        return found


# -- one runner per job ---------------------------------------------------------------------------


def runner_name() -> str:
    """Who is running jobs: host, process and a random part (two runners never share it)."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def holder_is_dead(holder: str) -> bool:
    """Whether a runner name (`runner_name()`) names a process of this host that is gone. A
    runner on another host is never judged dead here: its lease expires instead."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname()[:32] or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False  # this process: alive (another runner name of ours, e.g. a test's)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # exists, owned by someone else
        return False
    return False


def advisory_key(job: str) -> int:
    """A stable signed 64-bit key for PostgreSQL's advisory locks."""
    digest = hashlib.sha256(f"orderbot:job:{job}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class JobLocks:
    """Lets one runner at a time do each job.

    PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`), taken on a connection
    held for the whole run; it goes away with the connection, so a crashed runner frees it at
    once. SQLite: a `job_locks` row with a lease (`UPDATE ... WHERE locked_until < now`),
    renewed (a heartbeat) every third of the lease while the job runs. A crashed runner's lease
    is taken over at once by a runner of the same host (its process id is gone), otherwise it
    expires. Leases use the wall
    clock, not the shop's (possibly pinned) clock: they measure how long a process may be
    silent, not business time.

    On SQLite the jobs named in `keep` keep their lease between runs: taken at the first run,
    renewed by a heartbeat for as long as the process lives, given back by `give_back_kept`
    when the jobs stop. The outbox job runs after every order; taking and giving back its
    lease were two write transactions of the three that each of those runs spent outside its
    own work, each one queueing for SQLite's one writer (issue 13). A runner that dies keeps
    nobody waiting longer than before: its lease is taken over at once on its host (its
    process is gone) and expires elsewhere. What it changes: while this process lives, the job
    runs here only, never in another process that runs the jobs too."""

    def __init__(
        self,
        db: Any,
        holder: str | None = None,
        *,
        lease_seconds: float = 30.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        keep: Collection[str] = (),
    ) -> None:
        self.db = db
        self.holder = (holder or runner_name())[:64]
        self.lease_seconds = lease_seconds
        self._now = now
        self.keep = frozenset(keep)
        self._kept: dict[str, datetime] = {}  # job -> when our kept lease ends, as last written
        self._keepers: dict[str, asyncio.Task[None]] = {}  # job -> its kept lease's heartbeat
        self._busy: set[str] = set()  # kept jobs with a run under way in this process

    @property
    def postgres(self) -> bool:
        return bool(self.db.engine.dialect.name == "postgresql")

    @contextlib.asynccontextmanager
    async def hold(self, job: str) -> AsyncIterator[bool]:
        """`async with locks.hold("outbox") as mine:` — mine is False when another runner has
        the job; the lock is held (and renewed) until the block ends."""
        if self.postgres:
            async with self._advisory(job) as mine:
                yield mine
            return
        if job in self.keep:
            # Not re-entrant either: a second run of the job here waits its turn.
            if job in self._busy or not await self._keeps(job):
                yield False
                return
            self._busy.add(job)
            try:
                yield True
            finally:
                self._busy.discard(job)
            return
        if not await self.acquire(job):
            yield False
            return
        renew = asyncio.create_task(self._renew_until_cancelled(job))
        try:
            yield True
        finally:
            renew.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renew
            await asyncio.shield(self.release(job))

    @contextlib.asynccontextmanager
    async def _advisory(self, job: str) -> AsyncIterator[bool]:
        key = advisory_key(job)
        async with self.db.engine.connect() as conn:
            mine = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}))
            await conn.commit()  # the lock is the session's, not the transaction's
            try:
                yield mine
            finally:
                if mine:
                    try:
                        await asyncio.shield(
                            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                        )
                        await conn.commit()
                    except Exception:  # the connection is broken: closing it frees the lock
                        log.exception("could not unlock job %s; dropping the connection", job)
                        await conn.invalidate()

    async def acquire(self, job: str) -> bool:
        """Take the job's lease if it is free or expired (SQLite). Not re-entrant: a second
        run of the job in this very process waits its turn like any other runner."""
        now = self._now()
        until = now + timedelta(seconds=self.lease_seconds)
        async with self.db.uow() as uow:
            session: AsyncSession = uow.session
            result = await session.execute(
                _TAKE_LEASE,
                {"lock_job": job, "lock_holder": self.holder, "until": until, "now": now},
            )
            taken = bool(result.rowcount)  # type: ignore[attr-defined]
            if not taken:
                taken = await self._take_from_the_dead(session, job, until)
            await uow.commit()
        return taken

    async def _take_from_the_dead(self, session: AsyncSession, job: str, until: datetime) -> bool:
        """Take over a lease whose holder was a process of this host that no longer exists
        (killed, crashed): its lease would otherwise block the job until it expires."""
        holder = await session.scalar(select(JobLockRow.holder).where(JobLockRow.job == job))
        if holder is None or holder == self.holder or not holder_is_dead(holder):
            return False
        result = await session.execute(
            update(JobLockRow)
            .where(JobLockRow.job == job, JobLockRow.holder == holder)
            .values(holder=self.holder, locked_until=until)
        )
        if result.rowcount:  # type: ignore[attr-defined]
            log.info("job %s: took over the lease of %s, which is gone", job, holder)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def renew(self, job: str) -> bool:
        """Extend our lease; False if it is no longer ours."""
        until = self._now() + timedelta(seconds=self.lease_seconds)
        async with self.db.uow() as uow:
            result = await uow.session.execute(
                _RENEW_LEASE, {"lock_job": job, "lock_holder": self.holder, "until": until}
            )
            await uow.commit()
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def release(self, job: str) -> None:
        """Give the lease back (only ours)."""
        async with self.db.uow() as uow:
            await uow.session.execute(
                _GIVE_BACK_LEASE, {"lock_job": job, "lock_holder": self.holder}
            )
            await uow.commit()

    async def _keeps(self, job: str) -> bool:
        """Whether this runner holds the kept job's lease, taking it if it is free: from memory
        while the heartbeat keeps it well ahead, otherwise from the database."""
        until = self._kept.get(job)
        margin = timedelta(seconds=self.lease_seconds / 3)
        if until is not None and self._now() < until - margin:
            return True
        if until is not None:  # the heartbeat is late (a stalled loop, a failed renewal)
            if await self.renew(job):
                self._kept[job] = self._now() + timedelta(seconds=self.lease_seconds)
                return True
            log.error("job %s: kept lease lost to another runner", job)
            self._forget_kept(job)
        if not await self.acquire(job):
            return False
        self._kept[job] = self._now() + timedelta(seconds=self.lease_seconds)
        self._keepers[job] = asyncio.create_task(self._keep_renewed(job))
        return True

    async def _keep_renewed(self, job: str) -> None:
        """The kept lease's heartbeat, every third of the lease, until it is lost or given
        back; a failed renewal is tried again at the next beat (and by the next run)."""
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            until = self._now() + timedelta(seconds=self.lease_seconds)
            try:
                renewed = await self.renew(job)
            except Exception:
                log.exception("job %s: could not renew the kept lease", job)
                continue
            if not renewed:
                log.error("job %s: kept lease lost to another runner", job)
                self._kept.pop(job, None)
                self._keepers.pop(job, None)
                return
            self._kept[job] = until

    def _forget_kept(self, job: str) -> None:
        self._kept.pop(job, None)
        keeper = self._keepers.pop(job, None)
        if keeper is not None:
            keeper.cancel()

    async def give_back_kept(self) -> None:
        """Stop the kept leases' heartbeats and give the leases back (the jobs are stopping),
        so another runner takes them at once instead of when they expire."""
        kept = list(self._kept)
        keepers = list(self._keepers.values())
        for job in kept:
            self._forget_kept(job)
        for keeper in keepers:
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        for job in kept:
            try:
                await self.release(job)
            except Exception:  # it expires on its own
                log.exception("job %s: could not give back the kept lease", job)

    async def _renew_until_cancelled(self, job: str) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                if not await self.renew(job):
                    log.error("job %s: lease lost to another runner", job)
                    return
            except Exception:
                log.exception("job %s: could not renew the lease", job)
