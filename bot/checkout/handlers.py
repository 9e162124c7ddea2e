"""Checkout handlers: the checkout dialog, buttons and typed answers."""

from __future__ import annotations

import asyncio
import contextlib
import html
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from telegram import ReplyKeyboardRemove, Update

from bot.callback_data import Callback
from bot.cart.handlers import show_cart
from bot.catalog.handlers import search
from bot.checkout.callbacks import (
    Checkout,
    CheckoutBack,
    CheckoutCancel,
    ChooseShipping,
    Confirm,
    HaveCode,
    NewAddress,
    PayWith,
    PickUp,
    RemoveCode,
    UseAddress,
)
from bot.context import Handler, ShopApp, ShopContext
from bot.payments.invoices import offer_payment
from bot.screens import Screen
from bot.shared.handlers import MAX_TEXT, add_customer_handlers, button_handler
from bot.shared.waiting import waiting_dialogs
from bot.texts import Texts
from bot.ui import reply, show
from domain.checkout.flow import TEXT_STEPS, CheckoutStep
from domain.checkout.ordering import CheckoutView
from domain.checkout.shipping_methods import ShippingChangedError
from domain.checkout.sold_out import SoldOutError
from domain.promotions.rules import PromoNoLongerAppliesError
from domain.shared.customers import Language
from domain.shared.errors import (
    DomainError,
    OutOfStockError,
    PriceChangedError,
    ProductUnavailableError,
    StaleCheckoutError,
)


async def cancel_command(update: Update, context: ShopContext) -> None:
    """Leave checkout if one is going on."""
    view = await context.shop.current_checkout(context.customer.id)
    if view is None:
        await reply(
            update,
            context,
            Screen(
                context.texts(context.lang, "checkout.nothing_to_cancel"), ReplyKeyboardRemove()
            ),
        )
        return
    await _leave_checkout(update, context, view.checkout.token)


# -- checkout -----------------------------------------------------------------------------------


async def _present_step(
    update: Update, context: ShopContext, view: CheckoutView, *, from_text: bool
) -> None:
    """Show the current step: inline steps edit the tapped message; typed steps need a new
    message because only new messages can carry a reply keyboard."""
    language = context.lang
    step = view.checkout.step
    screen = context.views.checkout_step(language, view)
    if step in TEXT_STEPS:
        if update.callback_query is not None:
            now = (
                "checkout.shipping.now_pickup"
                if view.checkout.draft.pickup and step == CheckoutStep.ENTER_RECIPIENT
                else f"checkout.now.{step.value}"
            )
            await show(update, context, Screen(context.texts(language, now)))
        await reply(update, context, screen)
        return
    if from_text:
        # Leaving a typed step: take the reply keyboard away before the inline screen.
        await reply(
            update,
            context,
            context.views.details_saved(language, view)
            if step in (CheckoutStep.CHOOSE_SHIPPING, CheckoutStep.CHOOSE_PAYMENT)
            and (view.checkout.draft.new_address or view.checkout.draft.pickup)
            else Screen(context.texts(language, "checkout.back_done"), ReplyKeyboardRemove()),
        )
        await reply(update, context, screen)
        return
    await show(update, context, screen)


@button_handler
async def on_checkout(update: Update, context: ShopContext, data: Checkout) -> str | None:
    """Start checkout from the cart."""
    try:
        view = await context.shop.start_checkout(context.customer.id)
    except (OutOfStockError, ProductUnavailableError):
        await show_cart(update, context)
        raise
    await _present_step(update, context, view, from_text=False)
    return None


async def _checkout_step(
    update: Update, context: ShopContext, step: Callable[[], Awaitable[CheckoutView]]
) -> str | None:
    try:
        view = await step()
    except StaleCheckoutError:
        current = await context.shop.current_checkout(context.customer.id)
        if current is None:
            await show_cart(update, context)
        else:
            await _present_step(update, context, current, from_text=False)
        raise
    if view.checkout.step == CheckoutStep.ABANDONED:
        await show_cart(update, context, context.texts(context.lang, "checkout.left"))
        return None
    await _present_step(update, context, view, from_text=False)
    return None


@button_handler
async def on_use_address(update: Update, context: ShopContext, data: UseAddress) -> str | None:
    """Deliver to a saved address."""
    return await _checkout_step(
        update,
        context,
        lambda: context.shop.use_saved_address(context.customer.id, data.token, data.address_id),
    )


@button_handler
async def on_new_address(update: Update, context: ShopContext, data: NewAddress) -> str | None:
    """Start a new address."""
    return await _checkout_step(
        update, context, lambda: context.shop.new_address(context.customer.id, data.token)
    )


@button_handler
async def on_pick_up(update: Update, context: ShopContext, data: PickUp) -> str | None:
    """Collect the order at the shop; asks the name next."""
    return await _checkout_step(
        update,
        context,
        lambda: context.shop.pick_up(context.customer.id, data.token, data.code),
    )


@button_handler
async def on_choose_shipping(
    update: Update, context: ShopContext, data: ChooseShipping
) -> str | None:
    """Choose a delivery method; asks how to pay next."""
    return await _checkout_step(
        update,
        context,
        lambda: context.shop.choose_shipping(context.customer.id, data.token, data.code),
    )


@button_handler
async def on_pay_with(update: Update, context: ShopContext, data: PayWith) -> str | None:
    """Choose how to pay."""
    return await _checkout_step(
        update,
        context,
        lambda: context.shop.choose_payment(context.customer.id, data.token, data.method),
    )


@button_handler
async def on_checkout_back(update: Update, context: ShopContext, data: CheckoutBack) -> str | None:
    """One step back."""
    return await _checkout_step(
        update, context, lambda: context.shop.checkout_back(context.customer.id, data.token)
    )


@button_handler
async def on_checkout_cancel(
    update: Update, context: ShopContext, data: CheckoutCancel
) -> str | None:
    """Leave checkout, keeping the cart."""
    return await _checkout_step(
        update, context, lambda: context.shop.abandon_checkout(context.customer.id, data.token)
    )


@dataclass
class _Confirms:
    """The Confirms of one checkout that overlap in this process (a double tap)."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    taps: int = 0
    offered: bool = False  # one of them sent the invoice, or said why it could not


@contextlib.asynccontextmanager
async def _one_at_a_time(context: ShopContext, token: str) -> AsyncIterator[_Confirms]:
    """Run overlapping Confirms of a checkout one after another, sharing what the first did;
    a Confirm after they are all done starts afresh."""
    assert context.chat_data is not None
    overlapping: dict[str, _Confirms] = context.chat_data.setdefault("confirms", {})
    confirms = overlapping.setdefault(token, _Confirms())
    confirms.taps += 1
    try:
        async with confirms.lock:
            yield confirms
    finally:
        confirms.taps -= 1
        if confirms.taps == 0:
            del overlapping[token]


@button_handler
async def on_confirm(update: Update, context: ShopContext, data: Confirm) -> str | None:
    """Place the order, send its invoice and show it placed. A Confirm again shows the same
    order and sends its invoice again while it waits for an online payment: the process that
    placed it may have died before the invoice went out."""
    async with _one_at_a_time(context, data.token) as confirms:
        try:
            placed = await context.shop.place_order(context.customer.id, data.token)
        except (OutOfStockError, ProductUnavailableError) as error:
            cart = error.cart if isinstance(error, SoldOutError) else None  # as the check read it
            await show_cart(update, context, context.views.error(context.lang, error), cart)
            raise
        except (StaleCheckoutError, PriceChangedError, ShippingChangedError):
            current = await context.shop.current_checkout(context.customer.id)
            if current is not None:
                await _present_step(update, context, current, from_text=False)
            raise
        except PromoNoLongerAppliesError:
            # Nothing was placed: the review again, without the code, under the alert saying why.
            current = await context.shop.current_checkout(context.customer.id)
            if current is not None:
                await _present_step(update, context, current, from_text=False)
            raise
        order = placed.order
        if placed.created or not confirms.offered:
            # Before the placed screen replaces the review (the invoice, a new message, still
            # comes below it): until the invoice is out, Confirm stays under the customer's
            # finger, and tapping it again after a crash sends the invoice.
            await offer_payment(update, context, order)
            confirms.offered = True
        due = await context.payments.payment_due(order)
        await show(update, context, context.views.placed(context.lang, order, due))
    if not placed.created:
        return context.texts(context.lang, "order.already_placed", number=order.number)
    return context.texts(context.lang, "order.placed_toast", number=order.number)


@button_handler
async def on_have_code(update: Update, context: ShopContext, data: HaveCode) -> str | None:
    """The review's "Have a code?": asks for the code."""
    return await _checkout_step(
        update, context, lambda: context.shop.have_code(context.customer.id, data.token)
    )


@button_handler
async def on_remove_code(update: Update, context: ShopContext, data: RemoveCode) -> str | None:
    """Take the code off the review; the review again, without its discount."""
    await _checkout_step(
        update, context, lambda: context.shop.remove_code(context.customer.id, data.token)
    )
    return context.texts(context.lang, "checkout.code_removed")


async def _leave_checkout(update: Update, context: ShopContext, token: str) -> None:
    await context.shop.abandon_checkout(context.customer.id, token)
    await reply(
        update, context, Screen(context.texts(context.lang, "checkout.left"), ReplyKeyboardRemove())
    )
    cart = await context.shop.cart(context.customer.id)
    await reply(
        update, context, context.views.cart(context.lang, cart, context.shop.config.currency)
    )


def _is_label(texts: Texts, key: str, text: str) -> bool:
    return any(html.unescape(texts(language, key)) == text for language in Language)


async def on_text(update: Update, context: ShopContext) -> None:
    """Typed text: a checkout answer when checkout waits for one, otherwise a product search."""
    assert update.message is not None
    text = update.message.text or ""
    language = context.lang
    if len(text) > MAX_TEXT:
        await reply(
            update, context, Screen(context.texts(language, "error.text_too_long", max=MAX_TEXT))
        )
        return
    checkout = (await waiting_dialogs(update, context)).checkout  # read once for the update
    if checkout is None:
        await search(update, context, text)
        return
    token = checkout.token
    if _is_label(context.texts, "checkout.cancel", text):
        await _leave_checkout(update, context, token)
        return
    if _is_label(context.texts, "checkout.back", text):
        back = await context.shop.checkout_back(context.customer.id, token)
        if back.checkout.step == CheckoutStep.ABANDONED:
            await reply(
                update,
                context,
                Screen(context.texts(language, "checkout.left"), ReplyKeyboardRemove()),
            )
            cart = await context.shop.cart(context.customer.id)
            await reply(
                update, context, context.views.cart(language, cart, context.shop.config.currency)
            )
            return
        await _present_step(update, context, back, from_text=True)
        return
    step = checkout.step
    if step not in TEXT_STEPS:
        # A button is expected: say so and show the step again.
        current = await context.shop.current_checkout(context.customer.id)
        await reply(update, context, Screen(context.texts(language, "checkout.use_buttons")))
        if current is not None:
            await reply(update, context, context.views.checkout_step(language, current))
        return
    shop = context.shop
    # The write takes the checkout as read above: written over only if no other update moved
    # it on meanwhile, without reading it again (issue 13).
    customer_id = context.customer.id
    actions: dict[CheckoutStep, Callable[[], Awaitable[CheckoutView]]] = {
        CheckoutStep.ENTER_RECIPIENT: lambda: shop.give_recipient(customer_id, text, checkout),
        CheckoutStep.ENTER_PHONE: lambda: shop.give_phone(
            customer_id, text, from_contact=False, read=checkout
        ),
        CheckoutStep.ENTER_ADDRESS: lambda: shop.give_address(customer_id, text, checkout),
        CheckoutStep.ENTER_CODE: lambda: shop.give_code(customer_id, text, checkout),
    }
    try:
        answered = await actions[step]()
    except DomainError as error:
        await reply(
            update,
            context,
            Screen(
                context.views.error(language, error),
                context.views.text_step_keyboard(language, step),
            ),
        )
        return
    if step == CheckoutStep.ENTER_CODE:
        # Back on the review: say what became of the code, then the review with its discount.
        await reply(update, context, context.views.code_entered(language, answered))
        await reply(update, context, context.views.checkout_step(language, answered))
        return
    await _present_step(update, context, answered, from_text=True)


async def on_contact(update: Update, context: ShopContext) -> None:
    """A shared contact: the phone number when checkout asks for one."""
    assert update.message is not None and update.message.contact is not None
    language = context.lang
    contact = update.message.contact
    # The customer's own number (the contact of their own account) is kept as verified; a
    # contact of someone else is only the delivery phone.
    own = contact.user_id is not None and contact.user_id == context.customer.id
    unexpected = Screen(context.texts(language, "checkout.contact_unexpected"))
    # Straight to the step's write, which refuses a checkout that is not asking for a phone
    # (issue 13: no read before it, one transaction); a contact is almost always that answer.
    try:
        view = await context.shop.give_phone(
            context.customer.id, contact.phone_number, from_contact=True, own=own
        )
    except StaleCheckoutError:  # no checkout, or not at the phone step
        await reply(update, context, unexpected)
        return
    except DomainError as error:
        # A number refused (or the cart emptied meanwhile): said only when checkout asks
        # for a phone.
        checkout = await context.shop.checkout_in_progress(context.customer.id)
        if checkout is None or checkout.step != CheckoutStep.ENTER_PHONE:
            await reply(update, context, unexpected)
            return
        await reply(
            update,
            context,
            Screen(
                context.views.error(language, error),
                context.views.text_step_keyboard(language, CheckoutStep.ENTER_PHONE),
            ),
        )
        return
    await _present_step(update, context, view, from_text=True)


COMMANDS: dict[str, Handler] = {
    "cancel": cancel_command,
}
BUTTONS: list[tuple[type[Callback], Handler]] = [
    (Checkout, on_checkout),
    (UseAddress, on_use_address),
    (NewAddress, on_new_address),
    (PickUp, on_pick_up),
    (ChooseShipping, on_choose_shipping),
    (PayWith, on_pay_with),
    (CheckoutBack, on_checkout_back),
    (CheckoutCancel, on_checkout_cancel),
    (Confirm, on_confirm),
    (HaveCode, on_have_code),
    (RemoveCode, on_remove_code),
]


def register(app: ShopApp) -> None:
    """The checkout dialog's command and buttons (its typed answers come through the customer
    catch-alls, see bot/app.py)."""
    add_customer_handlers(app, COMMANDS, BUTTONS)
