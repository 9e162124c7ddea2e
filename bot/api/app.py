"""The HTTP API for other sales channels (issue 17), `/api/v1`: a FastAPI application mounted
into the web process's Starlette application (bot/web/app.py), so it is served only by
`python -m bot web`, on WEB_PORT next to the webhook.

FastAPI writes the OpenAPI 3.1 document (`/api/v1/openapi.json`) from the typed routes and
pydantic models (bot/api/schemas.py). Its /docs and /redoc pages load their scripts from a
CDN, and nothing may download at run time, so they are off.

Per request: the key (bot/api/auth.py: 401, 403, 429), the Idempotency-Key of a POST
(bot/api/idempotency.py), the use case (domain/channels/orders.py, or the catalog), and one
transaction storing the answer with its key and the audit entry (`CallRecorder`). Every error
is application/problem+json (bot/api/problems.py)."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, FastAPI, Request

from bot.api import orders, products
from bot.api.idempotency import CallRecorder, Replay, on_replay
from bot.api.problems import MEDIA_TYPE, Problem, install_problem_handlers
from bot.api.services import ApiServices

PREFIX = "/api/v1"
DESCRIPTION = (
    "Orders from other sales channels share the shop's catalog, stock, order lifecycle, "
    "notifications and admin chat. Authenticate with `Authorization: Bearer <token>` "
    "(`python -m bot api-key create NAME`). Every POST needs an `Idempotency-Key` header. "
    "Errors are `application/problem+json` (RFC 9457). Money is in integer minor units."
)


def _query_names(dependant: Any) -> set[str]:
    """The query parameters a route and its dependencies declare."""
    names = {param.alias for param in dependant.query_params}
    for inner in dependant.dependencies:
        names |= _query_names(inner)
    return names


async def no_unknown_query(request: Request) -> None:
    """A query parameter no route declares is refused (422), as an unknown body field is: a
    misspelt `changed_snice` must not silently sync everything."""
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is None:
        return
    unknown = sorted(set(request.query_params) - _query_names(dependant))
    if unknown:
        errors = [{"loc": ["query", name], "msg": "unknown parameter"} for name in unknown]
        raise Problem(
            422,
            "invalid-request",
            "api.problem.invalid_title",
            "api.problem.invalid",
            extra={"errors": errors},
        )


def problems_in_document(app: FastAPI) -> None:
    """Every error answer in the document as what it is: application/problem+json with the
    problem's schema (FastAPI would write the model as application/json, and its own 422 as
    its HTTPValidationError)."""
    written = app.openapi

    def openapi() -> dict[str, Any]:
        document = written()
        problem = {"schema": {"$ref": "#/components/schemas/ProblemOut"}}
        for operations in document["paths"].values():
            for operation in operations.values():
                for status, answer in operation.get("responses", {}).items():
                    if status.isdigit() and int(status) >= 400:
                        answer["content"] = {MEDIA_TYPE: problem}
        schemas = document.get("components", {}).get("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            schemas.pop(unused, None)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def build_api(api: ApiServices) -> FastAPI:
    """The `/api/v1` application (mount it at PREFIX)."""
    app = FastAPI(
        title="orderbot API",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url=None,  # swagger and redoc load from a CDN: off
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        dependencies=[Depends(no_unknown_query)],
    )
    app.state.api = api
    install_problem_handlers(app, api.texts)
    app.add_exception_handler(Replay, on_replay)
    app.include_router(products.router)
    app.include_router(orders.router)
    app.add_middleware(CallRecorder, api=api)
    problems_in_document(app)
    return app
