"""Cart handlers: show the cart, change quantities."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from bot.cart.callbacks import CartLess, CartMore, CartRemove, ShowCart
from bot.shared.handlers import Context, button_handler, deps, lang, me
from bot.ui import reply, show
from domain.shared.errors import (
    NotInCartError,
    OutOfStockError,
    ProductUnavailableError,
)


async def cart_command(update: Update, context: Context) -> None:
    """Show the cart."""
    d = deps(context)
    cart = await d.shop.cart(me(context).id)
    await reply(update, context, d.views.cart(lang(context), cart, d.shop.config.currency))


# -- cart ---------------------------------------------------------------------------------------


async def _show_cart(update: Update, context: Context, note: str | None = None) -> None:
    d = deps(context)
    cart = await d.shop.cart(me(context).id)
    await show(update, context, d.views.cart(lang(context), cart, d.shop.config.currency, note))


@button_handler
async def on_cart(update: Update, context: Context, data: ShowCart) -> str | None:
    """Show the cart."""
    await _show_cart(update, context)
    return None


async def _cart_change(
    update: Update, context: Context, change: Callable[[], Awaitable[object]]
) -> str | None:
    try:
        await change()
    except (NotInCartError, ProductUnavailableError, OutOfStockError):
        await _show_cart(update, context)  # the cart changed under this message: refresh it
        raise
    await _show_cart(update, context)
    return None


@button_handler
async def on_cart_more(update: Update, context: Context, data: CartMore) -> str | None:
    """One more of a line."""
    return await _cart_change(
        update,
        context,
        lambda: deps(context).shop.change_quantity(me(context).id, data.product_id, +1),
    )


@button_handler
async def on_cart_less(update: Update, context: Context, data: CartLess) -> str | None:
    """One fewer of a line (removes it at zero)."""
    return await _cart_change(
        update,
        context,
        lambda: deps(context).shop.change_quantity(me(context).id, data.product_id, -1),
    )


@button_handler
async def on_cart_remove(update: Update, context: Context, data: CartRemove) -> str | None:
    """Remove a line."""
    return await _cart_change(
        update,
        context,
        lambda: deps(context).shop.remove_from_cart(me(context).id, data.product_id),
    )
