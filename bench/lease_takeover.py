"""How fast a restarted bot takes over the SQLite job leases of a process killed with SIGKILL,
and what it costs in CPU while it waits.

Process A (`python -m bot`, polling the local Bot API server) runs until it holds the outbox
job's lease; it is killed with SIGKILL and process B starts on the same database. The script
prints the seconds until B holds the lease, until a message queued after the kill reaches the
admin chat, and B's CPU seconds over its first --watch seconds (an idle bot's for comparison).

    .venv/bin/python bench/lease_takeover.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.crash import BotProcess
from bot.botapi.server import FakeBotApi
from domain.shared.notifications import Notification
from storage.db import Database
from tests.e2e.harness import ADMIN_CHAT, TOKEN, seed_demo_catalog

TICKS = os.sysconf("SC_CLK_TCK")
# Telegram's pace (the defaults), so the admin group's backlog keeps an outbox run going.
PACED = {
    "OUTBOX_RATE_PER_SECOND": "30",
    "OUTBOX_PRIVATE_PER_SECOND": "1",
    "OUTBOX_GROUP_PER_MINUTE": "20",
}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def outbox_holder(path: Path) -> str | None:
    with sqlite3.connect(path) as conn:
        row = conn.execute("select holder from job_locks where job = 'outbox'").fetchone()
    return row[0] if row else None


async def wait_until(predicate: object, within: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < within:
        if predicate():  # type: ignore[operator]
            return time.monotonic() - started
        await asyncio.sleep(0.05)
    return None


async def queue(url: str, chat_id: int, template: str, n: int) -> None:
    db = Database(url)
    try:
        async with db.uow() as uow:
            for i in range(n):
                params = {"number": f"T-{i:04d}", "customer": "Bench", "text": "hello"}
                notification = Notification(chat_id=chat_id, template=template, params=params)
                await uow.outbox.add(notification, datetime.now(UTC))
            await uow.commit()
    finally:
        await db.dispose()


async def run(watch: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "shop.db"
        url = f"sqlite+aiosqlite:///{path}"
        await seed_demo_catalog(url)
        # A backlog for the admin group (20 messages a minute): process A's outbox run is
        # still pacing it, lease held, when it is killed.
        await queue(url, ADMIN_CHAT, "adm.relay.from_customer", 40)
        api = FakeBotApi(token=TOKEN)
        await api.start()
        api.add_group(ADMIN_CHAT, "Tea House admins")
        dora = api.add_user(4242, "Dora", language_code="en")
        a = BotProcess(api, url, Path(tmp))
        a.env.update(PACED)
        await a.start()
        assert a.process is not None
        pid_a = a.process.pid
        held = await wait_until(lambda: f":{pid_a}:" in (outbox_holder(path) or ""), 30)
        assert held is not None, "process A never took the outbox lease"
        await asyncio.sleep(1.0)
        assert f":{pid_a}:" in (outbox_holder(path) or ""), "A's run ended: no lease to take"
        await a.kill()
        killed_at = time.monotonic()
        asked_before = len(api.calls("getMe"))
        await queue(url, dora.id, "adm.relay.to_customer", 1)  # a new message, another chat
        b = BotProcess(api, url, Path(tmp))
        b.env.update(PACED)
        await b.start()
        assert b.process is not None
        pid_b = b.process.pid
        up = await wait_until(lambda: len(api.calls("getMe")) > asked_before, 90)
        up_s = None if up is None else time.monotonic() - killed_at
        took = await wait_until(lambda: f":{pid_b}:" in (outbox_holder(path) or ""), 90)
        lease_s = None if took is None else time.monotonic() - killed_at
        delivered = await wait_until(lambda: api.chat(dora.id).last_bot_message(), 90)
        alert_s = None if delivered is None else time.monotonic() - killed_at
        start_cpu = cpu_seconds(pid_b)
        await asyncio.sleep(watch)
        busy_cpu = cpu_seconds(pid_b) - start_cpu
        await b.stop()
        await api.stop()
    print(f"the new process asked getMe {up_s and round(up_s, 2)} s after the kill (start-up)")
    print(
        f"lease held by the new process {lease_s and round(lease_s, 2)} s after the kill "
        "(target: prompt once started; the lease itself lasts 30 s)"
    )
    print(f"a message queued after the kill delivered {alert_s and round(alert_s, 2)} s after it")
    print(f"CPU of the new process over the next {watch:.0f} s: {busy_cpu:.2f} s (target: idle)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--watch", type=float, default=20.0)
    args = parser.parse_args()
    asyncio.run(run(args.watch))


if __name__ == "__main__":
    main()
