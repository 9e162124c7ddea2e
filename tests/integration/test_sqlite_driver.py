"""storage/sqlite.py: aiosqlite with one trip per statement behaves as a DB-API cursor should
under SQLAlchemy (rows, counts, ids, many rows, errors, server-side streaming, concurrency)."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
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


# -- where statements run: the loop's thread, unless they may wait or run long ---------------


def _register_thread_probe(engine) -> None:  # type: ignore[no-untyped-def]
    """`tid()` in SQL: the id of the thread that runs the statement."""

    @event.listens_for(engine.sync_engine, "connect")
    def _probe(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.run_async(
            lambda raw: raw._execute(raw._conn.create_function, "tid", 0, threading.get_ident)
        )


@pytest.fixture
async def probed(tmp_path: Path):  # type: ignore[no-untyped-def]
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/probed.db")
    _register_thread_probe(engine)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)"))
        await conn.execute(
            text("INSERT INTO t (v) VALUES (:v)"), [{"v": f"r{i}"} for i in range(400)]
        )
    yield engine
    await engine.dispose()


async def test_reads_and_writes_under_the_write_lock_run_on_the_loops_thread(probed) -> None:  # type: ignore[no-untyped-def]
    here = threading.get_ident()
    async with probed.connect() as conn:  # BEGIN (a read): no lock to wait for
        assert await conn.scalar(text("SELECT tid()")) == here
    async with probed.begin() as conn:  # BEGIN IMMEDIATE: no other writer, taken at once
        assert await conn.scalar(text("SELECT tid()")) == here
        updated = await conn.execute(text("UPDATE t SET v = v || '!' WHERE id <= 3"))
        assert updated.rowcount == 3
        returned = await conn.execute(text("INSERT INTO t (v) VALUES (tid()) RETURNING v"))
        assert returned.scalar() == str(here)


async def test_a_long_read_is_stopped_and_runs_on_the_thread(probed) -> None:  # type: ignore[no-untyped-def]
    here = threading.get_ident()
    long_read = "SELECT tid(), count(*) FROM t a, t b, t c WHERE a.id + b.id > c.id"
    sqlite._SLOW.pop(long_read, None)
    async with probed.connect() as conn:
        thread, count = (await conn.execute(text(long_read))).one()
    assert thread != here  # stopped here after its budget, run again on the thread
    assert count == 400**3 - _not_greater(400)
    assert long_read in sqlite._SLOW  # from now on, straight to the thread


def _not_greater(n: int) -> int:
    """How many (a, b, c) in 1..n have a + b <= c."""
    return sum(c * (c - 1) // 2 for c in range(1, n + 1))


async def test_a_write_waits_for_another_processs_writer_without_holding_the_loop(
    probed, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    other = sqlite3.connect(f"{tmp_path}/probed.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process writing
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def write() -> None:
        async with probed.begin() as conn:
            await conn.execute(text("INSERT INTO t (v) VALUES ('after')"))

    ticker = asyncio.create_task(ticking())
    writer = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    assert not writer.done() and ticks >= 10  # waiting, on the thread; the loop runs on
    other.execute("COMMIT")
    await asyncio.wait_for(writer, 10)
    ticker.cancel()
    other.close()
    async with probed.connect() as conn:
        assert await conn.scalar(text("SELECT count(*) FROM t WHERE v = 'after'")) == 1


async def test_a_write_that_ran_long_here_runs_on_the_thread_next_time(probed) -> None:  # type: ignore[no-untyped-def]
    here = threading.get_ident()
    long_write = (
        "INSERT INTO t (v) SELECT 'w' || tid() || '-' || count(*) FROM t a, t b, t c "
        "WHERE a.id + b.id > c.id"
    )
    sqlite._SLOW.pop(long_write, None)
    for _ in range(2):
        async with probed.begin() as conn:
            await conn.execute(text(long_write))
    async with probed.connect() as conn:
        rows = (await conn.execute(text("SELECT v FROM t WHERE v LIKE 'w%' ORDER BY id"))).all()
    # A write can't be stopped halfway (that would undo its transaction): the first ran here,
    # took longer than the budget and was remembered; the second went to the thread.
    assert [r.v.split("-")[0] for r in rows] == [f"w{here}", rows[1].v.split("-")[0]]
    assert rows[1].v.split("-")[0] != f"w{here}"
    assert long_write in sqlite._SLOW
