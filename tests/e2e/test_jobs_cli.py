"""`python -m bot jobs`: the scheduled jobs alone, without polling, so several bot processes
(RUN_JOBS=false) can share one job runner."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot.botapi.server import FakeBotApi
from domain.shared.customers import Customer, Language
from domain.shared.notifications import Notification
from storage.db import Database
from storage.migrate import upgrade
from tests.e2e.harness import TOKEN
from tests.e2e.test_cli import env_for


async def seed_notification(url: str, user_id: int) -> None:
    await upgrade(url)
    database = Database(url)
    try:
        async with database.uow() as uow:
            await uow.customers.upsert(Customer(user_id, "Dora"))
            await uow.outbox.add(
                Notification(
                    chat_id=user_id,
                    template="order.placed_toast",
                    params={"number": "FROM-JOBS"},
                    language=Language.EN,
                ),
                datetime.now(UTC),
            )
            await uow.commit()
    finally:
        await database.dispose()


async def test_the_job_runner_delivers_notifications_and_never_polls(tmp_path: Path) -> None:
    api = FakeBotApi(token=TOKEN)
    await api.start()
    api.add_user(4242, "Dora", language_code="en")
    await seed_notification(f"sqlite+aiosqlite:///{tmp_path}/shop.db", 4242)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "jobs",
        cwd=tmp_path,
        env=env_for(tmp_path, BOT_TOKEN=TOKEN, TELEGRAM_API_URL=api.url, LOG_LEVEL="INFO"),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        message = await api.wait_for(lambda a: a.chat(4242).last_bot_message(), timeout=30)
        assert "Order FROM-JOBS placed" in message.text
        await asyncio.sleep(0.5)
        assert api.calls("getUpdates") == [], "a job runner does not poll"
        assert api.commands == {}, "nor does it register commands"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
        await api.stop()
    assert process.returncode == 0, stderr.decode()
    assert b"Traceback" not in stderr
    assert b"job runner started" in stderr
    with sqlite3.connect(tmp_path / "shop.db") as conn:
        jobs = {job for (job,) in conn.execute("select job from job_runs")}
        sent = conn.execute("select count(*) from outbox where sent_at is not null").fetchone()
    assert {"outbox", "auto_complete"} <= jobs
    assert sent == (1,)


async def test_a_bot_with_run_jobs_false_leaves_the_jobs_to_the_runner(tmp_path: Path) -> None:
    from tests.e2e.harness import running_bot

    async with running_bot(tmp_path, run_jobs=False) as bot:
        assert bot.app is not None
        jobs = bot.app.bot_data.jobs
        assert not jobs.scheduler.running
        user = bot.api.add_user(1001, "Alice", language_code="en")
        await user.send_text("/start")
        reply = await bot.api.wait_for(lambda a: a.chat(1001).last_bot_message(), timeout=10)
        assert "Hi Alice" in reply.text, "it still answers customers"
