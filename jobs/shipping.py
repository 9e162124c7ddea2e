"""Carrier polling for tracking updates, on a timer."""

from __future__ import annotations

import logging

from domain.shipping.tracking import Tracking, TrackingStats

log = logging.getLogger(__name__)

TRACKING_JOB = "tracking"


class TrackingPoll:
    """Polls the carrier for shipments due, then logs what changed."""

    def __init__(self, tracking: Tracking) -> None:
        self.tracking = tracking

    async def run_once(self) -> TrackingStats:
        """One poll over every shipment due."""
        stats = await self.tracking.poll_due()
        if stats.polled:
            log.info("tracking: %s", stats)
        return stats
