"""Notification delivery at Telegram's limits: push N notifications to many chats through the
real outbox dispatcher and sender, against the local Bot API server enforcing Telegram-like
flood limits (30 messages/s overall, 1/s per private chat with a burst of 3, 20/min per group),
and print the rate achieved against the 30 msg/s ceiling and the 429s received.

The chats are many (so the per-chat limit is not what limits), the rows are written first, and
the dispatcher drains them as the bot's outbox job would. The goal is at least 95% of the
ceiling and no 429 at all. 10,000 notifications take about six minutes at 30/s.

    .venv/bin/python bench/notifications.py --count 10000
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram.ext import ExtBot
from telegram.request import HTTPXRequest

from bot.botapi.server import FakeBotApi
from bot.notify import TelegramSender
from bot.texts import Texts
from domain.shared.clock import SystemClock
from domain.shared.customers import Language
from domain.shared.notifications import Notification
from jobs.outbox import OutboxDispatcher
from jobs.pacing import Limits, SendPacer
from storage.db import Database
from storage.migrate import upgrade
from tests.e2e.harness import TOKEN

TEMPLATE = "order.placed_toast"  # "✅ Order {number} placed"


async def queue(db: Database, count: int, chats: int) -> None:
    """`count` notifications, round-robin over `chats` private chats, oldest first."""
    now = SystemClock().now()
    for start in range(0, count, 1000):
        async with db.uow() as uow:
            for n in range(start, min(start + 1000, count)):
                await uow.outbox.add(
                    Notification(
                        chat_id=100_000 + n % chats,
                        template=TEMPLATE,
                        params={"number": f"N{n}"},
                        language=Language.EN,
                    ),
                    now,
                )
            await uow.commit()


async def main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING)
    api = FakeBotApi(token=TOKEN)
    await api.start()
    for n in range(args.chats):
        api.add_user(100_000 + n, f"User {n}")
    api.rate_limits(
        enabled=True,
        global_per_sec=args.ceiling,
        private_per_sec=1,
        private_burst=3,
        group_per_min=20,
    )
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        await upgrade(url)
        db = Database(url)
        bot = ExtBot(
            TOKEN,
            base_url=f"{api.url}/bot",
            base_file_url=f"{api.url}/file/bot",
            request=HTTPXRequest(connection_pool_size=64),
        )
        await bot.initialize()
        try:
            await queue(db, args.count, args.chats)
            sender = TelegramSender(bot, Texts(), db, Language.EN)
            pacer = SendPacer(Limits.telegram(args.rate, 1, 20))
            dispatcher = OutboxDispatcher(db, sender, SystemClock(), pacer=pacer)
            print(
                f"{args.count} notifications to {args.chats} chats; dispatcher at "
                f"{args.rate:g} msg/s, server ceiling {args.ceiling:g} msg/s",
                flush=True,
            )
            started = time.monotonic()
            while True:
                await dispatcher.run_once()
                async with db.uow(readonly=True) as uow:
                    if await uow.outbox.pending_count() == 0:
                        break
            elapsed = time.monotonic() - started
        finally:
            await bot.shutdown()
            await db.dispose()
            await api.stop()
    sends = api.calls("sendMessage")
    ok = [r for r in sends if r.status == 200]
    flooded = sum(1 for r in sends if r.status == 429)
    labels = Counter(str(r.params.get("text", "")) for r in ok)
    duplicates = sum(n - 1 for n in labels.values() if n > 1)
    span = ok[-1].at - ok[0].at if len(ok) > 1 else 0.0
    # The rate over the whole run, and the sustained rate after the first second's burst.
    rate = (len(ok) - 1) / span if span else 0.0
    after_burst = [r for r in ok if r.at >= ok[0].at + 1.0]
    sustained = (
        (len(after_burst) - 1) / (after_burst[-1].at - after_burst[0].at)
        if len(after_burst) > 1
        else 0.0
    )
    print(f"delivered:          {len(ok)} of {args.count} ({duplicates} duplicates)")
    print(f"elapsed:            {elapsed:.1f} s (first to last message {span:.1f} s)")
    print(
        f"achieved rate:      {rate:.2f} msg/s = {100 * rate / args.ceiling:.1f}% "
        f"of the {args.ceiling:g} msg/s ceiling (goal >= 95%)"
    )
    print(f"sustained rate:     {sustained:.2f} msg/s after the first second's burst")
    print(f"429s received:      {flooded} (goal 0)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="notifications to send")
    parser.add_argument("--chats", type=int, default=2_000, help="private chats to spread over")
    parser.add_argument("--rate", type=float, default=30.0, help="OUTBOX_RATE_PER_SECOND")
    parser.add_argument("--ceiling", type=float, default=30.0, help="the server's global limit")
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    asyncio.run(main(parser.parse_args()))
