"""The merchant's dialogs (ship, cancel, note, message, product edits) and the customer's
reply to the shop."""

from __future__ import annotations

from telegram import Update

from bot.access import is_admin
from bot.callback_data import Token
from bot.checkout.handlers import on_text
from bot.context import ShopContext
from bot.marketing import admin as broadcast_admin
from bot.merchant import contact
from bot.merchant.callbacks import (
    AdminCarrier,
    AdminChoice,
    AdminConfirm,
    AdminDialogCancel,
    AdminSkip,
    ReplyCancel,
    ReplyToShop,
)
from bot.merchant.common import dialog_prompt, order_screen
from bot.merchant.placement import asked_below, cancelled, finished, moved
from bot.merchant.views import STOCK_REASONS
from bot.reviews.admin import answer_reply
from bot.screens import Screen, button, keyboard, with_header
from bot.shared.handlers import button_handler, chat_and_user, on_other_message
from bot.shared.waiting import waiting_dialogs
from bot.ui import reply, show
from domain.shared.dialogs import Dialog, DialogKind, StaleDialogError
from domain.shared.errors import DomainError, NotFoundError
from domain.shipping.carriers import DialogResult

# -- buttons: dialogs ---------------------------------------------------------------------------


async def on_carrier(update: Update, context: ShopContext, data: AdminCarrier) -> str | None:
    """The carrier: the tracking number is asked next."""
    chat, user = chat_and_user(update)
    dialog = await context.merchant.choose_carrier(chat, user, data.token, data.code)
    shown = await show(update, context, await dialog_prompt(context, dialog))
    if shown is not None:
        await moved(update, context, dialog, shown)
    return None


async def on_choice(update: Update, context: ShopContext, data: AdminChoice) -> str | None:
    """A value offered as a button: an existing category, or a preset reason."""
    chat, user = chat_and_user(update)
    dialog = await context.merchant.current_dialog(chat, user)
    if dialog is None or dialog.token != data.token:
        raise StaleDialogError()
    value: str | None = None
    if dialog.kind == DialogKind.STOCK and 0 <= data.value < len(STOCK_REASONS):
        label = context.texts(context.admin_language, STOCK_REASONS[data.value])
        value = label.split(" ", 1)[-1]  # the words, without the button's emoji
    elif dialog.kind == DialogKind.ADD_PRODUCT:
        found = [c.name for c in await context.shop.categories() if c.id == data.value]
        value = found[0] if found else None
    if value is None:
        raise StaleDialogError()
    result = await context.merchant.choose(chat, user, data.token, value)
    if result.done:
        await finished(update, context, result.dialog, result)
        return None
    shown = await show(update, context, await dialog_prompt(context, result.dialog))
    if shown is not None:
        await moved(update, context, result.dialog, shown)
    return None


async def on_skip(update: Update, context: ShopContext, data: AdminSkip) -> str | None:
    """Leave an optional step empty and go on."""
    chat, user = chat_and_user(update)
    result = await context.merchant.skip(chat, user, data.token)
    if result.done:
        await finished(update, context, result.dialog, result)
        return None
    shown = await show(update, context, await dialog_prompt(context, result.dialog))
    if shown is not None:
        await moved(update, context, result.dialog, shown)
    return None


async def on_dialog_cancel(
    update: Update, context: ShopContext, data: AdminDialogCancel
) -> str | None:
    """Leave a dialog: nothing changes, and its subject shows again."""
    chat, user = chat_and_user(update)
    dialog = await context.merchant.cancel_dialog(chat, user, data.token)
    await cancelled(update, context, dialog)
    return context.texts(context.admin_language, "adm.dialog.cancelled")


async def on_confirm(update: Update, context: ShopContext, data: AdminConfirm) -> str | None:
    """Carry out the dialog: ship, cancel, or add the product."""
    chat, user = chat_and_user(update)
    dialog = await context.merchant.current_dialog(chat, user)
    try:
        result = await context.merchant.confirm(chat, user, data.token)
    except DomainError as error:
        if dialog is not None and dialog.token == data.token and "number" in dialog.data:
            if not isinstance(error, StaleDialogError | NotFoundError):
                await show(update, context, await order_screen(context, str(dialog.data["number"])))
        raise
    await finished(update, context, result.dialog, result)
    return None


# -- typed answers, photos and files ------------------------------------------------------------


async def _answer_dialog(update: Update, context: ShopContext, dialog: Dialog) -> None:
    """Typed text for an admin dialog: the next question, the result, or the error and the
    same question again."""
    chat, user = chat_and_user(update)
    assert update.message is not None
    # No length check here: each step checks its own limit and says it (a description allows
    # 800 characters, a note 1000); Telegram keeps a message under 4096.
    text = update.message.text or ""
    if dialog.kind == DialogKind.ANSWER:  # an answer to a customer (bot/merchant/contact.py)
        await contact.answer_admin(update, context, dialog, text)
        return
    if dialog.kind == DialogKind.REVIEW_REPLY:  # the reviews feature's (bot/reviews/admin.py)
        await answer_reply(update, context, dialog, text)
        return
    if dialog.kind == DialogKind.BROADCAST:  # marketing's (bot/marketing/admin.py)
        await broadcast_admin.answer_text(update, context, dialog)
        return
    try:
        result = await context.merchant.answer(chat, user, text)
    except DomainError as error:
        current = await context.merchant.current_dialog(chat, user)
        if current is None:
            await reply(update, context, Screen(context.admin_views.error(error)))
            return
        again = with_header(context.admin_views.error(error), await dialog_prompt(context, current))
        await asked_below(update, context, dialog, current, again)
        return
    await _went_on(update, context, dialog, result)


async def _went_on(
    update: Update, context: ShopContext, before: Dialog, result: DialogResult | None
) -> None:
    """After a typed answer or a photo: the result, or the next question below it."""
    if result is None:
        return
    if result.done:
        await finished(update, context, before, result)
    else:
        await asked_below(
            update, context, before, result.dialog, await dialog_prompt(context, result.dialog)
        )


async def _answer_reply(update: Update, context: ShopContext) -> None:
    """A customer's reply to the shop: relayed to the admin chat."""
    chat, user = chat_and_user(update)
    assert update.message is not None
    language = context.lang
    try:
        result = await context.merchant.answer(chat, user, update.message.text or "")
    except DomainError as error:
        await reply(update, context, Screen(context.views.error(language, error)))
        return
    if result is not None:
        await reply(update, context, Screen(context.texts(language, "adm.relay.sent")))


async def on_private_text(update: Update, context: ShopContext) -> None:
    """Typed text in a private chat: a dialog's answer if one waits for it (and is newer than
    the customer's checkout), otherwise the customer handlers take it."""
    waiting = await waiting_dialogs(update, context)  # read by the after-sales group before
    dialog = waiting.dialog
    customers = (DialogKind.REPLY, DialogKind.CONTACT)  # dialogs a customer may have
    mine = dialog is not None and (dialog.kind in customers or is_admin(update, context))
    if dialog is not None and mine:
        checkout_at = waiting.checkout.updated_at if waiting.checkout is not None else None
        if checkout_at is None or dialog.updated_at is None or checkout_at <= dialog.updated_at:
            if dialog.kind == DialogKind.CONTACT:  # a message to the shop (contact.py)
                assert update.message is not None
                await contact.answer_contact(update, context, dialog, update.message.text or "")
            elif dialog.kind == DialogKind.REPLY:
                await _answer_reply(update, context)
            else:
                await _answer_dialog(update, context, dialog)
            return
    await on_text(update, context)


async def on_group_text(update: Update, context: ShopContext) -> None:
    """Typed text in the admin group: an admin's answer to their dialog; chatter is ignored."""
    if not is_admin(update, context):
        return
    dialog = (await waiting_dialogs(update, context)).dialog
    if dialog is not None and dialog.kind != DialogKind.REPLY:
        await _answer_dialog(update, context, dialog)


async def on_photo(update: Update, context: ShopContext) -> None:
    """A photo: the product photo when the add-product dialog asks for one."""
    chat, user = chat_and_user(update)
    message = update.message
    assert message is not None and update.effective_chat is not None
    dialog = (await waiting_dialogs(update, context)).dialog if is_admin(update, context) else None
    if dialog is None or dialog.kind == DialogKind.REPLY:
        if update.effective_chat.type == "private":
            await on_other_message(update, context)
        return
    if dialog.kind == DialogKind.BROADCAST:  # a broadcast's photo (bot/marketing/admin.py)
        await broadcast_admin.answer_photo(update, context, dialog)
        return
    try:
        result = await context.merchant.give_photo(chat, user, message.photo[-1].file_id)
    except DomainError as error:
        again = with_header(context.admin_views.error(error), await dialog_prompt(context, dialog))
        await asked_below(update, context, dialog, dialog, again)
        return
    await _went_on(update, context, dialog, result)


# -- the customer's side: replying to the shop ----------------------------------------------------


@button_handler
async def on_reply_to_shop(update: Update, context: ShopContext, data: ReplyToShop) -> str | None:
    """The customer starts a reply to the shop's message about their order."""
    customer = context.customer
    dialog = await context.merchant.start_reply(customer.id, data.number)
    language = context.lang
    await reply(
        update,
        context,
        Screen(
            context.texts(language, "adm.relay.ask", number=data.number),
            keyboard(
                [
                    [
                        button(
                            context.texts(language, "adm.relay.cancel"),
                            ReplyCancel(Token(dialog.token)),
                        )
                    ]
                ]
            ),
        ),
    )
    return None


@button_handler
async def on_reply_cancel(update: Update, context: ShopContext, data: ReplyCancel) -> str | None:
    """The customer gives up their reply."""
    customer = context.customer
    await context.merchant.cancel_dialog(customer.id, customer.id, data.token)
    await show(update, context, Screen(context.texts(context.lang, "adm.relay.cancelled")))
    return None
