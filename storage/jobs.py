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
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from domain.catalog.model import Product
from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.shipping.tracking_records import (
    Checkpoint,
    StoredCheckpoint,
    TrackedShipment,
    TrackingState,
    TrackingStatus,
)
from storage.repositories import _product
from storage.tables import (
    CategoryRow,
    JobLockRow,
    JobRunRow,
    OrderEventRow,
    OrderLineRow,
    OrderRow,
    ProductRow,
    ShipmentRow,
    ShipmentTrackingRow,
    TrackingCheckpointRow,
)

log = logging.getLogger(__name__)


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def _status(raw: str | None) -> TrackingStatus | None:
    try:
        return TrackingStatus(raw) if raw else None
    except ValueError:  # written by a newer version
        return None


class SqlTrackingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    def _shipments(self) -> Any:
        return (
            select(ShipmentRow, OrderRow.number, ShipmentTrackingRow)
            .join(OrderRow, OrderRow.id == ShipmentRow.order_id)
            .outerjoin(ShipmentTrackingRow, ShipmentTrackingRow.shipment_id == ShipmentRow.id)
        )

    @staticmethod
    def _entity(
        shipment: ShipmentRow, number: str, state: ShipmentTrackingRow | None
    ) -> TrackedShipment:
        return TrackedShipment(
            shipment_id=shipment.id,
            order_id=shipment.order_id,
            order_number=number,
            carrier_code=shipment.carrier_code,
            carrier_name=shipment.carrier_name,
            tracking_number=shipment.tracking_number,
            shipped_at=shipment.shipped_at,
            status=_status(state.status) if state else None,
            streak=state.streak if state else 0,
        )

    async def claim_due(
        self, now: datetime, limit: int, lease_seconds: float
    ) -> list[TrackedShipment]:
        state = ShipmentTrackingRow
        due = or_(
            state.shipment_id.is_(None),  # never polled
            and_(
                or_(state.status.is_(None), state.status != TrackingStatus.DELIVERED.value),
                or_(state.next_poll_at.is_(None), state.next_poll_at <= now),
            ),
        )
        ids = list(
            await self.s.scalars(
                select(ShipmentRow.id)
                .join(OrderRow, OrderRow.id == ShipmentRow.order_id)
                .outerjoin(ShipmentTrackingRow, ShipmentTrackingRow.shipment_id == ShipmentRow.id)
                .where(OrderRow.status == OrderStatus.SHIPPED.value, due)
                .order_by(
                    func.coalesce(ShipmentTrackingRow.next_poll_at, ShipmentRow.shipped_at),
                    ShipmentRow.id,
                )
                .limit(limit)
                .with_for_update(skip_locked=True, of=ShipmentRow)  # PostgreSQL: see the outbox
            )
        )
        if not ids:
            return []
        # Lease them: move the next poll past the lease, only where it is still due, and take
        # exactly the rows this statement changed (another runner gets the others).
        lease = now + timedelta(seconds=lease_seconds)
        insert = _insert(self.s)
        statement = insert(ShipmentTrackingRow).values(
            [
                {
                    "shipment_id": shipment_id,
                    "status": None,
                    "polls": 0,
                    "streak": 0,
                    "next_poll_at": lease,
                    "updated_at": now,
                }
                for shipment_id in ids
            ]
        )
        table = ShipmentTrackingRow.__table__
        statement = statement.on_conflict_do_update(
            index_elements=[ShipmentTrackingRow.shipment_id],
            set_={"next_poll_at": lease, "updated_at": now},
            where=or_(table.c.next_poll_at.is_(None), table.c.next_poll_at <= now),
        ).returning(ShipmentTrackingRow.shipment_id)
        taken = set((await self.s.execute(statement)).scalars().all())
        if not taken:
            return []
        rows = await self.s.execute(
            self._shipments()
            .where(ShipmentRow.id.in_(taken))
            .order_by(ShipmentRow.shipped_at, ShipmentRow.id)
        )
        return [self._entity(*row) for row in rows.all()]

    async def latest_shipment(self, order_id: int) -> TrackedShipment | None:
        row = (
            await self.s.execute(
                self._shipments()
                .where(ShipmentRow.order_id == order_id)
                .order_by(ShipmentRow.shipped_at.desc(), ShipmentRow.id.desc())
                .limit(1)
            )
        ).first()
        return self._entity(*row) if row else None

    async def add_checkpoint(
        self,
        shipment_id: int,
        order_id: int,
        checkpoint: Checkpoint,
        *,
        source: str,
        actor: str,
        at: datetime,
    ) -> bool:
        # INSERT ... ON CONFLICT DO NOTHING: a checkpoint seen twice, even by two runners at
        # the same moment, is stored (and so pushed) once.
        statement = (
            _insert(self.s)(TrackingCheckpointRow)
            .values(
                shipment_id=shipment_id,
                order_id=order_id,
                key=checkpoint.key,
                status=checkpoint.status.value,
                happened_at=checkpoint.at,
                location=checkpoint.location,
                message=checkpoint.message,
                source=source,
                actor=actor,
                recorded_at=at,
            )
            .on_conflict_do_nothing(index_elements=["shipment_id", "key"])
        )
        result = await self.s.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def save_state(self, state: TrackingState, at: datetime) -> None:
        values: dict[str, Any] = {
            "shipment_id": state.shipment_id,
            "status": state.status.value if state.status else None,
            "streak": state.streak,
            "last_polled_at": state.last_polled_at,
            "next_poll_at": state.next_poll_at,
            "last_error": state.last_error,
            "polls": 1 if state.polled else 0,
            "updated_at": at,
        }
        statement = _insert(self.s)(ShipmentTrackingRow).values(**values)
        table = ShipmentTrackingRow.__table__
        changes: dict[str, Any] = {
            "status": statement.excluded.status,
            "streak": statement.excluded.streak,
            "next_poll_at": statement.excluded.next_poll_at,
            "last_error": statement.excluded.last_error,
            "updated_at": statement.excluded.updated_at,
        }
        if state.polled:
            changes["polls"] = table.c.polls + 1
            changes["last_polled_at"] = statement.excluded.last_polled_at
        await self.s.execute(
            statement.on_conflict_do_update(
                index_elements=[ShipmentTrackingRow.shipment_id], set_=changes
            )
        )

    async def state(self, shipment_id: int) -> TrackingState | None:
        """The stored tracking state of a shipment (for tests and the merchant)."""
        row = await self.s.get(ShipmentTrackingRow, shipment_id, populate_existing=True)
        if row is None:
            return None
        return TrackingState(
            shipment_id=row.shipment_id,
            status=_status(row.status),
            streak=row.streak,
            last_polled_at=row.last_polled_at,
            next_poll_at=row.next_poll_at,
            last_error=row.last_error,
        )

    async def checkpoints(self, order_id: int) -> list[StoredCheckpoint]:
        rows = await self.s.scalars(
            select(TrackingCheckpointRow)
            .where(TrackingCheckpointRow.order_id == order_id)
            .order_by(TrackingCheckpointRow.happened_at, TrackingCheckpointRow.id)
        )
        found = []
        for r in rows.all():
            status = _status(r.status)
            if status is None:
                continue
            found.append(
                StoredCheckpoint(
                    checkpoint=Checkpoint(
                        key=r.key,
                        status=status,
                        at=r.happened_at,
                        location=r.location,
                        message=r.message,
                    ),
                    shipment_id=r.shipment_id,
                    source=r.source,
                    actor=r.actor,
                    recorded_at=r.recorded_at,
                )
            )
        return found


class SqlSweepRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def due_for_completion(self, delivered_before: datetime, limit: int) -> list[int]:
        delivered_at = (
            select(func.max(OrderEventRow.created_at))
            .where(
                OrderEventRow.order_id == OrderRow.id,
                OrderEventRow.type == OrderEventType.DELIVERED.value,
            )
            .correlate(OrderRow)
            .scalar_subquery()
        )
        # SKIP LOCKED (PostgreSQL; nothing on SQLite, whose writers take turns anyway) lets two
        # sweeps at once work on different orders instead of waiting for each other.
        rows = await self.s.scalars(
            select(OrderRow.id)
            .where(
                OrderRow.status == OrderStatus.DELIVERED.value,
                OrderRow.after_sales_open <= 0,
                delivered_at <= delivered_before,
            )
            .order_by(delivered_at, OrderRow.id)
            .limit(limit)
            .with_for_update(skip_locked=True, of=OrderRow)
        )
        return list(rows.all())

    async def low_stock(self, sold_since: datetime, limit: int) -> list[tuple[Product, int]]:
        sold = (
            select(func.coalesce(func.sum(OrderLineRow.quantity), 0))
            .join(OrderRow, OrderRow.id == OrderLineRow.order_id)
            .where(
                OrderLineRow.product_id == ProductRow.id,
                OrderRow.status != OrderStatus.CANCELLED.value,
                OrderRow.created_at >= sold_since,
            )
            .correlate(ProductRow)
            .scalar_subquery()
        )
        available = ProductRow.stock - ProductRow.reserved
        result = await self.s.execute(
            select(ProductRow, CategoryRow.name, sold)
            .join(CategoryRow, CategoryRow.id == ProductRow.category_id)
            .where(
                ProductRow.active,
                ProductRow.low_stock_threshold > 0,
                available <= ProductRow.low_stock_threshold,
            )
            .order_by(available - ProductRow.low_stock_threshold, ProductRow.name, ProductRow.id)
            .limit(limit)
        )
        return [(_product(row, category), int(units or 0)) for row, category, units in result.all()]


# -- the log of job runs ------------------------------------------------------------------------

RUNS_KEPT = 20  # per job


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
            session.add(
                JobRunRow(
                    job=job,
                    runner=runner[:64],
                    started_at=started_at,
                    finished_at=finished_at,
                    duration_ms=max(int(duration_ms), 0),
                    ok=ok,
                    summary=summary[:2000],
                )
            )
            await session.flush()
            keep = (
                select(JobRunRow.id)
                .where(JobRunRow.job == job)
                .order_by(JobRunRow.started_at.desc(), JobRunRow.id.desc())
                .limit(self.kept)
                .scalar_subquery()
            )
            await session.execute(
                delete(JobRunRow).where(JobRunRow.job == job, JobRunRow.id.not_in(keep))
            )
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


def advisory_key(job: str) -> int:
    """A stable signed 64-bit key for PostgreSQL's advisory locks."""
    digest = hashlib.sha256(f"orderbot:job:{job}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class JobLocks:
    """Lets one runner at a time do each job.

    PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`), taken on a connection
    held for the whole run; it goes away with the connection, so a crashed runner frees it at
    once. SQLite: a `job_locks` row with a lease (`UPDATE ... WHERE locked_until < now`),
    renewed while the job runs; a crashed runner's lease simply expires. Leases use the wall
    clock, not the shop's (possibly pinned) clock: they measure how long a process may be
    silent, not business time."""

    def __init__(
        self,
        db: Any,
        holder: str | None = None,
        *,
        lease_seconds: float = 60.0,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.db = db
        self.holder = (holder or runner_name())[:64]
        self.lease_seconds = lease_seconds
        self._now = now

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
            statement = sqlite_insert(JobLockRow).values(
                job=job, holder=self.holder, locked_until=until
            )
            table = JobLockRow.__table__
            statement = statement.on_conflict_do_update(
                index_elements=[JobLockRow.job],
                set_={"holder": self.holder, "locked_until": until},
                where=table.c.locked_until < now,
            )
            result = await session.execute(statement)
            await uow.commit()
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def renew(self, job: str) -> bool:
        """Extend our lease; False if it is no longer ours."""
        until = self._now() + timedelta(seconds=self.lease_seconds)
        async with self.db.uow() as uow:
            result = await uow.session.execute(
                update(JobLockRow)
                .where(JobLockRow.job == job, JobLockRow.holder == self.holder)
                .values(locked_until=until)
            )
            await uow.commit()
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def release(self, job: str) -> None:
        """Give the lease back (only ours)."""
        async with self.db.uow() as uow:
            await uow.session.execute(
                delete(JobLockRow).where(JobLockRow.job == job, JobLockRow.holder == self.holder)
            )
            await uow.commit()

    async def _renew_until_cancelled(self, job: str) -> None:
        while True:
            await asyncio.sleep(self.lease_seconds / 3)
            try:
                if not await self.renew(job):
                    log.error("job %s: lease lost to another runner", job)
                    return
            except Exception:
                log.exception("job %s: could not renew the lease", job)
