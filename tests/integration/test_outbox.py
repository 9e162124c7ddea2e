"""The transactional outbox: dedupe, leases, sent rows, retries and giving up."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from domain.shared.customers import Language
from domain.shared.notifications import Notification
from storage.db import Database
from storage.tables.outbox import OutboxRow
from tests.integration.helpers import T0, until

LEASE = 60.0


def note(n: int, dedupe_key: str | None = None) -> Notification:
    return Notification(chat_id=100 + n, template=f"t.{n}", dedupe_key=dedupe_key)


async def add(db: Database, *notifications: Notification, at=T0) -> None:  # type: ignore[no-untyped-def]
    async with db.uow() as uow:
        for notification in notifications:
            await uow.outbox.add(notification, at)
        await uow.commit()


async def claim(db: Database, now, limit: int = 10) -> list[Notification]:  # type: ignore[no-untyped-def]
    async with db.uow() as uow:
        claimed = await uow.outbox.claim_due(now, limit, LEASE)
        await uow.commit()
    return claimed


async def test_a_notification_round_trips_through_the_outbox(db: Database) -> None:
    sent = Notification(
        chat_id=-100_123_456_789_0,
        template="order.paid",
        params={"number": "7KQ2-M9XD", "total": {"$money": [1250, "USD"]}, "名": "李"},
        language=Language.ZH,
        buttons=[[("btn.view", "o:7KQ2M9XD"), ("btn.help", "h")], [("btn.back", "b")]],
        dedupe_key="order.paid:7KQ2-M9XD",
    )
    await add(db, sent)

    [claimed] = await claim(db, T0)

    assert claimed.id is not None and claimed.attempts == 1
    claimed.id, claimed.attempts = None, 0
    assert claimed == sent


async def test_a_second_add_with_the_same_dedupe_key_is_ignored(db: Database) -> None:
    await add(db, note(1, "k"), note(2, "k"))  # same transaction
    await add(db, note(3, "k"))  # a later one
    await add(db, note(4), note(5))  # no key: never deduplicated

    async with db.uow(readonly=True) as uow:
        assert await uow.outbox.pending_count() == 3
    assert [n.template for n in await claim(db, T0)] == ["t.1", "t.4", "t.5"]


async def test_a_concurrent_add_with_the_same_dedupe_key_is_ignored(
    db: Database, backend: str, request: pytest.FixtureRequest
) -> None:

    async def second_add() -> None:
        async with db.uow() as uow:
            await uow.outbox.add(note(2, "k"), T0)
            await uow.commit()

    async with db.uow() as uow:
        await uow.outbox.add(note(1, "k"), T0)
        second = asyncio.create_task(second_add())
        await until(db, second.done)  # the second is blocked behind the first
        await uow.commit()
    await asyncio.wait_for(second, timeout=10)

    assert [n.template for n in await claim(db, T0)] == ["t.1"]


async def test_claim_due_leases_rows_until_the_lease_expires(db: Database) -> None:
    await add(db, note(1), note(2), note(3))

    first = await claim(db, T0, limit=2)
    assert [n.template for n in first] == ["t.1", "t.2"]
    assert [n.attempts for n in first] == [1, 1]

    during = await claim(db, T0 + timedelta(seconds=LEASE - 1))
    assert [n.template for n in during] == ["t.3"]
    assert await claim(db, T0 + timedelta(seconds=LEASE - 1)) == []

    after = await claim(db, T0 + timedelta(seconds=LEASE + 1))
    assert [n.template for n in after] == ["t.1", "t.2"]
    assert [n.attempts for n in after] == [2, 2]


async def test_rows_not_yet_due_are_not_claimed(db: Database) -> None:
    await add(db, note(1), at=T0 + timedelta(minutes=1))
    assert await claim(db, T0) == []
    assert [n.template for n in await claim(db, T0 + timedelta(minutes=1))] == ["t.1"]


async def test_sent_rows_are_never_claimed_again(db: Database) -> None:
    await add(db, note(1), note(2))
    first, second = await claim(db, T0)
    async with db.uow() as uow:
        assert first.id is not None
        await uow.outbox.mark_sent(first.id, T0 + timedelta(seconds=1))
        await uow.commit()

    later = await claim(db, T0 + timedelta(days=1))
    assert [n.id for n in later] == [second.id]
    async with db.uow(readonly=True) as uow:
        assert await uow.outbox.pending_count() == 1
        row = await uow.session.get(OutboxRow, first.id)
        assert row is not None
        assert (row.sent_at, row.claimed_until) == (T0 + timedelta(seconds=1), None)


async def test_retry_later_makes_a_row_due_again_at_the_given_time(db: Database) -> None:
    await add(db, note(1))
    [claimed] = await claim(db, T0)
    retry_at = T0 + timedelta(seconds=5)
    async with db.uow() as uow:
        assert claimed.id is not None
        await uow.outbox.retry_later(claimed.id, "429 Too Many Requests" + "!" * 2000, retry_at)
        await uow.commit()

    assert await claim(db, retry_at - timedelta(seconds=1)) == []
    [again] = await claim(db, retry_at)
    assert (again.id, again.attempts) == (claimed.id, 2)
    async with db.uow(readonly=True) as uow:
        error = await uow.session.scalar(
            select(OutboxRow.last_error).where(OutboxRow.id == claimed.id)
        )
    assert error is not None and error.startswith("429") and len(error) == 1000


async def test_a_row_given_up_is_never_claimed_again(db: Database) -> None:
    await add(db, note(1))
    [claimed] = await claim(db, T0)
    async with db.uow() as uow:
        assert claimed.id is not None
        await uow.outbox.give_up(claimed.id, "403 bot was blocked", T0)
        await uow.commit()

    assert await claim(db, T0 + timedelta(days=1)) == []
    async with db.uow(readonly=True) as uow:
        assert await uow.outbox.pending_count() == 0
        row = await uow.session.get(OutboxRow, claimed.id)
        assert row is not None
        assert (row.failed_at, row.last_error, row.sent_at) == (T0, "403 bot was blocked", None)


async def test_a_claim_that_is_rolled_back_leases_nothing(db: Database) -> None:
    await add(db, note(1))
    async with db.uow() as uow:
        assert len(await uow.outbox.claim_due(T0, 10, LEASE)) == 1
    assert len(await claim(db, T0)) == 1
