"""/find and /audit in the admin chat (and an admin's private chat), admins only.

`/find TEXT` lists the orders that an order number, a tracking number, a phone number (any
common format), an @username or a recipient's or customer's name finds, newest first, each with
an Open button to the order card. `/audit [order NUMBER | product SKU | admin ID]` lists the
latest audit entries. The page buttons carry a short key of the search, which the chat keeps in
memory (the query itself may be personal data and does not fit a button): after a restart an
old page button asks to search again."""

from __future__ import annotations

import secrets
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.access import admin_only
from bot.context import ShopApp, ShopContext
from bot.merchant.common import admin_button
from bot.privacy import views
from bot.privacy.callbacks import AuditPage, AuditSeek, FindPage
from bot.screens import Screen
from bot.ui import reply, show
from domain.privacy.service import AuditQuery, FindTooShortError, Privacy
from domain.shared.dialogs import StaleDialogError
from domain.shared.errors import NotFoundError
from domain.shared.paging import Seek, Toward

ADMIN_COMMANDS = ("find", "audit")
COMMAND_TEXTS = {name: f"privacy.command.{name}" for name in ADMIN_COMMANDS}
REMEMBERED = 20  # searches per chat whose page buttons still work


def _privacy(context: ShopContext) -> Privacy:
    privacy = context.services.privacy
    assert privacy is not None, "the composition root builds Privacy"
    return privacy


def _remember(context: ShopContext, value: Any) -> str:
    assert context.chat_data is not None
    kept: dict[str, Any] = context.chat_data.setdefault("privacy", {})
    key = secrets.token_urlsafe(6)
    kept[key] = value
    while len(kept) > REMEMBERED:
        kept.pop(next(iter(kept)))
    return key


def _recall(context: ShopContext, key: str) -> Any:
    kept: dict[str, Any] = (context.chat_data or {}).get("privacy", {})
    return kept.get(key)


# -- /find --------------------------------------------------------------------------------------


async def find_command(update: Update, context: ShopContext) -> None:
    """/find TEXT: orders by number, phone, name, @username or tracking number."""
    t, lang = context.texts, context.admin_language
    text = " ".join(context.args or []).strip()
    try:
        paged = await _privacy(context).find_orders(text, 0)
    except FindTooShortError:
        await reply(update, context, Screen(t(lang, "privacy.find.usage")))
        return
    key = _remember(context, text) if paged.pages > 1 else "-"
    await reply(update, context, views.find_results(t, lang, text, key, paged))


async def on_find_page(update: Update, context: ShopContext, data: FindPage) -> str | None:
    """Another page of a search."""
    t, lang = context.texts, context.admin_language
    text = _recall(context, data.key)
    if not isinstance(text, str):
        return t(lang, "privacy.expired")
    paged = await _privacy(context).find_orders(text, data.page)
    await show(update, context, views.find_results(t, lang, text, data.key, paged))
    return None


# -- /audit -------------------------------------------------------------------------------------


def _audit_query(args: list[str]) -> AuditQuery | None:
    if not args:
        return AuditQuery()
    if len(args) != 2:
        return None
    kind, value = args[0].lower(), args[1]
    if kind == "order":
        return AuditQuery(order_number=value)
    if kind in ("product", "sku"):
        return AuditQuery(sku=value)
    if kind == "admin" and value.isdigit():
        return AuditQuery(admin_id=int(value))
    return None


def _subject(context: ShopContext, query: AuditQuery) -> str:
    t, lang = context.texts, context.admin_language
    if query.order_number is not None:
        return t(lang, "privacy.audit.of_order", number=query.order_number.upper())
    if query.sku is not None:
        return t(lang, "privacy.audit.of_product", sku=query.sku)
    if query.admin_id is not None:
        return t(lang, "privacy.audit.of_admin", id=query.admin_id)
    return t(lang, "privacy.audit.everything")


async def audit_command(update: Update, context: ShopContext) -> None:
    """/audit [order NUMBER | product SKU | admin ID]: the latest audit entries."""
    t, lang = context.texts, context.admin_language
    query = _audit_query(context.args or [])
    if query is None:
        await reply(update, context, Screen(t(lang, "privacy.audit.usage")))
        return
    try:
        paged = await _privacy(context).audit(query, 0)
    except NotFoundError:
        await reply(update, context, Screen(t(lang, "privacy.audit.unknown")))
        return
    key = _remember(context, query) if paged.pages > 1 else "-"
    screen = views.audit_entries(t, lang, _subject(context, query), key, paged)
    await reply(update, context, screen)


async def on_audit_page(update: Update, context: ShopContext, data: AuditPage) -> str | None:
    """A page button sent before the log paged by key: the page it meant has moved as
    entries were added, so the first page shows, and a toast says why."""
    t, lang = context.texts, context.admin_language
    query = _recall(context, data.key)
    if not isinstance(query, AuditQuery):
        return t(lang, "privacy.expired")
    paged = await _privacy(context).audit(query, 0)
    await show(
        update, context, views.audit_entries(t, lang, _subject(context, query), data.key, paged)
    )
    return t(lang, "privacy.audit.from_start") if data.page > 0 else None


async def on_audit_seek(update: Update, context: ShopContext, data: AuditSeek) -> str | None:
    """The page next to an entry of the page shown (Prev or Next)."""
    t, lang = context.texts, context.admin_language
    query = _recall(context, data.key)
    if not isinstance(query, AuditQuery):
        return t(lang, "privacy.expired")
    try:
        toward = Toward(data.toward)
    except ValueError:
        raise StaleDialogError() from None
    paged = await _privacy(context).audit(query, data.page, Seek(data.entry, toward))
    await show(
        update, context, views.audit_entries(t, lang, _subject(context, query), data.key, paged)
    )
    return None


def register(app: ShopApp) -> None:
    """Attach /find, /audit and their page buttons (admins only)."""
    settings = app.bot_data.settings
    chat_ids = [settings.admin_chat_id] if settings.admin_chat_id is not None else []
    anywhere = filters.Chat(chat_id=chat_ids) | filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("find", admin_only(find_command), filters=anywhere))
    app.add_handler(CommandHandler("audit", admin_only(audit_command), filters=anywhere))
    app.add_handler(CallbackQueryHandler(admin_button(on_find_page), pattern=FindPage.matches))
    app.add_handler(CallbackQueryHandler(admin_button(on_audit_page), pattern=AuditPage.matches))
    app.add_handler(CallbackQueryHandler(admin_button(on_audit_seek), pattern=AuditSeek.matches))
