"""Jobs and tracking in the chat: the merchant's /track and /jobs, the customer's "✅ Received",
and my_chat_member updates (a user blocking the bot, or coming back).

`register(app)` also builds the feature's use cases from the settings and puts its sweeps on
the scheduler: tracking polls (when a tracking API is configured), auto-completion, and the
daily low-stock report. Handlers parse, call one use case, and render."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from telegram import ChatMember, Update
from telegram.error import BadRequest
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    filters,
)

from bot.access import admin_only
from bot.merchant.callbacks import JobsRefresh
from bot.screens import TEXT_LIMIT, Screen, button, fit, keyboard
from bot.settings import Settings
from bot.shared.handlers import button_handler, deps, lang, me
from bot.shipping.aftership import AfterShipTracker, ManualTracker
from bot.shipping.callbacks import Received, ReceivedFromNotice
from bot.texts import Html, Texts
from bot.ui import reply, show
from domain.merchant.stock_report import LowStockReport
from domain.orders.completion import Completion, CompletionConfig
from domain.reactions import ORDER_FLOW
from domain.shared.clock import Clock
from domain.shared.customers import Language, admin_actor
from domain.shared.errors import DomainError, IllegalTransitionError
from domain.shared.reachability import set_reachable
from domain.shipping.tracking import Tracking, TrackingConfig, push_details
from domain.shipping.tracking_records import (
    STATUS_TEXT,
    CarrierTracker,
    TrackingStatus,
    parse_status,
)
from jobs.merchant import LOW_STOCK_CHECK_EVERY, LOW_STOCK_JOB, DailyLowStock
from jobs.orders import AUTO_COMPLETE_EVERY, AUTO_COMPLETE_JOB, AutoComplete
from jobs.scheduler import Jobs
from jobs.shipping import TRACKING_JOB, TrackingPoll

log = logging.getLogger(__name__)
Context = ContextTypes.DEFAULT_TYPE

HISTORY_SHOWN = 15
# The jobs /jobs knows by name, in the order it lists them (others follow by id).
JOB_NAMES = {
    "outbox": "jobs.name.outbox",
    "payments": "jobs.name.payments",
    "payment_inbox": "jobs.name.payment_inbox",
    TRACKING_JOB: "jobs.name.tracking",
    AUTO_COMPLETE_JOB: "jobs.name.auto_complete",
    LOW_STOCK_JOB: "jobs.name.low_stock",
}


@dataclass
class TrackingDeps:
    """What this feature's handlers need, kept in bot_data["tracking"]."""

    tracking: Tracking
    completion: Completion
    report: LowStockReport
    jobs: Jobs
    texts: Texts
    language: Language  # the admin chat's
    clock: Clock
    runs_jobs: bool


def td(context: Context) -> TrackingDeps:
    """The feature's dependencies."""
    return context.bot_data["tracking"]  # type: ignore[no-any-return]


def build_tracker(settings: Settings) -> CarrierTracker:
    """The carrier adapter TRACKING_PROVIDER names."""
    if settings.tracking_provider == "aftership":
        assert settings.tracking_api_key is not None
        return AfterShipTracker(
            settings.tracking_api_key.get_secret_value(), settings.tracking_api_url
        )
    return ManualTracker()


# -- the merchant: /track ---------------------------------------------------------------------


def _status(texts: Texts, lang: Language, status: TrackingStatus) -> str:
    return texts(lang, STATUS_TEXT[status])


def _usage(texts: Texts, lang: Language) -> Screen:
    statuses = ", ".join(f"<code>{s.value}</code>" for s in TrackingStatus)
    return Screen(texts(lang, "track.usage", statuses=Html(statuses)))


async def track_command(update: Update, context: Context) -> None:
    """/track ORDER STATUS [note]: record a checkpoint; /track ORDER: show its checkpoints."""
    d = td(context)
    t, lang = d.texts, d.language
    args = context.args or []
    if not args:
        await reply(update, context, _usage(t, lang))
        return
    views = context.bot_data["admin"].views
    number = args[0]
    try:
        if len(args) == 1:
            await reply(update, context, await _history(d, number))
            return
        status = parse_status(args[1])
        note = " ".join(args[2:]) or None
        message = update.effective_message
        assert message is not None and update.effective_user is not None
        posted = await d.tracking.post(
            admin_actor(update.effective_user.id),
            number,
            status,
            note,
            key=f"{message.chat_id}:{message.message_id}",
        )
    except DomainError as error:
        text = views.error(error)
        if isinstance(error, IllegalTransitionError) or error.key == "track.error.status":
            text = f"{text}\n\n{_usage(t, lang).text}"
        await reply(update, context, Screen(text))
        return
    if not posted.added:
        text = t(lang, "track.duplicate", number=posted.order.number)
    elif posted.delivered:
        text = t(lang, "track.posted_delivered", number=posted.order.number)
    else:
        text = t(lang, "track.posted", number=posted.order.number, status=_status(t, lang, status))
    await reply(update, context, Screen(text))


async def _history(d: TrackingDeps, number: str) -> Screen:
    t, lang = d.texts, d.language
    history = await d.tracking.history(number)
    order = history.order
    parts = [
        t(
            lang,
            "track.history_title",
            number=order.number,
            status=t(lang, f"status.{order.status.value}"),
        )
    ]
    shown = history.checkpoints[-HISTORY_SHOWN:]
    if not shown:
        parts.append(t(lang, "track.history_none"))
    for stored in shown:
        checkpoint = stored.checkpoint
        parts.append(
            t(
                lang,
                "track.history_line",
                at=checkpoint.at,
                status=_status(t, lang, checkpoint.status),
                details=push_details(checkpoint),
            )
        )
    return Screen(fit("\n".join(parts), TEXT_LIMIT))


# -- the merchant: /jobs ----------------------------------------------------------------------


def _every(texts: Texts, lang: Language, seconds: float) -> str:
    if seconds < 120:
        return texts(lang, "jobs.every_seconds", n=int(seconds))
    if seconds < 7200:
        return texts(lang, "jobs.every_minutes", n=int(seconds // 60))
    return texts(lang, "jobs.every_hours", n=int(seconds // 3600))


async def jobs_screen(d: TrackingDeps) -> Screen:
    """Each job: how often, its last run (when, how long, what it did) and its next run."""
    t, lang = d.texts, d.language
    latest = await d.jobs.runs.latest() if d.jobs.runs is not None else {}
    known = [job for job in JOB_NAMES if job in d.jobs.intervals or job in latest]
    others = sorted((set(d.jobs.intervals) | set(latest)) - set(known))
    parts = [t(lang, "jobs.title"), t(lang, "jobs.here" if d.runs_jobs else "jobs.not_here")]
    for job in [*known, *others]:
        name = t(lang, JOB_NAMES[job]) if job in JOB_NAMES else job
        every = d.jobs.intervals.get(job)
        run = latest.get(job)
        if run is None:
            last = t(lang, "jobs.never")
        else:
            key = "jobs.last_ok" if run.ok else "jobs.last_failed"
            last = t(lang, key, at=run.started_at, duration=run.duration_ms, result=run.summary)
        next_at: datetime | None = d.jobs.next_run(job)
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


async def jobs_command(update: Update, context: Context) -> None:
    """/jobs: the scheduled jobs and how their last runs went."""
    await reply(update, context, await jobs_screen(td(context)))


async def on_jobs_refresh(update: Update, context: Context) -> None:
    """The /jobs screen again, in place."""
    query = update.callback_query
    assert query is not None
    await show(update, context, await jobs_screen(td(context)))
    try:
        await query.answer()
    except BadRequest as exc:
        log.info("callback answer failed: %s", exc)


# -- the customer: "✅ Received" ----------------------------------------------------------------


@button_handler
async def on_received(update: Update, context: Context, data: Received) -> str | None:
    """The customer got the parcel (from the order's detail): the order completes."""
    d = deps(context)
    customer = me(context)
    order = await td(context).completion.confirm_received(customer.id, data.number)
    detail = await d.shop.my_order(customer.id, order.number)
    await show(update, context, d.views.order_detail(lang(context), detail, max(data.page, 0)))
    return d.texts(lang(context), "track.received_toast", number=order.number)


@button_handler
async def on_received_from_notice(
    update: Update, context: Context, data: ReceivedFromNotice
) -> str | None:
    """The customer got the parcel (from the delivery notice): the order completes and the
    button goes away."""
    d = deps(context)
    customer = me(context)
    query = update.callback_query
    assert query is not None
    try:
        order = await td(context).completion.confirm_received(customer.id, data.number)
    except IllegalTransitionError:
        await _drop_keyboard(query)
        raise
    await _drop_keyboard(query)
    return d.texts(lang(context), "track.received_toast", number=order.number)


async def _drop_keyboard(query: object) -> None:
    try:
        await query.edit_message_reply_markup(None)  # type: ignore[attr-defined]
    except BadRequest as exc:  # already gone, or too old to edit
        log.info("could not remove the Received button: %s", exc)


# -- my_chat_member: blocked, and back ------------------------------------------------------------

REACHABLE = frozenset({ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER})


async def on_my_chat_member(update: Update, context: Context) -> None:
    """A user blocked the bot (kicked) or came back (member): hold or resume their messages."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    reachable = change.new_chat_member.status in REACHABLE
    await set_reachable(context.bot_data["db"], change.chat.id, reachable)
    log.info("chat %s is %s", change.chat.id, "reachable again" if reachable else "unreachable")
    if reachable:
        td(context).jobs.wake_outbox()  # what waited for them goes out now


# -- wiring ---------------------------------------------------------------------------------------


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Build the use cases, schedule the sweeps, and attach the handlers."""
    settings: Settings = app.bot_data["settings"]
    clock: Clock = app.bot_data["clock"]
    db = app.bot_data["db"]
    jobs: Jobs = app.bot_data["jobs"]
    texts: Texts = app.bot_data["texts"]
    tracker = build_tracker(settings)
    poll_every = timedelta(minutes=settings.tracking_poll_minutes)
    tracking = Tracking(
        db,
        clock,
        tracker,
        TrackingConfig(poll_every=poll_every, batch_size=settings.tracking_batch_size),
        flow=ORDER_FLOW,
    )
    completion = Completion(
        db, clock, CompletionConfig(settings.auto_complete_days), flow=ORDER_FLOW
    )
    report = LowStockReport(db, clock, settings.admin_chat_id, settings.low_stock_cover_days)
    app.bot_data["tracking"] = TrackingDeps(
        tracking=tracking,
        completion=completion,
        report=report,
        jobs=jobs,
        texts=texts,
        language=Language(settings.admin_language),
        clock=clock,
        runs_jobs=settings.run_jobs,
    )
    if tracker.polls:
        # Each shipment has its own next poll time; the job only looks for due ones.
        every = min(poll_every, timedelta(minutes=5)).total_seconds()
        jobs.every(TRACKING_JOB, TrackingPoll(tracking).run_once, every)
    jobs.every(
        AUTO_COMPLETE_JOB, AutoComplete(completion).run_once, AUTO_COMPLETE_EVERY.total_seconds()
    )
    report_at = settings.low_stock_time
    if report_at is not None and settings.admin_chat_id is not None:
        daily = DailyLowStock(report, jobs.runs, clock, report_at, settings.timezone)
        jobs.every(LOW_STOCK_JOB, daily.run_once, LOW_STOCK_CHECK_EVERY.total_seconds())

    chat_ids = [settings.admin_chat_id] if settings.admin_chat_id is not None else []
    private = filters.ChatType.PRIVATE
    anywhere = (filters.Chat(chat_id=chat_ids) & ~private) | private
    app.add_handler(CommandHandler("track", admin_only(track_command), filters=anywhere))
    app.add_handler(CommandHandler("jobs", admin_only(jobs_command), filters=anywhere))
    app.add_handler(CallbackQueryHandler(admin_only(on_jobs_refresh), pattern=JobsRefresh.matches))
    app.add_handler(CallbackQueryHandler(on_received, pattern=Received.matches))
    app.add_handler(
        CallbackQueryHandler(on_received_from_notice, pattern=ReceivedFromNotice.matches)
    )
    app.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
