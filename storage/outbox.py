"""The transactional outbox: notifications written with their cause, delivered by a job."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Table,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from domain.shared.customers import Language, has_chat
from domain.shared.notifications import Notification
from storage.base import dialect_insert
from storage.leader import OUTBOX_CHANNEL
from storage.tables.customers import CustomerRow
from storage.tables.outbox import OutboxRow

# PostgreSQL: wakes the jobs runner's LISTEN (storage/leader.py), which may be another process.
# A NOTIFY is delivered when, and only if, its transaction commits, wherever in it it was sent.
_NOTIFY_OUTBOX = text(f"SELECT pg_notify('{OUTBOX_CHANNEL}', '')")

# The outbox job's statements, built once: it claims at least twice per run, and building the
# claim query (two EXISTS and an alias) cost SQLAlchemy more than running it (1.9 ms against
# 0.8 ms of CPU per claim on SQLite, issue 13). Core rows, not ORM objects, for the same reason.
_OUTBOX = cast(Table, OutboxRow.__table__)
_CUSTOMERS = cast(Table, CustomerRow.__table__)
_EARLIER = _OUTBOX.alias("earlier")
# Queueing a notification, per dialect (a row without a dedupe key never conflicts: NULLs are
# distinct in a unique index on both databases).
_ADD: dict[str, Any] = {}


def _claimable() -> list[Any]:
    """Due at :now, free, the oldest pending row of its chat, and for a reachable chat."""
    now = bindparam("now", type_=_OUTBOX.c.next_attempt_at.type)
    blocked = exists().where(
        _EARLIER.c.chat_id == _OUTBOX.c.chat_id,
        _EARLIER.c.id < _OUTBOX.c.id,
        _EARLIER.c.sent_at.is_(None),
        _EARLIER.c.failed_at.is_(None),
    )
    unreachable = exists().where(
        _CUSTOMERS.c.id == _OUTBOX.c.chat_id, _CUSTOMERS.c.reachable.is_(False)
    )
    return [
        _OUTBOX.c.sent_at.is_(None),
        _OUTBOX.c.failed_at.is_(None),
        _OUTBOX.c.next_attempt_at <= now,
        or_(_OUTBOX.c.claimed_until.is_(None), _OUTBOX.c.claimed_until < now),
        ~blocked,
        ~unreachable,
    ]


def _claim(*skip: Any) -> Any:
    return (
        select(_OUTBOX.c.id)
        .where(*_claimable(), *skip)
        .order_by(_OUTBOX.c.id)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True, of=_OUTBOX)
    )


_CLAIM = _claim()
# Chats with a message in flight or over their pace are skipped (their later rows wait).
_CLAIM_SKIP = _claim(_OUTBOX.c.chat_id.not_in(bindparam("skip", expanding=True)))
_TAKE = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id.in_(bindparam("ids", expanding=True)), *_claimable())
    .values(
        claimed_until=bindparam("lease", type_=_OUTBOX.c.claimed_until.type),
        attempts=_OUTBOX.c.attempts + 1,
    )
    .returning(
        _OUTBOX.c.id,
        _OUTBOX.c.chat_id,
        _OUTBOX.c.template,
        _OUTBOX.c.params,
        _OUTBOX.c.language,
        _OUTBOX.c.buttons,
        _OUTBOX.c.dedupe_key,
        _OUTBOX.c.attempts,
    )
)
_WAITING = (
    select(_OUTBOX.c.chat_id)
    .where(*_claimable(), _OUTBOX.c.chat_id.in_(bindparam("chats", expanding=True)))
    .distinct()
)
_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("row"))
    .values(
        sent_at=bindparam("at", type_=_OUTBOX.c.sent_at.type), claimed_until=None, last_error=None
    )
)
_RELEASE_ALL = (
    update(_OUTBOX)
    .where(
        _OUTBOX.c.sent_at.is_(None),
        _OUTBOX.c.failed_at.is_(None),
        _OUTBOX.c.claimed_until.is_not(None),
    )
    .values(claimed_until=None)
)


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
        dialect = self.s.get_bind().dialect.name
        statement = _ADD.get(dialect)
        if statement is None:
            statement = _ADD[dialect] = dialect_insert(self.s)(_OUTBOX).on_conflict_do_nothing(
                index_elements=["dedupe_key"]
            )
        result = await self.s.execute(statement, values)
        queued = int(result.rowcount or 0)  # type: ignore[attr-defined]
        if queued and not self.added and self.s.get_bind().dialect.name == "postgresql":
            # Sent with the transaction's first notification rather than at its commit: a
            # Confirm queues the admin's alert before it reserves the units, and on PostgreSQL
            # every round trip after the reservation keeps the product's row locked while the
            # flash sale's other orders wait for it (issue 13).
            await self.s.execute(_NOTIFY_OUTBOX)
        self.added += queued

    async def claim_due(
        self,
        now: datetime,
        limit: int,
        lease_seconds: float,
        *,
        exclude_chats: Collection[int] = (),
    ) -> list[Notification]:
        # SKIP LOCKED (PostgreSQL; SQLite's writers take turns anyway): two runners claiming at
        # once take different rows instead of the second waiting and finding none.
        params: dict[str, Any] = {"now": now, "limit": limit}
        if exclude_chats:
            params["skip"] = list(exclude_chats)
        ids = list(await self.s.scalars(_CLAIM_SKIP if exclude_chats else _CLAIM, params))
        if not ids:
            return []
        # One UPDATE that checks again and says which rows it took: of two runners claiming at
        # once, each gets only the rows its own statement changed.
        lease = now + timedelta(seconds=lease_seconds)
        result = await self.s.execute(_TAKE, {"ids": ids, "now": now, "lease": lease})
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
            for r in sorted(result.all(), key=lambda r: r.id)
        ]

    async def waiting_chats(self, now: datetime, chat_ids: Collection[int]) -> set[int]:
        if not chat_ids:
            return set()
        found = await self.s.scalars(_WAITING, {"now": now, "chats": list(chat_ids)})
        return set(found.all())

    async def mark_sent(self, notification_id: int, at: datetime) -> None:
        await self.s.execute(_SENT, {"row": notification_id, "at": at})

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
        result = await self.s.execute(_RELEASE_ALL)
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
