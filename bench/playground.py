"""The playground's figures: start-up with the full demo history, the page's load until both
chats are drawn, and a command's round trip to the bot's answer on screen, in Debian's chromium
(the browser test's machinery). Figures only, never pass/fail.

    .venv/bin/python bench/playground.py [--days 180] [--rounds 3]
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.playground.demo import DemoOptions, running_playground
from tests.playground.browser import chromium_page


async def measure(days: int, rounds: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        started = time.monotonic()
        options = DemoOptions(port=0, days=days, data_dir=Path(folder))
        async with running_playground(options) as playground:
            print(f"start-up with {days} days of history: {time.monotonic() - started:.1f} s")
            async with chromium_page(Path(folder) / "profile") as page:
                loads, answers = [], []
                for _ in range(rounds):
                    began = time.monotonic()
                    await page.goto(playground.url)
                    await page.wait_for_selector("body[data-ready=true]")
                    await page.wait_for_selector("#admin-pane .chat-title:text('Tea House')")
                    loads.append(time.monotonic() - began)
                    incoming = await page.locator("#customer-pane .row.in").count()
                    began = time.monotonic()
                    await page.locator("#customer-pane textarea").fill("/start")
                    await page.locator("#customer-pane textarea").press("Enter")
                    await page.wait_for_function(
                        "n => document.querySelectorAll('#customer-pane .row.in').length > n",
                        arg=incoming,
                    )
                    answers.append(time.monotonic() - began)
                load, answer = statistics.median(loads), statistics.median(answers)
                print(f"page load until both chats are drawn: {load * 1000:.0f} ms (median)")
                print(f"/start until the answer is on screen: {answer * 1000:.0f} ms (median)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(measure(args.days, args.rounds))


if __name__ == "__main__":
    main()
