"""The README's screenshot, taken with the browser test's machinery:
`.venv/bin/python -m tests.playground.screenshot docs/playground.png`."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from bot.playground.demo import DemoOptions, running_playground
from tests.playground.browser import chromium_page
from tests.playground.test_browser import sees, send, tap


async def shoot(target: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        options = DemoOptions(port=0, days=180, data_dir=Path(folder))
        async with (
            running_playground(options) as playground,
            chromium_page(Path(folder) / "profile", width=1280, height=760) as page,
        ):
            await page.goto(playground.url)
            customer, admin = page.locator("#customer-pane"), page.locator("#admin-pane")
            await send(customer, "/start")
            await sees(customer, "Hi Alice")
            await tap(customer, "Catalog")
            await tap(customer, "Tea (")
            await tap(customer, "Longjing")
            await tap(customer, "➕")
            await sees(customer, "In stock")
            await send(admin, "/report month")
            await sees(admin, "Top products")
            await page.wait_for_timeout(1500)  # images decoded, scrolled to the end
            await page.screenshot(path=str(target))


if __name__ == "__main__":
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/playground.png")
    asyncio.run(shoot(path))
    print(f"{path}: {path.stat().st_size // 1024} KB")
