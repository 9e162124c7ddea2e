"""The merchant's dialogs (ship, cancel, note, message, product edits) and the customer's
reply to the shop."""

from __future__ import annotations

from telegram import Update

from bot.access import is_admin
from bot.callback_data import Token
from bot.checkout.handlers import on_text
from bot.merchant.callbacks import (
    AdminCarrier,
    AdminConfirm,
    AdminDialogCancel,
    AdminSkip,
    ReplyCancel,
    ReplyToShop,
)
from bot.merchant.common import (
    _ids,
    _order_screen,
    _product_screen,
    _prompt,
    _result,
    _with_header,
    ad,
)
from bot.screens import Screen, button, keyboard
from bot.shared.handlers import (
    MAX_TEXT,
    Context,
    button_handler,
    deps,
    lang,
    me,
    on_other_message,
)
from bot.ui import reply, show
from domain.shared.dialogs import Dialog, DialogKind, StaleDialogError
from domain.shared.errors import DomainError, NotFoundError

# -- buttons: dialogs ---------------------------------------------------------------------------


async def on_carrier(update: Update, context: Context, data: AdminCarrier) -> str | None:
    """The carrier: the tracking number is asked next."""
    chat, user = _ids(update)
    dialog = await ad(context).merchant.choose_carrier(chat, user, data.token, data.code)
    await show(update, context, await _prompt(context, dialog))
    return None


async def on_skip(update: Update, context: Context, data: AdminSkip) -> str | None:
    """Leave an optional step empty and go on."""
    chat, user = _ids(update)
    result = await ad(context).merchant.skip(chat, user, data.token)
    await show(update, context, await _result(context, result))
    return None


async def on_dialog_cancel(update: Update, context: Context, data: AdminDialogCancel) -> str | None:
    """Leave a dialog: nothing changes, and its subject shows again."""
    a = ad(context)
    chat, user = _ids(update)
    dialog = await a.merchant.cancel_dialog(chat, user, data.token)
    if dialog.data.get("request"):  # the ship dialog of an after-sales request
        from bot.after_sales.admin import request_screen

        screen = await request_screen(context, int(dialog.data["request"]))
    elif "number" in dialog.data:
        screen = await _order_screen(context, str(dialog.data["number"]))
    elif "product_id" in dialog.data:
        screen = await _product_screen(context, int(dialog.data["product_id"]))
    else:
        screen = a.views.product_list(await a.merchant.products(0))
    await show(update, context, screen)
    return a.texts(a.language, "adm.dialog.cancelled")


async def on_confirm(update: Update, context: Context, data: AdminConfirm) -> str | None:
    """Carry out the dialog: ship, cancel, or add the product."""
    a = ad(context)
    chat, user = _ids(update)
    dialog = await a.merchant.current_dialog(chat, user)
    try:
        result = await a.merchant.confirm(chat, user, data.token)
    except DomainError as error:
        if dialog is not None and dialog.token == data.token and "number" in dialog.data:
            if not isinstance(error, StaleDialogError | NotFoundError):
                await show(
                    update, context, await _order_screen(context, str(dialog.data["number"]))
                )
        raise
    await show(update, context, await _result(context, result))
    return None


# -- typed answers, photos and files ------------------------------------------------------------


async def _answer_dialog(update: Update, context: Context, dialog: Dialog) -> None:
    """Typed text for an admin dialog: the next question, the result, or the error and the
    same question again."""
    a = ad(context)
    chat, user = _ids(update)
    assert update.message is not None
    text = update.message.text or ""
    if len(text) > MAX_TEXT:
        await reply(
            update, context, Screen(a.texts(a.language, "error.text_too_long", max=MAX_TEXT))
        )
        return
    try:
        result = await a.merchant.answer(chat, user, text)
    except DomainError as error:
        current = await a.merchant.current_dialog(chat, user)
        if current is None:
            await reply(update, context, Screen(a.views.error(error)))
            return
        await reply(
            update, context, _with_header(a.views.error(error), await _prompt(context, current))
        )
        return
    if result is not None:
        await reply(update, context, await _result(context, result))


async def _answer_reply(update: Update, context: Context) -> None:
    """A customer's reply to the shop: relayed to the admin chat."""
    d = deps(context)
    chat, user = _ids(update)
    assert update.message is not None
    language = lang(context)
    try:
        result = await ad(context).merchant.answer(chat, user, update.message.text or "")
    except DomainError as error:
        await reply(update, context, Screen(d.views.error(language, error)))
        return
    if result is not None:
        await reply(update, context, Screen(d.texts(language, "adm.relay.sent")))


async def on_private_text(update: Update, context: Context) -> None:
    """Typed text in a private chat: a dialog's answer if one waits for it (and is newer than
    the customer's checkout), otherwise the customer handlers take it."""
    chat, user = _ids(update)
    dialog = await ad(context).merchant.current_dialog(chat, user)
    mine = dialog is not None and (dialog.kind == DialogKind.REPLY or is_admin(update, context))
    if dialog is not None and mine:
        view = await deps(context).shop.current_checkout(user)
        checkout_at = view.checkout.updated_at if view is not None else None
        if checkout_at is None or dialog.updated_at is None or checkout_at <= dialog.updated_at:
            if dialog.kind == DialogKind.REPLY:
                await _answer_reply(update, context)
            else:
                await _answer_dialog(update, context, dialog)
            return
    await on_text(update, context)


async def on_group_text(update: Update, context: Context) -> None:
    """Typed text in the admin group: an admin's answer to their dialog; chatter is ignored."""
    if not is_admin(update, context):
        return
    chat, user = _ids(update)
    dialog = await ad(context).merchant.current_dialog(chat, user)
    if dialog is not None and dialog.kind != DialogKind.REPLY:
        await _answer_dialog(update, context, dialog)


async def on_photo(update: Update, context: Context) -> None:
    """A photo: the product photo when the add-product dialog asks for one."""
    chat, user = _ids(update)
    message = update.message
    assert message is not None and update.effective_chat is not None
    a = ad(context)
    dialog = await a.merchant.current_dialog(chat, user) if is_admin(update, context) else None
    if dialog is None or dialog.kind == DialogKind.REPLY:
        if update.effective_chat.type == "private":
            await on_other_message(update, context)
        return
    try:
        result = await a.merchant.give_photo(chat, user, message.photo[-1].file_id)
    except DomainError as error:
        await reply(
            update, context, _with_header(a.views.error(error), await _prompt(context, dialog))
        )
        return
    if result is not None:
        await reply(update, context, await _result(context, result))


# -- the customer's side: replying to the shop ----------------------------------------------------


@button_handler
async def on_reply_to_shop(update: Update, context: Context, data: ReplyToShop) -> str | None:
    """The customer starts a reply to the shop's message about their order."""
    d = deps(context)
    customer = me(context)
    dialog = await ad(context).merchant.start_reply(customer.id, data.number)
    language = lang(context)
    await reply(
        update,
        context,
        Screen(
            d.texts(language, "adm.relay.ask", number=data.number),
            keyboard(
                [
                    [
                        button(
                            d.texts(language, "adm.relay.cancel"),
                            ReplyCancel(Token(dialog.token)),
                        )
                    ]
                ]
            ),
        ),
    )
    return None


@button_handler
async def on_reply_cancel(update: Update, context: Context, data: ReplyCancel) -> str | None:
    """The customer gives up their reply."""
    d = deps(context)
    customer = me(context)
    await ad(context).merchant.cancel_dialog(customer.id, customer.id, data.token)
    await show(update, context, Screen(d.texts(lang(context), "adm.relay.cancelled")))
    return None
