"""Apply Alembic migrations from code (the bot runs this before it starts)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

from storage import sqlite
from storage.db import create_engine

# The one Alembic configuration, shared with developers' `alembic -c storage/alembic.ini ...`;
# its script_location is relative to the file, so it works from any working directory.
ALEMBIC_INI = Path(__file__).with_name("alembic.ini")

# The history is one line (tests/integration/test_migrations.py checks it), so "head" names
# one revision; an unmerged branch makes Alembic refuse "head" rather than hide it.
HEAD = "head"

# Web replicas and jobs runners all migrate at start (python -m bot web|jobs|run). On PostgreSQL
# they take this transaction-scoped advisory lock first, so one upgrades and the others wait,
# then find the database at head and do nothing (without it, two processes starting on an empty
# database both CREATE the same tables and one fails).
MIGRATION_LOCK = 0x6F72646572626F74  # "orderbot"


def alembic_config(url: str | None = None) -> Config:
    """The Alembic config of our migrations, independent of the working directory."""
    config = Config(str(ALEMBIC_INI))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def ensure_sqlite_directory(url: str) -> None:
    """Create the directory of a SQLite database file, so that connecting can create it."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)


async def upgrade(url: str, revision: str = HEAD) -> None:
    """Bring the database at `url` up to `revision` (the single head unless told otherwise)."""
    ensure_sqlite_directory(url)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_upgrade, url, revision)
    finally:
        await engine.dispose()
        await sqlite.settle()  # a failed open's thread finishes before the caller's loop ends


def _upgrade(connection: Connection, url: str, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    config = alembic_config(url)
    config.attributes["connection"] = connection
    command.upgrade(config, revision)
