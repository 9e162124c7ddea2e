"""The one table of scheduled jobs: each job declared once, with how often it runs and what it
calls. The composition root (bot/app.py) builds the table from the services it composed; the
scheduler (jobs/scheduler.py) reads it, and nothing else schedules work.

A job is a use case on a timer: it finds due rows by query (time is data), so it is idempotent,
and running it twice, or on two machines, does no harm."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from domain.orders.completion import Completion
from domain.payments.service import Payments
from domain.shared.journal import in_words
from domain.shipping.tracking import Tracking
from jobs.backup import BACKUP_CHECK_EVERY, BACKUP_JOB, DailyBackup
from jobs.insight import (
    RESTOCK_CHECK_EVERY,
    RESTOCK_JOB,
    SUMMARY_CHECK_EVERY,
    RestockCheck,
    SummaryJob,
)
from jobs.marketing import (
    BROADCAST_RETENTION_EVERY,
    BROADCAST_RETENTION_JOB,
    BROADCASTS_EVERY,
    BROADCASTS_JOB,
    BroadcastFanOut,
)
from jobs.merchant import LOW_STOCK_CHECK_EVERY, LOW_STOCK_JOB, DailyLowStock
from jobs.orders import AUTO_COMPLETE_EVERY, AUTO_COMPLETE_JOB, AutoComplete
from jobs.outbox import OUTBOX_RETENTION_EVERY, OutboxDispatcher
from jobs.payments import PaymentSweep
from jobs.shipping import TRACKING_JOB, TrackingPoll

OUTBOX_JOB = "outbox"
OUTBOX_RETENTION_JOB = "outbox_retention"
PAYMENT_SWEEP_JOB = "payments"
PAYMENT_INBOX_JOB = "payment_inbox"
HANDLED_UPDATES_JOB = "handled_updates"
HANDLED_UPDATES_EVERY = timedelta(hours=1)
API_RETENTION_JOB = "api_retention"
API_RETENTION_EVERY = timedelta(hours=1)
# Each shipment has its own next poll time; the job only looks for due ones, at least this often.
TRACKING_CHECK_AT_MOST = timedelta(minutes=5)


@dataclass(frozen=True)
class Job:
    """One scheduled job: its name (also the job lock's, and what /jobs shows), how often it
    runs, and what it calls."""

    name: str
    run: Callable[[], Awaitable[object]]
    every: timedelta
    # Woken at once when a notification is queued, and run again while more are waiting.
    outbox_wakeup: bool = False


@dataclass(frozen=True)
class Intervals:
    """How often the configurable sweeps run (from the settings)."""

    outbox_poll: timedelta
    payment_sweep: timedelta
    payment_inbox: timedelta
    tracking_poll: timedelta


def counted(run: Callable[[], Awaitable[object]], what: str) -> Callable[[], Awaitable[object]]:
    """A job whose run returns a count, returning it in words instead (for its log line and
    /jobs; nothing done, no line)."""

    async def counted_run() -> object:
        result = await run()
        return in_words((result, what)) if isinstance(result, int) else result

    return counted_run


def jobs_table(
    *,
    outbox: OutboxDispatcher,
    payments: Payments,
    replay_payments: Callable[[], Awaitable[object]],
    tracking: Tracking | None,
    completion: Completion,
    low_stock: DailyLowStock | None,
    every: Intervals,
    summaries: tuple[SummaryJob, ...] = (),
    restock: RestockCheck | None = None,
    forget_updates: Callable[[], Awaitable[object]] | None = None,
    backup: DailyBackup | None = None,
    broadcasts: BroadcastFanOut | None = None,
    forget_api_records: Callable[[], Awaitable[object]] | None = None,
) -> tuple[Job, ...]:
    """Every job this deployment runs. `tracking` is None when no carrier is polled (manual
    tracking), `low_stock` when no daily report is set up."""

    async def deliver_outbox() -> object:
        return await outbox.run_once()  # a run that sent something is one log line (runs.py)

    table = [
        Job(OUTBOX_JOB, deliver_outbox, every.outbox_poll, outbox_wakeup=True),
        # Sent and failed messages older than the outbox keeps them (jobs/outbox.py).
        Job(
            OUTBOX_RETENTION_JOB,
            counted(lambda: outbox.forget_done(), "old sent or failed messages forgotten"),
            OUTBOX_RETENTION_EVERY,
        ),
        # Payment updates kept before they were confirmed to Telegram, never recorded: again.
        Job(
            PAYMENT_INBOX_JOB,
            counted(replay_payments, "payment updates handled again"),
            every.payment_inbox,
        ),
        # Expire overdue unpaid orders, send due payment reminders.
        Job(PAYMENT_SWEEP_JOB, PaymentSweep(payments).run_once, every.payment_sweep),
    ]
    if forget_updates is not None:
        # The ids of handled updates, kept while Telegram may deliver them again (issue 11).
        table.append(Job(HANDLED_UPDATES_JOB, forget_updates, HANDLED_UPDATES_EVERY))
    if forget_api_records is not None:
        # The HTTP API's Idempotency-Keys after 24 hours, its rate windows after an hour.
        table.append(Job(API_RETENTION_JOB, forget_api_records, API_RETENTION_EVERY))
    if tracking is not None:
        table.append(
            Job(
                TRACKING_JOB,
                TrackingPoll(tracking).run_once,
                min(every.tracking_poll, TRACKING_CHECK_AT_MOST),
            )
        )
    table.append(Job(AUTO_COMPLETE_JOB, AutoComplete(completion).run_once, AUTO_COMPLETE_EVERY))
    if low_stock is not None:
        # Daily at LOW_STOCK_TIME; checked every few minutes, so a bot that was down at that
        # moment sends the report when it comes back.
        table.append(Job(LOW_STOCK_JOB, low_stock.run_once, LOW_STOCK_CHECK_EVERY))
    # Insight's daily and weekly summaries (jobs/insight.py), checked like the low-stock report.
    table += [Job(s.name, s.run_once, SUMMARY_CHECK_EVERY) for s in summaries]
    if restock is not None:
        # Products at their reorder point get a restock request (jobs/insight.py).
        table.append(Job(RESTOCK_JOB, restock.run_once, RESTOCK_CHECK_EVERY))
    if backup is not None:
        # The daily backup after BACKUP_AT; the files of today say whether it is done.
        table.append(Job(BACKUP_JOB, backup.run_once, BACKUP_CHECK_EVERY))
    if broadcasts is not None:
        # Broadcasts queued to their recipients in batches (jobs/marketing.py, issue 16).
        table.append(Job(BROADCASTS_JOB, broadcasts.run_once, BROADCASTS_EVERY))
        # ... and, a month after one finished, only its counts are kept.
        forget = broadcasts.broadcasts.forget_recipients
        table.append(
            Job(
                BROADCAST_RETENTION_JOB,
                counted(forget, "recipients of old broadcasts forgotten"),
                BROADCAST_RETENTION_EVERY,
            )
        )
    return tuple(table)
