"""The merchant's promo codes in the admin chat (and an admin's private chat), admins only.

`/promo_new CODE VALUE [min AMOUNT] [from DATE] [until DATE] [uses N] [per N]
[products ID,ID] [category NAME,NAME] [freeship]` creates a code (domain/promotions/spec.py);
`/promos` lists every code; `/promo CODE` shows a code's card: its rules, uses, paid orders and
revenue, with Pause / Resume."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.access import admin_only
from bot.context import ShopApp, ShopContext
from bot.merchant.common import admin_button
from bot.promotions import views
from bot.promotions.callbacks import PromoList, PromoOpen, PromoPause
from bot.screens import Screen
from bot.ui import reply, show
from domain.promotions.rules import PromoError
from domain.promotions.service import Promotions

ADMIN_COMMANDS = ("promo_new", "promos", "promo")
COMMAND_TEXTS = {name: f"promo.command.{name}" for name in ADMIN_COMMANDS}


def _promotions(context: ShopContext) -> Promotions:
    promotions = context.services.promotions
    assert promotions is not None, "the composition root builds Promotions"
    return promotions


def _admin_id(update: Update) -> int:
    assert update.effective_user is not None
    return update.effective_user.id


async def new_command(update: Update, context: ShopContext) -> None:
    """/promo_new CODE VALUE ...: create a code and show its card."""
    t, lang = context.texts, context.admin_language
    text = " ".join(context.args or [])
    if not text.strip():
        await reply(update, context, Screen(t(lang, "promo.adm.usage")))
        return
    try:
        promo = await _promotions(context).create(text, _admin_id(update))
        found = await _promotions(context).card(promo.code)
    except PromoError as error:
        message = context.admin_views.error(error)
        await reply(update, context, Screen(f"{message}\n\n{t(lang, 'promo.adm.usage')}"))
        return
    await reply(update, context, views.card(t, lang, found))


async def list_command(update: Update, context: ShopContext) -> None:
    """/promos: every code."""
    codes = await _promotions(context).codes()
    await reply(update, context, views.codes(context.texts, context.admin_language, codes))


async def card_command(update: Update, context: ShopContext) -> None:
    """/promo CODE: a code's card (without a code: the list)."""
    t, lang = context.texts, context.admin_language
    args = context.args or []
    if not args:
        await list_command(update, context)
        return
    try:
        found = await _promotions(context).card(args[0])
    except PromoError as error:
        await reply(update, context, Screen(context.admin_views.error(error)))
        return
    await reply(update, context, views.card(t, lang, found))


async def on_open(update: Update, context: ShopContext, data: PromoOpen) -> str | None:
    """A code's card from the list."""
    found = await _promotions(context).card_by_id(data.promo_id)
    await show(update, context, views.card(context.texts, context.admin_language, found))
    return None


async def on_pause(update: Update, context: ShopContext, data: PromoPause) -> str | None:
    """Pause or resume a code (twice: nothing more changes)."""
    t, lang = context.texts, context.admin_language
    found = await _promotions(context).set_paused(
        data.promo_id, bool(data.pause), _admin_id(update)
    )
    await show(update, context, views.card(t, lang, found))
    return t(lang, "promo.adm.paused_toast" if found.promo.paused else "promo.adm.resumed_toast")


async def on_list(update: Update, context: ShopContext, data: PromoList) -> str | None:
    """Every code."""
    codes = await _promotions(context).codes()
    await show(update, context, views.codes(context.texts, context.admin_language, codes))
    return None


def register(app: ShopApp) -> None:
    """Attach /promo_new, /promos, /promo and their buttons (admins only)."""
    settings = app.bot_data.settings
    chat_ids = [settings.admin_chat_id] if settings.admin_chat_id is not None else []
    anywhere = filters.Chat(chat_id=chat_ids) | filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("promo_new", admin_only(new_command), filters=anywhere))
    app.add_handler(CommandHandler("promos", admin_only(list_command), filters=anywhere))
    app.add_handler(CommandHandler("promo", admin_only(card_command), filters=anywhere))
    app.add_handler(CallbackQueryHandler(admin_button(on_open), pattern=PromoOpen.matches))
    app.add_handler(CallbackQueryHandler(admin_button(on_pause), pattern=PromoPause.matches))
    app.add_handler(CallbackQueryHandler(admin_button(on_list), pattern=PromoList.matches))
