"""Broadcasts (issue 16): what the merchant sent, to whom, and how each delivery went; and the
repository that keeps them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from domain.insight.rfm import Segment
from domain.shared.customers import Language

ALL_CUSTOMERS = "all"
# Who a broadcast may go to: every customer, or one RFM segment (domain/insight/rfm.py).
AUDIENCES: tuple[str, ...] = (ALL_CUSTOMERS, *(s.value for s in Segment))
BROADCAST_TEMPLATE = "mkt.broadcast"
DONE_TEMPLATE = "mkt.adm.done"
# Telegram's limits on what the broadcast may say (visible characters).
TEXT_MAX = 4096
CAPTION_MAX = 1024


class BroadcastStatus(StrEnum):
    """Where a broadcast is."""

    FANNING_OUT = "fanning_out"  # queueing its messages to recipients, batch by batch
    DELIVERING = "delivering"  # all queued; the outbox is sending them
    DONE = "done"  # every queued message sent, failed or blocked; the summary went out


class Outcome(StrEnum):
    """What became of one recipient's message."""

    QUEUED = "queued"  # in the outbox
    SENT = "sent"
    FAILED = "failed"  # Telegram refused it for good
    BLOCKED = "blocked"  # the customer blocked the bot (403, now or before)
    SKIPPED = "skipped"  # the customer turned optional messages off (/notifications)


@dataclass
class Broadcast:
    """A message to all customers or a segment, with its delivery counts."""

    audience: str
    text_html: str
    photo_file_id: str | None
    product_id: int | None
    language: Language | None  # the admin's, for the summary; None: the admin chat's
    created_by: int
    created_at: datetime
    id: int | None = None
    status: BroadcastStatus = BroadcastStatus.FANNING_OUT
    audience_count: int = 0  # as the preview said
    cursor: int = 0  # the last customer id the fan-out has done
    fanned_out_at: datetime | None = None
    finished_at: datetime | None = None
    queued: int = 0  # recipients owed an outcome: sent, failed or blocked (not skipped)
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    skipped: int = 0
    card_chat_id: int | None = None  # the merchant's card of it, kept up to date
    card_message_id: int | None = None

    @property
    def pending(self) -> int:
        """Queued messages without an outcome yet."""
        return max(self.queued - self.sent - self.failed - self.blocked, 0)


@dataclass(frozen=True)
class Recipient:
    """A customer as the fan-out sees them."""

    customer_id: int
    language: Language
    optional_messages: bool
    reachable: bool


class BroadcastRepository(Protocol):
    async def add(self, broadcast: Broadcast) -> int: ...
    async def get(self, broadcast_id: int) -> Broadcast | None: ...
    async def set_card(self, broadcast_id: int, chat_id: int, message_id: int) -> None:
        """Where the merchant's card of the broadcast is (the job keeps it up to date)."""

    async def recent(self, limit: int) -> list[Broadcast]:
        """The newest first."""

    async def unfinished(self) -> list[Broadcast]:
        """Broadcasts not done yet, oldest first."""

    async def customer_count(self) -> int:
        """Every customer the shop knows (the audience "all")."""

    async def customer_ids_after(self, cursor: int, limit: int) -> list[int]:
        """Customer ids above `cursor`, ascending, at most `limit`."""

    async def recipients(self, customer_ids: Sequence[int]) -> list[Recipient]:
        """Those of `customer_ids` the shop knows, ascending by id."""

    async def add_recipients(self, broadcast_id: int, outcomes: Mapping[int, Outcome]) -> set[int]:
        """Record the recipients (customer id -> first outcome); returns the ids that were new
        (a recipient recorded before keeps its row and is not returned)."""

    async def advance(
        self,
        broadcast_id: int,
        cursor_from: int,
        cursor_to: int,
        counts: Mapping[Outcome, int],
        fanned_out_at: datetime | None,
    ) -> bool:
        """Move the fan-out's cursor from `cursor_from` (compare-and-set: False if another run
        moved it) and add `counts`; with `fanned_out_at`, the fan-out is over (delivering)."""

    async def record_outcome(self, broadcast_id: int, customer_id: int, outcome: Outcome) -> bool:
        """A queued recipient's outcome, and its count; False (nothing changes) unless the
        recipient was still queued."""

    async def settle_stalled(self, broadcast_id: int, at: datetime) -> dict[Outcome, int]:
        """Recipients still queued whose message will never report an outcome: its outbox row
        was given up or deleted elsewhere (a customer's erasure, retention) -> failed; sent
        without being counted -> sent; still owed to a customer who is unreachable now (they
        blocked the bot after the fan-out; the outbox holds, never sends, such rows) -> blocked,
        the row given up. Counted; returns how many of each."""

    async def finish(self, broadcast_id: int, at: datetime) -> bool:
        """Done, if the fan-out is over and nothing queued is pending; True only for the call
        that finished it."""

    async def forget_recipients(self, finished_before: datetime, limit: int) -> int:
        """Retention: delete at most `limit` recipient rows of broadcasts finished before
        `finished_before` (their counts stay on the broadcast); how many were deleted."""
