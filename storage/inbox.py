"""The update inbox: updates kept from the moment they arrive until they are handled.

Two writers share it. The webhook (bot/web/inbox.py) keeps every update before it answers
Telegram 200 (`accept`), handles it, and then forgets it (`finish`); an update whose handler
died is taken over by another process once its lease has passed (`take_stale`). Polling
(bot/payments/inbox.py) keeps payment updates only, before the getUpdates offset moves (`keep`).
Payment updates stay after handling until their payment is recorded: the payment inbox job
replays them otherwise (`unrecorded`)."""

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

    async def keep(
        self, bot_id: int, entries: Sequence[tuple[int, str, dict[str, Any]]], at: datetime
    ) -> None:
        """Store polled (update_id, charge id, raw update) rows, handed to the application
        already; an update seen before is ignored."""
        if not entries:
            return
        insert = dialect_insert(self.s)
        rows = [
            {
                "bot_id": bot_id,
                "update_id": update_id,
                "telegram_charge_id": charge_id,
                "payload": payload,
                "received_at": at,
                "replayed": 0,
                "done_at": at,
            }
            for update_id, charge_id, payload in entries
        ]
        await self.s.execute(
            insert(UpdateInboxRow)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["bot_id", "update_id"])
        )

    async def accept(
        self,
        bot_id: int,
        update_id: int,
        charge_id: str | None,
        payload: dict[str, Any],
        at: datetime,
        lease_until: datetime,
    ) -> bool:
        """Keep a webhook update, leased to the caller for handling; False when it was kept
        before (a redelivery: whoever kept it handles it)."""
        insert = dialect_insert(self.s)
        result = await self.s.execute(
            insert(UpdateInboxRow)
            .values(
                bot_id=bot_id,
                update_id=update_id,
                telegram_charge_id=charge_id,
                payload=payload,
                received_at=at,
                replayed=0,
                lease_until=lease_until,
            )
            .on_conflict_do_nothing(index_elements=["bot_id", "update_id"])
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def finish(self, bot_id: int, update_id: int, at: datetime) -> None:
        """The update was handled: forget it, or, for a payment, keep it (done) until the
        payment is recorded."""
        key = (UpdateInboxRow.bot_id == bot_id, UpdateInboxRow.update_id == update_id)
        deleted = await self.s.execute(
            delete(UpdateInboxRow).where(*key, UpdateInboxRow.telegram_charge_id.is_(None))
        )
        if deleted.rowcount:  # type: ignore[attr-defined]
            return  # the usual case: one statement
        await self.s.execute(
            update(UpdateInboxRow)
            .where(*key, UpdateInboxRow.done_at.is_(None))
            .values(done_at=at, lease_until=None)
        )

    async def renew(self, bot_id: int, update_ids: Sequence[int], lease_until: datetime) -> None:
        """Extend the leases of the updates the caller is still handling."""
        await self.s.execute(
            update(UpdateInboxRow)
            .where(
                UpdateInboxRow.bot_id == bot_id,
                UpdateInboxRow.update_id.in_(list(update_ids)),
                UpdateInboxRow.done_at.is_(None),
            )
            .values(lease_until=lease_until)
        )

    async def take_stale(
        self, bot_id: int, now: datetime, lease_until: datetime, limit: int
    ) -> list[dict[str, Any]]:
        """Updates whose handler's lease has passed (its process died), oldest first, leased to
        the caller now; on PostgreSQL, rows another process is taking are skipped."""
        rows = await self.s.scalars(
            select(UpdateInboxRow)
            .where(
                UpdateInboxRow.done_at.is_(None),
                UpdateInboxRow.lease_until < now,
                UpdateInboxRow.bot_id == bot_id,
            )
            .order_by(UpdateInboxRow.lease_until)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        taken = rows.all()
        if not taken:
            return []
        await self.s.execute(
            update(UpdateInboxRow)
            .where(
                UpdateInboxRow.bot_id == bot_id,
                UpdateInboxRow.update_id.in_([row.update_id for row in taken]),
            )
            .values(lease_until=lease_until, replayed=UpdateInboxRow.replayed + 1)
        )
        return [dict(row.payload) for row in taken]

    async def unrecorded(
        self, received_before: datetime, limit: int
    ) -> list[tuple[int, dict[str, Any]]]:
        """(bot id, raw update) of handled payment updates whose payment is still not
        recorded, oldest first."""
        rows = await self.s.scalars(
            select(UpdateInboxRow)
            .where(
                UpdateInboxRow.telegram_charge_id.is_not(None),
                UpdateInboxRow.done_at.is_not(None),
                ~_recorded(),
                UpdateInboxRow.received_at < received_before,
            )
            .order_by(UpdateInboxRow.received_at, UpdateInboxRow.update_id)
            .limit(limit)
        )
        return [(row.bot_id, dict(row.payload)) for row in rows.all()]

    async def mark_replayed(self, keys: Sequence[tuple[int, int]]) -> None:
        """Count a replay of each (bot id, update id) (for the log and for operators)."""
        for bot_id, update_id in keys:
            await self.s.execute(
                update(UpdateInboxRow)
                .where(UpdateInboxRow.bot_id == bot_id, UpdateInboxRow.update_id == update_id)
                .values(replayed=UpdateInboxRow.replayed + 1)
            )

    async def forget_recorded(self) -> int:
        """Drop handled payment rows whose payment is recorded; returns how many."""
        result = await self.s.execute(
            delete(UpdateInboxRow).where(
                UpdateInboxRow.telegram_charge_id.is_not(None),
                UpdateInboxRow.done_at.is_not(None),
                _recorded(),
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
