"""Fixtures for the contract tests: each test runs once on the in-memory fakes of tests/unit,
once on SQLite and once on PostgreSQL (skipped unless TEST_DATABASE_URL is set), so a fake
that drifts from the SQL repositories fails here. The SQL behaviour is the reference.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import cast

import pytest

from storage.db import Database
from storage.migrate import upgrade
from tests.contract.seed import Factory
from tests.dbsetup import PG_SKIP, TEST_KEYS, migrated_pg_database, sqlite_url, truncate_all
from tests.unit.fakes import FakeUnitOfWorkFactory

BACKENDS = ["fake", "sqlite", "postgres"]


@pytest.fixture(scope="session")
def pg_session_url() -> Iterator[str | None]:
    """A migrated database shared by the session's PostgreSQL tests (None without PG)."""
    yield from migrated_pg_database()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (faster than migrating each time)."""
    path = tmp_path_factory.mktemp("contract") / "template.db"
    asyncio.run(upgrade(sqlite_url(path.parent, path.name)))
    return path


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """'fake', 'sqlite' or 'postgres'."""
    return str(request.param)


@pytest.fixture
async def uow_factory(
    backend: str,
    tmp_path: Path,
    sqlite_template: Path,
    pg_session_url: str | None,
) -> AsyncIterator[Factory]:
    """Units of work over an empty shop: the fake, a migrated SQLite file or PostgreSQL."""
    if backend == "fake":
        yield FakeUnitOfWorkFactory()
        return
    if backend == "sqlite":
        shutil.copyfile(sqlite_template, tmp_path / "shop.db")
        url = sqlite_url(tmp_path)
    else:
        if pg_session_url is None:
            pytest.skip(PG_SKIP)
        await truncate_all(pg_session_url)
        url = pg_session_url
    database = Database(url, keys=TEST_KEYS)
    try:
        yield cast(Factory, database)  # one at run time; see tests/integration/helpers.py
    finally:
        await database.dispose()
