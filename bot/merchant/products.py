"""The merchant's products: list, card, edits, stock, and catalog CSV imports."""

from __future__ import annotations

import csv
import logging

from telegram import Update

from bot.catalog.csv_import import read_catalog_csv
from bot.context import ShopContext
from bot.merchant.callbacks import (
    AdminActive,
    AdminAddProduct,
    AdminEdit,
    AdminOpenProduct,
    AdminProduct,
    AdminProducts,
    AdminStock,
)
from bot.merchant.common import dialog_prompt, product_screen
from bot.merchant.placement import started
from bot.screens import TEXT_LIMIT, Screen, button, fit, keyboard
from bot.shared.handlers import chat_and_user
from bot.texts import Html
from bot.ui import reply, show
from domain.shared.dialogs import StaleDialogError
from domain.shared.errors import CatalogImportError

log = logging.getLogger(__name__)

CSV_MAX_BYTES = 1_000_000


async def products_command(update: Update, context: ShopContext) -> None:
    """Every product, to browse and edit."""
    await reply(
        update, context, context.admin_views.product_list(await context.merchant.products(0))
    )


# -- buttons: products --------------------------------------------------------------------------


async def on_products(update: Update, context: ShopContext, data: AdminProducts) -> str | None:
    """A page of every product."""
    paged = await context.merchant.products(data.page)
    if not paged.items and data.page > 0:
        paged = await context.merchant.products(0)
    await show(update, context, context.admin_views.product_list(paged))
    return None


async def on_product(update: Update, context: ShopContext, data: AdminProduct) -> str | None:
    """A product's card in place."""
    await show(update, context, await product_screen(context, data.product_id, data.page))
    return None


async def on_open_product(
    update: Update, context: ShopContext, data: AdminOpenProduct
) -> str | None:
    """A product from a low-stock alert, as a new message."""
    await reply(update, context, await product_screen(context, data.product_id))
    return None


async def on_edit(update: Update, context: ShopContext, data: AdminEdit) -> str | None:
    """Start editing one field of a product."""
    chat, user = chat_and_user(update)
    before = await context.merchant.current_dialog(chat, user)
    dialog = await context.merchant.start_edit(chat, user, data.product_id, data.field)
    shown = await show(update, context, await dialog_prompt(context, dialog))
    await started(update, context, dialog, shown, before)
    return None


async def on_stock(update: Update, context: ShopContext, data: AdminStock) -> str | None:
    """Start a stock change."""
    chat, user = chat_and_user(update)
    before = await context.merchant.current_dialog(chat, user)
    dialog = await context.merchant.start_stock(chat, user, data.product_id)
    shown = await show(update, context, await dialog_prompt(context, dialog))
    await started(update, context, dialog, shown, before)
    return None


async def on_active(update: Update, context: ShopContext, data: AdminActive) -> str | None:
    """Take a product off sale, or put it back."""
    _, user = chat_and_user(update)
    if data.active not in (0, 1):
        raise StaleDialogError()
    product = await context.merchant.set_active(user, data.product_id, bool(data.active))
    await show(update, context, await product_screen(context, product.id))
    key = "adm.product.reactivated" if product.active else "adm.product.deactivated"
    return context.texts(context.admin_language, key, name=product.name)


async def on_add_product(update: Update, context: ShopContext, data: AdminAddProduct) -> str | None:
    """Start adding a product."""
    chat, user = chat_and_user(update)
    before = await context.merchant.current_dialog(chat, user)
    dialog = await context.merchant.start_add_product(chat, user)
    shown = await show(update, context, await dialog_prompt(context, dialog))
    await started(update, context, dialog, shown, before)
    return None


async def on_csv(update: Update, context: ShopContext) -> None:
    """A CSV document from an admin: a catalog import, all rows or none."""
    t, lang = context.texts, context.admin_language
    message = update.message
    assert message is not None and message.document is not None
    document = message.document
    name = document.file_name or "catalog-upload.csv"
    _, user = chat_and_user(update)
    if (document.file_size or 0) > CSV_MAX_BYTES:
        await reply(
            update,
            context,
            Screen(t(lang, "adm.import.too_big", file=name, max=CSV_MAX_BYTES // 1000)),
        )
        return
    raw = bytes(await (await context.bot.get_file(document.file_id)).download_as_bytearray())
    if len(raw) > CSV_MAX_BYTES:
        await reply(
            update,
            context,
            Screen(t(lang, "adm.import.too_big", file=name, max=CSV_MAX_BYTES // 1000)),
        )
        return
    try:
        drafts = read_catalog_csv(raw, context.shop.config.currency)
        created, updated = await context.merchant.import_catalog(user, drafts, name)
    except CatalogImportError as error:
        lines = [
            t(lang, "adm.import.error_line", line=line, message=problem)
            for line, problem in error.params["errors"][:30]
        ]
        more = len(error.params["errors"]) - len(lines)
        if more > 0:
            lines.append(t(lang, "adm.import.more_errors", n=more))
        text = t(lang, "adm.import.errors", file=name, errors=Html("\n".join(lines)))
        await reply(update, context, Screen(fit(text, TEXT_LIMIT)))
        return
    except (UnicodeDecodeError, ValueError, csv.Error) as exc:
        log.info("unreadable catalog %s: %s", name, exc)
        await reply(update, context, Screen(t(lang, "adm.import.unreadable", file=name)))
        return
    await reply(
        update,
        context,
        Screen(
            t(
                lang,
                "adm.import.done",
                file=name,
                count=len(drafts),
                created=created,
                updated=updated,
            ),
            keyboard([[button(t(lang, "adm.menu.products"), AdminProducts(0))]]),
        ),
    )
