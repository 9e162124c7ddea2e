"""The update inbox as the webhook uses it (issue 14), on SQLite and PostgreSQL: an update is
kept once per (bot id, update id), forgotten when handled (a payment's kept until recorded),
and taken over only once its lease has passed, by one taker."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from storage.db import Database

BOT = 42
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def update(update_id: int, charge: str | None = None) -> dict[str, Any]:
    message: dict[str, Any] = {"message_id": update_id, "date": 0, "text": "hi"}
    if charge:
        message["successful_payment"] = {"telegram_payment_charge_id": charge}
    return {"update_id": update_id, "message": message}


async def accept(
    db: Database, update_id: int, charge: str | None = None, at: datetime = NOW
) -> bool:
    async with db.uow() as uow:
        fresh = await uow.inbox.accept(
            BOT, update_id, charge, update(update_id, charge), at, at + LEASE
        )
        await uow.commit()
    return fresh


async def take(db: Database, now: datetime) -> list[int]:
    async with db.uow() as uow:
        taken = await uow.inbox.take_stale(BOT, now, now + LEASE, 10)
        await uow.commit()
    return [p["update_id"] for p in taken]


async def test_an_update_is_kept_once_and_forgotten_when_handled(db: Database) -> None:
    assert await accept(db, 1)
    assert not await accept(db, 1), "a redelivery finds it kept"
    async with db.uow() as uow:
        await uow.inbox.finish(BOT, 1, NOW)
        await uow.commit()
    assert await take(db, NOW + 2 * LEASE) == []
    async with db.uow() as uow:
        assert await uow.inbox.unrecorded(NOW + 2 * LEASE, 10) == []


async def test_a_handled_payment_update_stays_until_its_payment_is_recorded(db: Database) -> None:
    assert await accept(db, 2, charge="ch-2")
    async with db.uow() as uow:
        await uow.inbox.finish(BOT, 2, NOW)
        await uow.commit()
    async with db.uow() as uow:
        [(bot_id, payload)] = await uow.inbox.unrecorded(NOW + LEASE, 10)
    assert (bot_id, payload["update_id"]) == (BOT, 2)
    assert await take(db, NOW + 2 * LEASE) == [], "handled: not taken over"


async def test_only_updates_past_their_lease_are_taken_over_and_by_one_taker(
    db: Database,
) -> None:
    await accept(db, 3)
    await accept(db, 4, at=NOW + LEASE)
    assert await take(db, NOW + LEASE / 2) == [], "its process may still be handling it"
    later = NOW + LEASE + timedelta(seconds=1)
    first, second = await asyncio.gather(take(db, later), take(db, later))
    assert sorted(first + second) == [3], "one taker per update"
    assert await take(db, later) == [], "the taker holds a fresh lease"


async def test_a_renewed_lease_is_not_taken_over(db: Database) -> None:
    await accept(db, 5)
    async with db.uow() as uow:
        await uow.inbox.renew(BOT, [5], NOW + 3 * LEASE)
        await uow.commit()
    assert await take(db, NOW + 2 * LEASE) == []
    assert await take(db, NOW + 4 * LEASE) == [5]
