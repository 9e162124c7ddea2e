"""Catalog handlers: categories, product lists and cards, search."""

from __future__ import annotations

from telegram import Update

from bot.callback_data import Callback
from bot.catalog.callbacks import AddToCart, Categories, ProductCard, ProductList
from bot.context import Handler, ShopApp, ShopContext
from bot.screens import Screen
from bot.shared.handlers import add_customer_handlers, button_handler
from bot.ui import reply, show
from domain.checkout.browsing import CartChange
from domain.shared.errors import (
    NotFoundError,
    OutOfStockError,
    ProductUnavailableError,
)


async def catalog_command(update: Update, context: ShopContext) -> None:
    """Show the categories."""
    await reply(
        update, context, context.views.categories(context.lang, await context.shop.categories())
    )


async def search_command(update: Update, context: ShopContext) -> None:
    """Search products: /search words."""
    words = " ".join(context.args or []).strip()
    if not words:
        await reply(update, context, Screen(context.texts(context.lang, "search.usage")))
        return
    await search(update, context, words)


async def search(update: Update, context: ShopContext, words: str) -> None:
    found = await context.shop.search(words, 0)
    await reply(update, context, context.views.search_results(context.lang, words[:64], found))


@button_handler
async def on_categories(update: Update, context: ShopContext, data: Categories) -> str | None:
    """List the categories."""
    await show(
        update, context, context.views.categories(context.lang, await context.shop.categories())
    )
    return None


@button_handler
async def on_product_list(update: Update, context: ShopContext, data: ProductList) -> str | None:
    """A page of products in a category."""
    try:
        category = await context.shop.category(data.category_id)
    except NotFoundError:
        await show(
            update, context, context.views.categories(context.lang, await context.shop.categories())
        )
        return context.texts(context.lang, "error.category_gone")
    paged = await context.shop.products_in(category.id, data.page)
    if not paged.items and data.page > 0:
        paged = await context.shop.products_in(category.id, 0)
    await show(update, context, context.views.product_list(context.lang, category, paged))
    return None


async def _card(
    update: Update,
    context: ShopContext,
    product_id: int,
    qty: int,
    category_id: int,
    page: int,
    known: CartChange | None = None,
) -> None:
    if known is not None and known.product is not None:
        product, cart = known.product, known.cart  # just loaded by the use case
    else:
        product = await context.shop.product(product_id)
        cart = await context.shop.cart(context.customer.id)
    await show(
        update,
        context,
        context.views.product_card(
            context.lang,
            product,
            qty,
            category_id,
            page,
            cart.quantity_of(product.id),
            cart.item_count,
        ),
    )


@button_handler
async def on_product(update: Update, context: ShopContext, data: ProductCard) -> str | None:
    """A product card with a quantity picker."""
    try:
        await _card(update, context, data.product_id, data.qty, data.category_id, data.page)
    except ProductUnavailableError:
        await _back_to_list(update, context, data.category_id, data.page)
        return context.texts(context.lang, "error.product_unavailable")
    return None


async def _back_to_list(update: Update, context: ShopContext, category_id: int, page: int) -> None:
    try:
        category = await context.shop.category(category_id)
    except NotFoundError:
        await show(
            update, context, context.views.categories(context.lang, await context.shop.categories())
        )
        return
    await show(
        update,
        context,
        context.views.product_list(
            context.lang, category, await context.shop.products_in(category_id, page)
        ),
    )


@button_handler
async def on_add(update: Update, context: ShopContext, data: AddToCart) -> str | None:
    """Put the chosen quantity in the cart and say so."""
    try:
        change = await context.shop.add_to_cart(context.customer.id, data.product_id, data.qty)
    except ProductUnavailableError:
        await _back_to_list(update, context, data.category_id, data.page)
        raise
    except OutOfStockError:
        await _card(update, context, data.product_id, 1, data.category_id, data.page)
        raise
    assert change.product is not None
    await _card(update, context, data.product_id, 1, data.category_id, data.page, change)
    return context.texts(
        context.lang,
        "cart.added",
        qty=data.qty,
        name=change.product.name,
        n=change.cart.item_count,
    )


COMMANDS: dict[str, Handler] = {
    "catalog": catalog_command,
    "search": search_command,
}
BUTTONS: list[tuple[type[Callback], Handler]] = [
    (Categories, on_categories),
    (ProductList, on_product_list),
    (ProductCard, on_product),
    (AddToCart, on_add),
]


def register(app: ShopApp) -> None:
    """Browse and search the catalog."""
    add_customer_handlers(app, COMMANDS, BUTTONS)
