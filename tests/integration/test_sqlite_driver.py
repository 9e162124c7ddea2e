"""storage/sqlite.py: aiosqlite with one trip per statement behaves as a DB-API cursor should
under SQLAlchemy (rows, counts, ids, many rows, errors, server-side streaming, concurrency)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from storage import sqlite
from storage.db import create_engine


@pytest.fixture
async def engine(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/driver.db")
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
    yield engine
    await engine.dispose()


async def test_the_engine_uses_the_one_trip_cursor(engine) -> None:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        assert isinstance(raw.driver_connection, sqlite.Connection)


async def test_rows_counts_ids_and_errors(engine) -> None:  # type: ignore[no-untyped-def]
    async with engine.begin() as conn:
        inserted = await conn.execute(text("INSERT INTO t (v) VALUES ('a')"))
        assert inserted.lastrowid == 1 and inserted.rowcount == 1
        await conn.execute(
            text("INSERT INTO t (v) VALUES (:v)"), [{"v": f"m{i}"} for i in range(5)]
        )
        updated = await conn.execute(text("UPDATE t SET v = v || '!' WHERE v LIKE 'm%'"))
        assert updated.rowcount == 5
        rows = (await conn.execute(text("SELECT id, v FROM t ORDER BY id"))).all()
        assert [v for _, v in rows] == ["a", "m0!", "m1!", "m2!", "m3!", "m4!"]
        first = (await conn.execute(text("SELECT v FROM t ORDER BY id"))).first()
        assert first is not None and first.v == "a"
        returned = (await conn.execute(text("DELETE FROM t WHERE v = 'a' RETURNING id"))).all()
        assert returned == [(1,)]
        empty = await conn.execute(text("SELECT v FROM t WHERE 0"))
        assert empty.all() == []
    with pytest.raises(IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO t (v) VALUES ('m0!')"))
    async with engine.connect() as conn:
        assert (await conn.scalar(text("SELECT count(*) FROM t"))) == 5


async def test_streamed_results_come_in_parts(engine) -> None:  # type: ignore[no-untyped-def]
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO t (v) VALUES (:v)"), [{"v": f"s{i}"} for i in range(7)]
        )
    async with engine.connect() as conn:
        result = await conn.stream(text("SELECT v FROM t ORDER BY id"))
        parts = [list(part) async for part in result.partitions(3)]
        assert [len(p) for p in parts] == [3, 3, 1]


async def test_many_connections_at_once(engine) -> None:  # type: ignore[no-untyped-def]
    async def read(i: int) -> int:
        async with engine.connect() as conn:
            return int(await conn.scalar(text("SELECT :i + 1"), {"i": i}))

    assert await asyncio.gather(*(read(i) for i in range(40))) == [i + 1 for i in range(40)]
