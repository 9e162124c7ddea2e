"""The composition root: settings in, a python-telegram-bot Application out. Every service is
built here, once, into `Services`, which handlers reach through the typed `ShopContext`; the
feature modules only attach handlers, and the scheduled jobs come from one table
(jobs/schedule.py)."""

from __future__ import annotations

import functools
import gc
import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from telegram import BotCommand, BotCommandScopeAllPrivateChats, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    Defaults,
    MessageHandler,
    filters,
)

from bot.after_sales import handlers as after_sales
from bot.after_sales.admin import request_screen, ship_result
from bot.after_sales.admin_views import AfterSalesAdminViews
from bot.after_sales.customer import order_extras as after_sales_of_order
from bot.api.idempotency import forget_old_api_records
from bot.cart import handlers as cart
from bot.catalog import handlers as catalog
from bot.checkout import handlers as checkout
from bot.context import Services, ShopApp, ShopContext
from bot.data_keys import resolve_data_keys
from bot.insight import handlers as insight_handlers
from bot.insight.summary import SummaryCharts
from bot.marketing import handlers as marketing_handlers
from bot.marketing.admin import card_refresher
from bot.merchant import handlers as merchant
from bot.merchant.dialog_views import AdminViews
from bot.notify import TelegramSender
from bot.orders import handlers as orders
from bot.payments import handlers as payments
from bot.payments.adapters import ChatActions, TelegramStarRefunds
from bot.payments.due import order_extras as payment_of_order
from bot.payments.inbox import REPLAY_AFTER, InboxBot, replay_unrecorded_payments
from bot.privacy import handlers as privacy_handlers
from bot.privacy import mydata as mydata_handlers
from bot.promotions import handlers as promo_handlers
from bot.reviews import handlers as reviews
from bot.reviews.handlers import order_extras as review_of_order
from bot.reviews.views import ReviewViews
from bot.settings import Settings
from bot.shared import handlers as shared
from bot.shared import updates as once
from bot.shared.http import AiohttpRequest
from bot.shared.updates import OnceApplication, forget_handled_updates
from bot.shipping import handlers as shipping
from bot.shipping.aftership import AfterShipTracker, ManualTracker
from bot.shipping.order_screen import order_extras as parcels_of_order
from bot.texts import Texts
from bot.views import Views
from bot.web.metrics import Metrics
from domain.after_sales.service import AfterSales
from domain.after_sales.steps import AfterSalesConfig
from domain.after_sales.waiting import TypedAnswers
from domain.channels.orders import ChannelOrders
from domain.checkout.shop import Shop
from domain.checkout.shop_base import ShopConfig
from domain.insight.restock import Restocks
from domain.insight.service import Insight, InsightSettings
from domain.insight.summary import Summaries
from domain.marketing.back_in_stock import BackInStock
from domain.marketing.broadcasts import Broadcasts
from domain.merchant.rules import MerchantConfig
from domain.merchant.service import Merchant
from domain.merchant.stock_report import LowStockReport
from domain.orders.completion import Completion, CompletionConfig
from domain.orders.model import PaymentMethod
from domain.payments.service import Payments
from domain.privacy.mydata import MyData
from domain.privacy.service import Privacy
from domain.promotions.service import Promotions
from domain.reactions import order_flow
from domain.reviews.service import Reviews
from domain.shared.clock import Clock, SystemClock
from domain.shared.customers import Language
from domain.shared.money import Money
from domain.shipping.tracking import Tracking, TrackingConfig
from domain.shipping.tracking_records import CarrierTracker
from jobs.backup import DailyBackup
from jobs.insight import DAILY_SUMMARY_JOB, WEEKLY_SUMMARY_JOB, RestockCheck, SummaryJob
from jobs.marketing import BroadcastFanOut, broadcast_outcomes
from jobs.merchant import DailyLowStock
from jobs.outbox import OutboxDispatcher
from jobs.pacing import Limits, SendPacer
from jobs.schedule import OUTBOX_JOB, Intervals, jobs_table
from jobs.scheduler import Jobs
from storage.backup import backup as backup_database
from storage.db import Database
from storage.jobs import JobLocks, SqlJobRuns

log = logging.getLogger(__name__)

# Feature modules, in the order their handlers should match. Payments come before the
# merchant: their message handlers are narrow (a customer's receipt photo, an admin's reply to
# a refund prompt) and would otherwise be taken by the admin's catch-alls.
FEATURES: list[Callable[[ShopApp], None]] = [
    shared.register,  # who is talking; start, help, language, menu; reachability
    catalog.register,  # categories, products, search
    cart.register,  # the cart
    checkout.register,  # checkout's command and buttons
    orders.register,  # the customer's orders
    payments.register,  # invoices, transfers, refunds
    merchant.register,  # the admin chat: orders, products, dialogs, exports, /jobs
    shipping.register,  # /track, "Received"
    after_sales.register,  # returns, exchanges, repairs (/requests, /aftersales)
    reviews.register,  # rating completed orders
    marketing_handlers.register,  # back in stock; /broadcast /broadcasts (admins)
    insight_handlers.register,  # /report /customers /forecast /stockplan /efficiency (admins)
    privacy_handlers.register,  # /find /audit (admins)
    mydata_handlers.register,  # /mydata (customers)
    promo_handlers.register,  # /promo_new /promos /promo (admins)
]


def register_handlers(app: ShopApp) -> None:
    """Attach every handler: the features in order, then the customer catch-alls."""
    once.register(app)  # update kinds the bot has no behaviour for stop here, quietly
    for register in FEATURES:
        register(app)
    private = filters.ChatType.PRIVATE
    app.add_handler(CallbackQueryHandler(shared.on_stale_button))
    app.add_handler(MessageHandler(private & filters.COMMAND, shared.unknown_command))
    app.add_handler(MessageHandler(private & filters.CONTACT, checkout.on_contact))
    app.add_handler(MessageHandler(private & filters.TEXT, checkout.on_text))
    app.add_handler(
        MessageHandler(
            private
            & ~filters.StatusUpdate.ALL
            & ~filters.SUCCESSFUL_PAYMENT  # handled first (bot/payments/), not "unsupported"
            & ~filters.UpdateType.EDITED,
            shared.on_other_message,
        )
    )
    app.add_error_handler(shared.on_error)


async def register_commands(app: ShopApp, texts: Texts) -> None:
    """setMyCommands with descriptions in English (default) and Chinese."""
    for language in Language:
        commands = [
            BotCommand(name, texts(language, f"commands.{name}"))
            for name in shared.CUSTOMER_COMMANDS
        ]
        code = None if language == Language.EN else language.value
        await app.bot.set_my_commands(
            commands, scope=BotCommandScopeAllPrivateChats(), language_code=code
        )
        await app.bot.set_my_commands(commands, language_code=code)


def daily_backup(settings: Settings, db: Database, clock: Clock) -> DailyBackup | None:
    """The daily backup BACKUP_AT asks for (None: none)."""
    at = settings.backup_time
    if at is None:
        return None

    async def make(target: Path) -> object:
        return await backup_database(settings.database_url, target)

    return DailyBackup(
        make,
        db,
        clock,
        at=at,
        timezone=settings.timezone,
        folder=settings.backup_folder,
        keep=settings.backup_keep,
    )


def build_tracker(settings: Settings) -> CarrierTracker:
    """The carrier adapter TRACKING_PROVIDER names."""
    if settings.tracking_provider == "aftership":
        assert settings.tracking_api_key is not None
        return AfterShipTracker(
            settings.tracking_api_key.get_secret_value(), settings.tracking_api_url
        )
    return ManualTracker()


def build_application(
    settings: Settings, clock: Clock | None = None, metrics: Metrics | None = None
) -> ShopApp:
    """The whole bot, wired: database, use cases, views, handlers, outbox and jobs; with
    `metrics` (the web process and the jobs runner), updates, sends and job runs are counted."""
    clock = clock or SystemClock()
    texts = Texts(settings.timezone)
    db = Database(settings.database_url, keys=resolve_data_keys(settings))
    admin_language = Language(settings.admin_language)
    carriers = settings.carrier_list
    bot = InboxBot(
        token=settings.token(),
        base_url=settings.api_base_url,
        base_file_url=settings.api_file_url,
        defaults=Defaults(
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        ),
        # The pool sizes ApplicationBuilder would choose; over aiohttp, not httpx (about half
        # the bot's CPU per update was httpx's, bot/shared/http.py).
        request=AiohttpRequest(connection_pool_size=256),
        get_updates_request=AiohttpRequest(connection_pool_size=1),
    )
    bot.attach_inbox(db, clock)

    # -- use cases
    flow = order_flow(settings.admin_chat_id)  # with the merchant's alerts
    shop = Shop(
        db,
        clock,
        ShopConfig(
            currency=settings.currency,
            shipping_fee=settings.shipping,
            admin_chat_id=settings.admin_chat_id,
            phone_region=settings.phone_region or None,
            page_size=settings.page_size,
            payment_methods=tuple(PaymentMethod(m) for m in settings.payment_methods),
            shipping_methods=settings.shipping_method_list,
        ),
        flow=flow,
    )
    merchant_use_cases = Merchant(
        db,
        clock,
        MerchantConfig(
            currency=settings.currency,
            admin_chat_id=settings.admin_chat_id,
            carriers=carriers,
            page_size=settings.page_size,
            low_stock_default=settings.low_stock_default_threshold,
        ),
        flow=flow,
    )
    stars = TelegramStarRefunds(bot)
    payment_use_cases = Payments(
        db, clock, payments.payments_config(settings), ChatActions(), stars, flow=flow
    )
    after_sales_use_cases = AfterSales(
        db,
        clock,
        AfterSalesConfig(
            window=timedelta(days=settings.after_sales_days),
            return_address=settings.return_address,
            admin_chat_id=settings.admin_chat_id,
            carriers=carriers,
            page_size=settings.page_size,
        ),
        stars,
    )
    tracker = build_tracker(settings)
    poll_every = timedelta(minutes=settings.tracking_poll_minutes)
    tracking = Tracking(
        db,
        clock,
        tracker,
        TrackingConfig(poll_every=poll_every, batch_size=settings.tracking_batch_size),
        flow=flow,
    )
    completion = Completion(db, clock, CompletionConfig(settings.auto_complete_days), flow=flow)
    low_stock = LowStockReport(db, clock, settings.admin_chat_id, settings.low_stock_cover_days)
    insight = build_insight(settings, db, clock)
    restocks = Restocks(db, clock, settings.admin_chat_id)
    broadcasts = Broadcasts(
        db,
        clock,
        currency=settings.currency,
        admin_chat_id=settings.admin_chat_id,
        admins=frozenset(settings.admin_user_ids),
    )

    # -- the outbox and the scheduled jobs
    sender = TelegramSender(bot, texts, db, admin_language, SummaryCharts(insight, texts))
    pacer = SendPacer(
        Limits.telegram(
            settings.outbox_rate_per_second,
            settings.outbox_private_per_second,
            settings.outbox_group_per_minute,
        )
    )
    # exclusive: the outbox job runs under its job lock, one runner at a time (jobs/runs.py).
    outbox = OutboxDispatcher(
        db,
        metrics.metered_sender(sender) if metrics else sender,
        clock,
        pacer=pacer,
        record_uow=db.urgent_uow,
        exclusive=True,
        observers=[broadcast_outcomes(settings.admin_chat_id)],  # counts (issue 16)
    )
    # One runner at a time per job, across processes; the outbox job, woken by every order,
    # keeps its lease between runs (SQLite; storage/jobs.py).
    locks = JobLocks(db, keep=(OUTBOX_JOB,))
    runs = SqlJobRuns(db)
    report_at = settings.low_stock_time
    app: ShopApp | None = None

    async def replay_payments() -> int:
        assert app is not None  # built below, before any job runs
        return await replay_unrecorded_payments(app, db, clock)

    table = jobs_table(
        outbox=outbox,
        payments=payment_use_cases,
        replay_payments=replay_payments,
        tracking=tracking if tracker.polls else None,
        completion=completion,
        low_stock=(
            DailyLowStock(low_stock, runs, clock, report_at, settings.timezone)
            if report_at is not None and settings.admin_chat_id is not None
            else None
        ),
        every=Intervals(
            outbox_poll=timedelta(seconds=settings.outbox_poll_seconds),
            payment_sweep=timedelta(seconds=settings.payment_sweep_seconds),
            payment_inbox=REPLAY_AFTER,
            tracking_poll=poll_every,
        ),
        summaries=summary_jobs(settings, insight, db, runs, clock),
        restock=RestockCheck(insight, restocks),
        forget_updates=lambda: forget_handled_updates(db, clock),
        backup=daily_backup(settings, db, clock),
        broadcasts=BroadcastFanOut(broadcasts, card_refresher(bot, texts, admin_language)),
        forget_api_records=lambda: forget_old_api_records(db, clock),
    )
    jobs = Jobs(
        table,
        outbox,
        lock=locks,
        runs=metrics.metered_runs(runs) if metrics else runs,
        clock=clock,
        runner=locks.holder,
    )
    db.on_outbox = jobs.wake_outbox

    token = settings.payment_provider_token
    services = Services(
        settings=settings,
        clock=clock,
        db=db,
        texts=texts,
        jobs=jobs,
        shop=shop,
        views=Views(texts, settings.shop_name, settings.bank_transfer_details),
        merchant=merchant_use_cases,
        admin_views=AdminViews(
            texts, admin_language, settings.shop_name, carriers, settings.currency
        ),
        admin_language=admin_language,
        admin_user_ids=frozenset(settings.admin_user_ids),
        payments=payment_use_cases,
        provider_token=token.get_secret_value() if token else None,
        after_sales=after_sales_use_cases,
        after_sales_views=AfterSalesAdminViews(
            texts, admin_language, carriers, settings.return_address
        ),
        reviews=Reviews(db, clock),
        review_views=ReviewViews(texts),
        typed_answers=TypedAnswers(db, clock),
        tracking=tracking,
        completion=completion,
        low_stock=low_stock,
        order_extras=[payment_of_order, parcels_of_order, after_sales_of_order, review_of_order],
        request_screen=request_screen,
        request_shipped=ship_result,
        insight=insight,
        restocks=restocks,
        privacy=Privacy(db, clock, settings.page_size),
        mydata=MyData(db, clock),
        back_in_stock=BackInStock(db, clock),
        broadcasts=broadcasts,
        promotions=Promotions(db, clock, settings.currency, ZoneInfo(settings.timezone)),
        channels=ChannelOrders(db, clock, shop.config, merchant_use_cases, flow=flow),
    )
    app = (
        ApplicationBuilder()
        .application_class(OnceApplication)  # every update takes effect once
        .bot(bot)
        .context_types(context_types(services))
        .job_queue(None)  # jobs/ runs the scheduled work
        .concurrent_updates(settings.concurrent_updates)
        .post_init(_on_startup)
        .post_stop(_on_stop)
        .post_shutdown(_on_shutdown)
        .build()
    )
    register_handlers(app)
    if metrics is not None:
        cast(OnceApplication, app).observe = metrics.observe_update
    return app


def build_insight(settings: Settings, db: Database, clock: Clock) -> Insight:
    """Insight with the shop's currency, time zone and stock-planning defaults."""
    currency = settings.currency
    return Insight(
        db,
        clock,
        ZoneInfo(settings.timezone),
        InsightSettings(
            currency=currency,
            lead_days=settings.lead_time_days,
            lead_days_max=settings.lead_time_max_days,
            order_cost_minor=Money.from_major(settings.order_cost, currency).amount,
            holding_cost_minor=Money.from_major(settings.holding_cost, currency).amount,
            stock_window_days=settings.stock_window_days,
            history_days=settings.forecast_history_days,
            horizon_days=settings.forecast_days,
            work_hours_per_day=settings.work_hours_per_day,
        ),
    )


def summary_jobs(
    settings: Settings,
    insight: Insight,
    db: Database,
    runs: SqlJobRuns,
    clock: Clock,
) -> tuple[SummaryJob, ...]:
    """Insight's daily and weekly summaries, when there is an admin chat and a time for them."""
    at, chat_id = settings.summary_time, settings.admin_chat_id
    if at is None or chat_id is None:
        return ()
    summaries = Summaries(insight, db, chat_id)
    daily = SummaryJob(DAILY_SUMMARY_JOB, summaries, runs, clock, at, settings.timezone)
    weekday = settings.weekly_summary_weekday
    if weekday is None:
        return (daily,)
    weekly = SummaryJob(
        WEEKLY_SUMMARY_JOB, summaries, runs, clock, at, settings.timezone, weekday=weekday
    )
    return (daily, weekly)


def context_types(
    services: Services,
) -> ContextTypes[ShopContext, dict[Any, Any], dict[Any, Any], Services]:
    """PTB makes bot_data by calling its type with no arguments; hand it the services built
    above instead, so every handler's `context.bot_data` is the one `Services`."""
    return ContextTypes(context=ShopContext, bot_data=cast("type[Services]", lambda: services))


async def _on_startup(app: ShopApp) -> None:
    await register_commands(app, app.bot_data.texts)
    await merchant.register_admin_commands(app)
    if app.bot_data.settings.run_jobs:  # RUN_JOBS=false: `python -m bot jobs` runs them
        app.bot_data.jobs.start()
    _freeze_start_up()
    log.info("bot @%s started", app.bot.username)


@functools.cache
def _freeze_start_up() -> None:
    """What start-up built (modules, the application, the services: ~260,000 objects) lives as
    long as the process. Frozen, the collector's full passes skip it: each one walked it all,
    150-190 ms of CPU, a few times a minute under load (issue 13). Once per process: the
    collection before it costs more the bigger the heap, and a test process starts hundreds
    of bots (every start paying for it made the test suite a third slower)."""
    gc.collect()
    gc.freeze()


async def _on_stop(app: ShopApp) -> None:
    # Jobs finish while the bot's HTTP client and the database are still open.
    await app.bot_data.jobs.stop()


async def _on_shutdown(app: ShopApp) -> None:
    gc.unfreeze()  # what the application held can be collected again once it is gone
    await app.bot_data.jobs.stop()
    await app.bot_data.db.dispose()
