"""Notifications the shop owes someone, kept in a transactional outbox."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from domain.shared.customers import Language


@dataclass
class Notification:
    """A message the shop owes someone; written in the same transaction as its cause."""

    chat_id: int
    template: str
    params: dict[str, Any] = field(default_factory=dict)
    language: Language | None = None  # None: the admin chat's language
    buttons: list[list[tuple[str, str]]] = field(default_factory=list)  # (text key, callback)
    dedupe_key: str | None = None
    id: int | None = None
    attempts: int = 0


class OutboxRepository(Protocol):
    async def add(self, notification: Notification, at: datetime) -> None: ...
    async def claim_due(
        self,
        now: datetime,
        limit: int,
        lease_seconds: float,
        *,
        exclude_chats: Collection[int] = (),
    ) -> list[Notification]:
        """Take up to `limit` due rows for this runner, oldest first, leased so no other runner
        sends them meanwhile. Per chat only its oldest pending row can be taken (a chat's rows
        go out in order), never for an unreachable customer or a chat in `exclude_chats`."""

    async def waiting_chats(self, now: datetime, chat_ids: Collection[int]) -> set[int]:
        """Those of `chat_ids` whose oldest pending row is due and free (the dispatcher skipped
        them for pacing and asks whether to wait for them)."""

    async def mark_sent(self, notification_id: int, at: datetime) -> None: ...
    async def retry_later(
        self, notification_id: int, error: str, at: datetime, *, counted: bool = True
    ) -> None:
        """Send again at `at`; `counted=False` does not count the attempt (Telegram said to
        wait: a flood limit is not the message's fault)."""

    async def give_up(self, notification_id: int, error: str, at: datetime) -> None: ...
    async def hold(self, notification_id: int, error: str) -> None:
        """Put a claimed row back, uncounted, until its chat is reachable again."""

    async def release_all_claims(self) -> int:
        """Free every unsent row's claim (runners that claimed them are gone); returns how
        many. Only for the one runner that holds the outbox job."""

    async def release(self, notification_id: int) -> None:
        """Put a claimed row back, uncounted (it was not sent: the runner stopped)."""

    async def pending_count(self) -> int: ...
    async def forget_done(self, sent_before: datetime, failed_before: datetime, limit: int) -> int:
        """Delete up to `limit` rows sent before `sent_before` or given up before
        `failed_before` (retention: the table holds what is owed, not the whole history);
        returns how many."""
