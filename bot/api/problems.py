"""Errors as `application/problem+json` (RFC 9457): every error the API answers, its own and
FastAPI's (validation 422, unknown path 404, wrong method 405), and the domain's refusals,
with a title and a detail from the locale catalog (English, or Chinese when the client's
Accept-Language prefers it)."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.texts import Texts
from domain.shared.customers import Language
from domain.shared.errors import (
    DomainError,
    IllegalTransitionError,
    NotFoundError,
    OutOfStockError,
    ProductUnavailableError,
)

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
# Problem types are tag URIs (RFC 4151): stable names, not pages to fetch.
TYPE_BASE = "tag:orderbot,2026:problem:"
_TAGS = re.compile(r"<[^>]+>")


def problem_type(slug: str) -> str:
    """The `type` URI of one of the API's problems."""
    return TYPE_BASE + slug


class Problem(Exception):
    """An error the API answers as problem+json; raised anywhere below a route."""

    def __init__(
        self,
        status: int,
        slug: str,
        title_key: str,
        detail_key: str,
        /,  # a domain error's parameters may be named status (the order's) or slug
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(f"{status} {slug}")
        self.status = status
        self.slug = slug
        self.title_key = title_key
        self.detail_key = detail_key
        self.params = params
        self.headers = headers or {}
        self.extra = extra or {}


def language_of(request: Request) -> Language:
    """Chinese when the client's Accept-Language puts zh first, else English."""
    accepted = request.headers.get("accept-language", "").strip().lower()
    return Language.ZH if accepted.startswith("zh") else Language.EN


def plain(text: str) -> str:
    """A catalog text without its markup (the catalogs are written for Telegram's HTML)."""
    return html.unescape(_TAGS.sub("", text))


def problem_response(
    request: Request,
    texts: Texts,
    status: int,
    slug: str,
    title_key: str,
    detail_key: str,
    /,
    *,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
    **params: Any,
) -> JSONResponse:
    """The problem+json answer; `instance` is the request's path."""
    lang = language_of(request)
    body: dict[str, Any] = {
        "type": problem_type(slug) if slug != "about:blank" else "about:blank",
        "title": plain(texts(lang, title_key)),
        "status": status,
        "detail": plain(texts(lang, detail_key, **params)),
        "instance": request.url.path,
    }
    body.update(extra or {})
    return JSONResponse(body, status_code=status, headers=headers, media_type=MEDIA_TYPE)


# Refusals whose chat wording speaks to a customer at their cart ("🏷 ... in your cart"): the
# API says them to the channel, of the order it sent.
_API_DETAILS = {
    "promo.error.unknown": "api.problem.promo_unknown",
    "promo.error.not_yet": "api.problem.promo_not_yet",
    "promo.error.expired": "api.problem.promo_expired",
    "promo.error.used_up": "api.problem.promo_used_up",
    "promo.error.used_by_you": "api.problem.promo_used_by_you",
    "promo.error.min_subtotal": "api.problem.promo_min_subtotal",
    "promo.error.not_applicable": "api.problem.promo_not_applicable",
}


def domain_problem(error: DomainError) -> Problem:
    """A domain refusal as the API's problem: the status says what kind, the detail is the
    domain's own message (its key and parameters; in the API's own words where the chat's
    address a customer in the chat)."""
    params = dict(error.params)
    detail = _API_DETAILS.get(error.key, error.key)
    if isinstance(error, NotFoundError):
        return Problem(404, "not-found", "api.problem.not_found_title", error.key, **params)
    if isinstance(error, OutOfStockError):
        return Problem(409, "out-of-stock", "api.problem.out_of_stock_title", error.key, **params)
    if isinstance(error, ProductUnavailableError):
        title = "api.problem.product_unavailable_title"
        return Problem(409, "product-unavailable", title, error.key, **params)
    if isinstance(error, IllegalTransitionError):
        status = params.get("status")
        if status is not None:  # said in the reader's words, as the bot says it
            params["status"] = {"$text": f"status.{status}"}
        return Problem(409, "wrong-status", "api.problem.wrong_status_title", error.key, **params)
    return Problem(422, "refused", "api.problem.refused_title", detail, **params)


def install_problem_handlers(app: FastAPI, texts: Texts) -> None:
    """Make every error of `app` a problem+json answer."""

    def answer(request: Request, problem: Problem) -> JSONResponse:
        try:
            return problem_response(
                request,
                texts,
                problem.status,
                problem.slug,
                problem.title_key,
                problem.detail_key,
                headers=problem.headers,
                extra=problem.extra,
                **problem.params,
            )
        except KeyError:  # a domain error whose key has no text: its generic one
            return problem_response(
                request, texts, problem.status, problem.slug, problem.title_key, "error.generic"
            )

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return answer(request, exc)

    async def on_domain(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        return answer(request, domain_problem(exc))

    async def on_invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [
            {"loc": [str(part) for part in e.get("loc", ())], "msg": str(e.get("msg", ""))}
            for e in exc.errors()
        ]
        # An invalid request never ran: its Idempotency-Key is not used up (bot/api/idempotency.py).
        request.state.idempotency_release = True
        if any(e["loc"][:2] == ["header", "Idempotency-Key"] for e in errors):
            missing = "api.problem.idempotency_missing"
            return answer(
                request, Problem(400, "idempotency-key-missing", missing + "_title", missing)
            )
        extra = {"errors": errors}
        problem = Problem(
            422, "invalid-request", "api.problem.invalid_title", "api.problem.invalid", extra=extra
        )
        return answer(request, problem)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        request.state.idempotency_release = True
        if exc.status_code == 405:
            problem = Problem(
                405,
                "about:blank",
                "api.problem.method_title",
                "api.problem.method",
                headers=dict(exc.headers or {}),
                method=request.method,
            )
        elif exc.status_code == 404:
            problem = Problem(
                404,
                "about:blank",
                "api.problem.not_found_title",
                "api.problem.not_found",
                path=request.url.path,
            )
        else:
            problem = Problem(
                exc.status_code,
                "about:blank",
                "api.problem.invalid_title",
                "api.problem.invalid",
                headers=dict(exc.headers or {}),
            )
        return answer(request, problem)

    async def on_crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("API request %s %s failed", request.method, request.url.path)
        problem = Problem(500, "internal", "api.problem.internal_title", "api.problem.internal")
        return answer(request, problem)

    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(DomainError, on_domain)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_crash)


def api_not_found(texts: Texts) -> Callable[[Request, Exception], Awaitable[Response]]:
    """For the web process's own router: a path under /api/ that the mount does not take (one
    with a line break, which Starlette's path patterns do not match) is a problem too; other
    paths keep Starlette's plain 404."""

    async def not_found(request: Request, exc: Exception) -> Response:
        if not request.url.path.startswith("/api/"):
            return PlainTextResponse("Not Found", status_code=404)
        return problem_response(
            request,
            texts,
            404,
            "about:blank",
            "api.problem.not_found_title",
            "api.problem.not_found",
            path=request.url.path,
        )

    return not_found
