"""Reviews in the chat: the invitation after an order is completed (sent through the outbox with
star buttons), rating 1-5, an optional comment, and the customer's rating on the order detail.
Handlers parse the update, call one `Reviews` use case and render the result. The comment is
typed text: bot/after_sales.py reads it in DIALOG_GROUP (the same dialog table) and hands it
to `answer_comment`."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler

from bot import callbacks as cb
from bot import handlers as h
from bot.after_sales.handlers import asd
from bot.ui import reply, show
from bot.views import Screen
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order
from domain.reviews.service import Reviews
from domain.shared.clock import Clock
from domain.shared.errors import DomainError

Context = h.Context


def reviews(context: Context) -> Reviews:
    """The review use cases of this bot."""
    return context.bot_data["reviews"]  # type: ignore[no-any-return]


async def order_extras(
    context: Context, order: Order, page: int
) -> tuple[list[str], list[list[Any]]]:
    """The detail of a completed order: the customer's rating, or a button to give one."""
    if order.status != OrderStatus.COMPLETED:
        return [], []
    review = await reviews(context).review_of(h.me(context).id, order)
    return asd(context).views.review_section(h.lang(context), order, review, page)


@h.button_handler
async def on_ask(update: Update, context: Context, data: cb.RvAsk) -> str | None:
    """The 1-5 star buttons for one of the customer's orders."""
    order = await h.deps(context).shop.my_order(h.me(context).id, data.number)
    views = asd(context).views
    await show(update, context, views.rating_picker(h.lang(context), order.number, data.page))
    return None


@h.button_handler
async def on_rate(update: Update, context: Context, data: cb.RvRate) -> str | None:
    """Rate a completed order (again: the review is edited); a comment is asked next."""
    rated = await reviews(context).rate(h.me(context).id, data.number, data.rating)
    screen = asd(context).views.rated(
        h.lang(context), rated.review, rated.order.number, rated.draft, rated.created
    )
    await show(update, context, screen)
    return None


@h.button_handler
async def on_skip(update: Update, context: Context, data: cb.RvSkip) -> str | None:
    """No comment: the review is saved as it is."""
    saved = await reviews(context).skip_comment(h.me(context).id, data.token)
    screen = asd(context).views.review_saved(h.lang(context), saved.review, saved.number)
    await show(update, context, screen)
    return None


async def answer_comment(update: Update, context: Context, text: str) -> None:
    """Typed text while the review waits for its comment."""
    language = h.lang(context)
    try:
        saved = await reviews(context).comment(h.me(context).id, text)
    except DomainError as error:
        await reply(update, context, Screen(h.deps(context).views.error(language, error)))
        return
    if saved is not None:
        screen = asd(context).views.review_saved(language, saved.review, saved.number)
        await reply(update, context, screen)


BUTTONS: list[tuple[type[cb.Callback], Any]] = [
    (cb.RvAsk, on_ask),
    (cb.RvRate, on_rate),
    (cb.RvSkip, on_skip),
]


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Build the review use cases and attach their handlers (after bot/after_sales.py)."""
    clock: Clock = app.bot_data["clock"]
    app.bot_data["reviews"] = Reviews(app.bot_data["db"], clock)
    app.bot_data.setdefault("order_extras", []).append(order_extras)
    for kind, callback in BUTTONS:
        app.add_handler(CallbackQueryHandler(callback, pattern=kind.matches))
