"""Every process migrates at start (issue 14, part 4): web replicas and jobs runners that start
together on an empty database all succeed, and the schema is made once."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from storage.db import create_engine
from storage.migrate import upgrade


async def test_processes_starting_together_on_an_empty_database_all_migrate(
    empty_database_url: str,
) -> None:
    await asyncio.gather(*(upgrade(empty_database_url) for _ in range(4)))

    engine = create_engine(empty_database_url)
    try:
        async with engine.connect() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
    finally:
        await engine.dispose()
    assert len(versions) == 1
