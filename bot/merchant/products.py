"""The merchant's products: list, card, edits, stock, and catalog CSV imports."""

from __future__ import annotations

import csv
import logging

from telegram import Update

from bot.merchant.callbacks import (
    AdminActive,
    AdminAddProduct,
    AdminEdit,
    AdminOpenProduct,
    AdminProduct,
    AdminProducts,
    AdminStock,
)
from bot.merchant.common import _ids, _product_screen, _prompt, ad
from bot.screens import TEXT_LIMIT, Screen, button, fit, keyboard
from bot.shared.handlers import (
    Context,
    deps,
)
from bot.texts import Html
from bot.ui import reply, show
from domain.shared.dialogs import StaleDialogError
from domain.shared.errors import CatalogImportError

log = logging.getLogger(__name__)

CSV_MAX_BYTES = 1_000_000


async def products_command(update: Update, context: Context) -> None:
    """Every product, to browse and edit."""
    a = ad(context)
    await reply(update, context, a.views.product_list(await a.merchant.products(0)))


# -- buttons: products --------------------------------------------------------------------------


async def on_products(update: Update, context: Context, data: AdminProducts) -> str | None:
    """A page of every product."""
    a = ad(context)
    paged = await a.merchant.products(data.page)
    if not paged.items and data.page > 0:
        paged = await a.merchant.products(0)
    await show(update, context, a.views.product_list(paged))
    return None


async def on_product(update: Update, context: Context, data: AdminProduct) -> str | None:
    """A product's card in place."""
    await show(update, context, await _product_screen(context, data.product_id, data.page))
    return None


async def on_open_product(update: Update, context: Context, data: AdminOpenProduct) -> str | None:
    """A product from a low-stock alert, as a new message."""
    await reply(update, context, await _product_screen(context, data.product_id))
    return None


async def on_edit(update: Update, context: Context, data: AdminEdit) -> str | None:
    """Start editing one field of a product."""
    chat, user = _ids(update)
    dialog = await ad(context).merchant.start_edit(chat, user, data.product_id, data.field)
    await show(update, context, await _prompt(context, dialog))
    return None


async def on_stock(update: Update, context: Context, data: AdminStock) -> str | None:
    """Start a stock change."""
    chat, user = _ids(update)
    dialog = await ad(context).merchant.start_stock(chat, user, data.product_id)
    await show(update, context, await _prompt(context, dialog))
    return None


async def on_active(update: Update, context: Context, data: AdminActive) -> str | None:
    """Take a product off sale, or put it back."""
    a = ad(context)
    _, user = _ids(update)
    if data.active not in (0, 1):
        raise StaleDialogError()
    product = await a.merchant.set_active(user, data.product_id, bool(data.active))
    await show(update, context, await _product_screen(context, product.id))
    key = "adm.product.reactivated" if product.active else "adm.product.deactivated"
    return a.texts(a.language, key, name=product.name)


async def on_add_product(update: Update, context: Context, data: AdminAddProduct) -> str | None:
    """Start adding a product."""
    chat, user = _ids(update)
    dialog = await ad(context).merchant.start_add_product(chat, user)
    await show(update, context, await _prompt(context, dialog))
    return None


async def on_csv(update: Update, context: Context) -> None:
    """A CSV document from an admin: a catalog import, all rows or none."""
    a = ad(context)
    t, lang = a.texts, a.language
    message = update.message
    assert message is not None and message.document is not None
    document = message.document
    name = document.file_name or "catalog-upload.csv"
    _, user = _ids(update)
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
    from bot.cli import read_catalog_csv

    try:
        drafts = read_catalog_csv(raw, deps(context).shop.config.currency)
        created, updated = await a.merchant.import_catalog(user, drafts, name)
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
