"""The merchant's /broadcast and /broadcasts (issue 16). /broadcast asks who gets it (all
customers or an RFM segment, each with its size now), then the message (text, or a photo with a
caption), then an optional product for its button (a SKU, or Skip); the preview is the message
exactly as a customer receives it (rendered by the outbox's own sender), with the audience and
Send / Cancel below. Send stores the broadcast and wakes the fan-out job; the card that replaces
the question shows the counts, and Refresh reloads them. The dialog lives in the database like
the merchant's others (DialogKind.BROADCAST); bot/merchant/dialogs.py hands its typed answers
and photos here."""

from __future__ import annotations

import logging

from telegram import Bot, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError

from bot.access import is_admin
from bot.context import ShopContext
from bot.marketing.callbacks import BcAudience, BcCancel, BcList, BcOpen, BcSend, BcSkip
from bot.marketing.views import (
    ask_message,
    ask_product,
    audience_picker,
    broadcast_card,
    broadcast_list,
    confirm,
)
from bot.notify import TelegramSender
from bot.screens import Screen, with_header
from bot.shared.handlers import chat_and_user, on_other_message
from bot.texts import Texts
from bot.ui import reply, show
from domain.marketing.broadcasts import Broadcasts, draft_of, message_of
from domain.marketing.records import AUDIENCES, Broadcast
from domain.shared.customers import Language
from domain.shared.dialogs import Dialog, DialogKind, StaleDialogError
from domain.shared.errors import DomainError, NotFoundError
from jobs.marketing import BROADCASTS_JOB, CardRefresher

log = logging.getLogger(__name__)


def _broadcasts(context: ShopContext) -> Broadcasts:
    broadcasts = context.services.broadcasts
    assert broadcasts is not None, "the composition root builds Broadcasts"
    return broadcasts


def telegram_length(text: str) -> int:
    """A text's length as Telegram limits it: UTF-16 code units (an emoji counts 2), so a
    caption within 1024 characters in Python may still be refused at send time."""
    return len(text.encode("utf-16-le")) // 2


def prompt(context: ShopContext, dialog: Dialog) -> Screen:
    """The question the dialog asks now."""
    t, lang = context.texts, context.admin_language
    if dialog.step == "message":
        return ask_message(t, lang, dialog)
    if dialog.step == "product":
        return ask_product(t, lang, dialog)
    return confirm(t, lang, dialog)


async def broadcast_command(update: Update, context: ShopContext) -> None:
    """/broadcast: who should get it."""
    sizes = await _broadcasts(context).audiences()
    await reply(update, context, audience_picker(context.texts, context.admin_language, sizes))


async def broadcasts_command(update: Update, context: ShopContext) -> None:
    """/broadcasts: the newest broadcasts with their counts."""
    recent = await _broadcasts(context).recent()
    await reply(update, context, broadcast_list(context.texts, context.admin_language, recent))


async def on_audience(update: Update, context: ShopContext, data: BcAudience) -> str | None:
    """The audience: the message is asked next, in place of the picker."""
    if not 0 <= data.index < len(AUDIENCES):
        raise StaleDialogError()
    chat, user = chat_and_user(update)
    dialog = await _broadcasts(context).start(chat, user, AUDIENCES[data.index])
    shown = await show(update, context, prompt(context, dialog))
    if shown is not None:
        await context.merchant.shown(chat, user, dialog.token, card=None, prompt=shown.message_id)
    return None


async def _preview(update: Update, context: ShopContext, dialog: Dialog) -> None:
    """The message as a customer will see it (the outbox's own rendering), then who gets it
    with Send / Cancel."""
    assert update.effective_chat is not None
    chat = update.effective_chat.id
    draft = draft_of(dialog, context.services.clock.now())
    language = context.admin_language
    sender = TelegramSender(context.bot, context.texts, context.services.db, language)
    text, markup = sender.render(message_of(draft, chat, language))
    if draft.photo_file_id:
        await context.bot.send_photo(chat, draft.photo_file_id, caption=text, reply_markup=markup)
    else:
        await context.bot.send_message(chat, text, reply_markup=markup)
    await reply(update, context, prompt(context, dialog))


async def _again(update: Update, context: ShopContext, error: DomainError) -> None:
    """A refused answer: why, and the same question again (or only why, once it is over)."""
    chat, user = chat_and_user(update)
    message = context.admin_views.error(error)
    current = await context.merchant.current_dialog(chat, user)
    if current is None or current.kind != DialogKind.BROADCAST:
        await reply(update, context, Screen(message))
        return
    await reply(update, context, with_header(message, prompt(context, current)))


async def answer_text(update: Update, context: ShopContext, dialog: Dialog) -> None:
    """Typed text: the message (its formatting kept), or the product's SKU."""
    chat, user = chat_and_user(update)
    message = update.message
    assert message is not None
    broadcasts = _broadcasts(context)
    try:
        if dialog.step == "message":
            asked = await broadcasts.give_message(
                chat, user, message.text_html or "", telegram_length(message.text or ""), None
            )
            await reply(update, context, prompt(context, asked))
        elif dialog.step == "product":
            await _preview(
                update, context, await broadcasts.give_product(chat, user, message.text or "")
            )
        else:  # the preview waits for a button
            raise DomainError("mkt.error.use_buttons")
    except DomainError as error:
        await _again(update, context, error)


async def answer_photo(update: Update, context: ShopContext, dialog: Dialog) -> None:
    """A photo (with its caption, formatting kept) as the message."""
    chat, user = chat_and_user(update)
    message = update.message
    assert message is not None and message.photo
    try:
        if dialog.step != "message":
            raise DomainError(
                "mkt.error.sku_expected" if dialog.step == "product" else "mkt.error.use_buttons"
            )
        asked = await _broadcasts(context).give_message(
            chat,
            user,
            message.caption_html or "",
            telegram_length(message.caption or ""),
            message.photo[-1].file_id,
        )
        await reply(update, context, prompt(context, asked))
    except DomainError as error:
        await _again(update, context, error)


async def answer_other_media(update: Update, context: ShopContext) -> None:
    """A sticker, voice note, video or file while /broadcast is being written: what the step
    takes, and its question again (nothing changes). Anyone else's is left alone in the admin
    group (chatter) and answered as any other message in a private chat."""
    chat, user = chat_and_user(update)
    assert update.effective_chat is not None
    dialog = (
        await context.merchant.current_dialog(chat, user) if is_admin(update, context) else None
    )
    if dialog is None or dialog.kind != DialogKind.BROADCAST:
        if update.effective_chat.type == "private":
            await on_other_message(update, context)
        return
    key = {"message": "mkt.error.text_or_photo", "product": "mkt.error.sku_expected"}
    await _again(update, context, DomainError(key.get(dialog.step, "mkt.error.use_buttons")))


async def on_skip(update: Update, context: ShopContext, data: BcSkip) -> str | None:
    """No product button: the preview."""
    chat, user = chat_and_user(update)
    dialog = await _broadcasts(context).skip_product(chat, user, data.token)
    query = update.callback_query
    if query is not None:
        try:  # the question is answered: its keys go
            await query.edit_message_reply_markup(None)
        except TelegramError:
            pass
    await _preview(update, context, dialog)
    return None


async def on_send(update: Update, context: ShopContext, data: BcSend) -> str | None:
    """Send it: stored once (a second tap finds the dialog over), the fan-out job woken, and
    the broadcast's card in place of the question."""
    chat, user = chat_and_user(update)
    broadcasts = _broadcasts(context)
    broadcast = await broadcasts.send(chat, user, data.token, context.admin_language)
    t, lang = context.texts, context.admin_language
    card = await show(update, context, broadcast_card(t, lang, broadcast))
    if card is not None and broadcast.id is not None:  # the job keeps this card up to date
        await broadcasts.set_card(broadcast.id, card.chat_id, card.message_id)
    context.services.jobs.wake(BROADCASTS_JOB)
    return t(lang, "mkt.adm.sent", id=broadcast.id)


def card_refresher(bot: Bot, texts: Texts, language: Language) -> CardRefresher:
    """Edits a broadcast's card in place with its counts now (for the fan-out job)."""

    async def refresh(broadcast: Broadcast) -> None:
        if broadcast.card_chat_id is None or broadcast.card_message_id is None:
            return
        screen = broadcast_card(texts, language, broadcast)
        markup = screen.markup if isinstance(screen.markup, InlineKeyboardMarkup) else None
        try:
            await bot.edit_message_text(
                screen.text,
                chat_id=broadcast.card_chat_id,
                message_id=broadcast.card_message_id,
                reply_markup=markup,
            )
        except BadRequest as exc:  # not modified, or the card was deleted: nothing to do
            log.info("broadcast %s: card not edited: %s", broadcast.id, exc.message)

    return refresh


async def on_cancel(update: Update, context: ShopContext, data: BcCancel) -> str | None:
    """Drop the broadcast being written: nothing is sent."""
    chat, user = chat_and_user(update)
    await context.merchant.cancel_dialog(chat, user, data.token)
    t, lang = context.texts, context.admin_language
    await show(update, context, Screen(t(lang, "mkt.adm.cancelled")))
    return t(lang, "adm.dialog.cancelled")


async def on_open(update: Update, context: ShopContext, data: BcOpen) -> str | None:
    """One broadcast's card, its counts as they are now."""
    broadcast = await _broadcasts(context).get(data.broadcast_id)
    if broadcast is None:
        raise NotFoundError()
    await show(update, context, broadcast_card(context.texts, context.admin_language, broadcast))
    return None


async def on_list(update: Update, context: ShopContext, data: BcList) -> str | None:
    """The list of broadcasts, in place."""
    recent = await _broadcasts(context).recent()
    await show(update, context, broadcast_list(context.texts, context.admin_language, recent))
    return None
