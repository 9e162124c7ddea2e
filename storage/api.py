"""The HTTP API's records (issue 17): API keys, the Idempotency-Key answers of POSTs, and the
per-key request counts of rate limiting. Like the update inbox, these serve an adapter
(bot/api/), not a domain use case, so their protocols live here next to the SQL repositories;
the in-memory fakes (tests/unit/fakes.py) implement the same protocols and
tests/contract/test_api_records.py holds them to the SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.base import dialect_insert
from storage.tables.api import ApiIdempotencyRow, ApiKeyRow, ApiRateRow


@dataclass(frozen=True)
class ApiKey:
    """A channel's API key as stored: never the token, only its hash and first characters."""

    name: str
    prefix: str
    scopes: frozenset[str]
    created_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None

    @property
    def active(self) -> bool:
        """Whether the key still opens the API."""
        return self.revoked_at is None


@dataclass(frozen=True)
class StoredAnswer:
    """What an Idempotency-Key holds: the request's hash and, once answered, the answer
    (`status` None: the first request is still running)."""

    request_hash: str
    status: int | None
    response: dict[str, Any] | None
    created_at: datetime


class ApiKeyRepository(Protocol):
    async def add(self, key: ApiKey, key_hash: str) -> bool:
        """Store a new key; False (nothing stored) when the name is taken."""

    async def by_hash(self, key_hash: str) -> ApiKey | None:
        """The key whose token hashes to `key_hash`, revoked or not."""

    async def revoke(self, name: str, at: datetime) -> bool:
        """Revoke a key; False when there is no active key of that name."""

    async def listed(self) -> list[ApiKey]:
        """Every key, by name."""

    async def touch(self, name: str, at: datetime) -> None:
        """Note that the key was just used."""


class IdempotencyRepository(Protocol):
    async def claim(
        self,
        key_name: str,
        idempotency_key: str,
        request_hash: str,
        at: datetime,
        stale_before: datetime,
    ) -> StoredAnswer | None:
        """Take the key for a request that starts now (None), or return what it already holds.
        A key taken before `stale_before` for the same request and never answered (its process
        died) is taken again."""

    async def finish(
        self, key_name: str, idempotency_key: str, status: int, response: dict[str, Any]
    ) -> None:
        """Store the answer of the request that holds the key."""

    async def release(self, key_name: str, idempotency_key: str) -> None:
        """Give the key back: its request ended without an answer worth replaying."""

    async def forget_before(self, before: datetime, limit: int) -> int:
        """Delete the `limit` oldest keys taken before `before` (and any taken at the same
        instant as the last of them); returns how many."""


class RateWindowRepository(Protocol):
    async def hit(self, key_name: str, window_start: datetime) -> int:
        """Count one request of the key in the window; returns the window's count so far."""

    async def forget_before(self, before: datetime, limit: int) -> int:
        """Delete the `limit` oldest windows that started before `before` (and the other
        keys' windows of the same start as the last); returns how many."""


def _key(row: ApiKeyRow) -> ApiKey:
    return ApiKey(
        name=row.name,
        prefix=row.prefix,
        scopes=frozenset(row.scopes.split()),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
    )


class SqlApiKeyRepository:
    """API keys, in the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def add(self, key: ApiKey, key_hash: str) -> bool:
        statement = (
            dialect_insert(self.s)(ApiKeyRow)
            .values(
                name=key.name,
                key_hash=key_hash,
                prefix=key.prefix,
                scopes=" ".join(sorted(key.scopes)),
                created_at=key.created_at,
            )
            .on_conflict_do_nothing(index_elements=["name"])
        )
        result = await self.s.execute(statement)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def by_hash(self, key_hash: str) -> ApiKey | None:
        row = await self.s.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == key_hash))
        return None if row is None else _key(row)

    async def revoke(self, name: str, at: datetime) -> bool:
        result = await self.s.execute(
            update(ApiKeyRow)
            .where(ApiKeyRow.name == name, ApiKeyRow.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def listed(self) -> list[ApiKey]:
        rows = await self.s.scalars(select(ApiKeyRow).order_by(ApiKeyRow.name))
        return [_key(row) for row in rows]

    async def touch(self, name: str, at: datetime) -> None:
        await self.s.execute(
            update(ApiKeyRow).where(ApiKeyRow.name == name).values(last_used_at=at)
        )


async def _forget_oldest(session: AsyncSession, column: Any, before: datetime, limit: int) -> int:
    """Delete about `limit` rows of `column`'s table older than `before`, oldest first, by a
    range of `column`'s index (a retention batch: O(the batch), on both databases)."""
    last = await session.scalar(
        select(column).where(column < before).order_by(column).offset(limit - 1).limit(1)
    )
    # One bound only: given `< before` beside `<= last`, SQLite ranged the index on the
    # first and filtered every older row by the second (all of them due, not the batch).
    up_to = column < before if last is None else column <= last  # last < before
    result = await session.execute(
        delete(column.table).where(up_to).execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


class SqlIdempotencyRepository:
    """Idempotency-Key answers, in the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def claim(
        self,
        key_name: str,
        idempotency_key: str,
        request_hash: str,
        at: datetime,
        stale_before: datetime,
    ) -> StoredAnswer | None:
        # One INSERT decides between two requests with the same key: the primary key lets one
        # in; the other reads what the winner stored (after it commits, on either backend).
        statement = (
            dialect_insert(self.s)(ApiIdempotencyRow)
            .values(
                key_name=key_name,
                idempotency_key=idempotency_key,
                request_hash=request_hash,
                created_at=at,
            )
            .on_conflict_do_nothing(index_elements=["key_name", "idempotency_key"])
        )
        if (await self.s.execute(statement)).rowcount:  # type: ignore[attr-defined]
            return None
        row = await self.s.scalar(
            select(ApiIdempotencyRow).where(
                ApiIdempotencyRow.key_name == key_name,
                ApiIdempotencyRow.idempotency_key == idempotency_key,
            )
        )
        assert row is not None  # the conflicting row: keys are deleted only by the purge
        stored = StoredAnswer(row.request_hash, row.status, row.response, row.created_at)
        if stored.status is None and stored.request_hash == request_hash:
            if stored.created_at < stale_before:
                # Compare-and-set on the old start: of two retries at once, one takes it over.
                taken = await self.s.execute(
                    update(ApiIdempotencyRow)
                    .where(
                        ApiIdempotencyRow.key_name == key_name,
                        ApiIdempotencyRow.idempotency_key == idempotency_key,
                        ApiIdempotencyRow.status.is_(None),
                        ApiIdempotencyRow.created_at == stored.created_at,
                    )
                    .values(created_at=at)
                    .execution_options(synchronize_session=False)
                )
                if taken.rowcount:  # type: ignore[attr-defined]
                    return None
        return stored

    async def finish(
        self, key_name: str, idempotency_key: str, status: int, response: dict[str, Any]
    ) -> None:
        await self.s.execute(
            update(ApiIdempotencyRow)
            .where(
                ApiIdempotencyRow.key_name == key_name,
                ApiIdempotencyRow.idempotency_key == idempotency_key,
            )
            .values(status=status, response=response)
        )

    async def release(self, key_name: str, idempotency_key: str) -> None:
        await self.s.execute(
            delete(ApiIdempotencyRow).where(
                ApiIdempotencyRow.key_name == key_name,
                ApiIdempotencyRow.idempotency_key == idempotency_key,
            )
        )

    async def forget_before(self, before: datetime, limit: int) -> int:
        # A range of the created_at index: the batch's last time (the `limit`-th oldest key),
        # then one DELETE up to it. Keys created at that very instant go with the batch. A
        # DELETE per key cost a round trip each (a batch of 1,000: 0.5 s on SQLite); naming
        # 1,000 keys in one DELETE made PostgreSQL scan the table (bench/scale.py).
        return await _forget_oldest(self.s, ApiIdempotencyRow.created_at, before, limit)


class SqlRateWindowRepository:
    """Per-key request counts in fixed windows, shared by every process on the database."""

    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def hit(self, key_name: str, window_start: datetime) -> int:
        # One upsert: two processes counting the same window at once both land in it.
        statement = dialect_insert(self.s)(ApiRateRow).values(
            key_name=key_name, window_start=window_start, requests=1
        )
        statement = statement.on_conflict_do_update(
            index_elements=["key_name", "window_start"],
            set_={"requests": ApiRateRow.requests + 1},
        ).returning(ApiRateRow.requests)
        return int((await self.s.execute(statement)).scalar_one())

    async def forget_before(self, before: datetime, limit: int) -> int:
        # As the keys: a range of the window_start index.
        return await _forget_oldest(self.s, ApiRateRow.window_start, before, limit)
