"""The update inbox: payment updates kept from the moment they are fetched until the payment
they carry is recorded."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    delete,
    exists,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import dialect_insert
from storage.tables.inbox import UpdateInboxRow
from storage.tables.payments import PaymentRow


def _recorded() -> Any:
    """A payment with this row's charge id exists."""
    return exists().where(PaymentRow.telegram_charge_id == UpdateInboxRow.telegram_charge_id)


class SqlUpdateInbox:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def keep(self, entries: Sequence[tuple[int, str, dict[str, Any]]], at: datetime) -> None:
        """Store (update_id, charge id, raw update) rows; an update seen before is ignored."""
        if not entries:
            return
        insert = dialect_insert(self.s)
        rows = [
            {
                "update_id": update_id,
                "telegram_charge_id": charge_id,
                "payload": payload,
                "received_at": at,
                "replayed": 0,
            }
            for update_id, charge_id, payload in entries
        ]
        await self.s.execute(
            insert(UpdateInboxRow).values(rows).on_conflict_do_nothing(index_elements=["update_id"])
        )

    async def unrecorded(self, received_before: datetime, limit: int) -> list[dict[str, Any]]:
        """Raw updates whose payment is still not recorded, oldest first."""
        recorded = exists().where(
            PaymentRow.telegram_charge_id == UpdateInboxRow.telegram_charge_id
        )
        rows = await self.s.scalars(
            select(UpdateInboxRow)
            .where(~recorded, UpdateInboxRow.received_at < received_before)
            .order_by(UpdateInboxRow.update_id)
            .limit(limit)
        )
        return [dict(row.payload) for row in rows.all()]

    async def mark_replayed(self, update_ids: Sequence[int]) -> None:
        """Count a replay of each update (for the log and for operators)."""
        await self.s.execute(
            update(UpdateInboxRow)
            .where(UpdateInboxRow.update_id.in_(list(update_ids)))
            .values(replayed=UpdateInboxRow.replayed + 1)
        )

    async def forget_recorded(self) -> int:
        """Drop rows whose payment is recorded; returns how many."""
        recorded = exists().where(
            PaymentRow.telegram_charge_id == UpdateInboxRow.telegram_charge_id
        )
        result = await self.s.execute(delete(UpdateInboxRow).where(recorded))
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
