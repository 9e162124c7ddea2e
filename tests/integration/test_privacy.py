"""Personal data at rest (issue 12): nothing readable in the database files, found through the
blind index, re-encrypted by rotate-keys, and backups that restore, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from domain.shared.customers import Customer
from domain.shared.notifications import Notification
from storage.backup import BackupError, backup, restore
from storage.crypto import DataKeyError, DataKeys
from storage.db import Database
from storage.migrate import upgrade
from storage.privacy import (
    RotationStats,
    encrypted_tables,
    orders_matching,
    reindex_orders,
    rotate_table,
)
from storage.schema import metadata
from storage.tables.shipping import ShipmentRow
from tests.contract.seed import new_order, product
from tests.dbsetup import TEST_KEYS, fresh_pg_database, pg_base_url, sqlite_url

NAME, RECIPIENT = "Zebulon", "Quillon Marwick"
PHONE, ADDRESS = "+86 138 0013 8000", "88 Xylophone Lane, Hangzhou"
SECRETS = [NAME, "Quillon", "Marwick", "13800138000", "Xylophone", "zebulon_q"]


async def _full_order(db: Database, number: str = "ZQ-1") -> int:
    """A customer with an order, an address, a checkout draft and a notification about it."""
    pid = await product(db.uow, f"P{number}", stock=10)
    async with db.uow() as uow:
        await uow.customers.upsert(Customer(id=77, first_name=NAME, username="zebulon_q"))
        order = new_order(number, 77, {pid: 1})
        order.recipient, order.phone, order.address_text = RECIPIENT, PHONE, ADDRESS
        order_id = await uow.orders.add(order)
        await uow.outbox.add(
            Notification(
                chat_id=-100,
                template="adm.order.new",
                params={"recipient": RECIPIENT, "phone": PHONE, "address": ADDRESS},
            ),
            datetime.now(UTC),
        )
        await uow.commit()
    return order_id


def _leaks(blob: bytes, secrets: list[str] = SECRETS) -> list[str]:
    return [s for s in secrets if s.encode() in blob]


def sqlite_files(path: Path) -> list[Path]:
    """A SQLite database's files as they are on disk: the database, its -wal and -shm."""
    return [p for p in path.parent.iterdir() if p.name.startswith(path.name)]


def leaks_in_files(files: list[Path], secrets: list[str]) -> dict[str, list[str]]:
    """Which of `secrets` each file holds in plain bytes (files holding none left out)."""
    found = {str(f): _leaks(f.read_bytes(), secrets) for f in files}
    return {name: leaked for name, leaked in found.items() if leaked}


async def test_no_name_phone_or_address_is_in_the_database_files(database_url: str, db: Database):
    await _full_order(db)
    async with db.uow(readonly=True) as uow:  # and they read back as they were written
        order = await uow.orders.get_by_number("ZQ-1")
        assert order is not None and (order.recipient, order.phone) == (RECIPIENT, PHONE)
    if make_url(database_url).get_backend_name() == "sqlite":
        path = Path(make_url(database_url).database or "")
        files = sqlite_files(path)
        assert any(p.name.endswith("-wal") for p in files)  # the WAL is read too
    else:
        files = await _pg_files(database_url)
    assert files
    for file in files:
        assert _leaks(file.read_bytes()) == [], file


async def _pg_files(url: str) -> list[Path]:
    """The database's own data files and the latest WAL segments, after a checkpoint."""
    conn = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(False))
    try:
        await conn.execute("CHECKPOINT")
        datadir = Path(await conn.fetchval("SHOW data_directory"))
        oid = await conn.fetchval("SELECT oid FROM pg_database WHERE datname = current_database()")
    finally:
        await conn.close()
    base = datadir / "base" / str(oid)
    if not base.is_dir():
        pytest.skip("the PostgreSQL data directory is not readable here")
    wal = sorted((datadir / "pg_wal").glob("0*"), key=lambda p: p.stat().st_mtime)[-2:]
    return [p for p in base.iterdir() if p.is_file()] + wal


async def test_find_by_number_phone_in_any_format_name_words_username_and_tracking(
    db: Database,
) -> None:
    order_id = await _full_order(db)
    async with db.uow() as uow:
        uow.session.add(
            ShipmentRow(
                order_id=order_id,
                carrier_code="sf",
                carrier_name="SF",
                tracking_number="SF1234567890",
                actor="admin:1",
                key="k1",
                shipped_at=datetime.now(UTC),
            )
        )
        await uow.commit()
    async with db.uow(readonly=True) as uow:
        for query in [
            "zq-1",
            "+8613800138000",
            "13800138000",
            "138-0013-8000",
            "0086 138 0013 8000",
            "quillon",
            "MARWICK quillon",
            "zebulon",
            "@Zebulon_Q",
            "SF1234567890",
        ]:
            assert await orders_matching(uow.session, query, 10) == [order_id], query
        for miss in ["13900139000", "quill", "marwick smith", "@zebulon", "Lane"]:
            assert await orders_matching(uow.session, miss, 10) == [], miss


async def test_rotate_keys_reencrypts_every_value_and_the_index_under_the_new_key(
    database_url: str,
) -> None:
    await upgrade(database_url)
    old_db = Database(database_url, keys=TEST_KEYS)
    await _full_order(old_db)
    await old_db.dispose()
    new = DataKeys.generate()
    both = DataKeys([new, "dGVzdC1rZXktb2Ytb3JkZXJib3QtZm9yLXRlc3RzLTA="])
    rotating = Database(database_url, keys=both)
    stats = RotationStats()
    for table in encrypted_tables():
        await rotate_table(rotating.uow, both, table, 2, stats)
    await reindex_orders(rotating.uow, both, 2, stats)
    await rotating.dispose()
    # customer: name, username; order: recipient, phone, address; the notification
    assert (stats.values, stats.orders_indexed) == (6, 1)
    only_new = Database(database_url, keys=DataKeys([new]))
    try:
        async with only_new.uow(readonly=True) as uow:
            assert await orders_matching(uow.session, "quillon", 5)
            assert await orders_matching(uow.session, "13800138000", 5)
            for table in metadata.sorted_tables:  # every value decrypts with the new key alone
                (await uow.session.execute(select(table))).all()
    finally:
        await only_new.dispose()
    old_only = Database(database_url, keys=TEST_KEYS)
    try:
        async with old_only.uow(readonly=True) as uow:
            with pytest.raises(DataKeyError):
                await uow.customers.get(77)
    finally:
        await old_only.dispose()


async def _snapshot(url: str) -> dict[str, list[Any]]:
    db = Database(url, keys=TEST_KEYS)
    try:
        async with db.uow(readonly=True) as uow:
            return {
                t.name: sorted(map(tuple, (await uow.session.execute(select(t))).all()), key=repr)
                for t in metadata.sorted_tables
                if t.name not in ("audit_log", "alembic_version")
            }
    finally:
        await db.dispose()


async def test_backup_then_restore_gives_back_identical_rows(
    database_url: str, db: Database, tmp_path: Path
) -> None:
    await _full_order(db)
    before = await _snapshot(database_url)
    assert before["orders"] and before["outbox"] and before["order_search_terms"]
    dump = tmp_path / "backup.bin"
    await backup(database_url, dump)
    with pytest.raises(BackupError, match="not empty"):
        await restore(database_url, dump)
    if make_url(database_url).get_backend_name() == "sqlite":
        target = sqlite_url(tmp_path, "restored.db")
        await restore(target, dump)
        assert await _snapshot(target) == before
        return
    base = pg_base_url()
    assert base is not None
    async with fresh_pg_database(base) as target:
        await restore(target, dump)
        assert await _snapshot(target) == before
