"""Fixtures for the storage integration tests: every test runs on SQLite, and on PostgreSQL
when TEST_DATABASE_URL is set (e.g. postgresql+asyncpg://postgres@127.0.0.1:5432/test).

Isolation on PostgreSQL: see tests/dbsetup.py (one migrated database per session, emptied
before each test). Tests that need an empty database (the migration tests) get a fresh one of
their own: `empty_database_url`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import pytest
from sqlalchemy.engine import make_url

from domain.catalog.importing import ProductDraft
from domain.checkout.shop import Shop
from storage.db import Database
from storage.migrate import upgrade
from tests.dbsetup import (
    PG_SKIP,
    TEST_KEYS,
    fresh_pg_database,
    migrated_pg_database,
    pg_base_url,
    sqlite_url,
    truncate_all,
)
from tests.integration.helpers import make_shop, seed_catalog

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def pg_session_url() -> Iterator[str | None]:
    """A migrated database shared by the session's PostgreSQL tests (None without PG)."""
    yield from migrated_pg_database()


@pytest.fixture(params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest, tmp_path: object, pg_session_url: str | None
) -> str:
    """An isolated database URL: a fresh SQLite file, or the emptied session PG database."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    if pg_session_url is None:
        pytest.skip(PG_SKIP)
    await truncate_all(pg_session_url)
    return pg_session_url


@pytest.fixture(params=BACKENDS)
async def empty_database_url(
    request: pytest.FixtureRequest, tmp_path: object
) -> AsyncIterator[str]:
    """A database with nothing in it (not even migrations): for the migration tests."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path, "empty.db")
        return
    base = pg_base_url()
    if base is None:
        pytest.skip(PG_SKIP)
    async with fresh_pg_database(base) as url:
        yield url


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    """The shop's Database on a migrated, empty database; disposed afterwards."""
    await upgrade(database_url)
    database = Database(database_url, keys=TEST_KEYS)
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
