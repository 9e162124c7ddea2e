"""Where a merchant's dialog sits in the chat, and keeping the chat quiet as it moves on.

A dialog started from a button takes over the card it was started from (the order's or the
product's); its questions are edited in place while they are answered with buttons. A typed
answer comes below, so the next question is a new message: the card then goes back to being the
card, and the earlier question loses its buttons. When the dialog ends, the card is edited to
show the result, and a question posted on its own keeps one line saying what happened. So the
chat holds one card per subject, and no button that belongs to a finished question."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest, TelegramError

from bot.context import ShopContext
from bot.merchant.common import dialog_outcome, subject_screen
from bot.screens import Screen, with_header
from bot.shared.handlers import chat_and_user
from bot.ui import plain_text, reply, show
from domain.shared.dialogs import Dialog
from domain.shipping.carriers import DialogResult

log = logging.getLogger(__name__)


def tapped(update: Update) -> int | None:
    """The message whose button was tapped."""
    query = update.callback_query
    message = query.message if query else None
    return message.message_id if isinstance(message, Message) else None


async def edit(context: ShopContext, chat_id: int, message_id: int, screen: Screen) -> bool:
    """Edit a message we are not answering a tap on (text, or a photo's caption); False when
    Telegram refuses (too old, deleted)."""
    markup = screen.markup if isinstance(screen.markup, InlineKeyboardMarkup) else None
    try:
        await context.bot.edit_message_text(
            screen.text, chat_id=chat_id, message_id=message_id, reply_markup=markup
        )
        return True
    except BadRequest as exc:
        text = exc.message.lower()
        if "not modified" in text:
            return True
        if "no text in the message" not in text:
            log.info("could not edit message %s: %s", message_id, exc)
            return False
    try:
        await context.bot.edit_message_caption(
            chat_id=chat_id, message_id=message_id, caption=screen.text, reply_markup=markup
        )
        return True
    except TelegramError as exc:
        if "not modified" in str(exc).lower():
            return True
        log.info("could not edit the caption of message %s: %s", message_id, exc)
        return False


async def strip_buttons(context: ShopContext, chat_id: int, message_id: int) -> None:
    """Take the buttons off a finished question; its text stays as a record."""
    try:
        await context.bot.edit_message_reply_markup(
            chat_id=chat_id, message_id=message_id, reply_markup=None
        )
    except TelegramError as exc:
        if "not modified" not in str(exc).lower():
            log.info("could not take the buttons off message %s: %s", message_id, exc)


async def leave(context: ShopContext, dialog: Dialog, keep: int | None = None) -> None:
    """The dialog's question moves elsewhere or ends: its card becomes the card again, a
    question posted on its own loses its buttons (`keep` is a message being reused)."""
    prompt, card = dialog.prompt, dialog.card
    if prompt is None or prompt == keep:
        return
    if prompt == card:
        await edit(context, dialog.chat_id, card, await subject_screen(context, dialog))
    else:
        await strip_buttons(context, dialog.chat_id, prompt)


async def started(
    update: Update,
    context: ShopContext,
    dialog: Dialog,
    shown: Message | None,
    before: Dialog | None,
) -> None:
    """A dialog was started on the tapped card and its first question shown there: remember
    where, and tidy the dialog it replaced."""
    if shown is None:
        return
    if before is not None and before.token != dialog.token:
        await leave(context, before, keep=shown.message_id)
    chat, user = chat_and_user(update)
    await context.merchant.shown(
        chat, user, dialog.token, card=shown.message_id, prompt=shown.message_id
    )


async def moved(update: Update, context: ShopContext, dialog: Dialog, shown: Message) -> None:
    """A button step showed the dialog's next question on `shown` (usually the same message)."""
    if dialog.prompt == shown.message_id:
        return
    chat, user = chat_and_user(update)
    card = shown.message_id if dialog.card == dialog.prompt else None
    await context.merchant.shown(chat, user, dialog.token, card=card, prompt=shown.message_id)


async def asked_below(
    update: Update, context: ShopContext, before: Dialog, dialog: Dialog, question: Screen
) -> None:
    """After a typed answer (or a refused one): the question goes below it as a new message,
    and the one above is tidied."""
    message = await reply(update, context, question)
    await leave(context, before, keep=message.message_id)
    chat, user = chat_and_user(update)
    await context.merchant.shown(chat, user, dialog.token, card=None, prompt=message.message_id)


async def finished(
    update: Update, context: ShopContext, before: Dialog | None, result: DialogResult
) -> None:
    """A dialog ended (by a button on its question, or by a typed answer): the card shows the
    result, and a question posted on its own keeps only the line saying what happened."""
    header, screen = await dialog_outcome(context, result)
    card = before.card if before is not None else None
    prompt = tapped(update) or (before.prompt if before is not None else None)
    chat_id = update.effective_chat.id if update.effective_chat else None
    if chat_id is None or prompt is None or card is None or prompt == card:
        whole = with_header(header, screen) if header else screen
        if prompt is not None and prompt == tapped(update):
            await show(update, context, whole)
        elif chat_id is None or prompt is None or not await edit(context, chat_id, prompt, whole):
            await reply(update, context, whole)
        return
    await edit(context, chat_id, card, screen)
    line = Screen(header) if header else Screen(plain_text(screen.text).split("\n", 1)[0])
    if not await edit(context, chat_id, prompt, line):
        await reply(update, context, line)


async def cancelled(update: Update, context: ShopContext, dialog: Dialog) -> None:
    """The dialog was left: the card shows its subject again; a question posted on its own
    says that nothing changed."""
    chat_id = update.effective_chat.id if update.effective_chat else None
    here = tapped(update)
    if chat_id is None or here is None or dialog.card is None or dialog.card == here:
        await show(update, context, await subject_screen(context, dialog))
        return
    # The card went back to being the card when the question moved below it.
    await edit(
        context,
        chat_id,
        here,
        Screen(context.texts(context.admin_language, "adm.dialog.cancelled")),
    )
