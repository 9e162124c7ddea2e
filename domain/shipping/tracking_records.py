"""Tracking data: the statuses a parcel can be in, checkpoints, the carrier port
(`CarrierTracker`) and the repository port. Plain data, no I/O; the use cases are in
domain/tracking.py and the carrier adapters in jobs/tracking.py."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from domain.shared.errors import InvalidInputError

LOCATION_MAX, MESSAGE_MAX, KEY_MAX = 200, 500, 64


class TrackingStatus(StrEnum):
    """Where a parcel is, in the words we show customers (carriers' statuses map to these)."""

    INFO_RECEIVED = "info_received"  # the carrier has the shipment's data, not the parcel yet
    IN_TRANSIT = "in_transit"
    OUT_FOR_DELIVERY = "out_for_delivery"
    AVAILABLE_FOR_PICKUP = "available_for_pickup"  # waiting at a pickup point
    DELIVERY_ATTEMPTED = "delivery_attempted"  # the courier came and could not deliver
    DELIVERED = "delivered"
    EXCEPTION = "exception"  # held, damaged, returned, lost: needs attention


# The text of each status (literal keys, so the catalogs are checked for every one).
STATUS_TEXT = {
    TrackingStatus.INFO_RECEIVED: "track.status.info_received",
    TrackingStatus.IN_TRANSIT: "track.status.in_transit",
    TrackingStatus.OUT_FOR_DELIVERY: "track.status.out_for_delivery",
    TrackingStatus.AVAILABLE_FOR_PICKUP: "track.status.available_for_pickup",
    TrackingStatus.DELIVERY_ATTEMPTED: "track.status.delivery_attempted",
    TrackingStatus.DELIVERED: "track.status.delivered",
    TrackingStatus.EXCEPTION: "track.status.exception",
}

# Words the merchant may type after /track (besides the statuses themselves).
_WORDS = {
    "info": TrackingStatus.INFO_RECEIVED,
    "received": TrackingStatus.INFO_RECEIVED,
    "transit": TrackingStatus.IN_TRANSIT,
    "out": TrackingStatus.OUT_FOR_DELIVERY,
    "ofd": TrackingStatus.OUT_FOR_DELIVERY,
    "pickup": TrackingStatus.AVAILABLE_FOR_PICKUP,
    "attempt": TrackingStatus.DELIVERY_ATTEMPTED,
    "attempted": TrackingStatus.DELIVERY_ATTEMPTED,
    "failed": TrackingStatus.DELIVERY_ATTEMPTED,
    "delivered": TrackingStatus.DELIVERED,
    "exception": TrackingStatus.EXCEPTION,
    "problem": TrackingStatus.EXCEPTION,
}


def parse_status(word: str) -> TrackingStatus:
    """A status from what the merchant typed (`transit`, `in-transit`, `out_for_delivery`...),
    or InvalidInputError."""
    cleaned = re.sub(r"[\s-]+", "_", (word or "").strip().lower())
    try:
        return TrackingStatus(cleaned)
    except ValueError:
        pass
    found = _WORDS.get(cleaned)
    if found is None:
        raise InvalidInputError("track.error.status", word=word[:32])
    return found


@dataclass(frozen=True)
class Checkpoint:
    """One event in a parcel's journey. `key` identifies it within its shipment (the carrier's
    id, or a hash of what the carrier said), so the same checkpoint seen again is recognised."""

    key: str
    status: TrackingStatus
    at: datetime
    location: str = ""
    message: str = ""


@dataclass
class TrackedShipment:
    """A shipment as the tracking job sees it: what to ask the carrier, and how it went."""

    shipment_id: int
    order_id: int
    order_number: str
    carrier_code: str
    carrier_name: str
    tracking_number: str
    shipped_at: datetime
    status: TrackingStatus | None = None
    streak: int = 0


@dataclass(frozen=True)
class TrackingUpdate:
    """What the carrier knows about a shipment: its checkpoints so far (and overall status)."""

    checkpoints: tuple[Checkpoint, ...] = ()
    status: TrackingStatus | None = None


@dataclass(frozen=True)
class TrackingFailure:
    """The carrier could not answer for a shipment this time (`unknown`: it does not know the
    tracking number). Nothing about the shipment changes but its error and next poll."""

    error: str
    unknown: bool = False


PollResult = TrackingUpdate | TrackingFailure


class CarrierTracker(Protocol):
    """A source of checkpoints. `polls` is False for sources that are never asked (checkpoints
    posted by the merchant arrive through `Tracking.post`)."""

    name: str
    polls: bool

    async def poll(self, shipments: Sequence[TrackedShipment]) -> dict[int, PollResult]:
        """Ask about each shipment; the answer by shipment id (missing ids count as failed)."""


@dataclass
class TrackingState:
    """What is kept about a shipment's tracking between polls."""

    shipment_id: int
    status: TrackingStatus | None = None
    streak: int = 0
    last_polled_at: datetime | None = None
    next_poll_at: datetime | None = None
    last_error: str | None = None
    polled: bool = False  # count this as a poll


@dataclass(frozen=True)
class StoredCheckpoint:
    """A checkpoint as recorded: where it came from and when we learnt it."""

    checkpoint: Checkpoint
    shipment_id: int
    source: str
    actor: str
    recorded_at: datetime


class TrackingRepository(Protocol):
    async def claim_due(
        self, now: datetime, limit: int, lease_seconds: float
    ) -> list[TrackedShipment]:
        """Shipments of shipped orders due for a poll (not delivered, next poll time reached),
        oldest due first; each is leased (its next poll moved to now + lease) so no other run
        polls it meanwhile."""

    async def latest_shipment(self, order_id: int) -> TrackedShipment | None: ...
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
        """Store a checkpoint; False (and nothing changes) when its key is already stored."""

    async def save_state(self, state: TrackingState, at: datetime) -> None:
        """Insert or replace the tracking state of a shipment."""

    async def checkpoints(self, order_id: int) -> list[StoredCheckpoint]:
        """The order's checkpoints, oldest first."""


def _clip(text: str | None, limit: int) -> str:
    return " ".join((text or "").split())[:limit]


def clip_location(text: str | None) -> str:
    """A carrier's location text, squeezed and cut to what we keep."""
    return _clip(text, LOCATION_MAX)


def clip_message(text: str | None) -> str:
    """A carrier's message, squeezed and cut to what we keep."""
    return _clip(text, MESSAGE_MAX)
