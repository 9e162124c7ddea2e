"""Notification delivery against the local Bot API server: Telegram's rate limits (with the
server enforcing them), 429 retry_after, 403 from a user who blocked the bot and
my_chat_member when they come back, 5xx, and restarts in the middle of a batch."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from domain.shared.clock import FixedClock
from domain.shared.customers import Language
from domain.shared.notifications import Notification
from storage.db import Database
from storage.tables.customers import CustomerRow
from storage.tables.outbox import OutboxRow
from tests.e2e import helpers as db
from tests.e2e.harness import ADMIN_CHAT, BotUnderTest, Person, running_bot

TEMPLATE = "order.placed_toast"  # "✅ Order {number} placed": the number tells them apart
LABEL = re.compile(r"Order (\S+) placed")


async def queue(bot: BotUnderTest, chat_id: int, labels: list[str]) -> None:
    """Notifications written as a use case would write them (which wakes the outbox)."""
    async with db.db_of(bot).uow() as uow:
        for label in labels:
            await uow.outbox.add(
                Notification(
                    chat_id=chat_id,
                    template=TEMPLATE,
                    params={"number": label},
                    language=Language.EN if chat_id > 0 else None,
                ),
                bot.clock.now(),
            )
        await uow.commit()


def received(bot: BotUnderTest, chat_id: int) -> list[str]:
    """The labels the chat shows, in order."""
    found = []
    for message in bot.api.chat(chat_id).bot_messages():
        match = LABEL.search(message.text or "")
        if match:
            found.append(match.group(1))
    return found


def statuses(bot: BotUnderTest, status: int) -> int:
    return sum(1 for r in bot.api.calls("sendMessage") if r.status == status)


async def reachable(bot: BotUnderTest, user_id: int) -> bool:
    [row] = await db.rows(bot, CustomerRow, CustomerRow.id == user_id)
    return bool(row.reachable)


async def until(probe: Callable[[], Awaitable[object]], expected: object) -> None:
    """Wait (up to 5 s) until `await probe()` gives `expected`."""
    for _ in range(100):
        if await probe() == expected:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"still not {expected!r}")


async def meet(bot: BotUnderTest, user_id: int, name: str) -> Person:
    """A user who has written to the bot (so they are a customer)."""
    person = Person(bot, bot.api.add_user(user_id, name, language_code="en"))
    await person.say("/start")
    return person


async def test_a_user_who_blocked_the_bot_is_held_and_gets_everything_in_order_on_return(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path, outbox_private_per_second=10) as bot:
        alice = await meet(bot, 1001, "Alice")
        bob = await meet(bot, 1002, "Bob")
        alice.sim.blocked = True  # she blocked the bot; we learn it from the next send
        await queue(bot, alice.id, ["A-1", "A-2", "A-3"])
        await queue(bot, bob.id, ["B-1"])
        await bot.api.wait_for(lambda api: received(bot, bob.id) == ["B-1"])
        await bot.api.wait_for(lambda api: statuses(bot, 403) == 1)
        await until(lambda: reachable(bot, alice.id), False)
        await queue(bot, alice.id, ["A-4"])
        await queue(bot, bob.id, ["B-2"])
        await bot.api.wait_for(lambda api: received(bot, bob.id) == ["B-1", "B-2"])
        assert statuses(bot, 403) == 1, "no more sends to her while she is unreachable"
        held = await db.rows(bot, OutboxRow, OutboxRow.chat_id == alice.id)
        assert [r.sent_at for r in held] == [None] * 4 and {r.failed_at for r in held} == {None}

        update = alice.sim.unblock()  # my_chat_member: kicked -> member
        await bot.processed(update)
        await bot.outbox_drained()
        assert await reachable(bot, alice.id)
        assert received(bot, alice.id) == ["A-1", "A-2", "A-3", "A-4"], "each once, in order"


async def test_my_chat_member_marks_a_user_unreachable_before_any_send_fails(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as bot:
        alice = await meet(bot, 1001, "Alice")
        update = alice.sim.block()  # my_chat_member: member -> kicked
        await bot.processed(update)
        assert not await reachable(bot, alice.id)
        await queue(bot, alice.id, ["A-1"])
        bot.app.bot_data.jobs.wake_outbox()
        await bot.processed(alice.sim.unblock())
        await bot.outbox_drained()
        assert statuses(bot, 403) == 0, "nothing was even tried while she had blocked us"
        assert received(bot, alice.id) == ["A-1"]


async def test_a_429_is_waited_out_and_the_message_sent_once(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        alice = await meet(bot, 1001, "Alice")
        bot.api.fail_next("sendMessage", 429, retry_after=1)
        await queue(bot, alice.id, ["A-1", "A-2"])
        await bot.outbox_drained(timeout=10)
        assert statuses(bot, 429) == 1
        assert received(bot, alice.id) == ["A-1", "A-2"]
        rows = await db.rows(bot, OutboxRow, OutboxRow.chat_id == alice.id)
        assert [r.attempts for r in rows] == [1, 1], "a 429 does not use up an attempt"


async def test_a_5xx_is_retried_with_back_off(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        alice = await meet(bot, 1001, "Alice")
        bot.api.fail_next("sendMessage", 502)
        await queue(bot, alice.id, ["A-1", "A-2"])
        await bot.outbox_drained(timeout=10)
        assert statuses(bot, 502) == 1
        assert received(bot, alice.id) == ["A-1", "A-2"]
        first = (await db.rows(bot, OutboxRow, OutboxRow.chat_id == alice.id))[0]
        assert first.attempts == 2 and first.last_error is None


async def test_telegrams_limits_are_kept_so_no_429_ever_comes(tmp_path: Path) -> None:
    async with running_bot(tmp_path) as bot:
        bot.api.add_group(ADMIN_CHAT, "Tea House admins")
        people = [await meet(bot, 1001 + n, f"User {n}") for n in range(3)]
        bot.api.rate_limits(
            enabled=True, global_per_sec=30, private_per_sec=1, private_burst=3, group_per_min=20
        )
        for person in people:
            await queue(bot, person.id, [f"{person.id}-{n}" for n in range(4)])
        await queue(bot, ADMIN_CHAT, [f"G-{n}" for n in range(11)])
        await bot.outbox_drained(timeout=15)
        assert statuses(bot, 429) == 0
        for person in people:
            assert received(bot, person.id) == [f"{person.id}-{n}" for n in range(4)]
        assert received(bot, ADMIN_CHAT) == [f"G-{n}" for n in range(11)]


async def test_a_restart_in_the_middle_of_a_batch_loses_and_repeats_nothing(
    tmp_path: Path,
) -> None:
    async with running_bot(tmp_path) as bot:
        people = [await meet(bot, 2001 + n, f"User {n}") for n in range(6)]
        bot.api.rate_limits(enabled=True, private_per_sec=1, private_burst=3)
        for person in people:
            await queue(bot, person.id, [f"{person.id}-{n}" for n in range(5)])
        await bot.api.wait_for(
            lambda api: sum(len(received(bot, p.id)) for p in people) >= 14, timeout=10
        )
        await bot.stop()  # mid-batch: SIGTERM, as a deploy does
        rows = await _rows(bot.database_url)
        assert any(r.sent_at is None for r in rows), "the batch was not finished yet"
        assert all(r.claimed_until is None for r in rows if r.sent_at is None), "no leases left"

        await bot.start()
        await bot.outbox_drained(timeout=15)
        for person in people:
            assert received(bot, person.id) == [f"{person.id}-{n}" for n in range(5)]
        # (A 429 or two right after the restart is possible and fine: the new process does
        # not know how much of each chat's budget the old one used. They are waited out.)


async def _rows(url: str) -> list[OutboxRow]:
    database = Database(url)
    try:
        async with database.uow(readonly=True) as uow:
            found = list((await uow.session.scalars(select(OutboxRow))).all())
            uow.session.expunge_all()
        return found
    finally:
        await database.dispose()


async def test_rows_a_killed_runner_had_claimed_go_out_at_the_next_run_not_at_lease_expiry(
    tmp_path: Path,
) -> None:
    clock = FixedClock(datetime.now(UTC))
    async with running_bot(tmp_path) as bot:
        bot.clock = clock
        await bot.restart()  # on the pinned clock
        alice = await meet(bot, 1001, "Alice")
        bob = await meet(bot, 1002, "Bob")
        await queue(bot, alice.id, ["A-1", "A-2"])
        await bot.outbox_drained()
        # Another runner claims Bob's rows, then dies before sending them.
        await queue_quietly(bot.database_url, bob.id, ["B-1", "B-2"], clock)
        dead = Database(bot.database_url)
        try:
            async with dead.uow() as uow:
                claimed = await uow.outbox.claim_due(clock.now(), 10, 120)
                await uow.commit()
        finally:
            await dead.dispose()
        assert [n.params["number"] for n in claimed] == ["B-1"]

        # The outbox job runs under its job lock, so the runner that claimed them is gone: the
        # next run frees its claims (issue 11) instead of waiting 120 s for the lease.
        bot.app.bot_data.jobs.wake_outbox()
        await queue(bot, alice.id, ["A-3"])
        await bot.api.wait_for(lambda api: received(bot, alice.id) == ["A-1", "A-2", "A-3"])
        await bot.outbox_drained()
        assert received(bot, bob.id) == ["B-1", "B-2"], "sent once each, in order"


async def queue_quietly(url: str, chat_id: int, labels: list[str], clock: FixedClock) -> None:
    """Rows written by another process (this one is not woken)."""
    database = Database(url)
    try:
        async with database.uow() as uow:
            for label in labels:
                await uow.outbox.add(
                    Notification(
                        chat_id=chat_id,
                        template=TEMPLATE,
                        params={"number": label},
                        language=Language.EN,
                    ),
                    clock.now() - timedelta(seconds=1),
                )
            await uow.commit()
    finally:
        await database.dispose()
