"""Tracking a parcel after it ships: checkpoints from the carrier (polled through a
`CarrierTracker`) or posted by the merchant (`/track`), each stored once and pushed to the
customer once; a delivered checkpoint marks the order delivered.

The carrier adapters do I/O, so they live outside the domain (jobs/tracking.py); the data and
ports are in domain/tracking_records.py."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order
from domain.orders.transitions import OrderFlow
from domain.shared.audit import Target, record
from domain.shared.clock import Clock
from domain.shared.customers import Language
from domain.shared.errors import IllegalTransitionError, NotFoundError
from domain.shared.journal import in_words
from domain.shared.notifications import Notification
from domain.shared.numbers import normalize_order_number
from domain.shipping.carriers import Shipment
from domain.shipping.tracking_records import (
    KEY_MAX,
    STATUS_TEXT,
    CarrierTracker,
    Checkpoint,
    PollResult,
    StoredCheckpoint,
    TrackedShipment,
    TrackingFailure,
    TrackingState,
    TrackingStatus,
    clip_message,
)

if TYPE_CHECKING:
    from domain.shared.ports import UnitOfWorkFactory
    from domain.shipping.ports import ShippingUnitOfWork

log = logging.getLogger(__name__)

TRACKING_ACTOR = "system:tracking"
PUSH_TEMPLATE = "track.push"
DELIVERED_TEMPLATE = "track.push_delivered"


@dataclass(frozen=True)
class TrackingConfig:
    """How the tracking job polls."""

    poll_every: timedelta = timedelta(minutes=30)
    batch_size: int = 50
    lease: timedelta = timedelta(minutes=5)
    max_backoff: timedelta = timedelta(hours=24)
    max_batches: int = 20  # per run; the rest waits for the next run


@dataclass
class TrackingStats:
    """What one poll run did."""

    polled: int = 0
    checkpoints: int = 0
    delivered: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return in_words(
            (self.polled, "shipments polled"),
            (self.checkpoints, "new checkpoints"),
            (self.delivered, "delivered"),
            (self.failed, "failed"),
        )

    def __bool__(self) -> bool:  # whether the run did something worth a log line
        return self.polled > 0


@dataclass
class Posted:
    """A checkpoint the merchant posted: whether it was new, and whether it delivered the
    order."""

    order: Order
    checkpoint: Checkpoint
    added: bool
    delivered: bool


@dataclass
class TrackingHistory:
    """An order and its checkpoints (and, for the customer's screen, its shipments)."""

    order: Order
    checkpoints: list[StoredCheckpoint] = field(default_factory=list)
    shipments: list[Shipment] = field(default_factory=list)


def push_details(checkpoint: Checkpoint) -> str:
    """The optional second line of a push: where, and what the carrier said."""
    parts = [p for p in (checkpoint.location, checkpoint.message) if p]
    return "\n📍 " + " — ".join(parts) if parts else ""


class Tracking:
    """The tracking use cases: poll what is due, post a checkpoint, show an order's history."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[ShippingUnitOfWork],
        clock: Clock,
        tracker: CarrierTracker,
        config: TrackingConfig | None = None,
        *,
        flow: OrderFlow,
    ) -> None:
        self._uow = uow
        self._flow = flow
        self._clock = clock
        self.tracker = tracker
        self.config = config or TrackingConfig()

    def backoff(self, streak: int) -> timedelta:
        """How long to wait before the next poll after `streak` troubled polls in a row."""
        wait = self.config.poll_every * (2 ** min(max(streak, 0), 12))
        return min(wait, max(self.config.max_backoff, self.config.poll_every))

    # -- polling -------------------------------------------------------------------------

    async def poll_due(self) -> TrackingStats:
        """Poll the carrier for every shipment due, in batches; store and push what is new."""
        stats = TrackingStats()
        if not self.tracker.polls:
            return stats
        for _ in range(self.config.max_batches):
            now = self._clock.now()
            async with self._uow() as uow:
                batch = await uow.tracking.claim_due(
                    now, self.config.batch_size, self.config.lease.total_seconds()
                )
                await uow.commit()
            if not batch:
                break
            try:
                results = await self.tracker.poll(batch)
            except Exception as exc:  # an adapter bug must not stop tracking for good
                log.exception("tracking: %s failed for %d shipments", self.tracker.name, len(batch))
                results = {
                    s.shipment_id: TrackingFailure(f"{type(exc).__name__}: {exc}") for s in batch
                }
            for shipment in batch:
                result = results.get(shipment.shipment_id) or TrackingFailure("no answer")
                await self._apply(shipment, result, stats)
            if len(batch) < self.config.batch_size:
                break
        return stats

    async def _apply(
        self, shipment: TrackedShipment, result: PollResult, stats: TrackingStats
    ) -> None:
        """One shipment's answer, in one transaction: new checkpoints, pushes, delivery, and
        when to ask again."""
        now = self._clock.now()
        stats.polled += 1
        state = TrackingState(
            shipment.shipment_id,
            status=shipment.status,
            streak=shipment.streak,
            last_polled_at=now,
            polled=True,
        )
        if isinstance(result, TrackingFailure):
            stats.failed += 1
            state.streak += 1
            state.last_error = result.error[:1000]
            state.next_poll_at = now + self.backoff(state.streak)
            log.warning(
                "tracking %s %s (order %s): %s; next poll %s",
                shipment.carrier_code,
                shipment.tracking_number,
                shipment.order_number,
                result.error,
                state.next_poll_at.isoformat(),
            )
            async with self._uow() as uow:
                await uow.tracking.save_state(state, now)
                await uow.commit()
            return
        async with self._uow() as uow:
            added, delivered = await self._record(
                uow, shipment, result.checkpoints, source=self.tracker.name, actor=TRACKING_ACTOR
            )
            latest = result.status or _latest(result.checkpoints) or shipment.status
            state.status = latest
            trouble = latest in (TrackingStatus.EXCEPTION, TrackingStatus.DELIVERY_ATTEMPTED)
            state.streak = shipment.streak + 1 if trouble else 0
            state.next_poll_at = (
                None if latest == TrackingStatus.DELIVERED else now + self.backoff(state.streak)
            )
            await uow.tracking.save_state(state, now)
            await uow.commit()
        stats.checkpoints += added
        stats.delivered += int(delivered)

    async def _record(
        self,
        uow: ShippingUnitOfWork,
        shipment: TrackedShipment,
        checkpoints: Sequence[Checkpoint],
        *,
        source: str,
        actor: str,
    ) -> tuple[int, bool]:
        """Store the checkpoints not seen before, push each to the customer, and mark the order
        delivered when one says so. Returns (new checkpoints, whether it was delivered now)."""
        now = self._clock.now()
        order = await uow.orders.get(shipment.order_id)
        if order is None:
            return 0, False
        customer = await uow.customers.get(order.customer_id)
        language = customer.effective_language if customer else Language.EN
        added = 0
        for checkpoint in sorted(checkpoints, key=lambda c: (c.at, c.key)):
            if not await uow.tracking.add_checkpoint(
                shipment.shipment_id, order.id or 0, checkpoint, source=source, actor=actor, at=now
            ):
                continue  # seen before: stored and pushed the first time
            added += 1
            delivered = checkpoint.status == TrackingStatus.DELIVERED
            await uow.outbox.add(
                Notification(
                    chat_id=order.customer_id,
                    template=DELIVERED_TEMPLATE if delivered else PUSH_TEMPLATE,
                    params={
                        "number": order.number,
                        "code": checkpoint.status.value,
                        "status": {"$text": STATUS_TEXT[checkpoint.status]},
                        "carrier": shipment.carrier_name,
                        "tracking": shipment.tracking_number,
                        "details": push_details(checkpoint),
                    },
                    language=language,
                    dedupe_key=f"track:{shipment.shipment_id}:{checkpoint.key}"[:128],
                ),
                now,
            )
        delivered_now = False
        if order.status == OrderStatus.SHIPPED and any(
            c.status == TrackingStatus.DELIVERED for c in checkpoints
        ):
            try:
                await self._flow.step(
                    uow,
                    order,
                    "deliver",
                    actor=actor,
                    at=now,
                    params={"carrier": shipment.carrier_code, "tracking": shipment.tracking_number},
                )
                delivered_now = True
            except IllegalTransitionError:
                pass  # delivered (or closed) by someone else a moment ago
        return added, delivered_now

    # -- the merchant's checkpoints --------------------------------------------------------

    @staticmethod
    async def _load(uow: ShippingUnitOfWork, number: str) -> Order:
        normalized = normalize_order_number(number)
        order = await uow.orders.get_by_number(normalized) if normalized else None
        if order is None:
            raise NotFoundError()
        return order

    async def post(
        self,
        actor: str,
        number: str,
        status: TrackingStatus,
        note: str | None,
        key: str,
    ) -> Posted:
        """Record a checkpoint the merchant typed (`key` makes a replayed command count once);
        the customer is told, and `delivered` marks the order delivered."""
        now = self._clock.now()
        checkpoint = Checkpoint(
            key=f"manual:{key}"[:KEY_MAX], status=status, at=now, message=clip_message(note)
        )
        async with self._uow() as uow:
            order = await self._load(uow, number)
            if order.status not in (OrderStatus.SHIPPED, OrderStatus.DELIVERED):
                raise IllegalTransitionError(
                    "track.error.not_shipped", number=order.number, status=str(order.status)
                )
            assert order.id is not None
            shipment = await uow.tracking.latest_shipment(order.id)
            if shipment is None:
                raise IllegalTransitionError(
                    "track.error.not_shipped", number=order.number, status=str(order.status)
                )
            added, delivered = await self._record(
                uow, shipment, [checkpoint], source="manual", actor=actor
            )
            if added:
                done = status == TrackingStatus.DELIVERED
                await uow.tracking.save_state(
                    TrackingState(
                        shipment.shipment_id,
                        status=status,
                        streak=shipment.streak,
                        next_poll_at=None if done else now + self.backoff(shipment.streak),
                    ),
                    now,
                )
                await record(
                    uow,
                    actor,
                    "order_track",
                    Target(order_id=order.id, customer_id=order.customer_id),
                    {"number": order.number, "status": status.value},
                    at=now,
                )
            await uow.commit()
            order = await uow.orders.get(order.id) or order
        return Posted(order, checkpoint, bool(added), delivered)

    async def history(self, number: str) -> TrackingHistory:
        """An order with its checkpoints so far."""
        async with self._uow(readonly=True) as uow:
            order = await self._load(uow, number)
            assert order.id is not None
            return TrackingHistory(order, await uow.tracking.checkpoints(order.id))

    async def delivery_of(self, order: Order) -> TrackingHistory:
        """An order's shipments (carrier, tracking number, link) and checkpoints, for the
        customer's order screen; empty before it ships."""
        assert order.id is not None
        async with self._uow(readonly=True) as uow:
            shipments = (await uow.shipments.for_orders([order.id])).get(order.id, [])
            if not shipments:
                return TrackingHistory(order)
            return TrackingHistory(order, await uow.tracking.checkpoints(order.id), shipments)


def _latest(checkpoints: Sequence[Checkpoint]) -> TrackingStatus | None:
    if not checkpoints:
        return None
    return max(checkpoints, key=lambda c: (c.at, c.key)).status
