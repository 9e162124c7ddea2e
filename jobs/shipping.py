"""Carrier polling for tracking updates, on a timer."""

from __future__ import annotations

from domain.shipping.tracking import Tracking, TrackingStats

TRACKING_JOB = "tracking"


class TrackingPoll:
    """Polls the carrier for shipments due, then logs what changed."""

    def __init__(self, tracking: Tracking) -> None:
        self.tracking = tracking

    async def run_once(self) -> TrackingStats:
        """One poll over every shipment due."""
        return await self.tracking.poll_due()  # logged by the run (jobs/runs.py)
