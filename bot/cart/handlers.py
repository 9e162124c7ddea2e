"""Cart handlers: show the cart, change quantities."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import Update

from bot.callback_data import Callback
from bot.cart.callbacks import CartLess, CartMore, CartRemove, PutBackInCart, ShowCart
from bot.context import Handler, ShopApp, ShopContext
from bot.shared.handlers import add_customer_handlers, button_handler
from bot.ui import reply, show
from domain.cart.model import Cart
from domain.checkout.browsing import CartChange
from domain.shared.errors import (
    NotInCartError,
    OutOfStockError,
    ProductUnavailableError,
)


async def cart_command(update: Update, context: ShopContext) -> None:
    """Show the cart."""
    cart = await context.shop.cart(context.customer.id)
    await reply(
        update, context, context.views.cart(context.lang, cart, context.shop.config.currency)
    )


# -- cart ---------------------------------------------------------------------------------------


async def show_cart(
    update: Update, context: ShopContext, note: str | None = None, cart: Cart | None = None
) -> None:
    """Show the cart (as a change just left it, or read now)."""
    if cart is None:
        cart = await context.shop.cart(context.customer.id)
    await show(
        update, context, context.views.cart(context.lang, cart, context.shop.config.currency, note)
    )


@button_handler
async def on_put_back(update: Update, context: ShopContext, data: PutBackInCart) -> str | None:
    """A cancelled order's items back in the cart (as far as they are on sale); the cart is
    shown, saying what could not go back. A second tap changes nothing."""
    put = await context.shop.put_back_in_cart(context.customer.id, data.number)
    t, lang = context.texts, context.lang
    note = t(lang, "cart.put_back", number=put.order.number)
    if put.short:
        missing = ", ".join(f"{name} × {units}" for name, units in put.short)
        note += "\n" + t(lang, "cart.put_back_short", items=missing)
    await show_cart(update, context, note, put.cart)
    return t(lang, "cart.put_back_toast", n=put.cart.item_count)


@button_handler
async def on_cart(update: Update, context: ShopContext, data: ShowCart) -> str | None:
    """Show the cart."""
    await show_cart(update, context)
    return None


async def _cart_change(
    update: Update, context: ShopContext, change: Callable[[], Awaitable[CartChange]]
) -> str | None:
    try:
        changed = await change()
    except (NotInCartError, ProductUnavailableError, OutOfStockError):
        await show_cart(update, context)  # the cart changed under this message: refresh it
        raise
    await show_cart(update, context, cart=changed.cart)  # the cart the change committed
    return None


@button_handler
async def on_cart_more(update: Update, context: ShopContext, data: CartMore) -> str | None:
    """One more of a line."""
    return await _cart_change(
        update,
        context,
        lambda: context.shop.change_quantity(context.customer.id, data.product_id, +1),
    )


@button_handler
async def on_cart_less(update: Update, context: ShopContext, data: CartLess) -> str | None:
    """One fewer of a line (removes it at zero)."""
    return await _cart_change(
        update,
        context,
        lambda: context.shop.change_quantity(context.customer.id, data.product_id, -1),
    )


@button_handler
async def on_cart_remove(update: Update, context: ShopContext, data: CartRemove) -> str | None:
    """Remove a line."""
    return await _cart_change(
        update,
        context,
        lambda: context.shop.remove_from_cart(context.customer.id, data.product_id),
    )


COMMANDS: dict[str, Handler] = {
    "cart": cart_command,
}
BUTTONS: list[tuple[type[Callback], Handler]] = [
    (ShowCart, on_cart),
    (CartMore, on_cart_more),
    (CartLess, on_cart_less),
    (CartRemove, on_cart_remove),
    (PutBackInCart, on_put_back),
]


def register(app: ShopApp) -> None:
    """Show and change the cart."""
    add_customer_handlers(app, COMMANDS, BUTTONS)
