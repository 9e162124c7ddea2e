"""Fixtures for end-to-end tests: the bot polling a local Bot API server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.dbsetup import sqlite_url
from tests.e2e import harness
from tests.e2e.harness import ADMIN_CHAT, BotUnderTest, Person, running_bot


@pytest.fixture(params=["sqlite", "postgres"])
async def engine(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[dict[str, Any]]:
    """Settings of a fresh shop database: a SQLite file, or a new PostgreSQL database
    (TEST_DATABASE_URL) with the test data key, where two taps in flight at once really run
    at once (no writer lock). Pass them to a world (`admin_world`, `pay_world`, `jobs_world`)
    to run a test on both databases; the PostgreSQL case is skipped without the variable."""
    if request.param == "sqlite":
        yield {"database_url": sqlite_url(tmp_path)}
        return
    async with harness.fresh_pg_shop(monkeypatch) as settings:
        yield settings


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[BotUnderTest]:
    async with running_bot(tmp_path) as running:
        running.api.add_group(ADMIN_CHAT, "Tea House admins")
        yield running


@pytest.fixture
def alice(bot: BotUnderTest) -> Person:
    return Person(bot, bot.api.add_user(1001, "Alice", language_code="en", username="alice"))


@pytest.fixture
def bob(bot: BotUnderTest) -> Person:
    return Person(bot, bot.api.add_user(1002, "Bob", language_code="en-US"))


@pytest.fixture
def li(bot: BotUnderTest) -> Person:
    return Person(bot, bot.api.add_user(1003, "李雷", language_code="zh-hans"))
