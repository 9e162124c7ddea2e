"""The merchant's /jobs: each scheduled job, how often it runs, how its last run went, and when
it runs next."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from telegram import Update
from telegram.error import BadRequest

from bot.context import ShopContext
from bot.merchant.callbacks import JobsRefresh
from bot.screens import TEXT_LIMIT, Screen, button, fit, keyboard
from bot.texts import Html, Texts
from bot.ui import reply, show
from domain.shared.customers import Language
from jobs.backup import BACKUP_JOB
from jobs.insight import DAILY_SUMMARY_JOB, RESTOCK_JOB, WEEKLY_SUMMARY_JOB
from jobs.marketing import BROADCASTS_JOB
from jobs.merchant import LOW_STOCK_JOB
from jobs.orders import AUTO_COMPLETE_JOB
from jobs.schedule import (
    HANDLED_UPDATES_JOB,
    OUTBOX_JOB,
    OUTBOX_RETENTION_JOB,
    PAYMENT_INBOX_JOB,
    PAYMENT_SWEEP_JOB,
)
from jobs.shipping import TRACKING_JOB

log = logging.getLogger(__name__)

# The jobs /jobs knows by name, in the order it lists them (others follow by id).
JOB_NAMES = {
    OUTBOX_JOB: "jobs.name.outbox",
    PAYMENT_SWEEP_JOB: "jobs.name.payments",
    PAYMENT_INBOX_JOB: "jobs.name.payment_inbox",
    TRACKING_JOB: "jobs.name.tracking",
    AUTO_COMPLETE_JOB: "jobs.name.auto_complete",
    LOW_STOCK_JOB: "jobs.name.low_stock",
    BACKUP_JOB: "jobs.name.backup",
    DAILY_SUMMARY_JOB: "jobs.name.insight_daily",
    WEEKLY_SUMMARY_JOB: "jobs.name.insight_weekly",
    RESTOCK_JOB: "jobs.name.insight_restock",
    OUTBOX_RETENTION_JOB: "jobs.name.outbox_retention",
    HANDLED_UPDATES_JOB: "jobs.name.handled_updates",
    BROADCASTS_JOB: "jobs.name.broadcasts",
}


def _daily(context: ShopContext) -> dict[str, time | None]:
    """The jobs that act once a day (checked more often), and their time of day."""
    settings = context.services.settings
    return {
        LOW_STOCK_JOB: settings.low_stock_time,
        BACKUP_JOB: settings.backup_time,
        DAILY_SUMMARY_JOB: settings.summary_time,
    }


def _next_day_at(at: time, now: datetime, zone: ZoneInfo) -> datetime:
    """The next time the clock in `zone` shows `at` (today's, if it has not passed)."""
    local = now.astimezone(zone)
    candidate = datetime.combine(local.date(), at, tzinfo=zone)
    return candidate if candidate > local else candidate + timedelta(days=1)


_COUNTED = re.compile(r"^(\d+) (.+)$")
_LOW_ON = re.compile(r"^(\d+) products low on (\S+)$")
_NONE_LOW = re.compile(r"^no product low on (\S+)$")


def result_words(texts: Texts, lang: Language, summary: str) -> str:
    """A run's result in the admin's language: jobs log their counts in English words
    ("3 sent, 1 to retry"); each part is said again from jobs.words. Anything else (an error's
    text) is shown as it was recorded."""
    if lang == Language.EN:
        return summary
    english = {
        value: key
        for key, value in texts.catalogs[Language.EN].items()
        if key.startswith("jobs.words.")
    }
    said = []
    for part in summary.split(", "):
        counted, low, none_low = _COUNTED.match(part), _LOW_ON.match(part), _NONE_LOW.match(part)
        if low:
            said.append(f"{low.group(1)} {texts(lang, 'jobs.words.low_on', day=low.group(2))}")
        elif none_low:
            said.append(texts(lang, "jobs.words.none_low", day=none_low.group(1)))
        elif counted and counted.group(2) in english:
            said.append(f"{counted.group(1)} {texts(lang, english[counted.group(2)])}")
        elif part in english:
            said.append(texts(lang, english[part]))
        else:
            return summary
    return texts(lang, "jobs.words.joiner").join(said)


def _every(texts: Texts, lang: Language, seconds: float) -> str:
    if seconds < 120:
        return texts(lang, "jobs.every_seconds", n=int(seconds))
    if seconds < 7200:
        return texts(lang, "jobs.every_minutes", n=int(seconds // 60))
    return texts(lang, "jobs.every_hours", n=int(seconds // 3600))


async def jobs_screen(context: ShopContext) -> Screen:
    """Each job: how often, its last run (when, how long, what it did) and its next run."""
    t, lang = context.texts, context.admin_language
    jobs = context.services.jobs
    latest = await jobs.runs.latest() if jobs.runs is not None else {}
    known = [job for job in JOB_NAMES if job in jobs.intervals or job in latest]
    others = sorted((set(jobs.intervals) | set(latest)) - set(known))
    parts = [
        t(lang, "jobs.title"),
        t(lang, "jobs.here" if context.services.settings.run_jobs else "jobs.not_here"),
    ]
    daily = _daily(context)
    zone = ZoneInfo(context.services.settings.timezone)
    now = datetime.now(UTC)
    for job in [*known, *others]:
        name = t(lang, JOB_NAMES[job]) if job in JOB_NAMES else job
        every = jobs.intervals.get(job)
        run = latest.get(job)
        if run is None:
            last = t(lang, "jobs.never")
        else:
            key = "jobs.last_ok" if run.ok else "jobs.last_failed"
            result = result_words(t, lang, run.summary)
            last = t(lang, key, at=run.started_at, duration=run.duration_ms, result=result)
        next_at: datetime | None = jobs.next_run(job)
        at = daily.get(job)
        if at is not None:  # a daily job: its time of day, not how often it looks
            parts.append(
                t(
                    lang,
                    "jobs.job_daily",
                    name=name,
                    at=at.strftime("%H:%M"),
                    last=Html(last),
                    next=_next_day_at(at, now, zone)
                    if next_at is not None
                    else t(lang, "jobs.next_elsewhere"),
                )
            )
            continue
        parts.append(
            t(
                lang,
                "jobs.job",
                name=name,
                every=_every(t, lang, every) if every else "—",
                last=Html(last),
                next=next_at if next_at is not None else t(lang, "jobs.next_elsewhere"),
            )
        )
    markup = keyboard([[button(t(lang, "jobs.refresh"), JobsRefresh())]])
    return Screen(fit("\n\n".join(parts), TEXT_LIMIT), markup)


async def jobs_command(update: Update, context: ShopContext) -> None:
    """/jobs: the scheduled jobs and how their last runs went."""
    await reply(update, context, await jobs_screen(context))


async def on_jobs_refresh(update: Update, context: ShopContext) -> None:
    """The /jobs screen again, in place."""
    query = update.callback_query
    assert query is not None
    await show(update, context, await jobs_screen(context))
    try:
        await query.answer()
    except BadRequest as exc:
        log.info("callback answer failed: %s", exc)
