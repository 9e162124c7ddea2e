"""Checkout handlers: the checkout dialog, buttons and typed answers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from telegram import ReplyKeyboardRemove, Update

from bot.cart.handlers import _show_cart
from bot.catalog.handlers import _search
from bot.checkout.callbacks import (
    Checkout,
    CheckoutBack,
    CheckoutCancel,
    Confirm,
    NewAddress,
    PayWith,
    UseAddress,
)
from bot.screens import Screen
from bot.shared.handlers import MAX_TEXT, Context, button_handler, deps, lang, me
from bot.texts import Texts
from bot.ui import reply, show
from domain.checkout.flow import TEXT_STEPS, CheckoutStep
from domain.checkout.shop import CheckoutView
from domain.shared.customers import Language
from domain.shared.errors import (
    DomainError,
    OutOfStockError,
    PriceChangedError,
    ProductUnavailableError,
    StaleCheckoutError,
)


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
async def on_checkout(update: Update, context: Context, data: Checkout) -> str | None:
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
async def on_use_address(update: Update, context: Context, data: UseAddress) -> str | None:
    """Deliver to a saved address."""
    return await _checkout_step(
        update,
        context,
        lambda: deps(context).shop.use_saved_address(me(context).id, data.token, data.address_id),
    )


@button_handler
async def on_new_address(update: Update, context: Context, data: NewAddress) -> str | None:
    """Start a new address."""
    return await _checkout_step(
        update, context, lambda: deps(context).shop.new_address(me(context).id, data.token)
    )


@button_handler
async def on_pay_with(update: Update, context: Context, data: PayWith) -> str | None:
    """Choose how to pay."""
    return await _checkout_step(
        update,
        context,
        lambda: deps(context).shop.choose_payment(me(context).id, data.token, data.method),
    )


@button_handler
async def on_checkout_back(update: Update, context: Context, data: CheckoutBack) -> str | None:
    """One step back."""
    return await _checkout_step(
        update, context, lambda: deps(context).shop.checkout_back(me(context).id, data.token)
    )


@button_handler
async def on_checkout_cancel(update: Update, context: Context, data: CheckoutCancel) -> str | None:
    """Leave checkout, keeping the cart."""
    return await _checkout_step(
        update, context, lambda: deps(context).shop.abandon_checkout(me(context).id, data.token)
    )


@button_handler
async def on_confirm(update: Update, context: Context, data: Confirm) -> str | None:
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
    from bot.payments.invoices import offer_payment

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
