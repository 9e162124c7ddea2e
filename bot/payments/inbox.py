"""Payments survive a crash between fetching and recording them.

python-telegram-bot confirms updates to Telegram (the next getUpdates offset) as soon as it
has fetched them, before they are handled, and Telegram never sends a confirmed update
again. So every fetched update carrying a successful_payment is written to the database
before `get_updates` returns. If that write fails, `get_updates` fails too, the offset does
not move, and Telegram sends the update again. A sweep re-queues the kept updates whose
payment is still not recorded after a grace period. Recording is idempotent by the Telegram
charge id, so a replay can never pay twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.shared.lean_bot import LeanBot
from domain.shared.clock import Clock
from storage.db import Database

log = logging.getLogger(__name__)
REPLAY_AFTER = timedelta(seconds=30)
REPLAY_BATCH = 50


class InboxBot(LeanBot):
    """An ExtBot whose getUpdates keeps payment updates in the database before returning."""

    __slots__ = ("_inbox_clock", "_inbox_db")

    def attach_inbox(self, db: Database, clock: Clock) -> None:
        """Where to keep payment updates."""
        self._inbox_db: Database | None = db
        self._inbox_clock = clock

    async def get_updates(self, *args: Any, **kwargs: Any) -> tuple[Update, ...]:
        """Fetch updates; keep the payment ones durably before anyone can confirm them."""
        updates = await super().get_updates(*args, **kwargs)
        entries = [
            (u.update_id, u.message.successful_payment.telegram_payment_charge_id, u.to_dict())
            for u in updates
            if u.message is not None and u.message.successful_payment is not None
        ]
        db = getattr(self, "_inbox_db", None)
        if entries and db is not None:
            async with db.uow() as uow:
                await uow.inbox.keep(self.id, entries, self._inbox_clock.now())
                await uow.commit()
        return updates


async def replay_unrecorded_payments(
    app: Application[Any, Any, Any, Any, Any, Any], db: Database, clock: Clock
) -> int:
    """Put kept payment updates whose payment was never recorded back into the queue."""
    async with db.uow() as uow:
        kept = await uow.inbox.unrecorded(clock.now() - REPLAY_AFTER, REPLAY_BATCH)
        if kept:
            await uow.inbox.mark_replayed([(bot, p["update_id"]) for bot, p in kept])
        await uow.inbox.forget_recorded()
        await uow.commit()
    for _bot, payload in kept:
        log.warning("payment update %s was never recorded; handling it again", payload["update_id"])
        update = Update.de_json(payload, app.bot)
        replay = getattr(app, "replay", None)  # OnceApplication (bot/shared/updates.py)
        if replay is not None:  # its first delivery may have claimed the update's id
            await replay(update)
        else:
            await app.update_queue.put(update)
    return len(kept)
