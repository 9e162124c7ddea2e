"""The bot's CPU per checkout step, one customer at a time (issue 13).

bench/checkout_vs_echo.py measures the whole journey with customers at once; this one says
which step costs what. Each customer goes through the journey alone, and the bot's CPU time
(all its threads, in nanoseconds, from /proc/<pid>/task/*/schedstat) is read before and after
each update is handled. After Confirm it also counts what the bot does until the outbox has
sent the order's notification (the admin's alert): that is part of the order's cost. The echo
bot's CPU per message is measured the same way, as the floor.

    .venv/bin/python bench/checkout_steps.py --customers 30
    # another commit side by side (its bot runs right after this tree's, in each round)
    git worktree add /tmp/before <commit>
    .venv/bin/python bench/checkout_steps.py --customers 30 --before /tmp/before
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
from collections import defaultdict
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bot_child import ChildBot
from bench.checkout_vs_echo import ChildHandle, outbox_drained
from bot.botapi.server import FakeBotApi
from tests.e2e.harness import ADMIN_CHAT, TOKEN, Person, seed_demo_catalog

STOCK = 10_000_000
AFTER_CONFIRM = "(outbox after Confirm)"


def cpu_ns(pid: int) -> int:
    """CPU time of every thread of a process so far, in nanoseconds."""
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            total += int(Path(f"/proc/{pid}/task/{task}/schedstat").read_text().split()[0])
        except FileNotFoundError:  # a thread that ended meanwhile
            pass
    return total


def journey(person: Person) -> list[tuple[str, Callable[[], Awaitable[object]]]]:
    return [
        ("/start", lambda: person.say("/start")),
        ("Catalog", lambda: person.tap("Catalog")),
        ("Tea", lambda: person.tap("Tea")),
        ("Keemun", lambda: person.tap("Keemun")),
        ("Add 1 to cart", lambda: person.tap("Add 1 to cart")),
        ("Cart", lambda: person.tap("Cart")),
        ("Checkout", lambda: person.tap("Checkout")),
        ("recipient", lambda: person.say("Customer Name")),
        ("contact", lambda: person.share_contact("12025550143")),
        ("address", lambda: person.say("1 Main Street, Springfield, IL 62701")),
        ("Cash on delivery", lambda: person.tap("Cash on delivery")),
        ("Confirm order", lambda: person.tap("Confirm order")),
    ]


async def echo_floor(api: FakeBotApi, messages: int) -> list[int]:
    child = ChildBot("echo", api.url)
    await child.start()
    user = api.add_user(9_000_000, "Echo")
    used = []
    try:
        for i in range(messages):
            before = cpu_ns(child.pid)
            await child.handled(await user.send_text(f"hello {i}"))
            used.append(cpu_ns(child.pid) - before)
    finally:
        await child.stop()
    return used


async def shop_steps(
    api: FakeBotApi, url: str, customers: int, base: int, tree: Path | None, seed: bool
) -> dict[str, list[int]]:
    child = ChildBot(
        "shop", api.url, url, tree=tree, seed={"TEA-BLACK-100": STOCK} if seed else None
    )
    await child.start()
    used: dict[str, list[int]] = defaultdict(list)
    try:
        handle = ChildHandle(api, child)
        await asyncio.sleep(1.0)  # the jobs' first runs at start are not a step's
        for i in range(customers):
            person = Person(handle, api.add_user(base + i, f"C{i}"))  # type: ignore[arg-type]
            for name, act in journey(person):
                before = cpu_ns(child.pid)
                await act()
                used[name].append(cpu_ns(child.pid) - before)
            before = cpu_ns(child.pid)
            await outbox_drained(url)
            used[AFTER_CONFIRM].append(cpu_ns(child.pid) - before)
    finally:
        await child.stop()
    return used


def ms(values: list[int]) -> float:
    return statistics.median(values[2:] or values) / 1e6  # the first two warm caches up


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        trees: list[tuple[str, Path | None]] = [("this tree", None)]
        if args.before:
            trees.append(("before", args.before))
        urls = {name: f"sqlite+aiosqlite:///{tmp}/{i}.db" for i, (name, _) in enumerate(trees)}
        await seed_demo_catalog(urls["this tree"], {"TEA-BLACK-100": STOCK})
        api = FakeBotApi(token=TOKEN)
        await api.start()
        api.add_group(ADMIN_CHAT, "Shop admins")
        echo: list[int] = []
        steps: dict[str, dict[str, list[int]]] = {name: defaultdict(list) for name, _ in trees}
        try:
            for r in range(args.rounds):
                echo += await echo_floor(api, 4 * args.customers)
                for i, (name, tree) in enumerate(trees):
                    found = await shop_steps(
                        api,
                        urls[name],
                        args.customers,
                        10_000_000 + r * 1_000_000 + i * 100_000,
                        tree,
                        seed=tree is not None and r == 0,
                    )
                    for step, values in found.items():
                        steps[name][step] += values
        finally:
            await api.stop()
    floor = ms(echo)
    names = [name for name, _ in trees]
    print(f"\nCPU per update, medians of {args.customers} x {args.rounds} customers, one at a time")
    print(f"echo bot (bare PTB): {floor:.2f} ms per message\n")
    print(f"{'step':<24}" + "".join(f"{name:>22}" for name in names))
    totals = dict.fromkeys(names, 0.0)
    for step in [name for name, _ in journey(None)] + [AFTER_CONFIRM]:  # type: ignore[arg-type]
        cells = ""
        for name in names:
            value = ms(steps[name][step])
            totals[name] += value
            cells += f"{value:9.2f} ms = {value / floor:4.1f}x"
        print(f"{step:<24}{cells}")
    line = "".join(f"{totals[n] / 12:9.2f} ms = {totals[n] / 12 / floor:4.1f}x" for n in names)
    print(f"{'per update (12 updates)':<24}{line}   target <= 3x echo")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--before", type=Path, default=None, help="another checkout to compare")
    asyncio.run(main(parser.parse_args()))
