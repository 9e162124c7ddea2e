"""The Alembic migrations build exactly the schema the code maps, on both backends."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from storage.db import create_engine
from storage.migrate import alembic_config, upgrade
from storage.schema import metadata


def _diff(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "render_as_batch": connection.dialect.name == "sqlite"},
    )
    return compare_metadata(context, metadata)


def _snapshot(connection: Connection) -> dict[str, Any]:
    inspector = inspect(connection)
    tables = sorted(t for t in inspector.get_table_names())
    return {
        "tables": tables,
        "columns": {t: [c["name"] for c in inspector.get_columns(t)] for t in tables},
        "indexes": {t: sorted(i["name"] or "" for i in inspector.get_indexes(t)) for t in tables},
        "version": connection.execute(text("SELECT version_num FROM alembic_version")).all(),
    }


async def _run(url: str, fn: Any) -> Any:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(fn)
    finally:
        await engine.dispose()


def _heads() -> set[str]:
    # Feature branches start from the same base revision; the bot upgrades to "heads".
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    assert heads
    return heads


async def test_upgrade_creates_a_schema_autogenerate_finds_identical_to_the_models(
    empty_database_url: str,
) -> None:
    await upgrade(empty_database_url)

    diff = await _run(empty_database_url, _diff)

    assert diff == []


async def test_upgrade_records_the_head_revision(empty_database_url: str) -> None:
    await upgrade(empty_database_url)

    snapshot = await _run(empty_database_url, _snapshot)

    assert {version for (version,) in snapshot["version"]} == _heads()
    assert set(snapshot["tables"]) == set(metadata.tables) | {"alembic_version"}


async def test_upgrading_twice_is_a_no_op(empty_database_url: str) -> None:
    await upgrade(empty_database_url)
    before = await _run(empty_database_url, _snapshot)

    await upgrade(empty_database_url)

    assert await _run(empty_database_url, _snapshot) == before
    assert await _run(empty_database_url, _diff) == []


async def test_downgrade_to_base_removes_everything_and_upgrade_rebuilds_it(
    empty_database_url: str,
) -> None:
    await upgrade(empty_database_url)

    def downgrade(connection: Connection) -> list[str]:
        config = alembic_config(empty_database_url)
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
        connection.commit()
        return inspect(connection).get_table_names()

    remaining = await _run(empty_database_url, downgrade)
    assert set(remaining) <= {"alembic_version"}

    await upgrade(empty_database_url)
    assert await _run(empty_database_url, _diff) == []
