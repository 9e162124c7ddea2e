"""The weekly summary reaches the admin chat as its text and then its chart (a photo drawn when
the outbox sends it), once: the job running again, or the summary being queued again as after
a crash before the run was recorded, sends nothing more."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.demo.history import seed_history
from bot.settings import WEEKDAYS
from domain.insight.service import Insight
from domain.insight.summary import Summaries
from domain.shared.clock import FixedClock
from storage.db import Database
from tests.e2e import helpers as db
from tests.e2e.harness import ADMIN_CHAT
from tests.e2e.jobs_kit import jobs_world, run_job


async def test_the_weekly_summary_arrives_as_text_and_chart_once(
    tmp_path: Path, engine: dict[str, Any]
) -> None:
    # pinned before the summary time, so no timer sends it before the history is written
    clock = FixedClock(datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0))
    weekday = WEEKDAYS[clock.now().weekday()]
    async with jobs_world(
        tmp_path, clock=clock, summary_at="11:00", weekly_summary_day=weekday, **engine
    ) as world:
        bot, ann = world.bot, world.ann
        keys = db.db_of(bot).keys  # the bot's personal data key (PostgreSQL: the test key)
        database = Database(bot.database_url, keys=keys)
        try:
            await seed_history(
                database,
                days=14,
                customers=10,
                seed=5,
                now=clock.now().replace(hour=0),  # settled: no payment left to expire
                orders_per_day=6,
            )
        finally:
            await database.dispose()
        clock.advance(hours=1, minutes=5)
        await run_job(bot, "insight_weekly")  # its own timer may have run it first
        assert bot.app is not None
        again = await bot.app.bot_data.jobs.run("insight_weekly")
        assert "already sent" in str(again)
        database = Database(bot.database_url, keys=keys)
        try:  # queued again as if the first run died before it was recorded
            insight = Insight(database, clock, ZoneInfo("UTC"))
            await Summaries(insight, database, ADMIN_CHAT).queue_weekly(clock.now().date())
        finally:
            await database.dispose()
        await bot.outbox_drained()

        sent = [
            m
            for m in ann.chat.bot_messages()
            if "Weekly summary" in (m.text or "") or m.kind == "photo"
        ]
        assert [m.kind for m in sent] == ["text", "photo"]  # the text, then its chart
        last = clock.now().date() - timedelta(days=1)
        first = last - timedelta(days=6)
        assert f"Weekly summary {first} – {last}" in sent[0].text
        assert sent[1].caption == f"📈 Daily revenue and orders {first} – {last}"
        photo = bot.api.files[sent[1].photo[-1]["file_id"]].data
        assert photo.startswith(b"\x89PNG")
