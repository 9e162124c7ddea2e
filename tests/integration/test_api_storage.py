"""The HTTP API's records under concurrency, at rest and in retention, on SQLite and PostgreSQL:
one Idempotency-Key taken by exactly one of many requests at once, a rate window counting every
request of many at once exactly, the stored answer encrypted (it quotes the buyer's phone and
address), and the retention job forgetting what is old and nothing else."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text

from bot.api.idempotency import forget_old_api_records
from domain.shared.clock import FixedClock
from storage.crypto import TOKEN_PREFIX
from storage.db import Database
from storage.tables.api import ApiIdempotencyRow, ApiRateRow

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=1)


async def test_of_many_requests_with_one_key_at_once_exactly_one_takes_it(db: Database) -> None:
    async def claim(n: int) -> object:
        async with db.uow() as uow:
            found = await uow.idempotency.claim("webshop", "k", "hash", NOW, LONG_AGO)
            await uow.commit()
            return found

    results = await asyncio.wait_for(asyncio.gather(*(claim(n) for n in range(12))), 60)
    assert sum(result is None for result in results) == 1
    assert all(r is None or r.request_hash == "hash" for r in results)  # type: ignore[attr-defined]


async def test_a_rate_window_counts_many_requests_at_once_exactly(db: Database) -> None:
    async def hit() -> int:
        async with db.uow() as uow:
            count = await uow.api_rates.hit("webshop", NOW)
            await uow.commit()
            return count

    counts = await asyncio.wait_for(asyncio.gather(*(hit() for _ in range(20))), 60)
    assert sorted(counts) == list(range(1, 21))


async def test_a_stored_answer_is_encrypted_at_rest(db: Database) -> None:
    answer = {"body": {"phone": "+1 202 555 0143", "address": "1 Navy Yard"}, "media_type": "x"}
    async with db.uow() as uow:
        await uow.idempotency.claim("webshop", "k", "hash", NOW, LONG_AGO)
        await uow.idempotency.finish("webshop", "k", 201, answer)
        await uow.commit()
    async with db.uow() as uow:  # claim writes (when the key is new); rolled back here
        raw = await uow.session.scalar(text("SELECT response FROM api_idempotency"))
        stored = await uow.idempotency.claim("webshop", "k", "hash", NOW, LONG_AGO)
    assert raw.startswith(TOKEN_PREFIX) and "555" not in raw
    assert stored is not None and stored.response == answer


async def test_the_retention_job_forgets_old_keys_and_windows_only(db: Database) -> None:
    async with db.uow() as uow:
        for hours in (30, 25, 23, 1):
            at = NOW - timedelta(hours=hours)
            await uow.idempotency.claim("webshop", f"k{hours}", "hash", at, LONG_AGO)
            await uow.api_rates.hit("webshop", at)
        await uow.api_rates.hit("webshop", NOW - timedelta(minutes=30))
        await uow.commit()
    said = await forget_old_api_records(db, FixedClock(NOW))
    assert str(said) == "2 idempotency keys forgotten, 3 rate windows forgotten"
    async with db.uow(readonly=True) as uow:
        keys = list(await uow.session.scalars(select(ApiIdempotencyRow.idempotency_key)))
        windows = await uow.session.scalar(select(func.count()).select_from(ApiRateRow))
    assert sorted(keys) == ["k1", "k23"] and windows == 2  # an hour old exactly is kept
    assert not (await forget_old_api_records(db, FixedClock(NOW))).busy
