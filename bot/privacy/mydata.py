"""/mydata in a customer's private chat: what the shop stores about them as a JSON file, and
a button to delete it.

Deleting asks first. The confirmation carries a fresh token that the customer's session keeps
(one at a time, for ten minutes) and that a tap uses up: a forged token, one of an earlier
confirmation, a second tap on the same button or a tap after a restart changes nothing and
says so. Erasure is refused while an order still needs the customer's address."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta
from typing import Any

from telegram import Update

from bot.callback_data import Token
from bot.context import Handler, ShopApp, ShopContext
from bot.privacy.callbacks import MyDataConfirm, MyDataErase, MyDataKeep
from bot.screens import Screen, button, keyboard
from bot.shared.handlers import add_customer_handlers, button_handler, chat_and_user
from bot.ui import reply, show
from domain.privacy.mydata import MyData, OrdersStillOpenError

CONFIRM_TTL = timedelta(minutes=10)
KEY = "mydata_erase"  # in the customer's user_data: (token, when it was shown)


def _mydata(context: ShopContext) -> MyData:
    mydata = context.services.mydata
    assert mydata is not None, "the composition root builds MyData"
    return mydata


def _erase_button(context: ShopContext) -> Screen:
    t, lang = context.texts, context.lang
    return Screen(
        t(lang, "mydata.intro"),
        keyboard([[button(t(lang, "mydata.erase_button"), MyDataErase())]]),
    )


async def mydata_command(update: Update, context: ShopContext) -> None:
    """/mydata: the customer's data as a file, then the button to delete it."""
    chat_id, user_id = chat_and_user(update)
    document = await _mydata(context).export(user_id)
    stamp = context.services.clock.now().strftime("%Y%m%d")
    data = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    await context.bot.send_document(
        chat_id,
        document=data,
        filename=f"my-data-{stamp}.json",
        caption=context.texts(context.lang, "mydata.caption"),
    )
    await reply(update, context, _erase_button(context))


def _take_token(context: ShopContext, token: str) -> bool:
    """Whether `token` is the confirmation now shown and still fresh; uses it up if so."""
    kept: Any = (context.user_data or {}).get(KEY)
    if not (isinstance(kept, tuple) and len(kept) == 2):
        return False
    shown, at = kept
    if not secrets.compare_digest(str(shown), token):
        return False
    assert context.user_data is not None
    context.user_data.pop(KEY, None)
    return bool(context.services.clock.now() - at <= CONFIRM_TTL)


@button_handler
async def on_erase(update: Update, context: ShopContext, data: MyDataErase) -> str | None:
    """Ask for confirmation, with a fresh token (any earlier confirmation stops working)."""
    t, lang = context.texts, context.lang
    _, user_id = chat_and_user(update)
    still_open = await _mydata(context).open_orders(user_id)
    if still_open:
        await show(update, context, Screen(t(lang, "mydata.open", numbers=", ".join(still_open))))
        return None
    assert context.user_data is not None
    token = secrets.token_urlsafe(12)
    context.user_data[KEY] = (token, context.services.clock.now())
    screen = Screen(
        t(lang, "mydata.confirm"),
        keyboard(
            [
                [button(t(lang, "mydata.confirm_button"), MyDataConfirm(Token(token)))],
                [button(t(lang, "mydata.keep_button"), MyDataKeep(Token(token)))],
            ]
        ),
    )
    await show(update, context, screen)
    return None


@button_handler
async def on_confirm(update: Update, context: ShopContext, data: MyDataConfirm) -> str | None:
    """Erase, if the token is the one shown and still fresh."""
    t, lang = context.texts, context.lang
    if not _take_token(context, data.token):
        return t(lang, "mydata.stale")
    _, user_id = chat_and_user(update)
    try:
        erased = await _mydata(context).erase(user_id)
    except OrdersStillOpenError as refused:
        await show(
            update, context, Screen(t(lang, "mydata.open", numbers=", ".join(refused.numbers)))
        )
        return None
    await show(update, context, Screen(t(lang, "mydata.erased", n=erased.orders)))
    return None


@button_handler
async def on_keep(update: Update, context: ShopContext, data: MyDataKeep) -> str | None:
    """Keep the data: the confirmation stops working."""
    t, lang = context.texts, context.lang
    if not _take_token(context, data.token):
        return t(lang, "mydata.stale")
    await show(update, context, Screen(t(lang, "mydata.kept")))
    return None


COMMANDS: dict[str, Handler] = {"mydata": mydata_command}


def register(app: ShopApp) -> None:
    """/mydata and its buttons (customers, private chats)."""
    add_customer_handlers(
        app,
        COMMANDS,
        [(MyDataErase, on_erase), (MyDataConfirm, on_confirm), (MyDataKeep, on_keep)],
    )
