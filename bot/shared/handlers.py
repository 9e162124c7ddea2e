"""Shared customer handlers: who is talking, start, help, language, menu, typed buttons,
stale buttons and errors."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot.callback_data import parse
from bot.screens import Screen
from bot.shared.callbacks import Help, Menu, Noop, SetLanguage
from bot.texts import Texts
from bot.ui import reply, show
from bot.views import Views
from domain.checkout.shop import Shop
from domain.shared.customers import Customer, Language
from domain.shared.errors import (
    DomainError,
)

log = logging.getLogger(__name__)


Context = ContextTypes.DEFAULT_TYPE


MAX_TEXT = 1000  # longer messages are refused before any use case sees them


@dataclass
class Deps:
    """What handlers need, kept in bot_data["deps"]."""

    shop: Shop
    views: Views
    texts: Texts
    admin_user_ids: frozenset[int] = frozenset()


def deps(context: Context) -> Deps:
    """The handler dependencies."""
    return context.bot_data["deps"]  # type: ignore[no-any-return]


def me(context: Context) -> Customer:
    """The customer behind the current update (recorded by `remember_customer`)."""
    return context.user_data["customer"]  # type: ignore[index,no-any-return]


def lang(context: Context) -> Language:
    """The language to answer in."""
    return me(context).effective_language


async def remember_customer(update: Update, context: Context) -> None:
    """Upsert the Telegram user on every update, so we always know name and language."""
    user = update.effective_user
    if user is None or user.is_bot or context.user_data is None:
        return
    customer = await deps(context).shop.touch_customer(
        user.id, user.first_name, user.username, user.language_code
    )
    context.user_data["customer"] = customer


ButtonHandler = Callable[[Update, Context, Any], Awaitable[str | None]]


def button_handler(fn: ButtonHandler) -> Callable[[Update, Context], Awaitable[None]]:
    """Parse the typed data, run the handler, answer the query exactly once (toast or alert)."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None
        data = parse(query.data)
        if data is None:  # PTB passes data-less queries to pattern handlers too
            await on_stale_button(update, context)
            return
        toast: str | None = None
        alert = False
        try:
            toast = await fn(update, context, data)
        except DomainError as error:
            toast, alert = deps(context).views.error(lang(context), error), True
        try:
            await query.answer(_plain(toast) if toast else None, show_alert=alert)
        except BadRequest as exc:
            log.info("callback answer failed: %s", exc)

    return wrapper


def _plain(text: str) -> str:
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", text))[:200]


async def _cart_count(context: Context) -> int:
    return (await deps(context).shop.cart(me(context).id)).item_count


# -- commands ---------------------------------------------------------------------------------


async def start(update: Update, context: Context) -> None:
    """Greet the customer by name and show the main menu."""
    await reply(
        update, context, deps(context).views.welcome(me(context), await _cart_count(context))
    )


async def help_command(update: Update, context: Context) -> None:
    """Explain what the bot can do."""
    await reply(
        update, context, deps(context).views.help(lang(context), await _cart_count(context))
    )


async def language_command(update: Update, context: Context) -> None:
    """Offer the languages."""
    await reply(update, context, deps(context).views.language_picker(lang(context)))


async def unknown_command(update: Update, context: Context) -> None:
    """Say so, and show the menu."""
    d = deps(context)
    await reply(
        update,
        context,
        Screen(
            d.texts(lang(context), "error.unknown_command"),
            d.views.menu_keyboard(lang(context), await _cart_count(context)),
        ),
    )


# -- menu and catalog buttons -------------------------------------------------------------------


@button_handler
async def on_menu(update: Update, context: Context, data: Menu) -> str | None:
    """Back to the main menu."""
    await show(update, context, deps(context).views.menu(lang(context), await _cart_count(context)))
    return None


@button_handler
async def on_help(update: Update, context: Context, data: Help) -> str | None:
    """The help text."""
    await show(update, context, deps(context).views.help(lang(context), await _cart_count(context)))
    return None


@button_handler
async def on_noop(update: Update, context: Context, data: Noop) -> str | None:
    """A label: nothing to do."""
    return None


@button_handler
async def on_language(update: Update, context: Context, data: SetLanguage) -> str | None:
    """Switch the language and say so in it."""
    d = deps(context)
    chosen = Language(data.code)
    customer = await d.shop.set_language(me(context).id, chosen)
    context.user_data["customer"] = customer  # type: ignore[index]
    await show(
        update,
        context,
        Screen(
            d.texts(chosen, "language.set"),
            d.views.menu_keyboard(chosen, await _cart_count(context)),
        ),
    )
    return None


async def on_other_message(update: Update, context: Context) -> None:
    """Stickers, photos and the like: explain what works."""
    d = deps(context)
    await reply(
        update,
        context,
        Screen(
            d.texts(lang(context), "error.unsupported_message"),
            d.views.menu_keyboard(lang(context), await _cart_count(context)),
        ),
    )


# -- stale buttons and errors ---------------------------------------------------------------------


async def on_stale_button(update: Update, context: Context) -> None:
    """Buttons we did not issue (or no longer understand)."""
    query = update.callback_query
    assert query is not None
    language = (
        lang(context) if context.user_data and "customer" in context.user_data else Language.EN
    )
    await query.answer(_plain(deps(context).texts(language, "error.stale_button")), show_alert=True)


async def on_error(update: object, context: Context) -> None:
    """Log the error and tell the user something useful."""
    log.error("update %s failed", getattr(update, "update_id", "?"), exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    language = Language.EN
    if context.user_data and "customer" in context.user_data:
        language = lang(context)
    text = deps(context).texts(language, "error.internal")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(_plain(text), show_alert=True)
        else:
            await context.bot.send_message(update.effective_chat.id, text)
    except Exception:
        log.warning("could not tell the user about the error", exc_info=True)
