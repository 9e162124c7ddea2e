"""The sweeps on a timer: tracking polls, auto-completion of delivered orders, and the daily
low-stock report. Each is a use case called by the scheduler; each finds its work by a query
(time is data), so a restart forgets nothing and two runners at once do no harm."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.merchant.stock_report import LowStockReport
from domain.orders.completion import Completion, CompletionStats
from domain.shared.clock import Clock
from domain.shipping.tracking import Tracking, TrackingStats
from jobs.runs import JobRunLog, Skipped

log = logging.getLogger(__name__)

TRACKING_JOB = "tracking"
AUTO_COMPLETE_JOB = "auto_complete"
LOW_STOCK_JOB = "low_stock"
AUTO_COMPLETE_EVERY = timedelta(minutes=15)
LOW_STOCK_CHECK_EVERY = timedelta(minutes=10)


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


class AutoComplete:
    """Completes delivered orders once their time is up."""

    def __init__(self, completion: Completion) -> None:
        self.completion = completion

    async def run_once(self) -> CompletionStats:
        """One sweep."""
        stats = await self.completion.auto_complete_due()
        if stats.completed:
            log.info("auto-complete: %s", stats)
        return stats


class DailyLowStock:
    """The low-stock report, once a day at `at` in the shop's time zone.

    Checked every few minutes rather than fired by a timer held in memory: it is due when the
    local time has passed today's report time and no successful run has started since then, so
    a bot that was down at that moment sends the report when it comes back. The outbox dedupe
    key (one per local date) makes a second report the same day impossible anyway."""

    def __init__(
        self,
        report: LowStockReport,
        runs: JobRunLog | None,
        clock: Clock,
        at: time,
        timezone: str,
    ) -> None:
        self.report = report
        self.runs = runs
        self.clock = clock
        self.at = at
        self.zone = ZoneInfo(timezone)

    def report_time(self, now: datetime) -> datetime:
        """Today's report time (in the shop's zone) as an aware datetime."""
        local = now.astimezone(self.zone)
        return datetime.combine(local.date(), self.at, tzinfo=self.zone)

    async def run_once(self) -> object:
        """Queue today's report if it is due."""
        now = self.clock.now()
        due_at = self.report_time(now)
        if now < due_at:
            return Skipped(f"not before {self.at.strftime('%H:%M')}")
        if self.runs is not None:
            last = await self.runs.last_ok_start(LOW_STOCK_JOB)
            if last is not None and last >= due_at:
                return Skipped("already reported today")
        day = due_at.date().isoformat()
        listed = await self.report.queue(day)
        return f"{day}: {listed} products low"
