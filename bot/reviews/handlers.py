"""Reviews in the chat: the invitation after an order is completed (sent through the outbox with
star buttons), rating 1-5, an optional comment, and the customer's rating on the order detail.
Handlers parse the update, call one `Reviews` use case and render the result. The comment is
typed text: bot/after_sales/handlers.py reads it in DIALOG_GROUP (the same dialog table) and
hands it to `answer_comment`."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from bot.access import admin_only
from bot.callback_data import Callback
from bot.context import ShopApp, ShopContext
from bot.merchant.common import admin_button
from bot.reviews.admin import on_cancel, on_list, on_page, on_reply, reviews_command
from bot.reviews.callbacks import (
    RvAdmCancel,
    RvAdmList,
    RvAdmPage,
    RvAdmReply,
    RvAsk,
    RvRate,
    RvSkip,
)
from bot.screens import Screen
from bot.shared.handlers import button_handler
from bot.ui import reply, show
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order
from domain.shared.errors import DomainError


async def order_extras(
    context: ShopContext, order: Order, page: int
) -> tuple[list[str], list[list[Any]]]:
    """The detail of a completed order: the customer's rating, or a button to give one."""
    if order.status != OrderStatus.COMPLETED:
        return [], []
    review = await context.reviews.review_of(context.customer.id, order)
    return context.review_views.review_section(context.lang, order, review, page)


@button_handler
async def on_ask(update: Update, context: ShopContext, data: RvAsk) -> str | None:
    """The 1-5 star buttons for one of the customer's orders."""
    order = await context.shop.my_order(context.customer.id, data.number)
    views = context.review_views
    await show(update, context, views.rating_picker(context.lang, order.number, data.page))
    return None


@button_handler
async def on_rate(update: Update, context: ShopContext, data: RvRate) -> str | None:
    """Rate a completed order (again: the review is edited); a comment is asked next."""
    rated = await context.reviews.rate(context.customer.id, data.number, data.rating)
    screen = context.review_views.rated(
        context.lang, rated.review, rated.order.number, rated.draft, rated.created
    )
    await show(update, context, screen)
    return None


@button_handler
async def on_skip(update: Update, context: ShopContext, data: RvSkip) -> str | None:
    """No comment: the review is saved as it is."""
    saved = await context.reviews.skip_comment(context.customer.id, data.token)
    screen = context.review_views.review_saved(context.lang, saved.review, saved.number)
    await show(update, context, screen)
    return None


async def answer_comment(update: Update, context: ShopContext, text: str) -> None:
    """Typed text while the review waits for its comment."""
    language = context.lang
    try:
        saved = await context.reviews.comment(context.customer.id, text)
    except DomainError as error:
        await reply(update, context, Screen(context.views.error(language, error)))
        return
    if saved is not None:
        screen = context.review_views.review_saved(language, saved.review, saved.number)
        await reply(update, context, screen)


BUTTONS: list[tuple[type[Callback], Any]] = [
    (RvAsk, on_ask),
    (RvRate, on_rate),
    (RvSkip, on_skip),
]


ADMIN_BUTTONS: list[tuple[type[Callback], Any]] = [
    (RvAdmList, on_list),
    (RvAdmPage, on_page),
    (RvAdmReply, on_reply),
    (RvAdmCancel, on_cancel),
]


def register(app: ShopApp) -> None:
    """Attach the review buttons (after after-sales' handlers) and the merchant's /reviews."""
    for kind, callback in BUTTONS:
        app.add_handler(CallbackQueryHandler(callback, pattern=kind.matches))
    settings = app.bot_data.settings
    chat_ids = [settings.admin_chat_id] if settings.admin_chat_id is not None else []
    private = filters.ChatType.PRIVATE
    anywhere = (filters.Chat(chat_id=chat_ids) & ~private) | private
    app.add_handler(CommandHandler("reviews", admin_only(reviews_command), filters=anywhere))
    for kind, fn in ADMIN_BUTTONS:
        app.add_handler(CallbackQueryHandler(admin_button(fn), pattern=kind.matches))
