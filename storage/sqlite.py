"""aiosqlite with one thread hop per statement (issue 13).

aiosqlite runs every call on the connection's own thread, and SQLAlchemy's adapter makes four
calls per statement: open a cursor, execute, fetch the rows, close the cursor. Each call is a
trip to that thread and back through the event loop (a queue put, a thread wake-up, a
call_soon_threadsafe, a loop wake-up), and the trips, not SQLite, were most of a statement's
cost: 72 per Confirm. Here a cursor is opened on the thread by its first statement, which
fetches its rows in the same trip; the rows are then handed out from memory, and closing is
left to the garbage collector (a finished sqlite3 statement holds no lock). Everything else
is aiosqlite's (the thread, the queue, commit, rollback, close).

`Database` (storage/db.py) passes `connect` to SQLAlchemy's aiosqlite dialect as
`async_creator_fn`; the dialect, its types and its SQL are unchanged.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

import aiosqlite


class Cursor(aiosqlite.Cursor):
    """A cursor whose execute also fetches: one trip to the connection's thread."""

    def __init__(self, conn: Connection) -> None:
        super().__init__(conn, None)  # type: ignore[arg-type]  # made on the thread, below
        self._rows: list[Any] = []
        self._arraysize = 1

    def _cursor_here(self) -> sqlite3.Cursor:
        """The sqlite3 cursor, made on the connection's thread (runs there)."""
        if self._cursor is None:
            self._cursor = self._conn._conn.cursor()
        return self._cursor

    def _run(self, sql: str, parameters: Any) -> list[Any]:
        cursor = self._cursor_here()
        cursor.execute(sql, parameters)
        return cursor.fetchall() if cursor.description else []

    def _run_many(self, sql: str, parameters: Any) -> None:
        self._cursor_here().executemany(sql, parameters)

    async def execute(self, sql: str, parameters: Iterable[Any] | None = None) -> Cursor:
        self._rows = await self._conn._execute(
            self._run, sql, [] if parameters is None else parameters
        )
        return self

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]]) -> Cursor:
        self._rows = []
        await self._conn._execute(self._run_many, sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._rows.pop(0) if self._rows else None

    async def fetchmany(self, size: int | None = None) -> Sequence[Any]:
        count = self.arraysize if size is None else size
        rows, self._rows = self._rows[:count], self._rows[count:]
        return rows

    async def fetchall(self) -> Sequence[Any]:
        rows, self._rows = self._rows, []
        return rows

    async def close(self) -> None:
        self._rows = []

    @property
    def rowcount(self) -> int:
        return -1 if self._cursor is None else self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return None if self._cursor is None else self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._arraysize  # rows are handed out from memory here (fetchmany)

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    @property
    def description(self) -> Any:
        return None if self._cursor is None else self._cursor.description


class Connection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors cost no trip to open or close."""

    def cursor(self) -> Cursor:  # type: ignore[override]
        return Cursor(self)

    def stop(self) -> asyncio.Future[Any] | None:
        """aiosqlite's stop (a failed open, SQLAlchemy terminating a broken connection), which
        nobody awaits: remembered, so `settle` can wait for the thread to finish."""
        future = super().stop()
        if future is not None:
            _STOPPING.add(future)
            future.add_done_callback(_STOPPING.discard)
        return future


# Stops not yet finished by their thread. If the loop closed first, the thread's answer to it
# raised "Event loop is closed" and printed a traceback after a startup error's one line.
_STOPPING: set[asyncio.Future[Any]] = set()
SETTLE_WITHIN_S = 5.0


async def settle() -> None:
    """Wait (at most SETTLE_WITHIN_S) until the connections stopped on this loop have let their
    threads finish; call it after disposing an engine, before the loop may end."""
    loop = asyncio.get_running_loop()
    pending = [f for f in _STOPPING if f.get_loop() is loop and not f.done()]
    if pending:
        await asyncio.wait(pending, timeout=SETTLE_WITHIN_S)


def connect(database: str, **kwargs: Any) -> Connection:
    """Like `aiosqlite.connect` (the connection is opened when awaited)."""

    def connector() -> sqlite3.Connection:
        return sqlite3.connect(database, **kwargs)

    return Connection(connector, 64)
