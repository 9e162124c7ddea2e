"""Prometheus metrics of one process (prometheus-client), in a registry of its own.

Counters and the latency histogram are counted as things happen in this process: updates by
kind and outcome (bot/shared/updates.py reports them), outbox deliveries and Telegram's 429s
(a wrapper around the sender), job runs and failures (a wrapper around the run log). Gauges
that describe the shop (outbox backlog, updates kept but not handled, open orders by status)
are read from the database when /metrics is scraped, with indexed counts of bounded sets
(storage/health.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from domain.shared.notifications import Notification
from jobs.outbox import Delivery, RetryLater, Sender, Sent, Undeliverable, Unreachable
from storage.db import Database
from storage.health import read_gauges

CONTENT_TYPE = CONTENT_TYPE_LATEST
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Metrics:
    """This process's metrics; `render(db)` is the body of /metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.updates = Counter(
            "orderbot_updates",
            "Telegram updates handled, by kind and outcome "
            "(handled, error, replayed: a second delivery that changed nothing, ignored)",
            ["kind", "outcome"],
            registry=r,
        )
        self.latency = Histogram(
            "orderbot_update_handler_seconds",
            "Time from the start to the end of an update's handlers, by kind",
            ["kind"],
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.webhook = Counter(
            "orderbot_webhook_requests",
            "Webhook requests, by result (stored, duplicate, forbidden, bad_request, unavailable)",
            ["result"],
            registry=r,
        )
        self.deliveries = Counter(
            "orderbot_messages",
            "Outbox messages sent to Telegram, by outcome "
            "(sent, retry, flood: a 429, unreachable, undeliverable)",
            ["outcome"],
            registry=r,
        )
        self.flood = Counter(
            "orderbot_telegram_429", "Telegram's 429 Too Many Requests answers", registry=r
        )
        self.job_runs = Counter(
            "orderbot_job_runs",
            "Scheduled job runs, by job and outcome (ok, failed)",
            ["job", "outcome"],
            registry=r,
        )
        self.outbox_backlog = Gauge(
            "orderbot_outbox_backlog",
            "Messages in the outbox not yet sent or given up",
            registry=r,
        )
        self.inbox_pending = Gauge(
            "orderbot_update_inbox_pending", "Updates kept but not yet handled", registry=r
        )
        self.orders = Gauge(
            "orderbot_open_orders",
            "Orders not yet completed or cancelled, by status",
            ["status"],
            registry=r,
        )
        self.leader = Gauge(
            "orderbot_jobs_leader",
            "1 while this jobs runner holds the jobs lock and runs the jobs, 0 on standby",
            registry=r,
        )
        self.scrape_errors = Counter(
            "orderbot_metrics_database_errors",
            "Scrapes whose database gauges could not be read",
            registry=r,
        )

    def observe_update(self, kind: str, outcome: str, seconds: float) -> None:
        """One update ended (OnceApplication.observe)."""
        self.updates.labels(kind, outcome).inc()
        if outcome != "ignored":
            self.latency.labels(kind).observe(seconds)

    def metered_sender(self, send: Sender) -> Sender:
        """The outbox's sender, counting what Telegram answered."""

        async def send_counted(notification: Notification) -> Delivery:
            result = await send(notification)
            self.deliveries.labels(_outcome(result)).inc()
            if isinstance(result, RetryLater) and result.seconds is not None:
                self.flood.inc()
            return result

        return send_counted

    def metered_runs(self, runs: Any) -> MeteredRuns:
        """The jobs' run log, counting runs and failures."""
        return MeteredRuns(runs, self)

    async def render(self, db: Database | None) -> bytes:
        """The text exposition format, with the database's gauges read now."""
        if db is not None:
            try:
                gauges = await read_gauges(db)
            except Exception:  # the counters are still worth scraping
                self.scrape_errors.inc()
            else:
                self.outbox_backlog.set(gauges.outbox_backlog)
                self.inbox_pending.set(gauges.inbox_pending)
                for status, count in gauges.open_orders.items():
                    self.orders.labels(status).set(count)
        return generate_latest(self.registry)


def _outcome(result: Delivery) -> str:
    if isinstance(result, Sent):
        return "sent"
    if isinstance(result, RetryLater):
        return "flood" if result.seconds is not None else "retry"
    if isinstance(result, Unreachable):
        return "unreachable"
    assert isinstance(result, Undeliverable)
    return "undeliverable"


class MeteredRuns:
    """A job run log (storage/jobs.py's SqlJobRuns) that also counts each recorded run."""

    def __init__(self, runs: Any, metrics: Metrics) -> None:
        self._runs = runs
        self._metrics = metrics

    async def record(
        self,
        job: str,
        runner: str,
        started_at: datetime,
        finished_at: datetime,
        duration_ms: int,
        ok: bool,
        summary: str,
    ) -> None:
        self._metrics.job_runs.labels(job, "ok" if ok else "failed").inc()
        await self._runs.record(job, runner, started_at, finished_at, duration_ms, ok, summary)

    async def last_ok_start(self, job: str) -> datetime | None:
        return await self._runs.last_ok_start(job)  # type: ignore[no-any-return]

    async def latest(self) -> dict[str, Any]:
        return await self._runs.latest()  # type: ignore[no-any-return]

    def __getattr__(self, name: str) -> Any:  # history() and the like, for /jobs
        return getattr(self._runs, name)
