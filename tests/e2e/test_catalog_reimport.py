"""Re-importing a catalog never puts sold units back on sale: the file's stock is a new
product's starting stock, existing stock changes only when the merchant asks, after seeing the
differences, and every stock change from any import is in the inventory log."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from pathlib import Path

from storage.db import Database
from tests.e2e.harness import DEMO_CATALOG, TOKEN
from tests.e2e.test_cli import run_bot

SKU = "TEA-GREEN-100"


def stock_and_log(tmp_path: Path) -> tuple[int, list[tuple[int, int, str, str]]]:
    with sqlite3.connect(tmp_path / "shop.db") as conn:
        product_id, stock = conn.execute(
            "select id, stock from products where sku = ?", (SKU,)
        ).fetchone()
        log = conn.execute(
            "select delta, stock_after, reason, actor from inventory_log where product_id = ?"
            " order by id",
            (product_id,),
        ).fetchall()
    return stock, log


async def sell_one(tmp_path: Path) -> None:
    """A customer bought one unit: reserved at placement, committed at payment."""
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/shop.db")
    try:
        async with db.uow() as uow:
            (product_id, _stock) = (await uow.products.stock_by_sku([SKU]))[SKU]
            assert await uow.products.reserve(product_id, 1)
            await uow.products.commit_reserved(product_id, 1)
            await uow.commit()
    finally:
        await db.dispose()


def test_reimporting_the_same_catalog_keeps_the_stock_that_was_sold(tmp_path: Path) -> None:
    first = run_bot(tmp_path, "import-products", str(DEMO_CATALOG), BOT_TOKEN=TOKEN)
    assert first.returncode == 0, first.stderr
    start, log = stock_and_log(tmp_path)
    assert log == [(start, start, "catalog import catalog.csv", "cli")], "new stock is logged"

    asyncio.run(sell_one(tmp_path))
    again = run_bot(tmp_path, "import-products", str(DEMO_CATALOG), BOT_TOKEN=TOKEN)
    assert again.returncode == 0, again.stderr
    assert "0 new, 12 updated" in again.stdout
    assert "Stock left as it is for 1 existing products" in again.stdout
    assert stock_and_log(tmp_path)[0] == start - 1, "the sold unit is not back on sale"

    # An export edited only for prices: the same file with other prices, stock untouched.
    shutil.copytree(DEMO_CATALOG.parent / "photos", tmp_path / "photos")
    edited = tmp_path / "prices.csv"
    edited.write_text(DEMO_CATALOG.read_text().replace("12.50", "13.00"))
    priced = run_bot(tmp_path, "import-products", str(edited), BOT_TOKEN=TOKEN)
    assert priced.returncode == 0, priced.stderr
    with sqlite3.connect(tmp_path / "shop.db") as conn:
        (price,) = conn.execute("select price_minor from products where sku = ?", (SKU,)).fetchone()
    assert price == 1300
    assert stock_and_log(tmp_path)[0] == start - 1


def test_setting_stock_from_a_file_shows_the_difference_first_and_logs_it(
    tmp_path: Path,
) -> None:
    assert run_bot(tmp_path, "import-products", str(DEMO_CATALOG), BOT_TOKEN=TOKEN).returncode == 0
    start, _ = stock_and_log(tmp_path)
    asyncio.run(sell_one(tmp_path))

    preview = run_bot(
        tmp_path, "import-products", str(DEMO_CATALOG), "--set-stock", BOT_TOKEN=TOKEN
    )
    assert preview.returncode == 0, preview.stderr
    assert f"{SKU}: stock {start - 1} -> {start} (+1)" in preview.stdout
    assert "nothing was imported" in preview.stdout
    assert stock_and_log(tmp_path)[0] == start - 1

    applied = run_bot(
        tmp_path, "import-products", str(DEMO_CATALOG), "--set-stock", "--yes", BOT_TOKEN=TOKEN
    )
    assert applied.returncode == 0, applied.stderr
    stock, log = stock_and_log(tmp_path)
    assert stock == start
    assert log[-1] == (1, start, "catalog import catalog.csv", "cli")
