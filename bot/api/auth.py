"""Who is calling: `Authorization: Bearer <token>` names an API key (401 otherwise), the route's
scope must be among the key's (403), and the key's rate limit must not be spent (429 with
Retry-After). Per call: a read of the key by its hash, then one write transaction counting the
call in its rate window and noting the key's last use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from bot.api.keys import has_scope, hash_token
from bot.api.problems import Problem
from bot.api.services import ApiServices
from storage.api import ApiKey

# Documents the scheme in the OpenAPI document; the checks below answer in problem+json.
BEARER = HTTPBearer(auto_error=False, description="an API key: python -m bot api-key create")
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="orderbot"'}


@dataclass(frozen=True)
class Caller:
    """The API key behind a request."""

    key: ApiKey

    @property
    def name(self) -> str:
        """The key's (the channel's) name."""
        return self.key.name

    @property
    def actor(self) -> str:
        """Who did it, in the audit log."""
        return f"api:{self.key.name}"

    def may(self, scope: str) -> bool:
        return has_scope(self.key, scope)


def services(request: Request) -> ApiServices:
    """What the API was built with (bot/api/app.py)."""
    found: ApiServices = request.app.state.api
    return found


async def authenticate(
    request: Request, credentials: HTTPAuthorizationCredentials | None
) -> Caller:
    """The caller of this request, once per request; Problem 401 or 429."""
    known: Caller | None = getattr(request.state, "caller", None)
    if known is not None:
        return known
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Problem(
            401,
            "unauthorized",
            "api.problem.unauthorized_title",
            "api.problem.unauthorized",
            headers=CHALLENGE,
        )
    api = services(request)
    now = api.clock.now()
    limit = api.rate_limit
    # Read first: a request with no valid key never takes SQLite's write lock, so a flood of
    # them cannot hold up the shop's writers.
    async with api.db.uow(readonly=True) as uow:
        key = await uow.api_keys.by_hash(hash_token(credentials.credentials))
    if key is None or not key.active:
        detail = "api.problem.unauthorized" if key is None else "api.problem.revoked"
        raise Problem(
            401, "unauthorized", "api.problem.unauthorized_title", detail, headers=CHALLENGE
        )
    async with api.db.uow() as uow:
        count = await uow.api_rates.hit(key.name, limit.window_start(now))
        await uow.api_keys.touch(key.name, now)
        await uow.commit()
    caller = Caller(key)
    request.state.caller = caller
    if count > limit.requests:
        request.state.rate_limited = True  # not audited: a flood must not flood the audit log
        retry = limit.retry_after(now)
        raise Problem(
            429,
            "rate-limited",
            "api.problem.rate_limited_title",
            "api.problem.rate_limited",
            headers={"Retry-After": str(retry)},
            limit=limit.requests,
            period=limit.period_seconds,
            n=retry,  # the seconds to wait, in the reader's plural
        )
    return caller


def require(scope: str):  # type: ignore[no-untyped-def]
    """A dependency: the caller, who must hold `scope` (403 otherwise)."""

    async def caller_with_scope(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER)],
    ) -> Caller:
        caller = await authenticate(request, credentials)
        if not caller.may(scope):
            raise Problem(
                403,
                "forbidden",
                "api.problem.forbidden_title",
                "api.problem.forbidden",
                scope=scope,
            )
        return caller

    return caller_with_scope
