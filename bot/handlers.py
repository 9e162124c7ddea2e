"""Customer handlers: parse the update, call one use case, render the result."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from telegram import ReplyKeyboardRemove, Update
from telegram.error import BadRequest
from telegram.ext import ContextTypes

from bot import callbacks as cb
from bot.texts import Texts
from bot.ui import reply, show
from bot.views import Screen, Views
from domain.checkout.flow import TEXT_STEPS, CheckoutStep
from domain.checkout.shop import CartChange, CheckoutView, Shop
from domain.orders.lifecycle import CANCELLABLE_BY_CUSTOMER
from domain.orders.model import Order
from domain.shared.customers import Customer, Language
from domain.shared.errors import (
    DomainError,
    NotFoundError,
    NotInCartError,
    OutOfStockError,
    PriceChangedError,
    ProductUnavailableError,
    StaleCheckoutError,
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
        data = cb.parse(query.data)
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


async def catalog_command(update: Update, context: Context) -> None:
    """Show the categories."""
    d = deps(context)
    await reply(update, context, d.views.categories(lang(context), await d.shop.categories()))


async def cart_command(update: Update, context: Context) -> None:
    """Show the cart."""
    d = deps(context)
    cart = await d.shop.cart(me(context).id)
    await reply(update, context, d.views.cart(lang(context), cart, d.shop.config.currency))


async def orders_command(update: Update, context: Context) -> None:
    """Show the customer's orders."""
    d = deps(context)
    await reply(
        update,
        context,
        d.views.order_list(lang(context), await d.shop.my_orders(me(context).id, 0)),
    )


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


async def cancel_command(update: Update, context: Context) -> None:
    """Leave checkout if one is going on."""
    d = deps(context)
    view = await d.shop.current_checkout(me(context).id)
    if view is None:
        await reply(
            update,
            context,
            Screen(d.texts(lang(context), "checkout.nothing_to_cancel"), ReplyKeyboardRemove()),
        )
        return
    await _leave_checkout(update, context, view.checkout.token)


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
async def on_menu(update: Update, context: Context, data: cb.Menu) -> str | None:
    """Back to the main menu."""
    await show(update, context, deps(context).views.menu(lang(context), await _cart_count(context)))
    return None


@button_handler
async def on_help(update: Update, context: Context, data: cb.Help) -> str | None:
    """The help text."""
    await show(update, context, deps(context).views.help(lang(context), await _cart_count(context)))
    return None


@button_handler
async def on_noop(update: Update, context: Context, data: cb.Noop) -> str | None:
    """A label: nothing to do."""
    return None


@button_handler
async def on_language(update: Update, context: Context, data: cb.SetLanguage) -> str | None:
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


@button_handler
async def on_categories(update: Update, context: Context, data: cb.Categories) -> str | None:
    """List the categories."""
    d = deps(context)
    await show(update, context, d.views.categories(lang(context), await d.shop.categories()))
    return None


@button_handler
async def on_product_list(update: Update, context: Context, data: cb.ProductList) -> str | None:
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
async def on_product(update: Update, context: Context, data: cb.ProductCard) -> str | None:
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
async def on_add(update: Update, context: Context, data: cb.AddToCart) -> str | None:
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


# -- cart ---------------------------------------------------------------------------------------


async def _show_cart(update: Update, context: Context, note: str | None = None) -> None:
    d = deps(context)
    cart = await d.shop.cart(me(context).id)
    await show(update, context, d.views.cart(lang(context), cart, d.shop.config.currency, note))


@button_handler
async def on_cart(update: Update, context: Context, data: cb.ShowCart) -> str | None:
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
async def on_cart_more(update: Update, context: Context, data: cb.CartMore) -> str | None:
    """One more of a line."""
    return await _cart_change(
        update,
        context,
        lambda: deps(context).shop.change_quantity(me(context).id, data.product_id, +1),
    )


@button_handler
async def on_cart_less(update: Update, context: Context, data: cb.CartLess) -> str | None:
    """One fewer of a line (removes it at zero)."""
    return await _cart_change(
        update,
        context,
        lambda: deps(context).shop.change_quantity(me(context).id, data.product_id, -1),
    )


@button_handler
async def on_cart_remove(update: Update, context: Context, data: cb.CartRemove) -> str | None:
    """Remove a line."""
    return await _cart_change(
        update,
        context,
        lambda: deps(context).shop.remove_from_cart(me(context).id, data.product_id),
    )


# -- checkout -----------------------------------------------------------------------------------


async def _present_step(
    update: Update, context: Context, view: CheckoutView, *, from_text: bool
) -> None:
    """Show the current step: inline steps edit the tapped message; typed steps need a new
    message because only new messages can carry a reply keyboard."""
    d = deps(context)
    language = lang(context)
    step = view.checkout.step
    screen = d.views.checkout_step(language, view)
    if step in TEXT_STEPS:
        if update.callback_query is not None:
            await show(update, context, Screen(d.texts(language, f"checkout.now.{step.value}")))
        await reply(update, context, screen)
        return
    if from_text:
        # Leaving a typed step: take the reply keyboard away before the inline screen.
        await reply(
            update,
            context,
            d.views.details_saved(language, view)
            if step == CheckoutStep.CHOOSE_PAYMENT and view.checkout.draft.new_address
            else Screen(d.texts(language, "checkout.back_done"), ReplyKeyboardRemove()),
        )
        await reply(update, context, screen)
        return
    await show(update, context, screen)


@button_handler
async def on_checkout(update: Update, context: Context, data: cb.Checkout) -> str | None:
    """Start checkout from the cart."""
    d = deps(context)
    try:
        view = await d.shop.start_checkout(me(context).id)
    except (OutOfStockError, ProductUnavailableError):
        await _show_cart(update, context)
        raise
    await _present_step(update, context, view, from_text=False)
    return None


async def _checkout_step(
    update: Update, context: Context, step: Callable[[], Awaitable[CheckoutView]]
) -> str | None:
    d = deps(context)
    try:
        view = await step()
    except StaleCheckoutError:
        current = await d.shop.current_checkout(me(context).id)
        if current is None:
            await _show_cart(update, context)
        else:
            await _present_step(update, context, current, from_text=False)
        raise
    if view.checkout.step == CheckoutStep.ABANDONED:
        await _show_cart(update, context, d.texts(lang(context), "checkout.left"))
        return None
    await _present_step(update, context, view, from_text=False)
    return None


@button_handler
async def on_use_address(update: Update, context: Context, data: cb.UseAddress) -> str | None:
    """Deliver to a saved address."""
    return await _checkout_step(
        update,
        context,
        lambda: deps(context).shop.use_saved_address(me(context).id, data.token, data.address_id),
    )


@button_handler
async def on_new_address(update: Update, context: Context, data: cb.NewAddress) -> str | None:
    """Start a new address."""
    return await _checkout_step(
        update, context, lambda: deps(context).shop.new_address(me(context).id, data.token)
    )


@button_handler
async def on_pay_with(update: Update, context: Context, data: cb.PayWith) -> str | None:
    """Choose how to pay."""
    return await _checkout_step(
        update,
        context,
        lambda: deps(context).shop.choose_payment(me(context).id, data.token, data.method),
    )


@button_handler
async def on_checkout_back(update: Update, context: Context, data: cb.CheckoutBack) -> str | None:
    """One step back."""
    return await _checkout_step(
        update, context, lambda: deps(context).shop.checkout_back(me(context).id, data.token)
    )


@button_handler
async def on_checkout_cancel(
    update: Update, context: Context, data: cb.CheckoutCancel
) -> str | None:
    """Leave checkout, keeping the cart."""
    return await _checkout_step(
        update, context, lambda: deps(context).shop.abandon_checkout(me(context).id, data.token)
    )


@button_handler
async def on_confirm(update: Update, context: Context, data: cb.Confirm) -> str | None:
    """Place the order (a second tap shows the same order)."""
    d = deps(context)
    try:
        placed = await d.shop.place_order(me(context).id, data.token)
    except (OutOfStockError, ProductUnavailableError) as error:
        await _show_cart(update, context, d.views.error(lang(context), error))
        raise
    except (StaleCheckoutError, PriceChangedError):
        current = await d.shop.current_checkout(me(context).id)
        if current is not None:
            await _present_step(update, context, current, from_text=False)
        raise
    await show(update, context, d.views.placed(lang(context), placed.order))
    if not placed.created:
        return d.texts(lang(context), "order.already_placed", number=placed.order.number)
    # The invoice follows the placed screen. Imported here: bot.payments builds on this module.
    from bot.payments.handlers import offer_payment

    await offer_payment(update, context, placed.order)
    return d.texts(lang(context), "order.placed_toast", number=placed.order.number)


async def _leave_checkout(update: Update, context: Context, token: str) -> None:
    d = deps(context)
    await d.shop.abandon_checkout(me(context).id, token)
    await reply(
        update, context, Screen(d.texts(lang(context), "checkout.left"), ReplyKeyboardRemove())
    )
    cart = await d.shop.cart(me(context).id)
    await reply(update, context, d.views.cart(lang(context), cart, d.shop.config.currency))


def _is_label(texts: Texts, key: str, text: str) -> bool:
    import html

    return any(html.unescape(texts(language, key)) == text for language in Language)


async def on_text(update: Update, context: Context) -> None:
    """Typed text: a checkout answer when checkout waits for one, otherwise a product search."""
    d = deps(context)
    assert update.message is not None
    text = update.message.text or ""
    language = lang(context)
    if len(text) > MAX_TEXT:
        await reply(update, context, Screen(d.texts(language, "error.text_too_long", max=MAX_TEXT)))
        return
    view = await d.shop.current_checkout(me(context).id)
    if view is None:
        await _search(update, context, text)
        return
    token = view.checkout.token
    if _is_label(d.texts, "checkout.cancel", text):
        await _leave_checkout(update, context, token)
        return
    if _is_label(d.texts, "checkout.back", text):
        view = await d.shop.checkout_back(me(context).id, token)
        if view.checkout.step == CheckoutStep.ABANDONED:
            await reply(
                update, context, Screen(d.texts(language, "checkout.left"), ReplyKeyboardRemove())
            )
            cart = await d.shop.cart(me(context).id)
            await reply(update, context, d.views.cart(language, cart, d.shop.config.currency))
            return
        await _present_step(update, context, view, from_text=True)
        return
    step = view.checkout.step
    if step not in TEXT_STEPS:
        # A button is expected: say so and show the step again.
        await reply(update, context, Screen(d.texts(language, "checkout.use_buttons")))
        await reply(update, context, d.views.checkout_step(language, view))
        return
    shop = d.shop
    actions: dict[CheckoutStep, Callable[[], Awaitable[CheckoutView]]] = {
        CheckoutStep.ENTER_RECIPIENT: lambda: shop.give_recipient(me(context).id, text),
        CheckoutStep.ENTER_PHONE: lambda: shop.give_phone(me(context).id, text, from_contact=False),
        CheckoutStep.ENTER_ADDRESS: lambda: shop.give_address(me(context).id, text),
    }
    try:
        view = await actions[step]()
    except DomainError as error:
        await reply(
            update,
            context,
            Screen(d.views.error(language, error), d.views.text_step_keyboard(language, step)),
        )
        return
    await _present_step(update, context, view, from_text=True)


async def on_contact(update: Update, context: Context) -> None:
    """A shared contact: the phone number when checkout asks for one."""
    d = deps(context)
    assert update.message is not None and update.message.contact is not None
    language = lang(context)
    view = await d.shop.current_checkout(me(context).id)
    if view is None or view.checkout.step != CheckoutStep.ENTER_PHONE:
        await reply(update, context, Screen(d.texts(language, "checkout.contact_unexpected")))
        return
    try:
        view = await d.shop.give_phone(
            me(context).id, update.message.contact.phone_number, from_contact=True
        )
    except DomainError as error:
        await reply(
            update,
            context,
            Screen(
                d.views.error(language, error),
                d.views.text_step_keyboard(language, CheckoutStep.ENTER_PHONE),
            ),
        )
        return
    await _present_step(update, context, view, from_text=True)


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


# -- orders -------------------------------------------------------------------------------------


@button_handler
async def on_orders(update: Update, context: Context, data: cb.OrderList) -> str | None:
    """A page of the customer's orders."""
    d = deps(context)
    paged = await d.shop.my_orders(me(context).id, data.page)
    if not paged.items and data.page > 0:
        paged = await d.shop.my_orders(me(context).id, 0)
    await show(update, context, d.views.order_list(lang(context), paged))
    return None


@button_handler
async def on_order(update: Update, context: Context, data: cb.OrderDetail) -> str | None:
    """One order with its timeline."""
    d = deps(context)
    order = await d.shop.my_order(me(context).id, data.number)
    lines, rows = await order_extras(context, order, data.page)
    await show(update, context, d.views.order_detail(lang(context), order, data.page, lines, rows))
    return None


OrderExtra = Callable[[Context, Order, int], Awaitable[tuple[list[str], list[list[Any]]]]]


async def order_extras(
    context: Context, order: Order, page: int
) -> tuple[list[str], list[list[Any]]]:
    """What feature modules add to an order's detail (lines, button rows): each registers an
    `OrderExtra` in bot_data["order_extras"] (after-sales, reviews)."""
    lines: list[str] = []
    rows: list[list[Any]] = []
    extras: list[OrderExtra] = context.bot_data.get("order_extras", [])
    for extra in extras:
        more_lines, more_rows = await extra(context, order, page)
        lines.extend(more_lines)
        rows.extend(more_rows)
    return lines, rows


@button_handler
async def on_ask_cancel(update: Update, context: Context, data: cb.AskCancelOrder) -> str | None:
    """Ask before cancelling."""
    d = deps(context)
    order = await d.shop.my_order(me(context).id, data.number)
    if order.status not in CANCELLABLE_BY_CUSTOMER:
        await show(update, context, d.views.order_detail(lang(context), order, data.page))
        return d.texts(
            lang(context), "order.cannot_cancel", status=d.views.status(lang(context), order)
        )
    await show(update, context, d.views.ask_cancel(lang(context), order, data.page))
    return None


@button_handler
async def on_cancel_order(update: Update, context: Context, data: cb.CancelOrder) -> str | None:
    """Cancel an unpaid order."""
    d = deps(context)
    try:
        order = await d.shop.cancel_my_order(me(context).id, data.number)
    except DomainError as error:
        if isinstance(error, NotFoundError):
            raise
        order = await d.shop.my_order(me(context).id, data.number)
        await show(update, context, d.views.order_detail(lang(context), order, data.page))
        return d.texts(
            lang(context), "order.cannot_cancel", status=d.views.status(lang(context), order)
        )
    await show(update, context, d.views.order_detail(lang(context), order, data.page))
    return d.texts(lang(context), "order.cancelled_toast", number=order.number)


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
