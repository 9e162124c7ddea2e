"""Catalog handlers: categories, product lists and cards, search (paged, and in inline mode),
and products opened from a shared link (/start <sku>)."""

from __future__ import annotations

import logging
import re

from telegram import InlineQueryResultsButton, Update
from telegram.error import BadRequest
from telegram.ext import ApplicationHandlerStop, CommandHandler, InlineQueryHandler, filters

from bot.callback_data import Callback
from bot.catalog.callbacks import AddToCart, Categories, ProductCard, ProductList, SearchPage
from bot.catalog.views import Share
from bot.context import Handler, ShopApp, ShopContext
from bot.reviews.cards import with_comments
from bot.screens import Screen, with_header
from bot.shared.handlers import DIALOG_GROUP, add_customer_handlers, button_handler
from bot.ui import reply, show
from domain.cart.model import Cart
from domain.catalog.model import Product
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
async def on_search_page(update: Update, context: ShopContext, data: SearchPage) -> str | None:
    """Another page of search results, in place."""
    found = await context.shop.search(data.words, data.page)
    if not found.items and data.page > 0:
        found = await context.shop.search(data.words, 0)
    await show(update, context, context.views.search_results(context.lang, data.words, found))
    return None


# -- links and inline mode ------------------------------------------------------------------

log = logging.getLogger(__name__)
START_PAYLOAD = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what a t.me/<bot>?start= link may carry
BY_ID = re.compile(r"p([0-9]{1,12})")


def product_link(username: str, product: Product) -> str:
    """The product's deep link: its SKU when a start parameter can carry it, else p<id>."""
    payload = product.sku if START_PAYLOAD.fullmatch(product.sku) else f"p{product.id}"
    if BY_ID.fullmatch(payload):  # a SKU that reads like p<id> would open another product
        payload = f"p{product.id}"
    return f"https://t.me/{username}?start={payload}"


def _share(context: ShopContext, product: Product) -> Share | None:
    """The card's Share key: inline mode when the bot has it (BotFather's /setinline), else
    Telegram's share link; none before the bot knows its own username."""
    bot = context.bot
    if not bot.username:
        return None
    inline = product.sku if bot.supports_inline_queries else None
    return Share(product_link(bot.username, product), inline)


async def product_screen(
    context: ShopContext, product: Product, cart: Cart, qty: int, category_id: int, page: int
) -> Screen:
    """The one product card, however it is opened (the catalog, search, a /start <sku> link, an
    inline result's Open button): with its newest review comments (bot/reviews/cards.py), the
    whole cart's count and the Share key."""
    product = await with_comments(context, product)
    watching = None  # sold out: Notify me, or Stop notifying (issue 16)
    back_in_stock = context.services.back_in_stock
    if not product.in_stock and product.active and back_in_stock is not None:
        watching = await back_in_stock.is_watching(context.customer.id, product.id)
    return context.views.product_card(
        context.lang,
        product,
        qty,
        category_id,
        page,
        cart.quantity_of(product.id),
        cart.item_count,
        _share(context, product),
        watching,
    )


async def on_start_link(update: Update, context: ShopContext) -> None:
    """/start <sku> (a shared product link): the product's card; an unknown or withdrawn
    product says so over the menu."""
    payload = (context.args or [""])[0]
    by_id = BY_ID.fullmatch(payload)
    try:
        if by_id:
            product = await context.shop.product(int(by_id.group(1)))
        else:
            product = await context.shop.product_by_sku(payload)
    except (ProductUnavailableError, NotFoundError):
        cart = await context.shop.cart(context.customer.id)
        screen = with_header(
            context.texts(context.lang, "error.product_link_unknown"),
            context.views.welcome(context.customer, cart.item_count),
        )
        await reply(update, context, screen)
        raise ApplicationHandlerStop from None
    cart = await context.shop.cart(context.customer.id)
    await reply(update, context, await product_screen(context, product, cart, 1, 0, 0))
    raise ApplicationHandlerStop


async def on_inline_query(update: Update, context: ShopContext) -> None:
    """Inline mode ("@bot words" in any chat): matching products, a page at a time, each
    posted as a short card whose button opens the product in this chat."""
    query = update.inline_query
    assert query is not None
    page = int(query.offset) if query.offset.isdigit() else 0
    found = await context.shop.search(query.query.strip(), page)
    username = context.bot.username
    lang = context.lang
    results = [
        context.views.inline_result(lang, product, product_link(username, product))
        for product in found.items
    ]
    try:
        await query.answer(
            results,
            cache_time=30,
            # None, not "": with Defaults set, PTB 22 sends an empty next_offset as "[]",
            # which a client would send back as the offset of a further page.
            next_offset=str(page + 1) if found.has_next else None,
            button=InlineQueryResultsButton(
                context.texts(lang, "search.inline_open", shop=context.services.shop_name),
                start_parameter="shop",
            ),
        )
    except BadRequest as exc:  # too late, or answered by an earlier delivery of the update
        log.info("inline query not answered: %s", exc)


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
        category, paged = await context.shop.category_page(data.category_id, data.page)
    except NotFoundError:
        await show(
            update, context, context.views.categories(context.lang, await context.shop.categories())
        )
        return context.texts(context.lang, "error.category_gone")
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
    if known is None or known.product is None:
        known = await context.shop.product_with_cart(product_id, context.customer.id)
    assert known.product is not None
    card = await product_screen(context, known.product, known.cart, qty, category_id, page)
    await show(update, context, card)


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
    (SearchPage, on_search_page),
]


def register(app: ShopApp) -> None:
    """Browse and search the catalog (in inline mode too); open a product from its link."""
    add_customer_handlers(app, COMMANDS, BUTTONS)
    # A /start carrying a product is taken before the plain /start (bot/shared/), in the group
    # that runs after "who is talking" and stops the update once it is handled.
    link = filters.ChatType.PRIVATE & filters.Regex(r"^/start\s+\S")
    app.add_handler(CommandHandler("start", on_start_link, filters=link), group=DIALOG_GROUP)
    app.add_handler(InlineQueryHandler(on_inline_query))
