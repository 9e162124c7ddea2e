"""Idempotency-Key on every POST, and the record of every call.

A POST names a key of its own choosing (`Idempotency-Key`, 1 to 255 visible characters; 400
without). The first request with a key takes it (`api_idempotency`, primary key (API key name,
Idempotency-Key): one INSERT decides between two requests at once) and stores the hash of its
method, path and body. When it is answered, its status and body are stored with the key. Then:

- the same key and the same request again: the first answer, the same status and body, with
  `Idempotent-Replayed: true`; nothing runs again;
- the same key with a different request: 422 (a new request needs a new key);
- the same key while the first request is still running: 409 (retry in a moment).

An answer is kept when the action ran (2xx, or the shop's refusal: out of stock, wrong status);
a request that never ran (invalid body, 5xx) gives its key back, so a corrected retry may use it.
Keys are forgotten after 24 hours (`api_retention` job).

**The crash window we accept**: the action commits in its own transaction (the domain's use
case), and the answer is stored in the next one, before the client hears it. A crash between
the two leaves the key taken without an answer: a retry is answered 409 for 5 minutes
(`ABANDONED_AFTER`), after which a retry of the same request takes the key over and runs
again. Running again is safe for what the API does: placing an order with its `reference`
returns the order the first run placed (the domain's unique (channel, reference)), and a
repeated cancel, mark-paid or ship finds the order already moved and answers it as it is now;
only an order placed without a `reference` would be placed twice, so channels should send one.

`CallRecorder` is the ASGI middleware around every API call: it holds the answer, stores it with
the key (when there is one) and appends the audit entry (actor `api:<key name>`, action
`api_call`, the method, path and status; the order, when the call was about one) in one
transaction, then sends the answer. Calls without a valid key, and calls refused by the rate
limit, are not audited (so nobody can flood the audit log)."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import MutableMapping
from datetime import timedelta
from typing import Any

from fastapi import Header, Request
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.api.auth import Caller, services
from bot.api.problems import Problem
from bot.api.services import ApiServices
from domain.shared.audit import Target, record
from domain.shared.clock import Clock
from domain.shared.journal import Counts, in_words
from storage.db import Database

log = logging.getLogger(__name__)

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEPT = timedelta(hours=24)  # how long a key and its answer are kept
# A key taken this long ago and never answered belongs to a request whose process died: a
# retry of the same request takes it over and runs it (no live request takes this long).
ABANDONED_AFTER = timedelta(minutes=5)
RATE_WINDOWS_KEPT = timedelta(hours=1)
PURGE_BATCH = 1000


class Replay(Exception):
    """The key holds an answer: send it again."""

    def __init__(self, status: int, response: dict[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.response = response


def request_hash(method: str, path: str, body: bytes) -> str:
    """The request a key stands for: method, path and body (JSON compared by value, so a
    retry that orders its fields differently or spaces them otherwise is the same request)."""
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
        content = canonical.encode()
    except (ValueError, UnicodeDecodeError):
        content = body
    return hashlib.sha256(b"%s %s\n%s" % (method.encode(), path.encode(), content)).hexdigest()


async def idempotent(
    request: Request,
    idempotency_key: str = Header(
        alias=KEY_HEADER,
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="any unique string per request (e.g. a UUID); a retry sends the same one",
    ),
) -> None:
    """A dependency of every POST, after the caller's: take the key, or answer from it."""
    caller: Caller = request.state.caller
    api: ApiServices = services(request)
    digest = request_hash(request.method, request.url.path, await request.body())
    async with api.db.uow() as uow:
        now = api.clock.now()
        stored = await uow.idempotency.claim(
            caller.name, idempotency_key, digest, now, stale_before=now - ABANDONED_AFTER
        )
        await uow.commit()
    if stored is None:
        request.state.idempotency = (caller.name, idempotency_key)
        return
    if stored.request_hash != digest:
        key = "api.problem.idempotency_mismatch"
        raise Problem(422, "idempotency-key-reused", key + "_title", key)
    if stored.status is None or stored.response is None:
        key = "api.problem.idempotency_busy"
        raise Problem(409, "request-in-progress", key + "_title", key, headers={"Retry-After": "1"})
    raise Replay(stored.status, stored.response)


async def on_replay(request: Request, exc: Exception) -> JSONResponse:
    """The stored answer, again."""
    assert isinstance(exc, Replay)
    request.state.replayed = True  # the audit entry says so
    stored = exc.response
    return JSONResponse(
        stored.get("body"),
        status_code=exc.status,
        media_type=str(stored.get("media_type") or "application/json"),
        headers={REPLAYED_HEADER: "true"},
    )


class CallRecorder:
    """ASGI middleware: store the answer with its Idempotency-Key and audit the call, in one
    transaction, before the answer leaves."""

    def __init__(self, app: ASGIApp, api: ApiServices) -> None:
        self.app = app
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state: MutableMapping[str, Any] = scope.setdefault("state", {})
        start: Message | None = None  # the answer's status and headers
        ending: Message | None = None  # its last body message
        chunks: list[bytes] = []

        async def hold(message: Message) -> None:
            nonlocal start, ending
            if "status" in message:
                start = message
            elif "body" in message or message["type"].endswith(".body"):
                chunks.append(message.get("body", b""))
                ending = message

        try:
            await self.app(scope, receive, hold)
        except Exception:
            await self._record(scope, state, 500, None, None)
            raise
        assert start is not None
        body = b"".join(chunks)
        headers = {k.decode().lower(): v.decode() for k, v in start.get("headers", [])}
        await self._record(scope, state, int(start["status"]), body, headers.get("content-type"))
        await send(start)
        assert ending is not None  # an ASGI answer ends with a body message, empty or not
        await send({**ending, "body": body, "more_body": False})

    async def _record(
        self,
        scope: Scope,
        state: MutableMapping[str, Any],
        status: int,
        body: bytes | None,
        media_type: str | None,
    ) -> None:
        caller: Caller | None = state.get("caller")
        key: tuple[str, str] | None = state.get("idempotency")
        audited = caller is not None and not state.get("rate_limited")
        if key is None and not audited:
            return
        now = self.api.clock.now()
        try:
            async with self.api.db.uow() as uow:
                if key is not None:
                    if status >= 500 or state.get("idempotency_release") or body is None:
                        await uow.idempotency.release(*key)
                    else:
                        try:
                            answer = json.loads(body) if body else None
                        except ValueError:
                            answer = body.decode(errors="replace")
                        kept = {"body": answer, "media_type": media_type}
                        await uow.idempotency.finish(*key, status, kept)
                if audited:
                    assert caller is not None
                    details: dict[str, Any] = {
                        "method": scope.get("method"),
                        "path": scope.get("path"),
                        "status": status,
                    }
                    if key is not None:
                        details["idempotency_key"] = key[1]
                    if state.get("replayed"):
                        details["replayed"] = True
                    target = Target(order_id=state.get("order_id"))
                    await record(uow, caller.actor, "api_call", target, details, at=now)
                await uow.commit()
        except Exception:  # the answer still goes out; a key left taken answers 409 until purged
            log.exception(
                "API call %s %s could not be recorded", scope.get("method"), scope.get("path")
            )


async def forget_old_api_records(db: Database, clock: Clock) -> Counts:
    """The retention job: Idempotency-Keys older than 24 hours, rate windows older than an
    hour, in batches."""
    now = clock.now()
    keys = windows = 0
    while True:
        async with db.uow() as uow:
            done = await uow.idempotency.forget_before(now - KEPT, PURGE_BATCH)
            gone = await uow.api_rates.forget_before(now - RATE_WINDOWS_KEPT, PURGE_BATCH)
            await uow.commit()
        keys, windows = keys + done, windows + gone
        if done < PURGE_BATCH and gone < PURGE_BATCH:
            break
    return in_words((keys, "idempotency keys forgotten"), (windows, "rate windows forgotten"))
