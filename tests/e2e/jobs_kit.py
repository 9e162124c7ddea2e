"""The jobs and tracking side of the end-to-end tests: a running shop (Alice the customer, Ann
and Ben the admins, Eve who is not one) on a SQLite file or, given the `engine` fixture's
settings (tests/e2e/conftest.py), on a fresh PostgreSQL database, with a pinned clock when a
test needs one and, when given, a local fake of the tracking aggregator; plus shipping an
order and running a job now."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.botapi.server import FakeBotApi
from domain.shared.clock import Clock, SystemClock
from jobs.runs import Skipped
from storage.crypto import parse_keys
from storage.db import Database
from storage.tables.shipping import ShipmentTrackingRow, TrackingCheckpointRow
from tests.carrier.fake_aftership import FakeAfterShip
from tests.dbsetup import sqlite_url
from tests.e2e import helpers as db
from tests.e2e.admin_kit import (
    ANN,
    BEN,
    EVE,
    Admin,
    World,
    make_shippable,
    open_from_alert,
)
from tests.e2e.harness import ADMIN_CHAT, TOKEN, BotUnderTest, Person, seed_demo_catalog

TRACKING = "SF1234567890123"
SLUG = "sf-express"


@contextlib.asynccontextmanager
async def jobs_world(
    tmp_path: Path,
    *,
    clock: Clock | None = None,
    carrier: FakeAfterShip | None = None,
    before_start: Callable[[Database], Awaitable[object]] | None = None,
    **overrides: Any,
) -> AsyncIterator[World]:
    """The bot with ADMIN_USER_IDS = Ann and Ben (and, with `carrier`, TRACKING_PROVIDER =
    aftership at the fake), everyone created before it starts, on the demo catalog, in a
    SQLite file under `tmp_path` unless `database_url` (and `data_keys`) say otherwise: pass
    the `engine` fixture's settings to run on both databases. `before_start(database)` writes
    what else the shop holds when the bot starts (an order history: the jobs run at start, and
    what they read of the past is kept for the day), with the personal data key the bot has."""
    api = FakeBotApi(token=TOKEN)
    await api.start()
    api.add_group(ADMIN_CHAT, "Tea House admins")
    alice = api.add_user(1001, "Alice", language_code="en", username="alice")
    ann = api.add_user(ANN, "Ann", language_code="en")
    ben = api.add_user(BEN, "Ben", language_code="en")
    eve = api.add_user(EVE, "Eve", language_code="en")
    url = overrides.pop("database_url", None) or sqlite_url(tmp_path)
    await seed_demo_catalog(url)
    if before_start is not None:
        keys = overrides.get("data_keys")
        database = Database(url, keys=parse_keys(keys) if keys else None)
        try:
            await before_start(database)
        finally:
            await database.dispose()
    # Pacing has tests of its own (test_delivery.py); here five a second per chat keeps the
    # journeys quick.
    settings: dict[str, Any] = {"admin_user_ids": [ANN, BEN], "outbox_private_per_second": 5}
    if carrier is not None:
        settings.update(
            tracking_provider="aftership",
            tracking_api_url=carrier.url,
            tracking_api_key=carrier.api_key,
        )
    settings.update(overrides)
    bot = BotUnderTest(api, url, settings, clock=clock or SystemClock())
    await bot.start()
    try:
        yield World(bot, Person(bot, alice), Admin(bot, ann), Admin(bot, ben), Admin(bot, eve))
    finally:
        await bot.stop()
        await api.stop()


async def ship(admin: Admin, number: str, tracking: str = TRACKING) -> None:
    """The admin ships the order with SF Express from its new-order alert."""
    detail = await make_shippable(admin, await open_from_alert(admin, number))
    await admin.tap("Ship", detail)
    await admin.tap("SF Express")
    await admin.say(tracking)
    await admin.tap("Skip")
    done = await admin.tap("Confirm shipment")
    assert "shipped" in (done.text or ""), done.text
    await admin.bot.outbox_drained()


async def run_job(bot: BotUnderTest, job_id: str) -> object:
    """Run a scheduled job now, as its timer would, and wait for what it queued to go out."""
    assert bot.app is not None
    for _ in range(100):  # the job's timer may be running it right now: our turn comes next
        result = await bot.app.bot_data.jobs.run(job_id)
        if not isinstance(result, Skipped):
            break
        await asyncio.sleep(0.05)
    await bot.outbox_drained()
    return result


async def tracking_state(bot: BotUnderTest) -> ShipmentTrackingRow:
    (row,) = await db.rows(bot, ShipmentTrackingRow)
    return row


async def checkpoints(bot: BotUnderTest) -> list[TrackingCheckpointRow]:
    return await db.rows(bot, TrackingCheckpointRow)


def count(person: Person, text: str) -> int:
    """How many of the bot's messages in the person's chat contain `text`."""
    return sum(text in body for body in person.texts())
