"""Putting screens on the user's screen: edit in place when we can, send when we must."""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path
from typing import Any

from telegram import InlineKeyboardMarkup, InputMediaPhoto, Message, Update
from telegram.error import BadRequest, TelegramError

from bot.context import ShopContext
from bot.screens import Screen

log = logging.getLogger(__name__)
_TAGS = re.compile(r"<[^>]+>")


def _not_modified(exc: BadRequest) -> bool:
    return "message is not modified" in exc.message.lower()


def plain_text(html_text: str) -> str:
    """What Telegram shows for our HTML: tags dropped, entities decoded, ends trimmed."""
    return html.unescape(_TAGS.sub("", html_text)).strip()


def _unchanged(message: Message, screen: Screen) -> bool:
    """Whether editing would change nothing (Telegram would answer "message is not modified")."""
    current = message.caption if message.photo else message.text
    if current is None or current.strip() != plain_text(screen.text):
        return False
    markup = screen.markup if isinstance(screen.markup, InlineKeyboardMarkup) else None
    return message.reply_markup == markup


def _photo_source(screen: Screen) -> Any:
    product = screen.photo_of
    assert product is not None
    if product.photo_file_id:
        return product.photo_file_id
    if product.photo and product.photo.startswith(("http://", "https://")):
        return product.photo
    if product.photo and Path(product.photo).is_file():
        return Path(product.photo).read_bytes()
    return None


async def send(context: ShopContext, chat_id: int, screen: Screen) -> Message:
    """Send a screen as a new message (a photo with caption when it has one)."""
    if screen.photo_of is not None:
        source = _photo_source(screen)
        if source is not None:
            try:
                message = await context.bot.send_photo(
                    chat_id, source, caption=screen.text, reply_markup=screen.markup
                )
            except BadRequest as exc:
                log.warning(
                    "photo of product %s failed (%s); sending text", screen.photo_of.id, exc
                )
            else:
                await _remember_photo(context, screen, message)
                return message
    return await context.bot.send_message(chat_id, screen.text, reply_markup=screen.markup)


async def _remember_photo(context: ShopContext, screen: Screen, message: Message) -> None:
    product = screen.photo_of
    if product is None or not message.photo:
        return
    file_id = message.photo[-1].file_id
    if product.photo_file_id != file_id:
        await context.shop.remember_photo(product.id, file_id)


async def show(update: Update, context: ShopContext, screen: Screen) -> Message | None:
    """Replace the tapped message with the screen, or send it when there is nothing to edit."""
    query = update.callback_query
    message = query.message if query else None
    chat_id = update.effective_chat.id if update.effective_chat else None
    if not isinstance(message, Message):
        assert chat_id is not None
        return await send(context, chat_id, screen)
    wants_photo = screen.photo_of is not None and _photo_source(screen) is not None
    has_photo = bool(message.photo)
    if wants_photo == has_photo and _unchanged(message, screen):
        return message
    inline = screen.markup if isinstance(screen.markup, InlineKeyboardMarkup) else None
    # Only an inline keyboard can be edited onto a message; a reply keyboard needs a new one.
    editable = inline is not None or screen.markup is None
    try:
        if editable and not wants_photo and not has_photo and message.text is not None:
            await message.edit_text(screen.text, reply_markup=inline)
            return message
        if editable and wants_photo and has_photo:
            product = screen.photo_of
            assert product is not None
            current = {size.file_id for size in message.photo}
            if product.photo_file_id and product.photo_file_id in current:
                await message.edit_caption(screen.text, reply_markup=inline)
            else:
                edited = await message.edit_media(
                    InputMediaPhoto(_photo_source(screen), caption=screen.text),
                    reply_markup=inline,
                )
                if isinstance(edited, Message):
                    await _remember_photo(context, screen, edited)
            return message
    except BadRequest as exc:
        if _not_modified(exc):
            return message
        log.info("could not edit message %s in place: %s", message.message_id, exc)
    # Text and photo messages cannot turn into each other: replace the message.
    try:
        await message.delete()
    except TelegramError:
        pass  # too old to delete (48 h) or already gone; the new one still arrives
    return await send(context, message.chat_id, screen)


async def reply(update: Update, context: ShopContext, screen: Screen) -> Message:
    """Answer a message with a new message."""
    assert update.effective_chat is not None
    return await send(context, update.effective_chat.id, screen)
