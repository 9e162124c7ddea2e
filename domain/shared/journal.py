"""Business events for the log: one readable INFO line each (an order placed, paid, shipped,
cancelled; a payment recorded; a refund), written only once the transaction that made the event
true has committed, so a rolled-back step or a replayed update never leaves a line behind.

A use case calls `note(log, ...)` where the event happens, inside its unit of work. The unit of
work of `storage/` opens a `Journal` for each write transaction and hands its lines to the
logger after the commit (`Journal.committed`), or drops them (`Journal.close`). Outside any
journal (the in-memory fakes of the unit tests) a note is logged at once. The journal lives in
a context variable, like the update mark of `storage/updates.py`: each asyncio task has its
own, and tasks a use case starts inside its transaction share it."""

from __future__ import annotations

import logging
from contextvars import ContextVar, Token
from dataclasses import dataclass

_current: ContextVar[list[_Line] | None] = ContextVar("orderbot_journal", default=None)


@dataclass(frozen=True)
class _Line:
    logger: logging.Logger
    message: str
    args: tuple[object, ...]
    fields: dict[str, object]


def note(logger: logging.Logger, message: str, *args: object, **fields: object) -> None:
    """Log a business event at INFO once the current transaction commits (at once when there
    is none). `fields` go with the line as structured data (the JSON log format shows them),
    e.g. `order="7KQ2-M9XD", event="paid"`: never personal data or secrets."""
    line = _Line(logger, message, args, fields)
    pending = _current.get()
    if pending is None:
        _emit(line)
    else:
        pending.append(line)


def _emit(line: _Line) -> None:
    line.logger.info(line.message, *line.args, extra=line.fields or None)


class Journal:
    """The business events noted during one write transaction."""

    def __init__(self) -> None:
        self._lines: list[_Line] = []
        self._token: Token[list[_Line] | None] | None = _current.set(self._lines)

    def committed(self) -> None:
        """The transaction committed: log what it noted (a later commit logs what follows)."""
        lines, self._lines[:] = list(self._lines), []
        for line in lines:
            _emit(line)

    def close(self) -> None:
        """The transaction ended: forget what was not committed."""
        self._lines.clear()
        token, self._token = self._token, None
        if token is not None:
            try:
                _current.reset(token)
            except ValueError:  # closed from another context than it was opened in
                _current.set(None)


def who(actor: str) -> str:
    """An actor as a log shows it: a customer is not named (their Telegram id is personal
    data); admins, the system and the command line are (`admin:42`, `system:auto-complete`)."""
    return "the customer" if actor.startswith("customer:") else actor


class Counts(str):
    """A run's counts in words; false when every count is zero (an idle run logs no line)."""

    busy: bool = True

    def __bool__(self) -> bool:
        return self.busy


def in_words(*counts: tuple[int, str], idle: str = "nothing to do") -> Counts:
    """Counts as words for a job's log line and /jobs: `in_words((3, "sent"), (0, "failed"))`
    is "3 sent"; the first count is always shown unless all are zero, the others when not."""
    if not any(n for n, _ in counts):
        words = Counts(idle)
        words.busy = False
        return words
    return Counts(", ".join(f"{n} {what}" for i, (n, what) in enumerate(counts) if n or i == 0))
