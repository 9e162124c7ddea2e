"""Building the application: settings in, a python-telegram-bot Application out."""

from __future__ import annotations

import logging
from collections.abc import Callable

from telegram import BotCommand, BotCommandScopeAllPrivateChats, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.after_sales import handlers as after_sales
from bot.callback_data import Callback
from bot.cart.callbacks import CartLess, CartMore, CartRemove, ShowCart
from bot.cart.handlers import cart_command, on_cart, on_cart_less, on_cart_more, on_cart_remove
from bot.catalog.callbacks import AddToCart, Categories, ProductCard, ProductList
from bot.catalog.handlers import (
    catalog_command,
    on_add,
    on_categories,
    on_product,
    on_product_list,
    search_command,
)
from bot.checkout.callbacks import (
    Checkout,
    CheckoutBack,
    CheckoutCancel,
    Confirm,
    NewAddress,
    PayWith,
    UseAddress,
)
from bot.checkout.handlers import (
    cancel_command,
    on_checkout,
    on_checkout_back,
    on_checkout_cancel,
    on_confirm,
    on_contact,
    on_new_address,
    on_pay_with,
    on_text,
    on_use_address,
)
from bot.merchant import handlers as admin
from bot.notify import TelegramSender
from bot.orders.callbacks import AskCancelOrder, CancelOrder, OrderDetail, OrderList
from bot.orders.handlers import on_ask_cancel, on_cancel_order, on_order, on_orders, orders_command
from bot.payments import handlers as payments
from bot.payments.inbox import REPLAY_AFTER, InboxBot, replay_unrecorded_payments
from bot.reviews import handlers as reviews
from bot.settings import Settings
from bot.shared.callbacks import Help, Menu, Noop, SetLanguage
from bot.shared.handlers import (
    Deps,
    help_command,
    language_command,
    on_error,
    on_help,
    on_language,
    on_menu,
    on_noop,
    on_other_message,
    on_stale_button,
    remember_customer,
    start,
    unknown_command,
)
from bot.shipping import handlers as tracking
from bot.texts import Texts
from bot.views import Views
from domain.checkout.shop import Shop, ShopConfig
from domain.orders.model import PaymentMethod
from domain.reactions import ORDER_FLOW
from domain.shared.clock import Clock, SystemClock
from domain.shared.customers import Language
from jobs.outbox import OutboxDispatcher
from jobs.pacing import Limits, SendPacer
from jobs.scheduler import Jobs
from storage.db import Database
from storage.jobs import JobLocks, SqlJobRuns

log = logging.getLogger(__name__)

CUSTOMER_COMMANDS = (
    "start",
    "catalog",
    "cart",
    "orders",
    "requests",  # after-sales (bot/after_sales.py)
    "search",
    "language",
    "cancel",
    "help",
)

# The whole customer dialog, declared once: typed button -> handler.
BUTTONS: list[tuple[type[Callback], object]] = [
    (Menu, on_menu),
    (Help, on_help),
    (Noop, on_noop),
    (SetLanguage, on_language),
    (Categories, on_categories),
    (ProductList, on_product_list),
    (ProductCard, on_product),
    (AddToCart, on_add),
    (ShowCart, on_cart),
    (CartMore, on_cart_more),
    (CartLess, on_cart_less),
    (CartRemove, on_cart_remove),
    (Checkout, on_checkout),
    (UseAddress, on_use_address),
    (NewAddress, on_new_address),
    (PayWith, on_pay_with),
    (CheckoutBack, on_checkout_back),
    (CheckoutCancel, on_checkout_cancel),
    (Confirm, on_confirm),
    (OrderList, on_orders),
    (OrderDetail, on_order),
    (AskCancelOrder, on_ask_cancel),
    (CancelOrder, on_cancel_order),
]


CUSTOMER_GROUP = -10
DIALOG_GROUP = -5

# Feature modules with a `register(app)` function, in the order their handlers should match.
FEATURES: list[Callable[[Application], None]] = [  # type: ignore[type-arg]
    # Payments first: its message handlers are narrow (a customer's receipt photo, an admin's
    # reply to a refund prompt) and would otherwise be taken by the admin's catch-alls.
    payments.register,  # payments: invoices, transfers, refunds
    admin.register,  # merchant (admin chat)
    tracking.register,  # jobs and tracking: /track, /jobs, "Received", my_chat_member
    after_sales.register,  # after-sales: returns, exchanges, repairs (/requests, /aftersales)
    reviews.register,  # reviews: rating completed orders
]


def register_handlers(app: Application) -> None:  # type: ignore[type-arg]
    """Attach every handler, customer upsert first and stale buttons last."""
    # Groups run in order; one handler per group takes an update. -10: who is talking;
    # DIALOG_GROUP: dialog input (a handler that consumes a message raises
    # ApplicationHandlerStop); 0: commands, buttons and the customer fallbacks.
    app.add_handler(TypeHandler(Update, remember_customer), group=CUSTOMER_GROUP)
    private = filters.ChatType.PRIVATE
    commands = {
        "start": start,
        "help": help_command,
        "language": language_command,
        "catalog": catalog_command,
        "cart": cart_command,
        "orders": orders_command,
        "search": search_command,
        "cancel": cancel_command,
    }
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback, filters=private))
    for kind, callback in BUTTONS:
        app.add_handler(CallbackQueryHandler(callback, pattern=kind.matches))  # type: ignore[arg-type]
    # Features register here, before the customer catch-alls below; each module's
    # `register(app)` adds its commands, buttons and message handlers.
    for register in FEATURES:
        register(app)
    app.add_handler(CallbackQueryHandler(on_stale_button))
    app.add_handler(MessageHandler(private & filters.COMMAND, unknown_command))
    app.add_handler(MessageHandler(private & filters.CONTACT, on_contact))
    app.add_handler(MessageHandler(private & filters.TEXT, on_text))
    app.add_handler(
        MessageHandler(
            private
            & ~filters.StatusUpdate.ALL
            & ~filters.SUCCESSFUL_PAYMENT  # handled first (bot/payments.py), not "unsupported"
            & ~filters.UpdateType.EDITED,
            on_other_message,
        )
    )
    app.add_error_handler(on_error)


async def register_commands(app: Application, texts: Texts) -> None:  # type: ignore[type-arg]
    """setMyCommands with descriptions in English (default) and Chinese."""
    for language in Language:
        commands = [
            BotCommand(name, texts(language, f"commands.{name}")) for name in CUSTOMER_COMMANDS
        ]
        code = None if language == Language.EN else language.value
        await app.bot.set_my_commands(
            commands, scope=BotCommandScopeAllPrivateChats(), language_code=code
        )
        await app.bot.set_my_commands(commands, language_code=code)


def build_application(settings: Settings, clock: Clock | None = None) -> Application:  # type: ignore[type-arg]
    """The whole bot, wired: database, shop, handlers, outbox and jobs."""
    clock = clock or SystemClock()
    texts = Texts(settings.timezone)
    db = Database(settings.database_url)
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
        ),
        flow=ORDER_FLOW,
    )
    bot = InboxBot(
        token=settings.token(),
        base_url=settings.api_base_url,
        base_file_url=settings.api_file_url,
        defaults=Defaults(
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        ),
        # The pool sizes ApplicationBuilder would choose.
        request=HTTPXRequest(connection_pool_size=256),
        get_updates_request=HTTPXRequest(connection_pool_size=1),
    )
    bot.attach_inbox(db, clock)
    app = (
        ApplicationBuilder()
        .bot(bot)
        .concurrent_updates(settings.concurrent_updates)
        .post_init(_on_startup)
        .post_stop(_on_stop)
        .post_shutdown(_on_shutdown)
        .build()
    )
    views = Views(texts, settings.shop_name, settings.bank_transfer_details)
    app.bot_data["deps"] = Deps(
        shop=shop, views=views, texts=texts, admin_user_ids=frozenset(settings.admin_user_ids)
    )
    sender = TelegramSender(app.bot, texts, db, Language(settings.admin_language))
    pacer = SendPacer(
        Limits.telegram(
            settings.outbox_rate_per_second,
            settings.outbox_private_per_second,
            settings.outbox_group_per_minute,
        )
    )
    locks = JobLocks(db)  # one runner at a time per job, across processes
    jobs = Jobs(
        OutboxDispatcher(db, sender, clock, pacer=pacer),
        settings.outbox_poll_seconds,
        lock=locks,
        runs=SqlJobRuns(db),
        clock=clock,
        runner=locks.holder,
    )
    db.on_outbox = jobs.wake_outbox
    jobs.every(
        "payment_inbox",
        lambda: replay_unrecorded_payments(app, db, clock),
        REPLAY_AFTER.total_seconds(),
    )
    app.bot_data["db"] = db
    app.bot_data["jobs"] = jobs
    app.bot_data["texts"] = texts
    app.bot_data.update(settings=settings, clock=clock)  # for feature modules' register(app)
    register_handlers(app)
    return app


async def _on_startup(app: Application) -> None:  # type: ignore[type-arg]
    await register_commands(app, app.bot_data["texts"])
    await admin.register_admin_commands(app)
    if app.bot_data["settings"].run_jobs:  # RUN_JOBS=false: `python -m bot jobs` runs them
        app.bot_data["jobs"].start()
    log.info("bot @%s started", app.bot.username)


async def _on_stop(app: Application) -> None:  # type: ignore[type-arg]
    # Jobs finish while the bot's HTTP client and the database are still open.
    await app.bot_data["jobs"].stop()


async def _on_shutdown(app: Application) -> None:  # type: ignore[type-arg]
    await app.bot_data["jobs"].stop()
    await app.bot_data["db"].dispose()
