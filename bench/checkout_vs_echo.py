"""Checkout against a bare python-telegram-bot echo bot, side by side in one run (issue 13).

Both bots run in processes of their own (bench/bot_child.py) and poll the same local Bot API
server over HTTP with the same concurrency; this process holds the server and the simulated
users. N users act at once; each waits for the bot to finish one update before sending the
next, as a person would. The shop's users go through browse -> add to cart -> checkout ->
place order (12 updates each); the echo bot's users send the same number of messages. Runs
are interleaved (echo, shop, echo, shop, ...) so machine noise hits both alike.

The stable figure on a noisy machine is the bot's CPU time per update, read from
/proc/<pid>/stat of the bot's process (all its threads) over the timed part of a round (the
shop's includes sending the outbox's notifications of the orders placed). Updates per second
follow the machine's load. Printed per round and as medians, with the ratio to echo and its
target (<= 3x: two Bot API calls per tap against echo's one put the floor near 2x).

    .venv/bin/python bench/checkout_vs_echo.py --customers 20 --rounds 3
    # before/after in one run: the shop at another commit as a third, interleaved bot
    git worktree add /tmp/before <commit>
    .venv/bin/python bench/checkout_vs_echo.py --before /tmp/before --before-without-sniffio
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bot_child import ChildBot
from bot.botapi.server import FakeBotApi
from storage.db import Database
from tests.e2e.harness import ADMIN_CHAT, TOKEN, Person, seed_demo_catalog

STEPS_PER_CUSTOMER = 12
TARGET_RATIO = 3.0


@dataclass
class ChildHandle:
    """What tests.e2e.harness.Person needs of a bot: the server, and 'wait until handled'."""

    api: FakeBotApi
    child: ChildBot

    async def processed(self, update: dict[str, Any], timeout: float = 120.0) -> None:  # noqa: ASYNC109 (Person's call)
        await self.child.handled(update)


@dataclass
class Round:
    updates: int
    seconds: float
    cpu: float

    @property
    def rate(self) -> float:
        return self.updates / self.seconds

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.cpu / self.updates


@dataclass
class Series:
    name: str
    rounds: list[Round] = field(default_factory=list)

    def median(self, attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in self.rounds)


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


async def echo_user(api: FakeBotApi, child: ChildBot, user_id: int, messages: int) -> int:
    sim = api.users.get(user_id) or api.add_user(user_id, f"U{user_id}")
    for i in range(messages):
        await child.handled(await sim.send_text(f"hello {i}"))
    return messages


async def run_echo(api: FakeBotApi, customers: int, concurrency: int, base: int) -> Round:
    child = ChildBot("echo", api.url, concurrency=concurrency)
    await child.start()
    try:
        cpu, started = child.cpu(), time.perf_counter()
        counts = await asyncio.gather(
            *(echo_user(api, child, base + i, STEPS_PER_CUSTOMER) for i in range(customers))
        )
        elapsed, used = time.perf_counter() - started, child.cpu() - cpu
    finally:
        await child.stop()
    return Round(sum(counts), elapsed, used)


async def outbox_drained(url: str) -> None:
    """Wait (up to a minute) until the bot has sent every notification the orders queued."""
    db = Database(url)
    try:
        deadline = time.perf_counter() + 60
        while time.perf_counter() < deadline:
            async with db.uow(readonly=True) as uow:
                if await uow.outbox.pending_count() == 0:
                    return
            await asyncio.sleep(0.05)
    finally:
        await db.dispose()


async def run_shop(
    api: FakeBotApi,
    url: str,
    customers: int,
    concurrency: int,
    base: int,
    tree: Path | None = None,
    hide_sniffio: bool = False,
    seed: dict[str, int] | None = None,
) -> Round:
    child = ChildBot(
        "shop",
        api.url,
        url,
        concurrency=concurrency,
        tree=tree,
        hide_sniffio=hide_sniffio,
        seed=seed,
    )
    await child.start()
    try:
        handle = ChildHandle(api, child)
        people = [Person(handle, api.add_user(base + i, f"C{i}")) for i in range(customers)]  # type: ignore[arg-type]
        cpu, started = child.cpu(), time.perf_counter()
        counts = await asyncio.gather(*(shop_journey(p) for p in people))
        elapsed = time.perf_counter() - started
        await outbox_drained(url)
        used = child.cpu() - cpu
    finally:
        await child.stop()
    return Round(sum(counts), elapsed, used)


def line(series: Series, echo: Series, r: int | None = None) -> str:
    if r is None:
        rate, cpu = series.median("rate"), series.median("cpu_ms")
        echo_rate, echo_cpu = echo.median("rate"), echo.median("cpu_ms")
    else:
        rate, cpu = series.rounds[r].rate, series.rounds[r].cpu_ms
        echo_rate, echo_cpu = echo.rounds[r].rate, echo.rounds[r].cpu_ms
    if series is echo:
        return f"{series.name:<22} {rate:7.1f} updates/s  {cpu:6.2f} ms CPU/update"
    return (
        f"{series.name:<22} {rate:7.1f} updates/s  {cpu:6.2f} ms CPU/update   "
        f"x echo: CPU {cpu / echo_cpu:4.2f} (target <= {TARGET_RATIO:.0f})  "
        f"throughput {echo_rate / rate:4.2f}"
    )


async def main(args: argparse.Namespace) -> None:
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        stock = 10_000_000
        urls = {}
        names = ["shop"] + (["shop (before)"] if args.before else [])
        for name in names:
            url = args.database_url or f"sqlite+aiosqlite:///{tmp}/{len(urls)}.db"
            if args.database_url and name != "shop":
                raise SystemExit("--before runs on SQLite only (one database per bot)")
            if name == "shop":
                await seed_demo_catalog(url, {"TEA-BLACK-100": stock})
            urls[name] = url
        api = FakeBotApi(token=TOKEN)
        await api.start()
        api.add_group(ADMIN_CHAT, "Shop admins")
        echo = Series("echo bot (bare PTB)")
        shops = [Series(f"{name} checkout") for name in names]
        try:
            for r in range(args.rounds):
                base = 10_000_000 + r * 1_000_000
                echo.rounds.append(await run_echo(api, args.customers, args.concurrency, base))
                for i, (name, series) in enumerate(zip(names, shops, strict=True)):
                    before = name != "shop"
                    series.rounds.append(
                        await run_shop(
                            api,
                            urls[name],
                            args.customers,
                            args.concurrency,
                            base + (i + 1) * 100_000,
                            tree=args.before if before else None,
                            hide_sniffio=before and args.before_without_sniffio,
                            # the other commit's own schema and catalog, on its first round
                            seed={"TEA-BLACK-100": stock} if before and r == 0 else None,
                        )
                    )
                print(f"round {r + 1}:")
                for series in (echo, *shops):
                    print("  " + line(series, echo, r), flush=True)
        finally:
            await api.stop()
    backend = "PostgreSQL" if (args.database_url or "").startswith("postgresql") else "SQLite"
    print(
        f"\n{args.customers} concurrent customers x {STEPS_PER_CUSTOMER} updates, "
        f"{args.rounds} interleaved rounds, concurrency {args.concurrency}, {backend}; "
        "medians:"
    )
    for series in (echo, *shops):
        print("  " + line(series, echo))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--database-url", default=None, help="default: a temporary SQLite file")
    parser.add_argument("--before", type=Path, default=None, help="another checkout to compare")
    parser.add_argument(
        "--before-without-sniffio",
        action="store_true",
        help="hide sniffio from the --before bot, as the environment was before issue 13",
    )
    asyncio.run(main(parser.parse_args()))
