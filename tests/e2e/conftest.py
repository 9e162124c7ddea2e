"""Fixtures for end-to-end tests: the bot polling a local Bot API server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.harness import ADMIN_CHAT, BotUnderTest, Person, running_bot


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
