"""The command line's data commands (issue 12): backup, restore, rotate-keys, new-key. Each one
that changes or copies the shop's data is written to the audit log with actor `cli`."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bot.data_keys import check_data_keys, resolve_data_keys
from bot.settings import Settings
from domain.shared.audit import CLI_ACTOR, NOTHING, record
from storage.backup import BackupError, backup, default_name, restore
from storage.channels import reindex_verified_phones
from storage.crypto import DataKeys
from storage.db import Database
from storage.migrate import upgrade
from storage.privacy import (
    RotationStats,
    encrypted_tables,
    reindex_orders,
    rotate_table,
)
from storage.promotions import reindex_promo_buyers

COMMANDS = ("backup", "restore", "rotate-keys", "new-key")
ROTATE_BATCH = 500


def add_data_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The data commands' parsers."""
    b = sub.add_parser("backup", help="a consistent backup of the database while the bot runs")
    b.add_argument("path", type=Path, nargs="?", help="a file, or a directory (default ./backups)")
    r = sub.add_parser("restore", help="restore a backup made by `backup`")
    r.add_argument("path", type=Path)
    r.add_argument("--force", action="store_true", help="overwrite a database that holds data")
    k = sub.add_parser("rotate-keys", help="re-encrypt personal data under the first DATA_KEYS key")
    k.add_argument("--batch", type=int, default=ROTATE_BATCH, help="rows per transaction")
    sub.add_parser("new-key", help="print a new random key for DATA_KEYS")


def run_data_command(args: argparse.Namespace, settings: Settings) -> int:
    """Run one of COMMANDS; returns the exit code."""
    if args.command == "new-key":
        print(DataKeys.generate())
        return 0
    try:
        if args.command == "backup":
            return asyncio.run(_backup(settings, args.path))
        if args.command == "restore":
            return asyncio.run(_restore(settings, args.path, args.force))
        return asyncio.run(rotate_keys(settings, batch=max(1, args.batch)))
    except BackupError as exc:
        print(f"orderbot: {exc}", file=sys.stderr)
        return 1


async def _audit(db: Database, action: str, details: dict[str, object]) -> None:
    async with db.uow() as uow:
        await record(uow, CLI_ACTOR, action, NOTHING, dict(details), at=datetime.now(UTC))
        await uow.commit()


async def _backup(settings: Settings, path: Path | None) -> int:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    target = path or Path("backups")
    if target.is_dir() or path is None:
        target = target / default_name(settings.database_url, stamp)
    started = time.perf_counter()
    result = await backup(settings.database_url, target)
    took = time.perf_counter() - started
    db = Database(settings.database_url, keys=resolve_data_keys(settings))
    try:
        await _audit(db, "backup", {"file": str(result.path), "bytes": result.size})
    finally:
        await db.dispose()
    print(f"Backed up to {result.path} ({result.size // 1024} KB in {took:.2f} s).")
    return 0


async def _restore(settings: Settings, path: Path, force: bool) -> int:
    started = time.perf_counter()
    await restore(settings.database_url, path, force=force)
    await upgrade(settings.database_url)  # a backup of an older version is brought up to date
    db = Database(settings.database_url, keys=resolve_data_keys(settings))
    try:
        await check_data_keys(db)
        await _audit(db, "restore", {"file": str(path), "force": force})
    finally:
        await db.dispose()
    print(f"Restored {path} in {time.perf_counter() - started:.2f} s.")
    return 0


async def rotate_keys(settings: Settings, *, batch: int = ROTATE_BATCH) -> int:
    """Every encrypted value under the first key (plaintext ones encrypted), in batches of
    `batch` rows, each its own transaction; then the orders' blind index under the first key's
    index key. Safe while the bot runs: a value is readable under any of DATA_KEYS throughout."""
    await upgrade(settings.database_url)
    keys = resolve_data_keys(settings)
    db = Database(settings.database_url, keys=keys)
    stats = RotationStats()
    started = time.perf_counter()
    try:
        await check_data_keys(db)
        for table in encrypted_tables():
            await rotate_table(db.uow, keys, table, batch, stats)
        await reindex_orders(db.uow, keys, batch, stats)
        await reindex_verified_phones(db.uow, keys, batch, stats)  # orders from channels
        await reindex_promo_buyers(db.uow, keys, batch, stats)  # their buyers' code uses
        took = time.perf_counter() - started
        await _audit(
            db,
            "rotate_keys",
            {"rows": stats.rows, "values": stats.values, "orders": stats.orders_indexed},
        )
    finally:
        await db.dispose()
    rate = stats.rows / took if took > 0 else 0.0
    print(
        f"Re-encrypted {stats.values} values in {stats.rows} rows and re-indexed "
        f"{stats.orders_indexed} orders in {took:.2f} s ({rate:.0f} rows/s)."
    )
    return 0
