"""The daily low-stock report, on a timer."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.merchant.stock_report import LowStockReport
from domain.shared.clock import Clock
from domain.shared.journal import in_words
from jobs.runs import JobRunLog, Skipped

LOW_STOCK_JOB = "low_stock"
LOW_STOCK_CHECK_EVERY = timedelta(minutes=10)


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
        # Recorded either way (the day's run is done); a line in the log only when it listed some.
        return in_words((listed, f"products low on {day}"), idle=f"no product low on {day}")
