"""Insight's admin commands: /report, /customers, /forecast, /stockplan, /efficiency.

Each parses its arguments, calls one use case of `Insight`, and sends the text, then charts
(PNG photos) and CSV rows as documents. Charts are drawn in a worker thread so the event loop
keeps serving other updates. Bad input (an unknown SKU, FROM after TO, a garbage date) gets a
reply that says what to type, and nothing else happens."""

from __future__ import annotations

import asyncio
import logging

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.access import admin_only
from bot.context import Handler, ShopApp, ShopContext
from bot.insight import charts, views
from bot.insight.callbacks import RestockApprove, RestockDismiss, RestockReceive, SegmentPage
from bot.insight.restock import on_approve, on_dismiss, on_receive, restock_command
from bot.insight.segments import on_segment_page, overview_screen
from bot.screens import Screen
from bot.shared.handlers import ButtonHandler, button_handler
from bot.ui import reply
from domain.insight.report import PeriodError
from domain.insight.service import Insight, SupplyError, UnknownProductError
from domain.shared.errors import DomainError
from domain.shared.money import Money, MoneyError, currency_exponent

log = logging.getLogger(__name__)

COMMANDS = ("report", "customers", "forecast", "stockplan", "restock", "supply", "efficiency")
COMMAND_TEXTS = {name: f"insight.command.{name}" for name in COMMANDS}


def _insight(context: ShopContext) -> Insight:
    insight = context.services.insight
    assert insight is not None, "the composition root builds Insight"
    return insight


def _chat_id(update: Update) -> int:
    assert update.effective_chat is not None
    return update.effective_chat.id


async def _period_refused(
    update: Update, context: ShopContext, command: str, error: PeriodError
) -> None:
    t, lang = context.texts, context.admin_language
    await reply(
        update, context, Screen(t(lang, f"insight.period.{error.problem.value}", command=command))
    )


async def report_command(update: Update, context: ShopContext) -> None:
    """The sales report of a period, with its chart and CSV rows."""
    t, lang = context.texts, context.admin_language
    try:
        report = await _insight(context).report(context.args or [])
    except PeriodError as error:
        await _period_refused(update, context, "report", error)
        return
    await reply(update, context, Screen(views.report_text(t, lang, report)))
    log.info(
        "report %s..%s: %d orders, revenue %d",
        report.period.first,
        report.period.last,
        report.current.orders,
        report.current.revenue_minor,
    )
    if not report.current.orders:
        return
    exponent = 10 ** currency_exponent(report.currency)
    png = await asyncio.to_thread(
        charts.report_chart,
        t(lang, "insight.report.chart"),
        [d.day for d in report.daily],
        [d.revenue_minor / exponent for d in report.daily],
        [d.orders for d in report.daily],
        (t(lang, "insight.report.chart_revenue"), t(lang, "insight.report.chart_orders")),
    )
    chat = _chat_id(update)
    await context.bot.send_photo(chat, photo=png, caption=t(lang, "insight.report.chart"))
    await context.bot.send_document(
        chat,
        document=views.report_csv(report),
        filename=f"report-{report.period.first}-{report.period.last}.csv",
        caption=t(lang, "insight.report.csv"),
    )


async def customers_command(update: Update, context: ShopContext) -> None:
    """RFM segments with their weight, and every customer's scores as CSV."""
    t, lang = context.texts, context.admin_language
    insight = _insight(context)
    values, summaries = await insight.customers()
    await reply(update, context, overview_screen(context, insight.settings.currency, summaries))
    log.info("customers: %d scored", len(values))
    if values:
        await context.bot.send_document(
            _chat_id(update),
            document=views.customers_csv(values),
            filename=f"customers-{insight.today()}.csv",
            caption=t(lang, "insight.customers.csv"),
        )


async def forecast_command(update: Update, context: ShopContext) -> None:
    """The forecast of a product (or of revenue), its backtest and a chart."""
    t, lang = context.texts, context.admin_language
    insight = _insight(context)
    args = context.args or []
    sku = args[0] if args else None
    days = insight.settings.horizon_days
    try:
        result = await insight.forecast(sku, days)
    except UnknownProductError:
        await reply(update, context, Screen(t(lang, "insight.forecast.unknown", sku=sku or "")))
        return
    currency = insight.settings.currency
    await reply(update, context, Screen(views.forecast_text(t, lang, currency, result, days)))
    f = result.forecast
    scale = 1 if result.sku is not None else 10 ** currency_exponent(currency)
    png = await asyncio.to_thread(
        charts.forecast_chart,
        t(lang, "insight.forecast.chart"),
        result.first_day,
        [v / scale for v in f.history],
        [v / scale for v in f.values],
        [v / scale for v in f.lower],
        [v / scale for v in f.upper],
        (t(lang, "insight.forecast.chart_history"), t(lang, "insight.forecast.chart_forecast")),
    )
    await context.bot.send_photo(
        _chat_id(update), photo=png, caption=t(lang, "insight.forecast.chart")
    )


async def stockplan_command(update: Update, context: ShopContext) -> None:
    """Products at or below their reorder point, with the quantity to order."""
    t, lang = context.texts, context.admin_language
    # D from the forecast of the products listed (the day's fits, shared with the job)
    plans = await _insight(context).stock_plans(due_first=views.STOCK_LINES)
    await reply(update, context, Screen(views.stock_text(t, lang, plans)))
    log.info("stock plan: %d of %d products due", sum(p.due for p in plans), len(plans))


async def efficiency_command(update: Update, context: ShopContext) -> None:
    """The order flow of a period: λ, μ, ρ, the M/M/1 queue and the observed times."""
    t, lang = context.texts, context.admin_language
    try:
        result = await _insight(context).efficiency(context.args or ["week"])
    except PeriodError as error:
        await _period_refused(update, context, "efficiency", error)
        return
    await reply(update, context, Screen(views.efficiency_text(t, lang, result)))


BUTTONS = (
    (RestockApprove, on_approve),
    (RestockReceive, on_receive),
    (RestockDismiss, on_dismiss),
    (SegmentPage, on_segment_page),
)


async def supply_command(update: Update, context: ShopContext) -> None:
    """`/supply SKU LEAD MAX [ORDER_COST HOLDING_COST]`: a product's lead times and costs."""
    t, lang = context.texts, context.admin_language
    insight = _insight(context)
    args = context.args or []
    currency = insight.settings.currency
    try:
        if len(args) not in (3, 5):
            raise SupplyError()
        lead, lead_max = float(args[1]), float(args[2])
        costs: list[int | None] = [Money.from_major(a, currency).amount for a in args[3:5]]
        costs += [None] * (2 - len(costs))
        plan = await insight.set_supply(args[0], lead, lead_max, costs[0], costs[1])
    except UnknownProductError:
        await reply(update, context, Screen(t(lang, "insight.forecast.unknown", sku=args[0])))
        return
    except (SupplyError, ValueError, MoneyError):
        await reply(update, context, Screen(t(lang, "insight.supply.usage", currency=currency)))
        return
    if plan is None:
        await reply(update, context, Screen(t(lang, "insight.supply.saved_inactive", sku=args[0])))
        return
    await reply(
        update,
        context,
        Screen(
            t(
                lang,
                "insight.supply.saved",
                sku=plan.sku,
                lead=f"{lead:g}",
                lead_max=f"{lead_max:g}",
                ss=plan.safety_stock,
                rop=plan.reorder_point,
                eoq=plan.eoq,
            )
        ),
    )


HANDLERS: dict[str, Handler] = {
    "report": report_command,
    "customers": customers_command,
    "forecast": forecast_command,
    "stockplan": stockplan_command,
    "restock": restock_command,
    "supply": supply_command,
    "efficiency": efficiency_command,
}


def _explain(context: ShopContext, error: DomainError) -> str:
    """A refusal in the admin chat's language."""
    return context.admin_views.error(error)


def admin_button(fn: ButtonHandler) -> Handler:
    """An admin-only button answered exactly once, refusals in the admin chat's language."""
    return admin_only(button_handler(fn, _explain))


def register(app: ShopApp) -> None:
    """Attach insight's admin commands (admin group and admins' private chats)."""
    settings = app.bot_data.settings
    chat_ids = [settings.admin_chat_id] if settings.admin_chat_id is not None else []
    private = filters.ChatType.PRIVATE
    anywhere = (filters.Chat(chat_id=chat_ids) & ~private) | private
    for name, callback in HANDLERS.items():
        app.add_handler(CommandHandler(name, admin_only(callback), filters=anywhere))
    for kind, fn in BUTTONS:
        app.add_handler(CallbackQueryHandler(admin_button(fn), pattern=kind.matches))
