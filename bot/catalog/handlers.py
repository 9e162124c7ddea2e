"""Catalog handlers: categories, product lists and cards, search."""

from __future__ import annotations

from telegram import Update

from bot.catalog.callbacks import AddToCart, Categories, ProductCard, ProductList
from bot.screens import Screen
from bot.shared.handlers import Context, button_handler, deps, lang, me
from bot.ui import reply, show
from domain.checkout.shop import CartChange
from domain.shared.errors import (
    NotFoundError,
    OutOfStockError,
    ProductUnavailableError,
)


async def catalog_command(update: Update, context: Context) -> None:
    """Show the categories."""
    d = deps(context)
    await reply(update, context, d.views.categories(lang(context), await d.shop.categories()))


async def search_command(update: Update, context: Context) -> None:
    """Search products: /search words."""
    words = " ".join(context.args or []).strip()
    if not words:
        await reply(update, context, Screen(deps(context).texts(lang(context), "search.usage")))
        return
    await _search(update, context, words)


async def _search(update: Update, context: Context, words: str) -> None:
    d = deps(context)
    found = await d.shop.search(words, 0)
    await reply(update, context, d.views.search_results(lang(context), words[:64], found))


@button_handler
async def on_categories(update: Update, context: Context, data: Categories) -> str | None:
    """List the categories."""
    d = deps(context)
    await show(update, context, d.views.categories(lang(context), await d.shop.categories()))
    return None


@button_handler
async def on_product_list(update: Update, context: Context, data: ProductList) -> str | None:
    """A page of products in a category."""
    d = deps(context)
    try:
        category = await d.shop.category(data.category_id)
    except NotFoundError:
        await show(update, context, d.views.categories(lang(context), await d.shop.categories()))
        return d.texts(lang(context), "error.category_gone")
    paged = await d.shop.products_in(category.id, data.page)
    if not paged.items and data.page > 0:
        paged = await d.shop.products_in(category.id, 0)
    await show(update, context, d.views.product_list(lang(context), category, paged))
    return None


async def _card(
    update: Update,
    context: Context,
    product_id: int,
    qty: int,
    category_id: int,
    page: int,
    known: CartChange | None = None,
) -> None:
    d = deps(context)
    if known is not None and known.product is not None:
        product, cart = known.product, known.cart  # just loaded by the use case
    else:
        product = await d.shop.product(product_id)
        cart = await d.shop.cart(me(context).id)
    await show(
        update,
        context,
        d.views.product_card(
            lang(context), product, qty, category_id, page, cart.quantity_of(product.id)
        ),
    )


@button_handler
async def on_product(update: Update, context: Context, data: ProductCard) -> str | None:
    """A product card with a quantity picker."""
    try:
        await _card(update, context, data.product_id, data.qty, data.category_id, data.page)
    except ProductUnavailableError:
        await _back_to_list(update, context, data.category_id, data.page)
        return deps(context).texts(lang(context), "error.product_unavailable")
    return None


async def _back_to_list(update: Update, context: Context, category_id: int, page: int) -> None:
    d = deps(context)
    try:
        category = await d.shop.category(category_id)
    except NotFoundError:
        await show(update, context, d.views.categories(lang(context), await d.shop.categories()))
        return
    await show(
        update,
        context,
        d.views.product_list(lang(context), category, await d.shop.products_in(category_id, page)),
    )


@button_handler
async def on_add(update: Update, context: Context, data: AddToCart) -> str | None:
    """Put the chosen quantity in the cart and say so."""
    d = deps(context)
    try:
        change = await d.shop.add_to_cart(me(context).id, data.product_id, data.qty)
    except ProductUnavailableError:
        await _back_to_list(update, context, data.category_id, data.page)
        raise
    except OutOfStockError:
        await _card(update, context, data.product_id, 1, data.category_id, data.page)
        raise
    assert change.product is not None
    await _card(update, context, data.product_id, 1, data.category_id, data.page, change)
    return d.texts(
        lang(context),
        "cart.added",
        qty=data.qty,
        name=change.product.name,
        n=change.cart.item_count,
    )
