"""The server's small parts: the default allowed_updates, injected faults, Telegram-like flood
limits and the pending getUpdates long poll."""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass

from .sim import SimChat

DEFAULT_ALLOWED_UPDATES = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)
_SENDING_EXTRA = frozenset({"copymessage", "forwardmessage", "copymessages", "forwardmessages"})


def _is_sending_method(method_lower: str) -> bool:
    return (
        method_lower.startswith("send") and method_lower != "sendchataction"
    ) or method_lower in _SENDING_EXTRA


@dataclass
class _Fault:
    status: int | None
    description: str
    retry_after: int | None
    delay: float


class _Bucket:
    """Token bucket: ``capacity`` tokens, refilled at ``rate`` tokens per second."""

    def __init__(self, capacity: float, rate: float) -> None:
        self.capacity = max(capacity, 1.0)
        self.rate = rate
        self.tokens = self.capacity
        self.stamp = time.monotonic()

    def wait_time(self, now_: float, n: int) -> float:
        self.tokens = min(self.capacity, self.tokens + (now_ - self.stamp) * self.rate)
        self.stamp = now_
        missing = n - self.tokens
        return 0.0 if missing <= 0 else missing / self.rate

    def take(self, n: int) -> None:
        self.tokens -= n


class _RateLimiter:
    """Telegram-like flood limits (global, per private chat, per group)."""

    def __init__(
        self,
        global_per_sec: float,
        private_per_sec: float,
        private_burst: int,
        group_per_min: float,
    ) -> None:
        self.global_bucket = _Bucket(global_per_sec, global_per_sec)
        self.private = (private_burst, private_per_sec)
        self.group = (group_per_min, group_per_min / 60.0)
        self.chats: dict[int, _Bucket] = {}

    def check(self, chat: SimChat, n: int) -> int | None:
        """None if allowed (tokens taken) else retry_after seconds (>= 1)."""
        bucket = self.chats.get(chat.id)
        if bucket is None:
            capacity, rate = self.private if chat.type == "private" else self.group
            bucket = self.chats[chat.id] = _Bucket(capacity, rate)
        t = time.monotonic()
        wait = max(self.global_bucket.wait_time(t, n), bucket.wait_time(t, n))
        if wait > 0:
            return max(1, math.ceil(wait))
        self.global_bucket.take(n)
        bucket.take(n)
        return None


class _LongPoll:
    """A pending getUpdates long poll."""

    def __init__(self) -> None:
        self.wake = asyncio.Event()
        self.conflict = False
