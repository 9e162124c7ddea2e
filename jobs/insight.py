"""Insight's summaries on a timer: daily at a set time, weekly on a set weekday at that time.

Checked every few minutes, like the low-stock report: due when the local time has passed
today's summary time and no successful run started since then, so a bot that was down sends
the summary when it comes back; the outbox's dedupe key makes a second one impossible. The
weekly summary's chart is an outbox row of its own, queued with the text and drawn by the
sender (domain/insight/summary.py), so it too goes out once."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.insight.restock import Restocks
from domain.insight.service import Insight
from domain.insight.summary import Summaries
from domain.shared.clock import Clock
from jobs.runs import JobRunLog, Skipped

log = logging.getLogger(__name__)

DAILY_SUMMARY_JOB = "insight_daily"
WEEKLY_SUMMARY_JOB = "insight_weekly"
SUMMARY_CHECK_EVERY = timedelta(minutes=10)


class SummaryJob:
    """One summary at `at` local time: every day, or on `weekday` (0 = Monday) only."""

    def __init__(
        self,
        name: str,
        summaries: Summaries,
        runs: JobRunLog | None,
        clock: Clock,
        at: time,
        timezone: str,
        weekday: int | None = None,
    ) -> None:
        self.name = name
        self.summaries = summaries
        self.runs = runs
        self.clock = clock
        self.at = at
        self.zone = ZoneInfo(timezone)
        self.weekday = weekday

    def due_at(self, now: datetime) -> datetime:
        """Today's summary time in the shop's zone."""
        return datetime.combine(now.astimezone(self.zone).date(), self.at, tzinfo=self.zone)

    async def run_once(self) -> object:
        """Queue the summary if it is due."""
        now = self.clock.now()
        due_at = self.due_at(now)
        if self.weekday is not None and due_at.weekday() != self.weekday:
            return Skipped("not the summary's weekday")
        if now < due_at:
            return Skipped(f"not before {self.at.strftime('%H:%M')}")
        if self.runs is not None:
            last = await self.runs.last_ok_start(self.name)
            if last is not None and last >= due_at:
                return Skipped("already sent")
        today = due_at.date()
        if self.weekday is None:
            report = await self.summaries.queue_daily(today)
        else:
            report = await self.summaries.queue_weekly(today)
        if report is None:
            return Skipped("no admin chat")
        return f"{report.period.first}..{report.period.last}: {report.current.orders} orders"


RESTOCK_JOB = "insight_restock"
RESTOCK_CHECK_EVERY = timedelta(minutes=30)


class RestockCheck:
    """Store every product's reorder point and EOQ (the low-stock alert and report read them
    from the product, so an alert costs no query over the order history) and raise a restock
    request for each product that reached its reorder point (once per product while one is
    active; the database refuses a second). The EOQ's annual demand D is the product's demand
    forecast where it has one: every product is fitted at the first run of a day (in a worker
    thread; the history ends with yesterday, so the day's fits are kept and /stockplan reads
    the same ones)."""

    def __init__(self, insight: Insight, restocks: Restocks) -> None:
        self.insight = insight
        self.restocks = restocks

    async def run_once(self) -> object:
        """Plan every product's stock and raise the requests that are due."""
        plans = await self.insight.stock_plans()
        await self.insight.remember_plans(plans)
        raised = await self.restocks.raise_due(plans)
        return f"{len(raised)} restock requests raised" if raised else Skipped("none due")
