"""A setting the outside world refuses (an unreachable database, a file that cannot be opened,
a token Telegram rejects) ends `python -m bot` with one line naming the setting, exit code 2;
the token never shows in any output."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from bot.botapi.server import FakeBotApi
from tests.e2e.harness import TOKEN
from tests.e2e.test_cli import env_for, run_bot


def one_line(result_stderr: str) -> str:
    assert result_stderr.count("\n") == 1, result_stderr
    assert "Traceback" not in result_stderr
    return result_stderr


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"CURRENCY": "XXX"}, "CURRENCY: must be an ISO 4217 code"),
        ({"CURRENCY": "XAU"}, "CURRENCY: must be an ISO 4217 code"),
        ({"PHONE_REGION": "ZZ"}, "PHONE_REGION: must be a two-letter country code"),
    ],
)
def test_a_currency_or_region_that_is_not_real_is_refused(
    tmp_path: Path, values: dict[str, str], expected: str
) -> None:
    result = run_bot(tmp_path, BOT_TOKEN=TOKEN, **values)
    assert result.returncode == 2
    assert expected in one_line(result.stderr)


def database_urls(tmp_path: Path) -> list[str]:
    (tmp_path / "a-file").write_text("not a directory")
    return [
        "postgresql+asyncpg://postgres:secret-pw@127.0.0.1:1/orderbot",  # nothing listens
        f"sqlite+aiosqlite:///{tmp_path}",  # a directory, not a database file
        f"sqlite+aiosqlite:///{tmp_path}/a-file/shop.db",  # its "directory" is a file
    ]


@pytest.mark.parametrize("which", [0, 1, 2])
def test_a_database_that_cannot_be_opened_ends_with_one_line(tmp_path: Path, which: int) -> None:
    url = database_urls(tmp_path)[which]
    result = run_bot(tmp_path, "migrate", BOT_TOKEN=TOKEN, DATABASE_URL=url)
    assert result.returncode == 2, result.stderr
    line = one_line(result.stderr)
    assert line.startswith("orderbot: DATABASE_URL: cannot open the database")
    assert "secret-pw" not in line


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
async def test_a_token_telegram_rejects_ends_with_one_line_that_does_not_show_it(
    tmp_path: Path, level: str
) -> None:
    api = FakeBotApi(token=TOKEN)
    await api.start()
    wrong = "987654321:ABCdefGhIJKlmNoPQRstuVWxyz-placeholder"
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=tmp_path,
            env=env_for(tmp_path, BOT_TOKEN=wrong, TELEGRAM_API_URL=api.url, LOG_LEVEL=level),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), 60)
    finally:
        await api.stop()
    out = stdout.decode() + stderr.decode()
    assert process.returncode == 2, out
    assert "BOT_TOKEN: Telegram rejected the token" in stderr.decode().splitlines()[-1]
    if level == "INFO":  # no traceback from PTB's retry loop, only log lines of our own
        assert "Traceback" not in out and "telegram.ext" not in out, out
    assert wrong not in out and wrong.split(":")[1] not in out, "the token is never shown"
