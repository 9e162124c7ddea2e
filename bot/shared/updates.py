"""Every update takes effect once, in the adapter: the application marks each update's task
with (bot id, update id), and the unit of work records the update in its first write
transaction (storage/updates.py). A second delivery stops at that point, quietly."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from domain.shared.clock import Clock
from domain.shared.journal import in_words
from storage.db import Database
from storage.updates import (
    HANDLED_UPDATES_KEPT,
    UpdateAlreadyHandled,
    forget_handled_before,
    handling,
)

log = logging.getLogger(__name__)


class OnceApplication(Application[Any, Any, Any, Any, Any, Any]):
    """PTB's Application, with each update handled under its (bot id, update id) mark.

    PTB runs every update in a task of its own (and a non-blocking handler in a task that
    copies the context), so the mark covers every handler group the update reaches, in
    polling and webhook mode alike: both end in `process_update`."""

    # Updates put back by the durable payment inbox: their payment is still unrecorded, and
    # recording it is idempotent by its own key (the Telegram charge id), so they run unmarked.
    # `observe(kind, outcome, seconds)` hears how each update ended (the web process's metrics).
    __slots__ = ("observe", "unmarked")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.unmarked: set[int] = set()
        self.observe: Callable[[str, str, float], None] | None = None

    async def replay(self, update: Update) -> None:
        """Queue an update again, to be handled even though its id was seen before."""
        self.unmarked.add(update.update_id)
        await self.update_queue.put(update)

    async def process_update(self, update: object) -> None:
        """Handle one update under its mark (other objects, e.g. tests' payloads, unmarked)."""
        if not isinstance(update, Update):
            await super().process_update(update)
            return
        kind = update_kind(update)
        errors: list[Exception] = []
        token = _errors.set(errors)
        started = time.perf_counter()
        outcome = "handled" if kind in HANDLED_KINDS else "ignored"
        try:
            if update.update_id in self.unmarked:
                self.unmarked.discard(update.update_id)
                await super().process_update(update)
                return
            with handling(self.bot.id, update.update_id):
                try:
                    await super().process_update(update)
                except UpdateAlreadyHandled as replayed:
                    outcome = "replayed"
                    await _stop_quietly(update, replayed)
        finally:
            _errors.reset(token)
            if errors and outcome == "handled":
                outcome = "error"
            if self.observe is not None:
                self.observe(kind, outcome, time.perf_counter() - started)

    async def process_error(
        self,
        update: object | None,
        error: Exception,
        job: Any = None,
        coroutine: Any = None,
    ) -> bool:
        """Note a handler's error for the update's outcome, then let the error handlers run."""
        noted = _errors.get()
        if noted is not None and update is not None:
            noted.append(error)
        return await super().process_error(update, error, job, coroutine)


# The errors raised by the handlers of the update the current task is processing.
_errors: ContextVar[list[Exception] | None] = ContextVar("orderbot_update_errors", default=None)


def update_kind(update: Update) -> str:
    """The kind of an update: the name of its one payload field (message, callback_query...)."""
    for kind in Update.ALL_TYPES:
        if getattr(update, kind, None) is not None:
            return str(kind)
    return "other"


async def _stop_quietly(update: Update, replayed: UpdateAlreadyHandled) -> None:
    """A second delivery of a handled update ends here, without a word to anyone (a button's
    spinner is stopped with an empty answer); no later handler group sees it."""
    log.info("update %s was handled before; this delivery changes nothing", replayed.update_id)
    if update.callback_query is not None:
        try:
            await update.callback_query.answer()
        except BadRequest as exc:  # answered by the first delivery already
            log.debug("replayed callback answer failed: %s", exc)


async def forget_handled_updates(db: Database, clock: Clock) -> str:
    """The retention sweep: forget handled update ids Telegram can no longer deliver again."""
    async with db.uow() as uow:
        forgotten = await forget_handled_before(uow.session, clock.now() - HANDLED_UPDATES_KEPT)
        await uow.commit()
    return in_words((forgotten, "handled update ids forgotten"))  # idle: no log line


# The kinds of update the bot has a behaviour for. Everything else (edited messages and
# captions, channel posts, reactions, other chat-member changes, chosen inline results, polls,
# business messages, kinds Telegram adds later) is ignored quietly: an edit is not a new answer,
# and nothing the shop does starts from the others. Inline queries are product searches
# (bot/catalog/). A message posted "via" this bot (a product a customer shared from inline mode
# into this chat) is not a question either.
HANDLED_KINDS = (
    "message",
    "callback_query",
    "pre_checkout_query",
    "my_chat_member",
    "inline_query",
)
GATE_GROUP = -100  # before anything else, "who is talking" included


async def ignore_other_kinds(update: object, _context: object) -> None:
    """Stop an update of a kind the bot does not handle before any handler sees it."""
    if isinstance(update, Update) and any(
        getattr(update, kind, None) is not None for kind in HANDLED_KINDS
    ):
        via = update.message.via_bot if update.message is not None else None
        if via is None or via.id != update.get_bot().id:
            return
    log.debug("update %s of a kind the bot does not handle: ignored", _update_id(update))
    raise ApplicationHandlerStop


def _update_id(update: object) -> object:
    return getattr(update, "update_id", "?")


def register(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """The gate in front of every handler."""
    app.add_handler(TypeHandler(object, ignore_other_kinds), group=GATE_GROUP)
