"""Reviews in the chat: the invitation after an order is completed (sent through the outbox with
star buttons), rating 1-5, an optional comment, and the customer's rating on the order detail.
Handlers parse the update, call one `Reviews` use case and render the result. The comment is
typed text: bot/after_sales.py reads it in DIALOG_GROUP (the same dialog table) and hands it
to `answer_comment`."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot.callback_data import Callback
from bot.reviews.callbacks import RvAsk, RvRate, RvSkip
from bot.reviews.views import ReviewViews
from bot.screens import Screen
from bot.shared.handlers import Context, button_handler, deps, lang, me
from bot.ui import reply, show
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order
from domain.reviews.service import Reviews
from domain.shared.clock import Clock
from domain.shared.errors import DomainError

Context = Context


def review_views(context: Context) -> ReviewViews:
    """The review screens of this bot."""
    return context.bot_data["review_views"]  # type: ignore[no-any-return]


def reviews(context: Context) -> Reviews:
    """The review use cases of this bot."""
    return context.bot_data["reviews"]  # type: ignore[no-any-return]


async def order_extras(
    context: Context, order: Order, page: int
) -> tuple[list[str], list[list[Any]]]:
    """The detail of a completed order: the customer's rating, or a button to give one."""
    if order.status != OrderStatus.COMPLETED:
        return [], []
    review = await reviews(context).review_of(me(context).id, order)
    return review_views(context).review_section(lang(context), order, review, page)


@button_handler
async def on_ask(update: Update, context: Context, data: RvAsk) -> str | None:
    """The 1-5 star buttons for one of the customer's orders."""
    order = await deps(context).shop.my_order(me(context).id, data.number)
    views = review_views(context)
    await show(update, context, views.rating_picker(lang(context), order.number, data.page))
    return None


@button_handler
async def on_rate(update: Update, context: Context, data: RvRate) -> str | None:
    """Rate a completed order (again: the review is edited); a comment is asked next."""
    rated = await reviews(context).rate(me(context).id, data.number, data.rating)
    screen = review_views(context).rated(
        lang(context), rated.review, rated.order.number, rated.draft, rated.created
    )
    await show(update, context, screen)
    return None


@button_handler
async def on_skip(update: Update, context: Context, data: RvSkip) -> str | None:
    """No comment: the review is saved as it is."""
    saved = await reviews(context).skip_comment(me(context).id, data.token)
    screen = review_views(context).review_saved(lang(context), saved.review, saved.number)
    await show(update, context, screen)
    return None


async def answer_comment(update: Update, context: Context, text: str) -> None:
    """Typed text while the review waits for its comment."""
    language = lang(context)
    try:
        saved = await reviews(context).comment(me(context).id, text)
    except DomainError as error:
        await reply(update, context, Screen(deps(context).views.error(language, error)))
        return
    if saved is not None:
        screen = review_views(context).review_saved(language, saved.review, saved.number)
        await reply(update, context, screen)


BUTTONS: list[tuple[type[Callback], Any]] = [
    (RvAsk, on_ask),
    (RvRate, on_rate),
    (RvSkip, on_skip),
]


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Build the review use cases and attach their handlers (after bot/after_sales.py)."""
    clock: Clock = app.bot_data["clock"]
    app.bot_data["review_views"] = ReviewViews(app.bot_data["texts"])
    app.bot_data["reviews"] = Reviews(app.bot_data["db"], clock)
    app.bot_data.setdefault("order_extras", []).append(order_extras)
    for kind, callback in BUTTONS:
        app.add_handler(CallbackQueryHandler(callback, pattern=kind.matches))
