"""Webhook delivery, as Telegram does it: once setWebhook names a URL, queued updates are
POSTed to it as JSON, with the secret in ``X-Telegram-Bot-Api-Secret-Token``, up to
``max_connections`` at once. An update leaves the queue only when the bot answers 2xx; any other
status, a connection error or a timeout keeps it queued, and it is sent again after a pause
(which doubles per consecutive failure, up to a cap); getWebhookInfo reports the last error.
getUpdates is refused with 409 Conflict while a webhook is set (methods_chats.py).

Real Telegram waits minutes between retries; the pause here is ``retry_seconds`` (short by
default, so tests and benches see a redelivery soon)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
DEFAULT_MAX_CONNECTIONS = 40


class WebhookDelivery:
    """Pushes the server's queued updates to the webhook until it is deleted."""

    def __init__(
        self,
        url: str,
        secret: str,
        max_connections: int,
        *,
        deliverable: Callable[[int], list[dict[str, Any]]],
        delivered: Callable[[dict[str, Any]], None],
        retry_seconds: float = 0.5,
        max_retry_seconds: float = 5.0,
        timeout_seconds: float = 10.0,
    ) -> None:
        self.url = url
        self.secret = secret
        self.max_connections = max_connections
        self._deliverable = deliverable
        self._delivered = delivered
        self.retry_seconds = retry_seconds
        self.max_retry_seconds = max_retry_seconds
        self.timeout_seconds = timeout_seconds
        self.last_error_date = 0
        self.last_error_message = ""
        self.delivered_count = 0
        self.failed_count = 0
        self._in_flight: dict[int, asyncio.Task[None]] = {}  # id(update) -> its POST
        self._not_before: dict[int, float] = {}  # id(update) -> when it may be sent again
        self._failures = 0
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="botapi-webhook")

    def wake(self) -> None:
        """A new update is queued."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop delivering (updates in flight are abandoned and stay queued)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for task in list(self._in_flight.values()):
            task.cancel()
        if self._in_flight:
            await asyncio.wait(list(self._in_flight.values()))
        self._in_flight.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    async def _run(self) -> None:
        connector = aiohttp.TCPConnector(limit=self.max_connections)
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=aiohttp.ClientTimeout(total=self.timeout_seconds)
        )
        while True:
            self._wake.clear()
            now = time.monotonic()
            next_try: float | None = None
            room = self.max_connections - len(self._in_flight)
            if room > 0:
                # Look further than `room`: updates in flight or waiting to retry are skipped.
                for update in self._deliverable(self.max_connections + len(self._in_flight) + 100):
                    key = id(update)
                    if key in self._in_flight:
                        continue
                    not_before = self._not_before.get(key, 0.0)
                    if not_before > now:
                        next_try = not_before if next_try is None else min(next_try, not_before)
                        continue
                    self._in_flight[key] = asyncio.create_task(self._post(update))
                    room -= 1
                    if room == 0:
                        break
            timeout = None if next_try is None else max(next_try - time.monotonic(), 0.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _post(self, update: dict[str, Any]) -> None:
        key = id(update)
        try:
            error = await self._send(update)
        finally:
            self._in_flight.pop(key, None)
        if error is None:
            self._not_before.pop(key, None)
            self._failures = 0
            self.delivered_count += 1
            self._delivered(update)
        else:
            self._failures += 1
            self.failed_count += 1
            self.last_error_date = int(time.time())
            self.last_error_message = error
            pause = min(
                self.retry_seconds * 2 ** min(self._failures - 1, 10), self.max_retry_seconds
            )
            self._not_before[key] = time.monotonic() + pause
            logger.debug("webhook delivery of update %s failed: %s", update["update_id"], error)
        self._wake.set()

    async def _send(self, update: dict[str, Any]) -> str | None:
        """POST one update; None when the bot answered 2xx, else the error as Telegram words it."""
        assert self._session is not None
        headers = {SECRET_HEADER: self.secret} if self.secret else {}
        try:
            async with self._session.post(self.url, json=update, headers=headers) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientConnectionError as exc:
            return f"Connection refused: {exc}"[:200]
        except aiohttp.ClientError as exc:
            return f"{type(exc).__name__}: {exc}"[:200]
