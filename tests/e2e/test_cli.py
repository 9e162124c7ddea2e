"""`python -m bot` as an operator runs it: settings errors, catalog import, and a live run."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.botapi.server import FakeBotApi
from tests.e2e.harness import DEMO_CATALOG, TOKEN

SETTINGS = (
    "BOT_TOKEN",
    "TELEGRAM_API_URL",
    "DATABASE_URL",
    "ADMIN_CHAT_ID",
    "ADMIN_USER_IDS",
    "CURRENCY",
    "SHIPPING_FEE",
    "TIMEZONE",
    "LOG_LEVEL",
    "PAYMENT_METHODS",
    "PHONE_REGION",
)


def env_for(tmp_path: Path, **values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SETTINGS}
    env["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path}/shop.db"
    env.update(values)
    return env


def run_bot(tmp_path: Path, *args: str, **values: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=env_for(tmp_path, **values),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({}, "BOT_TOKEN: is required but not set"),
        ({"BOT_TOKEN": "nonsense"}, "BOT_TOKEN: must look like"),
        ({"BOT_TOKEN": TOKEN, "CURRENCY": "XYZ"}, "CURRENCY: must be an ISO 4217 code"),
        ({"BOT_TOKEN": TOKEN, "ADMIN_CHAT_ID": "admins"}, "ADMIN_CHAT_ID:"),
        (
            {"BOT_TOKEN": TOKEN, "SHIPPING_FEE": "1.234"},
            "SHIPPING_FEE: 1.234 has more than 2 decimal",
        ),
        ({"BOT_TOKEN": TOKEN, "TIMEZONE": "Mars/Base"}, "TIMEZONE: must be an IANA time zone"),
        ({"BOT_TOKEN": TOKEN, "DATABASE_URL": "mysql://x"}, "DATABASE_URL: must start with"),
    ],
)
def test_a_missing_or_malformed_setting_ends_with_one_clear_line(
    tmp_path: Path, values: dict[str, str], expected: str
) -> None:
    result = run_bot(tmp_path, **values)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert expected in result.stderr and "Traceback" not in result.stderr


def test_import_products_loads_the_demo_catalog_and_updates_on_reimport(tmp_path: Path) -> None:
    first = run_bot(tmp_path, "import-products", str(DEMO_CATALOG))
    assert first.returncode == 0, first.stderr
    assert "Imported 12 products: 12 new, 0 updated." in first.stdout
    again = run_bot(tmp_path, "import-products", str(DEMO_CATALOG))
    assert "0 new, 12 updated" in again.stdout
    with sqlite3.connect(tmp_path / "shop.db") as conn:
        count, photo = conn.execute(
            "select count(*), max(photo) from products where sku = 'TEA-GREEN-100'"
        ).fetchone()
    assert count == 1 and photo.endswith("bot/demo/photos/green-tea.png")


def test_import_products_reports_bad_rows_by_line_and_imports_nothing(tmp_path: Path) -> None:
    csv = tmp_path / "bad.csv"
    csv.write_text(
        "sku,name,category,price,stock\n"
        "A1,Good row,Tea,1.00,5\n"
        "A2,,Tea,1.00,5\n"
        "A3,Bad price,Tea,abc,5\n"
        "A4,Negative,Tea,2.00,-1\n"
        "A1,Duplicate,Tea,1.00,5\n",
        encoding="utf-8",
    )
    result = run_bot(tmp_path, "import-products", str(csv))
    assert result.returncode == 1
    for line, message in (
        (3, "name is empty"),
        (4, "price"),
        (5, "stock must not be negative"),
        (6, "already appears on line 2"),
    ):
        assert f"bad.csv:{line}: " in result.stderr and message in result.stderr
    assert "nothing was imported" in result.stderr
    assert (
        not (tmp_path / "shop.db").exists()
        or sqlite3.connect(tmp_path / "shop.db")
        .execute("select count(*) from products")
        .fetchone()[0]
        == 0
    )


async def test_python_m_bot_migrates_and_answers_start_over_the_bot_api(tmp_path: Path) -> None:
    api = FakeBotApi(token=TOKEN)
    await api.start()
    user = api.add_user(4242, "Dora", language_code="en")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=tmp_path,
        env=env_for(tmp_path, BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api.url, LOG_LEVEL="WARNING"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await user.send_text("/start")
        reply = await api.wait_for(lambda a: a.chat(4242).last_bot_message(), timeout=30)
        assert "Hi Dora" in reply.text
        assert api.commands, "commands were registered at startup"
        assert (tmp_path / "shop.db").exists(), "migrations created the database"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
        await api.stop()
    assert process.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr


def test_import_products_stores_supply_columns_and_refuses_bad_ones_by_line(
    tmp_path: Path,
) -> None:
    header = (
        "sku,name,category,price,stock,lead_time_days,lead_time_max_days,order_cost,holding_cost\n"
    )
    bad = tmp_path / "bad_supply.csv"
    bad.write_text(header + "S1,Sencha,Tea,3.00,5,4,2,10.00,1.00\nS2,Bancha,Tea,3.00,5,,,,0\n")
    refused = run_bot(tmp_path, "import-products", str(bad))
    assert refused.returncode == 1
    assert "bad_supply.csv:2: lead_time_max_days must not be below lead_time_days" in (
        refused.stderr
    )
    assert "bad_supply.csv:3: holding_cost must be greater than zero" in refused.stderr
    good = tmp_path / "supply.csv"
    good.write_text(header + "S1,Sencha,Tea,3.00,5,4,9.5,10.00,1.25\nS2,Bancha,Tea,3.00,5,,,,\n")
    done = run_bot(tmp_path, "import-products", str(good))
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(tmp_path / "shop.db") as conn:
        rows = conn.execute(
            "select sku, lead_time_days, lead_time_max_days, order_cost_minor, "
            "holding_cost_minor from products order by sku"
        ).fetchall()
    assert rows == [("S1", 4.0, 9.5, 1000, 125), ("S2", None, None, None, None)]
