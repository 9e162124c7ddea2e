"""Consistent online backups and restores of the shop's database.

SQLite: `VACUUM INTO` copies a consistent snapshot (WAL included) while the bot keeps writing,
then `PRAGMA integrity_check` runs on the copy; a restore copies the file back with SQLite's
online backup API, so open connections see the restored pages. PostgreSQL: `pg_dump` in its
custom format, `pg_restore --clean` back. Personal data stays encrypted in the copy: a backup is
no use without DATA_KEYS, so keep the keys apart from the backups."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url

# Tables whose rows make a database "not empty" for restore's refusal.
DATA_TABLES = ("customers", "products", "orders")


class BackupError(Exception):
    """A backup or restore that could not be made; the message says why, in one line."""


@dataclass(frozen=True)
class BackupResult:
    path: Path
    size: int


def default_name(database_url: str, stamp: str) -> str:
    """A backup file name: orderbot-<stamp>.db (SQLite) or .dump (pg_dump custom format)."""
    return f"orderbot-{stamp}.{'db' if _is_sqlite(database_url) else 'dump'}"


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_file(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


async def backup(database_url: str, target: Path) -> BackupResult:
    """A consistent copy of the database in `target` (which must not exist yet)."""
    await asyncio.to_thread(_prepare_target, target)
    if _is_sqlite(database_url):
        await asyncio.to_thread(_sqlite_backup, _sqlite_file(database_url), target)
    else:
        await _pg("pg_dump", "--format=custom", "--no-owner", f"--file={target}", url=database_url)
    size = (await asyncio.to_thread(target.stat)).st_size
    return BackupResult(target, size)


def _prepare_target(target: Path) -> None:
    if target.exists():
        raise BackupError(f"{target} exists already")
    target.parent.mkdir(parents=True, exist_ok=True)


def _sqlite_backup(source: Path, target: Path) -> None:
    if not source.exists():
        raise BackupError(f"no database at {source}")
    conn = sqlite3.connect(source, timeout=30)
    try:
        conn.execute("VACUUM INTO ?", (str(target),))
    finally:
        conn.close()
    _integrity_check(target)


def _integrity_check(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()
    if result != [("ok",)]:
        path.unlink(missing_ok=True)
        raise BackupError(f"integrity check of the copy failed: {result[:3]}")


async def is_empty(database_url: str) -> bool:
    """Whether the database holds no customers, products or orders (or no tables at all)."""
    if _is_sqlite(database_url):
        return await asyncio.to_thread(_sqlite_is_empty, _sqlite_file(database_url))
    import asyncpg

    conn = await asyncpg.connect(_libpq(make_url(database_url)))
    try:
        for table in DATA_TABLES:
            exists = await conn.fetchval("SELECT to_regclass($1)", f"public.{table}")
            if exists and await conn.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{table}")'):
                return False
        return True
    finally:
        await conn.close()


def _sqlite_is_empty(path: Path) -> bool:
    if not path.exists():
        return True
    conn = sqlite3.connect(path, timeout=30)
    try:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return not any(
            conn.execute(f'SELECT EXISTS (SELECT 1 FROM "{t}")').fetchone()[0]
            for t in DATA_TABLES
            if t in names
        )
    finally:
        conn.close()


async def restore(database_url: str, source: Path, *, force: bool = False) -> None:
    """Put a backup back. Refuses a database that holds data unless `force`."""
    if not await asyncio.to_thread(source.is_file):
        raise BackupError(f"no backup at {source}")
    if not force and not await is_empty(database_url):
        raise BackupError("the database is not empty; add --force to overwrite it")
    if _is_sqlite(database_url):
        await asyncio.to_thread(_sqlite_restore, source, _sqlite_file(database_url))
    else:
        await _pg(
            "pg_restore",
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            str(source),
            url=database_url,
            database_flag=True,
        )


def _sqlite_restore(source: Path, target: Path) -> None:
    _integrity_check_readonly(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        src.backup(dst)  # page by page, under the destination's write lock
        dst.execute("PRAGMA journal_mode=WAL")
    finally:
        dst.close()
        src.close()


def _integrity_check_readonly(path: Path) -> None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        result = conn.execute("PRAGMA integrity_check").fetchall()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite backup: {exc}") from None
    finally:
        conn.close()
    if result != [("ok",)]:
        raise BackupError(f"{path} fails its integrity check: {result[:3]}")


def _libpq(url: URL) -> str:
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _pg(tool: str, *args: str, url: str, database_flag: bool = False) -> None:
    """Run pg_dump or pg_restore against the database; the password goes by environment."""
    exe = shutil.which(tool)
    if exe is None:
        raise BackupError(f"{tool} is not installed (PostgreSQL's client tools)")
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)
    conninfo = _libpq(parsed.set(password=None))
    target = ["--dbname", conninfo] if database_flag else [conninfo]
    process = await asyncio.create_subprocess_exec(
        exe,
        *args,
        *target,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    if process.returncode != 0:
        first = err.decode(errors="replace").strip().splitlines()[:1]
        raise BackupError(f"{tool} failed: {first[0] if first else process.returncode}")
