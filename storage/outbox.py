"""The transactional outbox: notifications written with their cause, delivered by a job."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    delete,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from domain.shared.customers import Language, has_chat
from domain.shared.notifications import Notification
from storage.base import dialect_insert
from storage.leader import OUTBOX_CHANNEL
from storage.tables.customers import CustomerRow
from storage.tables.outbox import OutboxRow

# PostgreSQL: wakes the jobs runner's LISTEN (storage/leader.py), which may be another process.
# A NOTIFY is delivered when, and only if, its transaction commits, wherever in it it was sent.
_NOTIFY_OUTBOX = text(f"SELECT pg_notify('{OUTBOX_CHANNEL}', '')")


class SqlOutboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session
        self.added = 0

    async def add(self, notification: Notification, at: datetime) -> None:
        if not has_chat(notification.chat_id):
            return  # a channel's customer (domain/channels/): no Telegram chat to tell
        values = {
            "chat_id": notification.chat_id,
            "template": notification.template,
            "params": notification.params,
            "language": notification.language.value if notification.language else None,
            "buttons": [[list(b) for b in row] for row in notification.buttons],
            "dedupe_key": notification.dedupe_key,
            "created_at": at,
            "next_attempt_at": at,
            "attempts": 0,
        }
        # A second notification with the same dedupe key is dropped, even when two
        # transactions add it at the same moment (INSERT ... ON CONFLICT DO NOTHING).
        insert = dialect_insert(self.s)
        statement = insert(OutboxRow).values(**values)
        if notification.dedupe_key is not None:
            statement = statement.on_conflict_do_nothing(index_elements=["dedupe_key"])
        result = await self.s.execute(statement)
        queued = int(result.rowcount or 0)  # type: ignore[attr-defined]
        if queued and not self.added and self.s.get_bind().dialect.name == "postgresql":
            # Sent with the transaction's first notification rather than at its commit: a
            # Confirm queues the admin's alert before it reserves the units, and on PostgreSQL
            # every round trip after the reservation keeps the product's row locked while the
            # flash sale's other orders wait for it (issue 13).
            await self.s.execute(_NOTIFY_OUTBOX)
        self.added += queued

    @staticmethod
    def _claimable(now: datetime, exclude_chats: Collection[int] = ()) -> list[Any]:
        """Due, free, the oldest pending row of its chat, and for a reachable chat."""
        earlier = aliased(OutboxRow)
        blocked = exists().where(
            earlier.chat_id == OutboxRow.chat_id,
            earlier.id < OutboxRow.id,
            earlier.sent_at.is_(None),
            earlier.failed_at.is_(None),
        )
        unreachable = exists().where(
            CustomerRow.id == OutboxRow.chat_id, CustomerRow.reachable.is_(False)
        )
        where = [
            OutboxRow.sent_at.is_(None),
            OutboxRow.failed_at.is_(None),
            OutboxRow.next_attempt_at <= now,
            or_(OutboxRow.claimed_until.is_(None), OutboxRow.claimed_until < now),
            ~blocked,
            ~unreachable,
        ]
        if exclude_chats:
            where.append(OutboxRow.chat_id.not_in(list(exclude_chats)))
        return where

    async def claim_due(
        self,
        now: datetime,
        limit: int,
        lease_seconds: float,
        *,
        exclude_chats: Collection[int] = (),
    ) -> list[Notification]:
        claimable = self._claimable(now, exclude_chats)
        # SKIP LOCKED (PostgreSQL; SQLite's writers take turns anyway): two runners claiming at
        # once take different rows instead of the second waiting and finding none.
        ids = list(
            await self.s.scalars(
                select(OutboxRow.id)
                .where(*claimable)
                .order_by(OutboxRow.id)
                .limit(limit)
                .with_for_update(skip_locked=True, of=OutboxRow)
            )
        )
        if not ids:
            return []
        # One UPDATE that checks again and says which rows it took: of two runners claiming at
        # once, each gets only the rows its own statement changed.
        lease = now + timedelta(seconds=lease_seconds)
        result = await self.s.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(ids), *claimable)
            .values(claimed_until=lease, attempts=OutboxRow.attempts + 1)
            .returning(OutboxRow)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        rows = sorted(result.scalars().all(), key=lambda r: r.id)
        return [
            Notification(
                id=r.id,
                chat_id=r.chat_id,
                template=r.template,
                params=dict(r.params or {}),
                language=Language(r.language) if r.language else None,
                buttons=[[(b[0], b[1]) for b in row] for row in (r.buttons or [])],
                dedupe_key=r.dedupe_key,
                attempts=r.attempts,
            )
            for r in rows
        ]

    async def waiting_chats(self, now: datetime, chat_ids: Collection[int]) -> set[int]:
        if not chat_ids:
            return set()
        found = await self.s.scalars(
            select(OutboxRow.chat_id)
            .where(*self._claimable(now), OutboxRow.chat_id.in_(list(chat_ids)))
            .distinct()
        )
        return set(found.all())

    async def mark_sent(self, notification_id: int, at: datetime) -> None:
        await self.s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == notification_id)
            .values(sent_at=at, claimed_until=None, last_error=None)
        )

    async def retry_later(
        self, notification_id: int, error: str, at: datetime, *, counted: bool = True
    ) -> None:
        attempts = OutboxRow.attempts if counted else OutboxRow.attempts - 1
        await self.s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == notification_id)
            .values(
                next_attempt_at=at, claimed_until=None, last_error=error[:1000], attempts=attempts
            )
        )

    async def give_up(self, notification_id: int, error: str, at: datetime) -> None:
        await self.s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == notification_id)
            .values(failed_at=at, claimed_until=None, last_error=error[:1000])
        )

    async def hold(self, notification_id: int, error: str) -> None:
        await self.s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == notification_id)
            .values(claimed_until=None, last_error=error[:1000], attempts=OutboxRow.attempts - 1)
        )

    async def release_all_claims(self) -> int:
        result = await self.s.execute(
            update(OutboxRow)
            .where(
                OutboxRow.sent_at.is_(None),
                OutboxRow.failed_at.is_(None),
                OutboxRow.claimed_until.is_not(None),
            )
            .values(claimed_until=None)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def release(self, notification_id: int) -> None:
        await self.s.execute(
            update(OutboxRow)
            .where(OutboxRow.id == notification_id, OutboxRow.sent_at.is_(None))
            .values(claimed_until=None, attempts=OutboxRow.attempts - 1)
        )

    async def pending_count(self) -> int:
        total = await self.s.scalar(
            select(func.count())
            .select_from(OutboxRow)
            .where(OutboxRow.sent_at.is_(None), OutboxRow.failed_at.is_(None))
        )
        return int(total or 0)

    async def forget_done(self, sent_before: datetime, failed_before: datetime, limit: int) -> int:
        # ix_outbox_due leads with sent_at, then failed_at: both ranges are index ranges, so a
        # sweep reads the rows it deletes and nothing else.
        old = (
            select(OutboxRow.id)
            .where(
                or_(
                    OutboxRow.sent_at < sent_before,
                    (OutboxRow.sent_at.is_(None)) & (OutboxRow.failed_at < failed_before),
                )
            )
            .limit(limit)
        )
        # One statement: a long IN list of ids made SQLite scan the table instead.
        result = await self.s.execute(
            delete(OutboxRow)
            .where(OutboxRow.id.in_(old.scalar_subquery()))
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
