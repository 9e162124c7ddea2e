"""Pacing sends within Telegram's limits: about 30 messages a second overall, about one a
second per private chat (short bursts allowed), 20 a minute per group.

Small token buckets rather than a library. aiolimiter (the usual choice, already installed with
python-telegram-bot) only offers "wait until I may"; the dispatcher needs to ask "when may this
chat send?" without waiting, so that a chat over its budget is skipped while the others go on,
and it needs a 429's retry_after to pause one chat (or everything). It also needs an injected
clock so the pacing can be tested without sleeping. A bucket is a dozen lines; the rules on
top of it are what matter.

Why these numbers: a bucket that refills at the server's rate but holds fewer tokens than the
server's (`burst` below the server's capacity) can never outrun it, whatever the network jitter
up to (capacity - burst) / rate seconds; and because it refills at exactly the rate, the long
run rate is the ceiling itself."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


class TokenBucket:
    """`burst` tokens, refilled at `rate` per second; time is given, in seconds."""

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = max(float(burst), 1.0)
        self.tokens = self.burst
        self.stamp = now

    def _refill(self, now: float) -> None:
        if now > self.stamp:
            self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
            self.stamp = now

    def ready_at(self, now: float) -> float:
        """The earliest time a token is there (now, if one is)."""
        self._refill(now)
        if self.stamp > now:  # paused until then
            return self.stamp + max(0.0, 1.0 - self.tokens) / self.rate
        if self.tokens >= 1.0:
            return now
        return now + (1.0 - self.tokens) / self.rate

    def take(self, now: float) -> None:
        """Use a token (callers check `ready_at` first; going below zero is only a debt)."""
        self._refill(now)
        self.tokens -= 1.0

    def pause(self, until: float) -> None:
        """Nothing until `until`, then one message, then the steady rate (after a 429 Telegram
        wants us to resume gently, not with a burst)."""
        if until > self.stamp:
            self.stamp = until
        self.tokens = min(self.tokens, 1.0)

    @property
    def full(self) -> bool:
        """Whether the bucket is idle (full): nothing to remember about it."""
        return self.tokens >= self.burst


@dataclass(frozen=True)
class Limits:
    """Send budgets. Defaults: Telegram's published limits, with bursts kept under the server's
    (see the module docstring)."""

    global_per_second: float = 30.0
    global_burst: int = 20
    private_per_second: float = 1.0
    private_burst: int = 2
    group_per_minute: float = 20.0
    group_burst: int = 10
    flood_window: float = 60.0  # 429s on two chats within this many seconds pause everything

    @classmethod
    def telegram(
        cls, global_per_second: float, private_per_second: float, group_per_minute: float
    ) -> Limits:
        """Limits at the given rates, bursts derived from them."""
        return cls(
            global_per_second=global_per_second,
            global_burst=max(1, min(20, int(global_per_second * 2 / 3))),
            private_per_second=private_per_second,
            private_burst=2 if private_per_second >= 1 else 1,
            group_per_minute=group_per_minute,
            group_burst=max(1, min(10, int(group_per_minute / 2))),
        )

    @classmethod
    def unlimited(cls) -> Limits:
        """No pacing at all (tests of other behaviour, and tools)."""
        big = 1e9
        return cls(big, int(big), big, int(big), big * 60, int(big))


def is_group(chat_id: int) -> bool:
    """Groups, supergroups and channels have negative ids; users (private chats) positive."""
    return chat_id < 0


class SendPacer:
    """A global bucket plus one per chat. A chat whose next allowed time is in the future is
    skipped for now; a 429 pauses its chat for retry_after, and 429s on two different chats
    within `flood_window` pause everything (the bot as a whole is over its budget)."""

    def __init__(self, limits: Limits | None = None, clock: Callable[[], float] = time.monotonic):
        self.limits = limits or Limits()
        self.clock = clock
        now = clock()
        self.global_bucket = TokenBucket(
            self.limits.global_per_second, self.limits.global_burst, now
        )
        self._chats: dict[int, TokenBucket] = {}
        self._floods: dict[int, float] = {}  # chat -> when it last got a 429
        self.global_pauses = 0

    def _bucket(self, chat_id: int, now: float) -> TokenBucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            limits = self.limits
            if is_group(chat_id):
                bucket = TokenBucket(limits.group_per_minute / 60.0, limits.group_burst, now)
            else:
                bucket = TokenBucket(limits.private_per_second, limits.private_burst, now)
            self._chats[chat_id] = bucket
        return bucket

    def chat_ready_at(self, chat_id: int, now: float | None = None) -> float:
        """When this chat may get its next message (the global budget aside)."""
        now = self.clock() if now is None else now
        bucket = self._chats.get(chat_id)
        return now if bucket is None else bucket.ready_at(now)

    def global_ready_at(self, now: float | None = None) -> float:
        """When the next message may go anywhere."""
        now = self.clock() if now is None else now
        return self.global_bucket.ready_at(now)

    def ready_at(self, chat_id: int, now: float | None = None) -> float:
        """When a message to this chat may go."""
        now = self.clock() if now is None else now
        return max(self.chat_ready_at(chat_id, now), self.global_ready_at(now))

    def busy_chats(self, now: float | None = None) -> dict[int, float]:
        """Chats that may not send now, with when they may; idle chats are forgotten."""
        now = self.clock() if now is None else now
        busy: dict[int, float] = {}
        for chat_id, bucket in list(self._chats.items()):
            ready = bucket.ready_at(now)
            if ready > now:
                busy[chat_id] = ready
            elif bucket.full:
                del self._chats[chat_id]
        return busy

    def take(self, chat_id: int, now: float | None = None) -> None:
        """Count a message to this chat."""
        now = self.clock() if now is None else now
        self.global_bucket.take(now)
        self._bucket(chat_id, now).take(now)

    def flood(self, chat_id: int, retry_after: float, now: float | None = None) -> None:
        """Telegram answered 429 for this chat: wait `retry_after` before sending there again,
        and everywhere if another chat was told the same recently."""
        now = self.clock() if now is None else now
        until = now + max(retry_after, 0.0)
        self._bucket(chat_id, now).pause(until)
        window = self.limits.flood_window
        self._floods = {c: t for c, t in self._floods.items() if now - t <= window}
        self._floods[chat_id] = now
        if len(self._floods) >= 2:
            self.global_bucket.pause(until)
            self.global_pauses += 1
