"""Time enters the domain only through a clock, so tests can pin it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        """Current UTC time."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until told to move; for tests."""

    def __init__(self, at: datetime | None = None) -> None:
        self._at = at or datetime(2026, 1, 1, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        """The pinned time."""
        return self._at

    def advance(self, **kwargs: float) -> None:
        """Move the clock forward by a timedelta's keyword arguments."""
        self._at += timedelta(**kwargs)
