"""Shared customer handlers: who is talking, start, help, language, menu, typed buttons,
stale buttons and errors."""

from __future__ import annotations

import functools
import html
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import ChatMember, Update
from telegram.error import BadRequest
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    TypeHandler,
    filters,
)

from bot.callback_data import Callback, parse
from bot.context import Handler, ShopApp, ShopContext
from bot.screens import Screen, with_header
from bot.shared.callbacks import Help, Menu, Noop, SetLanguage, SetOptionalMessages
from bot.ui import reply, show
from domain.checkout.flow import TEXT_STEPS
from domain.shared.customers import Language
from domain.shared.errors import (
    DomainError,
)
from domain.shared.reachability import set_reachable
from storage.updates import unclaimed

log = logging.getLogger(__name__)


MAX_TEXT = 1000  # longer messages are refused before any use case sees them


# Handler groups run in order, and one handler per group takes an update. CUSTOMER_GROUP: who
# is talking; DIALOG_GROUP: typed answers to a dialog (a handler that consumes a message raises
# ApplicationHandlerStop); 0: commands, buttons and the customer fallbacks.
CUSTOMER_GROUP = -10
DIALOG_GROUP = -5

# The commands customers see in Telegram's menu (descriptions: "commands.<name>"); /help lists
# the same.
CUSTOMER_COMMANDS = (
    "start",
    "catalog",
    "cart",
    "orders",
    "requests",  # after-sales (bot/after_sales/)
    "search",
    "mydata",  # what the shop stores about me (bot/privacy/)
    "contact",  # write to the shop (bot/merchant/contact.py)
    "notifications",  # review invitations on or off (order updates always come)
    "language",
    "cancel",
    "help",
)
REACHABLE = frozenset({ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER})


def chat_and_user(update: Update) -> tuple[int, int]:
    """The chat and the user of a message or a button tap."""
    assert update.effective_chat is not None and update.effective_user is not None
    return update.effective_chat.id, update.effective_user.id


async def remember_customer(update: Update, context: ShopContext) -> None:
    """Upsert the Telegram user on every update, so we always know name and language."""
    user = update.effective_user
    if user is None or user.is_bot or context.user_data is None:
        return
    with unclaimed():  # the same upsert however often it runs: the update's effect claims it
        seen = await context.shop.remember_customer(
            user.id, user.first_name, user.username, user.language_code
        )
    context.customer = seen.customer
    context.first_seen = seen.new


# A typed button's handler: the update, the context and the parsed callback data in, the toast
# to answer with (or None) out.
ButtonHandler = Callable[[Update, ShopContext, Any], Awaitable[str | None]]
# How a rule's refusal is put to the user who tapped.
Explain = Callable[[ShopContext, DomainError], str]


def explain_to_customer(context: ShopContext, error: DomainError) -> str:
    """A rule's refusal in the customer's language."""
    return context.views.error(context.lang, error)


def button_handler(fn: ButtonHandler, explain: Explain = explain_to_customer) -> Handler:
    """Parse the typed data, run the handler, answer the query exactly once (a toast, or an
    alert saying why when a rule refused)."""

    @functools.wraps(fn)
    async def wrapper(update: Update, context: ShopContext) -> None:
        query = update.callback_query
        assert query is not None
        data = parse(query.data)
        if data is None:  # PTB passes data-less queries to pattern handlers too
            await on_stale_button(update, context)
            return
        toast: str | None = None
        alert = False
        try:
            toast = await fn(update, context, data)
        except DomainError as error:
            toast, alert = explain(context, error), True
        try:
            await query.answer(toast_text(toast) if toast else None, show_alert=alert)
        except BadRequest as exc:
            log.info("callback answer failed: %s", exc)

    return wrapper


def toast_text(text: str) -> str:
    """A callback answer's text: plain (no HTML), within Telegram's 200 characters."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))[:200]


async def _cart_count(context: ShopContext) -> int:
    if context.first_seen:  # a new customer's first update (their /start): no cart yet
        return 0
    return (await context.shop.cart(context.customer.id)).item_count


# -- commands ---------------------------------------------------------------------------------


async def start(update: Update, context: ShopContext) -> None:
    """Greet the customer by name and show the main menu."""
    await reply(
        update, context, context.views.welcome(context.customer, await _cart_count(context))
    )


def help_screen(update: Update, context: ShopContext, cart_count: int) -> Screen:
    """How to order and every command of this chat: an admin's private chat has theirs too."""
    user = update.effective_user
    admin = user is not None and user.id in context.services.admin_user_ids
    return context.views.help(
        context.lang,
        cart_count,
        [(name, f"commands.{name}") for name in CUSTOMER_COMMANDS],
        context.services.admin_commands if admin else (),
    )


async def help_command(update: Update, context: ShopContext) -> None:
    """Explain what the bot can do."""
    await reply(update, context, help_screen(update, context, await _cart_count(context)))


async def language_command(update: Update, context: ShopContext) -> None:
    """Offer the languages."""
    await reply(update, context, context.views.language_picker(context.lang))


async def unknown_command(update: Update, context: ShopContext) -> None:
    """Say so, and show the menu."""
    await reply(
        update,
        context,
        Screen(
            context.texts(context.lang, "error.unknown_command"),
            context.views.menu_keyboard(context.lang, await _cart_count(context)),
        ),
    )


# -- menu and catalog buttons -------------------------------------------------------------------


@button_handler
async def on_menu(update: Update, context: ShopContext, data: Menu) -> str | None:
    """Back to the main menu."""
    await show(update, context, context.views.menu(context.lang, await _cart_count(context)))
    return None


@button_handler
async def on_help(update: Update, context: ShopContext, data: Help) -> str | None:
    """The help text."""
    await show(update, context, help_screen(update, context, await _cart_count(context)))
    return None


@button_handler
async def on_noop(update: Update, context: ShopContext, data: Noop) -> str | None:
    """A label: nothing to do."""
    return None


@button_handler
async def on_language(update: Update, context: ShopContext, data: SetLanguage) -> str | None:
    """Switch the language and say so in it."""
    chosen = Language(data.code)
    customer = await context.shop.set_language(context.customer.id, chosen)
    context.customer = customer
    await show(
        update,
        context,
        Screen(
            context.texts(chosen, "language.set"),
            context.views.menu_keyboard(chosen, await _cart_count(context)),
        ),
    )
    return None


async def notifications_command(update: Update, context: ShopContext) -> None:
    """Which messages the customer gets: order updates always, the optional ones by choice."""
    await reply(update, context, context.views.notifications(context.lang, context.customer))


@button_handler
async def on_optional_messages(
    update: Update, context: ShopContext, data: SetOptionalMessages
) -> str | None:
    """Turn the optional messages on or off (a second tap of the same key changes nothing)."""
    customer = await context.shop.set_optional_messages(context.customer.id, bool(data.on))
    context.customer = customer
    await show(update, context, context.views.notifications(context.lang, customer))
    key = "notifications.turned_on" if customer.optional_messages else "notifications.turned_off"
    return context.texts(context.lang, key)


async def on_other_message(update: Update, context: ShopContext) -> None:
    """Stickers, photos and the like: while checkout waits for a typed answer (a name, a
    phone, an address, a promo code), say so and ask it again, nothing changed; otherwise
    explain what works."""
    if context.knows_customer:
        checkout = await context.shop.checkout_in_progress(context.customer.id)
        if checkout is not None and checkout.step in TEXT_STEPS:
            current = await context.shop.current_checkout(context.customer.id)
            if current is not None and current.checkout.step == checkout.step:
                asked = context.views.checkout_step(context.lang, current)
                header = context.texts(context.lang, "checkout.type_answer")
                await reply(update, context, with_header(header, asked))
                return
    await reply(
        update,
        context,
        Screen(
            context.texts(context.lang, "error.unsupported_message"),
            context.views.menu_keyboard(context.lang, await _cart_count(context)),
        ),
    )


# -- stale buttons and errors ---------------------------------------------------------------------


async def on_stale_button(update: Update, context: ShopContext) -> None:
    """Buttons we did not issue (or no longer understand)."""
    query = update.callback_query
    assert query is not None
    language = context.lang if context.knows_customer else Language.EN
    await query.answer(toast_text(context.texts(language, "error.stale_button")), show_alert=True)


async def on_error(update: object, context: ShopContext) -> None:
    """Log the error and tell the user something useful."""
    log.error("update %s failed", getattr(update, "update_id", "?"), exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    language = context.lang if context.knows_customer else Language.EN
    text = context.texts(language, "error.internal")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(toast_text(text), show_alert=True)
        else:
            await context.bot.send_message(update.effective_chat.id, text)
    except Exception:
        log.warning("could not tell the user about the error", exc_info=True)


async def on_my_chat_member(update: Update, context: ShopContext) -> None:
    """A user blocked the bot (kicked) or came back (member): hold or resume their messages."""
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    reachable = change.new_chat_member.status in REACHABLE
    await set_reachable(context.services.db, change.chat.id, reachable)
    log.info("chat %s is %s", change.chat.id, "reachable again" if reachable else "unreachable")
    if reachable:
        context.services.jobs.wake_outbox()  # what waited for them goes out now


COMMANDS: dict[str, Handler] = {
    "start": start,
    "help": help_command,
    "language": language_command,
    "notifications": notifications_command,
}
BUTTONS: list[tuple[type[Callback], Handler]] = [
    (Menu, on_menu),
    (Help, on_help),
    (Noop, on_noop),
    (SetLanguage, on_language),
    (SetOptionalMessages, on_optional_messages),
]


def register(app: ShopApp) -> None:
    """Who is talking (first, on every update), start, help, language, the menu, and whether a
    user can be reached."""
    app.add_handler(TypeHandler(Update, remember_customer), group=CUSTOMER_GROUP)
    add_customer_handlers(app, COMMANDS, BUTTONS)
    app.add_handler(ChatMemberHandler(on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))


def add_customer_handlers(
    app: ShopApp, commands: dict[str, Handler], buttons: list[tuple[type[Callback], Handler]]
) -> None:
    """A customer feature's commands (in private chats) and typed buttons."""
    for name, callback in commands.items():
        app.add_handler(CommandHandler(name, callback, filters=filters.ChatType.PRIVATE))
    for kind, button in buttons:
        app.add_handler(CallbackQueryHandler(button, pattern=kind.matches))
