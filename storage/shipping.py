"""Shipments, their tracking state and checkpoints."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    and_,
    func,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.orders.lifecycle import OrderStatus
from domain.shared.errors import DuplicateError
from domain.shipping.carriers import Shipment
from domain.shipping.tracking_records import (
    Checkpoint,
    StoredCheckpoint,
    TrackedShipment,
    TrackingState,
    TrackingStatus,
)
from storage.base import dialect_insert
from storage.tables.orders import OrderRow
from storage.tables.shipping import ShipmentRow, ShipmentTrackingRow, TrackingCheckpointRow


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
        # On PostgreSQL the lock is on the shipment while the lease is on its tracking row, so a
        # runner whose snapshot predates another's commit can pick rows that runner has just
        # leased; the upsert below refuses those. Pick again (a new statement sees the commit),
        # leaving out the rows already tried, so that one runner's round is not wasted.
        lease = now + timedelta(seconds=lease_seconds)
        tried: set[int] = set()
        taken: set[int] = set()
        for _ in range(3):
            wanted = limit - len(taken)
            if wanted <= 0:
                break
            pick = (
                select(ShipmentRow.id)
                .join(OrderRow, OrderRow.id == ShipmentRow.order_id)
                .outerjoin(ShipmentTrackingRow, ShipmentTrackingRow.shipment_id == ShipmentRow.id)
                .where(OrderRow.status == OrderStatus.SHIPPED.value, due)
            )
            if tried:
                pick = pick.where(ShipmentRow.id.not_in(tried))
            ids = list(
                await self.s.scalars(
                    pick.order_by(
                        func.coalesce(ShipmentTrackingRow.next_poll_at, ShipmentRow.shipped_at),
                        ShipmentRow.id,
                    )
                    .limit(wanted)
                    .with_for_update(skip_locked=True, of=ShipmentRow)  # PostgreSQL: see outbox
                )
            )
            if not ids:
                break
            tried.update(ids)
            got = await self._lease(ids, now, lease)
            taken |= got
            if len(got) == len(ids):
                break  # nothing lost to another runner: this pick was all there was
        if not taken:
            return []
        rows = await self.s.execute(
            self._shipments()
            .where(ShipmentRow.id.in_(taken))
            .order_by(ShipmentRow.shipped_at, ShipmentRow.id)
        )
        return [self._entity(*row) for row in rows.all()]

    async def _lease(self, ids: list[int], now: datetime, lease: datetime) -> set[int]:
        """Move the next poll past the lease, only where it is still due; the rows it changed."""
        insert = dialect_insert(self.s)
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
        return set((await self.s.execute(statement)).scalars().all())

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
            dialect_insert(self.s)(TrackingCheckpointRow)
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
        statement = dialect_insert(self.s)(ShipmentTrackingRow).values(**values)
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


class SqlShipmentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add(self, shipment: Shipment) -> int:
        taken = await self.s.scalar(select(ShipmentRow.id).where(ShipmentRow.key == shipment.key))
        if taken is not None:
            raise DuplicateError()
        row = ShipmentRow(
            order_id=shipment.order_id,
            carrier_code=shipment.carrier_code,
            carrier_name=shipment.carrier_name,
            tracking_number=shipment.tracking_number,
            tracking_url=shipment.tracking_url,
            note=shipment.note,
            actor=shipment.actor,
            key=shipment.key,
            shipped_at=shipment.shipped_at,
        )
        try:  # in a SAVEPOINT, as orders.add: the rest of the unit of work stays intact
            async with self.s.begin_nested():
                self.s.add(row)
        except IntegrityError as exc:  # the same key, recorded meanwhile by another process
            raise DuplicateError() from exc
        return row.id

    async def for_orders(self, order_ids: list[int]) -> dict[int, list[Shipment]]:
        if not order_ids:
            return {}
        rows = await self.s.scalars(
            select(ShipmentRow)
            .where(ShipmentRow.order_id.in_(order_ids))
            .order_by(ShipmentRow.shipped_at, ShipmentRow.id)
        )
        found: dict[int, list[Shipment]] = {}
        for r in rows.all():
            found.setdefault(r.order_id, []).append(
                Shipment(
                    id=r.id,
                    order_id=r.order_id,
                    carrier_code=r.carrier_code,
                    carrier_name=r.carrier_name,
                    tracking_number=r.tracking_number,
                    tracking_url=r.tracking_url,
                    actor=r.actor,
                    shipped_at=r.shipped_at,
                    key=r.key,
                    note=r.note,
                )
            )
        return found
