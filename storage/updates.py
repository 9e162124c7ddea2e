"""Every update takes effect once.

Telegram delivers an update at least once: a webhook retried, a process restarted before the
getUpdates offset moved, a client sending twice. The bot handles each update in its own task;
the adapter marks that task with `handling(bot_id, update_id)` (bot/shared/updates.py).

- The first transaction opened under the mark, read-only or not, looks for the update's row
  in `handled_updates`: found, an earlier delivery committed its effect, and
  `UpdateAlreadyHandled` stops the handling before it can answer from the state the first
  delivery left (a replayed name read as a bad phone number).
- The first write transaction inserts (bot_id, update_id) before doing anything else, in that
  same transaction, so the row commits with the update's first change or not at all. The
  unique key settles two deliveries in flight at once: the second one's INSERT conflicts.
- Later write transactions of the same handling go ahead (it owns the row). Work that is the
  same however often it runs (recording who is talking) opts out with `unclaimed()`, so the
  row lands in the transaction that holds the update's effect.

Read-only handling writes nothing and is harmless to replay. Jobs run outside any update.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import dialect_insert
from storage.tables.inbox import HandledUpdateRow

HANDLED_UPDATES_KEPT = timedelta(days=2)  # Telegram keeps an unconfirmed update for 24 hours


class UpdateAlreadyHandled(BaseException):
    """This update's effect was committed by an earlier delivery; stop handling it.

    A BaseException, like CancelledError: it is control flow, and no `except Exception` in a
    handler or a use case (a retry loop, a "tell the user" fallback) may swallow it. The
    application (bot/shared/updates.py) catches it around the whole update."""

    def __init__(self, bot_id: int, update_id: int) -> None:
        super().__init__(f"update {update_id} of bot {bot_id} was handled before")
        self.bot_id = bot_id
        self.update_id = update_id


@dataclass
class UpdateClaim:
    """The update the current task is handling, and whether its row is committed."""

    bot_id: int
    update_id: int
    owned: bool = False
    paused: int = 0
    checked: bool = False


_current: ContextVar[UpdateClaim | None] = ContextVar("orderbot_update", default=None)


def current_claim() -> UpdateClaim | None:
    """The update being handled in this task that still needs its row, if any."""
    claim = _current.get()
    if claim is None or claim.owned or claim.paused:
        return None
    return claim


def update_to_check() -> UpdateClaim | None:
    """The update being handled in this task, if no transaction has looked for its row yet."""
    claim = _current.get()
    if claim is None or claim.owned or claim.checked:
        return None
    return claim


# Every update runs one of these two statements; each is built once (per dialect for the
# INSERT), since building it cost more than running it (issue 13).
_HANDLED = HandledUpdateRow.__table__
_WAS_HANDLED = select(_HANDLED.c.update_id).where(
    _HANDLED.c.bot_id == bindparam("bot_id"), _HANDLED.c.update_id == bindparam("update_id")
)
_CLAIMS: dict[str, Any] = {}


async def was_handled(session: AsyncSession, claim: UpdateClaim) -> bool:
    """Whether an earlier delivery of the update committed its effect."""
    found = await session.scalar(
        _WAS_HANDLED, {"bot_id": claim.bot_id, "update_id": claim.update_id}
    )
    return found is not None


@contextlib.contextmanager
def handling(bot_id: int, update_id: int) -> Iterator[UpdateClaim]:
    """Mark the current task (and the tasks it starts) as handling this update."""
    claim = UpdateClaim(bot_id, update_id)
    token = _current.set(claim)
    try:
        yield claim
    finally:
        _current.reset(token)


@contextlib.contextmanager
def unclaimed() -> Iterator[None]:
    """Write transactions in this block do not claim the update (idempotent work only)."""
    claim = _current.get()
    if claim is None:
        yield
        return
    claim.paused += 1
    try:
        yield
    finally:
        claim.paused -= 1


@contextlib.contextmanager
def outside_any_update() -> Iterator[None]:
    """Work started from a handler that is not part of it (a job woken by a commit)."""
    token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(token)


async def claim_update(session: AsyncSession, claim: UpdateClaim, at: datetime) -> bool:
    """Insert the update's row in the session's transaction; False if it was there already."""
    dialect = session.get_bind().dialect.name
    statement = _CLAIMS.get(dialect)
    if statement is None:
        statement = _CLAIMS[dialect] = (
            dialect_insert(session)(_HANDLED)
            .values(
                bot_id=bindparam("bot_id"),
                update_id=bindparam("update_id"),
                handled_at=bindparam("handled_at"),
            )
            .on_conflict_do_nothing(index_elements=["bot_id", "update_id"])
        )
    result = await session.execute(
        statement, {"bot_id": claim.bot_id, "update_id": claim.update_id, "handled_at": at}
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def forget_handled_before(session: AsyncSession, before: datetime) -> int:
    """Drop the rows of updates handled before `before` (Telegram no longer redelivers them)."""
    result = await session.execute(
        delete(HandledUpdateRow).where(HandledUpdateRow.handled_at < before)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
