"""A running playground (server, bot, page) on a fresh database with a short order history."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.playground.demo import DemoOptions, Playground, running_playground


@pytest.fixture
async def playground(tmp_path: Path) -> AsyncIterator[Playground]:
    options = DemoOptions(port=0, days=21, customers=30, data_dir=tmp_path)
    async with running_playground(options) as running:
        yield running
