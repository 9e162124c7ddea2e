"""Fixtures for the storage integration tests: every test runs on SQLite, and on PostgreSQL
when TEST_DATABASE_URL is set (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test).

Isolation on PostgreSQL: one uniquely named database per test session, created next to the
one TEST_DATABASE_URL names (which is never touched) and migrated with storage.migrate.upgrade;
every table is truncated (RESTART IDENTITY CASCADE) before each test. That is about ten
times faster than a fresh database per test (CREATE + migrate + DROP is ~0.25 s here) and
equally isolated, since tests never share a connection or run in parallel. Tests that need
an empty database (the migration tests) get a fresh one of their own: `empty_database_url`.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager

import asyncpg
import pytest
from sqlalchemy.engine import URL, make_url

from domain.catalog.importing import ProductDraft
from domain.checkout.shop import Shop
from storage.db import Database
from storage.migrate import upgrade
from storage.schema import metadata
from tests.integration.helpers import make_shop, seed_catalog

BACKENDS = ["sqlite", "postgresql"]
PG_ENV = "TEST_DATABASE_URL"
PG_SKIP = f"PostgreSQL tests need {PG_ENV} (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test)"


def _pg_base_url() -> URL | None:
    raw = os.environ.get(PG_ENV)
    if not raw:
        return None
    url = make_url(raw)
    if url.get_backend_name() != "postgresql":
        raise pytest.UsageError(f"{PG_ENV} must be a postgresql+asyncpg URL, got {raw!r}")
    return url.set(drivername="postgresql+asyncpg")


def _asyncpg_dsn(url: URL, database: str) -> str:
    """A plain libpq-style DSN for asyncpg (which does not understand '+asyncpg')."""
    return url.set(drivername="postgresql", database=database).render_as_string(hide_password=False)


async def _create_pg_database(base: URL) -> str:
    name = f"{base.database or 'orderbot'}_it_{uuid.uuid4().hex[:10]}"
    conn = await asyncpg.connect(_asyncpg_dsn(base, "postgres"))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return name


async def _drop_pg_database(base: URL, name: str) -> None:
    conn = await asyncpg.connect(_asyncpg_dsn(base, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@asynccontextmanager
async def fresh_pg_database(base: URL) -> AsyncIterator[str]:
    """A new empty database on the TEST_DATABASE_URL server; dropped on exit. Yields its URL."""
    name = await _create_pg_database(base)
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        await _drop_pg_database(base, name)


@pytest.fixture(scope="session")
def pg_session_url() -> Iterator[str | None]:
    """A migrated database shared by the session's PostgreSQL tests (None without PG)."""
    base = _pg_base_url()
    if base is None:
        yield None
        return
    name = asyncio.run(_create_pg_database(base))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        asyncio.run(upgrade(url))
        yield url
    finally:
        asyncio.run(_drop_pg_database(base, name))


async def _truncate_all(url: str) -> None:
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    conn = await asyncpg.connect(_asyncpg_dsn(make_url(url), make_url(url).database or ""))
    try:
        await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture(params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest, tmp_path: object, pg_session_url: str | None
) -> str:
    """An isolated database URL: a fresh SQLite file, or the truncated session PG database."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/shop.db"
    if pg_session_url is None:
        pytest.skip(PG_SKIP)
    await _truncate_all(pg_session_url)
    return pg_session_url


@pytest.fixture(params=BACKENDS)
async def empty_database_url(
    request: pytest.FixtureRequest, tmp_path: object
) -> AsyncIterator[str]:
    """A database with nothing in it (not even migrations): for the migration tests."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/empty.db"
        return
    base = _pg_base_url()
    if base is None:
        pytest.skip(PG_SKIP)
    async with fresh_pg_database(base) as url:
        yield url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """The shop's Database on a migrated, empty database; disposed afterwards."""
    await upgrade(database_url)
    database = Database(database_url)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def backend(database_url: str) -> str:
    """'sqlite' or 'postgresql': for the few assertions that differ."""
    return make_url(database_url).get_backend_name()


@pytest.fixture
def shop(db: Database) -> Shop:
    """A Shop on the test database with a system clock and an admin chat (so it writes outbox)."""
    return make_shop(db)


@pytest.fixture
def seed(db: Database) -> Callable[..., Awaitable[dict[str, int]]]:
    """`await seed(draft(...), ...)` imports products through Shop.import_catalog and returns
    {sku: product id}."""

    async def _seed(*drafts: ProductDraft) -> dict[str, int]:
        return await seed_catalog(db, *drafts)

    return _seed
