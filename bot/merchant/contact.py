"""Talking to the shop in the chat (domain/merchant/contact.py): "💬 Contact the shop" (the
menu, /contact, an order's screen) asks the customer for one message, which goes to the admin
chat; an admin's "↩️ Reply" there asks for the answer, which goes to the customer with a Reply
key of their own. A finished question loses its buttons; its text stays as a record."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.callback_data import Token
from bot.context import ShopApp, ShopContext
from bot.merchant.callbacks import (
    AdminAnswer,
    AnswerCancel,
    ContactAbout,
    ContactCancel,
    ContactShop,
)
from bot.merchant.common import admin_button
from bot.merchant.placement import strip_buttons
from bot.screens import Screen, button, keyboard, with_header
from bot.shared.handlers import button_handler, chat_and_user
from bot.ui import reply, show
from domain.shared.dialogs import Dialog
from domain.shared.errors import DomainError

# -- the customer -------------------------------------------------------------------------------


def _ask(context: ShopContext, dialog: Dialog) -> Screen:
    t, lang = context.texts, context.lang
    number = str(dialog.data.get("number") or "")
    shop = context.services.shop_name
    text = (
        t(lang, "contact.ask_order", shop=shop, number=number)
        if number
        else t(lang, "contact.ask", shop=shop)
    )
    cancel = button(t(lang, "contact.cancel"), ContactCancel(Token(dialog.token)))
    return Screen(text, keyboard([[cancel]]))


async def _start(update: Update, context: ShopContext, number: str | None, *, edit: bool) -> None:
    customer = context.customer
    dialog = await context.merchant.start_contact(customer.id, number)
    screen = _ask(context, dialog)
    shown = await (show if edit else reply)(update, context, screen)
    if shown is not None:
        await context.merchant.shown(
            customer.id, customer.id, dialog.token, card=None, prompt=shown.message_id
        )


async def contact_command(update: Update, context: ShopContext) -> None:
    """/contact: ask for the message to the shop."""
    await _start(update, context, None, edit=False)


@button_handler
async def on_contact(update: Update, context: ShopContext, data: ContactShop) -> str | None:
    """💬 Contact the shop: the question takes the tapped message's place."""
    await _start(update, context, None, edit=True)
    return None


@button_handler
async def on_contact_about(update: Update, context: ShopContext, data: ContactAbout) -> str | None:
    """💬 Ask about this order (from the order's screen)."""
    await _start(update, context, data.number, edit=True)
    return None


@button_handler
async def on_contact_cancel(
    update: Update, context: ShopContext, data: ContactCancel
) -> str | None:
    """Nothing is sent: the menu comes back."""
    customer = context.customer
    await context.merchant.cancel_dialog(customer.id, customer.id, data.token)
    menu = context.views.menu_keyboard(context.lang)
    await show(update, context, Screen(context.texts(context.lang, "contact.cancelled"), menu))
    return None


async def answer_contact(update: Update, context: ShopContext, dialog: Dialog, text: str) -> None:
    """The customer's typed message: relayed, and the question above loses its Cancel key; a
    message of the wrong length is asked again."""
    customer = context.customer
    lang = context.lang
    try:
        await context.merchant.send_to_shop(customer.id, text)
    except DomainError as error:
        await reply(
            update, context, with_header(context.views.error(lang, error), _ask(context, dialog))
        )
        return
    if dialog.prompt is not None:
        await strip_buttons(context, customer.id, dialog.prompt)
    menu = context.views.menu_keyboard(lang)
    await reply(update, context, Screen(context.texts(lang, "contact.sent"), menu))


# -- the admin ----------------------------------------------------------------------------------


def _answer_prompt(context: ShopContext, dialog: Dialog) -> Screen:
    t, lang = context.texts, context.admin_language
    cancel = button(t(lang, "adm.dialog.cancel"), AnswerCancel(Token(dialog.token)))
    who = str(dialog.data.get("customer", ""))
    return Screen(t(lang, "adm.relay.answer_ask", customer=who), keyboard([[cancel]]))


async def on_answer(update: Update, context: ShopContext, data: AdminAnswer) -> str | None:
    """↩️ Reply on a customer's message: the answer is asked below it."""
    chat, user = chat_and_user(update)
    dialog = await context.merchant.start_answer(chat, user, data.customer_id)
    shown = await reply(update, context, _answer_prompt(context, dialog))
    if shown is not None:
        await context.merchant.shown(chat, user, dialog.token, card=None, prompt=shown.message_id)
    return None


async def on_answer_cancel(update: Update, context: ShopContext, data: AnswerCancel) -> str | None:
    """No answer: the question says so and loses its key."""
    chat, user = chat_and_user(update)
    await context.merchant.cancel_dialog(chat, user, data.token)
    text = context.texts(context.admin_language, "adm.dialog.cancelled")
    await show(update, context, Screen(text))
    return None


async def answer_admin(update: Update, context: ShopContext, dialog: Dialog, text: str) -> None:
    """The admin's typed answer: sent to the customer; the question loses its Cancel key."""
    chat, user = chat_and_user(update)
    t, lang = context.texts, context.admin_language
    try:
        await context.merchant.answer_customer(chat, user, text)
    except DomainError as error:
        message = context.admin_views.error(error)
        await reply(update, context, with_header(message, _answer_prompt(context, dialog)))
        return
    if dialog.prompt is not None:
        await strip_buttons(context, chat, dialog.prompt)
    who = str(dialog.data.get("customer", ""))
    await reply(update, context, Screen(t(lang, "adm.relay.answered", customer=who)))


def register(app: ShopApp) -> None:
    """The customer's /contact and keys; the admin's Reply (admins only)."""
    private = filters.ChatType.PRIVATE
    app.add_handler(CommandHandler("contact", contact_command, filters=private))
    app.add_handler(CallbackQueryHandler(on_contact, pattern=ContactShop.matches))
    app.add_handler(CallbackQueryHandler(on_contact_about, pattern=ContactAbout.matches))
    app.add_handler(CallbackQueryHandler(on_contact_cancel, pattern=ContactCancel.matches))
    app.add_handler(CallbackQueryHandler(admin_button(on_answer), pattern=AdminAnswer.matches))
    app.add_handler(
        CallbackQueryHandler(admin_button(on_answer_cancel), pattern=AnswerCancel.matches)
    )
