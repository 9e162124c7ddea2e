"""The typed context: every service a handler needs, built once (bot/app.py), reached through
`context.<name>` instead of string keys.

python-telegram-bot builds one `ShopContext` per update; its `bot_data` is the `Services` the
composition root built, so `context.shop`, `context.merchant`, `context.texts` and the rest are
typed attributes, and the customer behind the update is `context.customer`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from telegram import InlineKeyboardButton, Update
from telegram.ext import Application, CallbackContext

from bot.after_sales.admin_views import AfterSalesAdminViews
from bot.merchant.dialog_views import AdminViews
from bot.payments.inbox import InboxBot
from bot.reviews.views import ReviewViews
from bot.screens import Screen
from bot.settings import Settings
from bot.texts import Texts
from bot.views import Views
from domain.after_sales.service import AfterSales
from domain.after_sales.waiting import TypedAnswers, Waiting
from domain.channels.orders import ChannelOrders
from domain.checkout.shop import Shop
from domain.insight.restock import Restocks
from domain.insight.service import Insight
from domain.marketing.back_in_stock import BackInStock
from domain.marketing.broadcasts import Broadcasts
from domain.merchant.service import Merchant
from domain.merchant.stock_report import LowStockReport
from domain.orders.completion import Completion
from domain.orders.model import Order
from domain.payments.service import Payments
from domain.privacy.mydata import MyData
from domain.privacy.service import Privacy
from domain.promotions.service import Promotions
from domain.reviews.service import Reviews
from domain.shared.clock import Clock
from domain.shared.customers import Customer, Language
from domain.shipping.carriers import DialogResult
from domain.shipping.tracking import Tracking
from jobs.scheduler import Jobs
from storage.db import Database

# What a feature adds to the customer's order detail: lines of text and rows of buttons.
OrderSection: TypeAlias = tuple[list[str], list[list[InlineKeyboardButton]]]
OrderExtra: TypeAlias = Callable[["ShopContext", Order, int], Awaitable[OrderSection]]
# The after-sales screens the merchant's ship dialog returns to (after-sales builds on the
# merchant's dialogs, so they reach it through the services rather than an import).
RequestScreen: TypeAlias = Callable[["ShopContext", int], Awaitable[Screen]]
RequestShipped: TypeAlias = Callable[["ShopContext", DialogResult], Awaitable[Screen]]


@dataclass
class Services:
    """Every use case, view and setting the handlers need; built once by bot/app.py."""

    settings: Settings
    clock: Clock
    db: Database
    texts: Texts
    jobs: Jobs
    # customers
    shop: Shop
    views: Views
    # the merchant
    merchant: Merchant
    admin_views: AdminViews
    admin_language: Language
    admin_user_ids: frozenset[int]
    # payments
    payments: Payments
    provider_token: str | None
    # after-sales and reviews
    after_sales: AfterSales
    after_sales_views: AfterSalesAdminViews
    reviews: Reviews
    review_views: ReviewViews
    # what a typed message may answer (after-sales, the chat's dialog, checkout), in one read
    typed_answers: TypedAnswers
    # shipping and the scheduled use cases
    tracking: Tracking
    completion: Completion
    low_stock: LowStockReport
    # What features add to the customer's order detail, in order (after-sales, reviews).
    order_extras: list[OrderExtra] = field(default_factory=list)
    # The after-sales screens the merchant's ship dialog returns to.
    request_screen: RequestScreen | None = None
    request_shipped: RequestShipped | None = None
    # The merchant's insight: reports, customers, forecasts, stock planning, flow.
    insight: Insight | None = None
    restocks: Restocks | None = None
    # Finding orders and people, and the audit log (/find, /audit).
    privacy: Privacy | None = None
    # A customer's own data: the export and its erasure (/mydata).
    mydata: MyData | None = None
    # Bringing customers back (issue 16): back-in-stock waits, and the merchant's broadcasts.
    back_in_stock: BackInStock | None = None
    broadcasts: Broadcasts | None = None
    # The merchant's promo codes (/promo_new, /promos, /promo).
    promotions: Promotions | None = None
    # Orders from other sales channels (issue 17): what the HTTP API (bot/api/) calls.
    channels: ChannelOrders | None = None
    # The admin commands of an admin's private chat, (command, description key) in menu order:
    # an admin's /help lists them after the customer commands (set by bot/merchant's register,
    # from the table it registers with Telegram).
    admin_commands: tuple[tuple[str, str], ...] = ()

    @property
    def shop_name(self) -> str:
        """The shop's name, as customers see it."""
        return self.settings.shop_name

    @property
    def admin_chat_id(self) -> int | None:
        """The merchant's admin chat, when there is one."""
        return self.settings.admin_chat_id


class ShopContext(CallbackContext[InboxBot, dict[Any, Any], dict[Any, Any], Services]):
    """The context of every handler: the services, and who is talking."""

    # What the update's typed text may answer, read once for every handler group it passes
    # (bot/shared/waiting.py); PTB builds one context per update.
    waiting: Waiting | None = None
    # Whether the customer was seen for the first time by this update (bot/shared/handlers.py's
    # remember_customer): nothing of theirs exists yet, e.g. no cart to read.
    first_seen: bool = False

    @property
    def services(self) -> Services:
        """Everything the composition root built."""
        return self.bot_data

    @property
    def shop(self) -> Shop:
        """The customer's use cases: catalog, cart, checkout, orders."""
        return self.bot_data.shop

    @property
    def views(self) -> Views:
        """The customer screens."""
        return self.bot_data.views

    @property
    def texts(self) -> Texts:
        """The locale catalogs."""
        return self.bot_data.texts

    @property
    def merchant(self) -> Merchant:
        """The merchant's use cases."""
        return self.bot_data.merchant

    @property
    def admin_views(self) -> AdminViews:
        """The merchant's screens."""
        return self.bot_data.admin_views

    @property
    def admin_language(self) -> Language:
        """The language of the admin chat."""
        return self.bot_data.admin_language

    @property
    def payments(self) -> Payments:
        """The payment use cases."""
        return self.bot_data.payments

    @property
    def after_sales(self) -> AfterSales:
        """The after-sales use cases."""
        return self.bot_data.after_sales

    @property
    def after_sales_views(self) -> AfterSalesAdminViews:
        """The after-sales screens, the customer's and the merchant's."""
        return self.bot_data.after_sales_views

    @property
    def reviews(self) -> Reviews:
        """The review use cases."""
        return self.bot_data.reviews

    @property
    def review_views(self) -> ReviewViews:
        """The review screens."""
        return self.bot_data.review_views

    @property
    def knows_customer(self) -> bool:
        """Whether the customer behind this update was recorded (see `remember_customer`)."""
        return bool(self.user_data) and "customer" in (self.user_data or {})

    @property
    def customer(self) -> Customer:
        """The customer behind the current update (recorded by `remember_customer`)."""
        assert self.user_data is not None
        customer: Customer = self.user_data["customer"]
        return customer

    @customer.setter
    def customer(self, customer: Customer) -> None:
        assert self.user_data is not None
        self.user_data["customer"] = customer

    @property
    def lang(self) -> Language:
        """The language to answer the customer in."""
        return self.customer.effective_language


# The application as the composition root builds it (PTB's own job queue is not used: jobs/ runs
# the scheduled work).
ShopApp: TypeAlias = Application[
    InboxBot, ShopContext, dict[Any, Any], dict[Any, Any], Services, None
]
# Every handler callback has this shape.
Handler: TypeAlias = Callable[[Update, ShopContext], Coroutine[Any, Any, Any]]
