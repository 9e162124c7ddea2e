"""Checkout throughput against a bare python-telegram-bot echo bot, side by side in one run.

Both bots poll the same local Bot API server over HTTP with the same concurrency. N simulated
users act at once; each waits for the bot to finish one update before sending the next,
as a person would. The shop's users go through browse -> add to cart -> checkout -> place
order (12 updates each); the echo bot's users send the same number of messages. Runs are
interleaved (echo, shop, echo, shop, ...) so machine noise hits both alike; we print
updates per second for each, per round and as medians, and the ratio.

    .venv/bin/python bench/checkout_vs_echo.py --customers 20 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from telegram import Update
from telegram.ext import Application, ApplicationBuilder, MessageHandler, TypeHandler, filters

from bot.botapi.server import FakeBotApi
from tests.e2e.harness import ADMIN_CHAT, TOKEN, BotUnderTest, Person, seed_demo_catalog

STEPS_PER_CUSTOMER = 12


async def shop_journey(person: Person) -> int:
    """One customer from /start to a placed order; returns the number of updates sent."""
    await person.say("/start")
    await person.tap("Catalog")
    await person.tap("Tea")
    await person.tap("Keemun")
    await person.tap("Add 1 to cart")
    await person.tap("Cart")
    await person.tap("Checkout")
    await person.say("Customer Name")
    await person.share_contact("12025550143")
    await person.say("1 Main Street, Springfield, IL 62701")
    await person.tap("Cash on delivery")
    placed = await person.tap("Confirm order")
    assert "placed" in (placed.text or ""), placed.text
    return STEPS_PER_CUSTOMER


class EchoBot:
    """The baseline: python-telegram-bot with one handler that echoes text."""

    def __init__(self, api: FakeBotApi, concurrency: int) -> None:
        self.api = api
        self.concurrency = concurrency
        self.done: dict[int, asyncio.Event] = {}
        self.app: Application | None = None  # type: ignore[type-arg]

    async def start(self) -> None:
        app = (
            ApplicationBuilder()
            .token(TOKEN)
            .base_url(f"{self.api.url}/bot")
            .base_file_url(f"{self.api.url}/file/bot")
            .concurrent_updates(self.concurrency)
            .build()
        )

        async def echo(update: Update, context: Any) -> None:
            assert update.message is not None and update.message.text is not None
            await update.message.reply_text(update.message.text)

        async def mark(update: Update, _context: Any) -> None:
            self.done.setdefault(update.update_id, asyncio.Event()).set()

        app.add_handler(MessageHandler(filters.TEXT, echo))
        app.add_handler(TypeHandler(Update, mark), group=1000)
        await app.initialize()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=1, poll_interval=0)
        self.app = app

    async def stop(self) -> None:
        app = self.app
        assert app is not None and app.updater is not None
        await app.updater.stop()
        await app.stop()
        await app.shutdown()

    async def user(self, user_id: int, messages: int) -> int:
        sim = self.api.users.get(user_id) or self.api.add_user(user_id, f"U{user_id}")
        for i in range(messages):
            update = await sim.send_text(f"hello {i}")
            event = self.done.setdefault(update["update_id"], asyncio.Event())
            await asyncio.wait_for(event.wait(), 30)
        return messages


async def run_echo(api: FakeBotApi, customers: int, concurrency: int, base: int) -> float:
    echo = EchoBot(api, concurrency)
    await echo.start()
    try:
        started = time.perf_counter()
        counts = await asyncio.gather(
            *(echo.user(base + i, STEPS_PER_CUSTOMER) for i in range(customers))
        )
        elapsed = time.perf_counter() - started
    finally:
        await echo.stop()
    return sum(counts) / elapsed


async def run_shop(api: FakeBotApi, url: str, customers: int, concurrency: int, base: int) -> float:
    bot = BotUnderTest(api, url, {"concurrent_updates": concurrency})
    await bot.start()
    try:
        people = [Person(bot, api.add_user(base + i, f"C{i}")) for i in range(customers)]
        started = time.perf_counter()
        counts = await asyncio.gather(*(shop_journey(p) for p in people))
        elapsed = time.perf_counter() - started
    finally:
        await bot.stop()
    return sum(counts) / elapsed


async def main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        stock = 10_000_000
        await seed_demo_catalog(url, {"TEA-BLACK-100": stock})
        api = FakeBotApi(token=TOKEN)
        await api.start()
        api.add_group(ADMIN_CHAT, "Shop admins")
        echo_rates: list[float] = []
        shop_rates: list[float] = []
        try:
            for r in range(args.rounds):
                base = 10_000_000 + r * 100_000
                echo_rates.append(await run_echo(api, args.customers, args.concurrency, base))
                shop_rates.append(
                    await run_shop(api, url, args.customers, args.concurrency, base + 50_000)
                )
                print(
                    f"round {r + 1}: echo {echo_rates[-1]:7.1f} updates/s   "
                    f"shop checkout {shop_rates[-1]:7.1f} updates/s   "
                    f"cost ratio {echo_rates[-1] / shop_rates[-1]:.2f}x",
                    flush=True,
                )
        finally:
            await api.stop()
    echo_median = statistics.median(echo_rates)
    shop_median = statistics.median(shop_rates)
    backend = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(
        f"\n{args.customers} concurrent customers x {STEPS_PER_CUSTOMER} updates, "
        f"{args.rounds} interleaved rounds, concurrency {args.concurrency}, {backend}"
    )
    print(f"echo bot (bare PTB):      {echo_median:8.1f} updates/s (median)")
    print(f"shop checkout journey:    {shop_median:8.1f} updates/s (median)")
    print(f"per-update cost, shop / echo: {echo_median / shop_median:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    asyncio.run(main(parser.parse_args()))
