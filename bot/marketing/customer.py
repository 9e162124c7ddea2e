"""The customer's side of marketing (issue 16): Notify me / Stop notifying on a sold-out
product's card, and the product key under a broadcast (a new message, so the broadcast stays)."""

from __future__ import annotations

from telegram import Update

from bot.catalog.handlers import product_screen
from bot.context import ShopContext
from bot.marketing.callbacks import BroadcastProduct, UnwatchProduct, WatchProduct
from bot.ui import reply, show
from domain.marketing.back_in_stock import BackInStock, Watching


def _back_in_stock(context: ShopContext) -> BackInStock:
    back_in_stock = context.services.back_in_stock
    assert back_in_stock is not None, "the composition root builds BackInStock"
    return back_in_stock


async def on_watch(update: Update, context: ShopContext, data: WatchProduct) -> str | None:
    """Wait for the product (once; a second tap says so); the card shows Stop notifying."""
    customer = context.customer
    watch = await _back_in_stock(context).watch(customer.id, data.product_id)
    cart = await context.shop.cart(customer.id)
    card = await product_screen(context, watch.product, cart, 1, data.category_id, data.page)
    await show(update, context, card)
    key = {
        Watching.STARTED: "bis.started",
        Watching.ALREADY: "bis.already",
        Watching.IN_STOCK: "bis.in_stock",
    }[watch.state]
    return context.texts(context.lang, key, name=watch.product.name)


async def on_unwatch(update: Update, context: ShopContext, data: UnwatchProduct) -> str | None:
    """Stop waiting for the product; the card shows Notify me again."""
    customer = context.customer
    product = await _back_in_stock(context).unwatch(customer.id, data.product_id)
    cart = await context.shop.cart(customer.id)
    card = await product_screen(context, product, cart, 1, data.category_id, data.page)
    await show(update, context, card)
    return context.texts(context.lang, "bis.stopped", name=product.name)


async def on_broadcast_product(
    update: Update, context: ShopContext, data: BroadcastProduct
) -> str | None:
    """The product a broadcast points to, as a new message below it."""
    product = await context.shop.product(data.product_id)
    cart = await context.shop.cart(context.customer.id)
    await reply(update, context, await product_screen(context, product, cart, 1, 0, 0))
    return None
