"""Rate limits per API key: at most N requests per fixed window (API_RATE_LIMIT, e.g.
60/minute), counted in the database (`api_rate_windows`), so the limit holds for the key
across every web process on that database, not per process.

A fixed window is the simple correct choice here: one upsert per request, exact under
concurrency (the count is the row's, incremented atomically), and a refused client is told
exactly when the window ends (Retry-After). Its known looseness: a client can make up to 2N
requests across a window boundary (N at the end of one window, N at the start of the next).
The windows are kept an hour and purged by the `api_retention` job."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

PERIODS = {"second": 1, "minute": 60, "hour": 3600}
_SPEC = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour)\s*$")


@dataclass(frozen=True)
class RateLimit:
    """N requests per period."""

    requests: int
    period_seconds: int

    @classmethod
    def parse(cls, spec: str) -> RateLimit:
        """'60/minute' -> RateLimit(60, 60); ValueError when malformed."""
        match = _SPEC.match(spec.lower())
        if match is None or int(match.group(1)) < 1:
            raise ValueError("must look like 60/minute (N/second, N/minute or N/hour, N >= 1)")
        return cls(int(match.group(1)), PERIODS[match.group(2)])

    def window_start(self, now: datetime) -> datetime:
        """The start of the fixed window `now` falls in."""
        seconds = int(now.timestamp())
        start = seconds - seconds % self.period_seconds
        return datetime.fromtimestamp(start, UTC)

    def retry_after(self, now: datetime) -> int:
        """Whole seconds until the window `now` falls in ends (at least 1)."""
        end = self.window_start(now) + timedelta(seconds=self.period_seconds)
        return max(math.ceil((end - now).total_seconds()), 1)
