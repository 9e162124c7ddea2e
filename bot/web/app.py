"""The web process's composition root: the shop's Application (bot/app.py) behind a Starlette
application served by uvicorn.

Routes: the webhook (POST at WEBHOOK_URL's path; the secret header is checked, 403 otherwise;
the update is kept before the answer, bot/web/inbox.py), `/healthz` (the process is up),
`/readyz` (the database answers and its migrations are at this code's head; 503 otherwise) and
`/metrics` (Prometheus, bot/web/metrics.py), and the HTTP API for other sales channels under
`/api/v1` (bot/api/, mounted). `python -m bot jobs` serves the same application without the
webhook and the API when JOBS_PORT is set."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import signal
import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import cast
from urllib.parse import urlparse

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from bot.api.app import PREFIX as API_PREFIX
from bot.api.app import build_api
from bot.api.problems import api_not_found
from bot.api.ratelimit import RateLimit
from bot.api.services import ApiServices
from bot.context import ShopApp
from bot.settings import Settings
from bot.shared.updates import HANDLED_KINDS, OnceApplication
from bot.web.inbox import WebhookInbox
from bot.web.metrics import CONTENT_TYPE, Metrics
from storage.db import Database
from storage.health import database_revision, head_revision

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
READY_TIMEOUT_S = 2.0
# The update kinds Telegram is asked for: the ones the bot has a behaviour for.
ALLOWED_UPDATES = list(HANDLED_KINDS)


def webhook_path(url: str) -> str:
    """The path the webhook is served at: WEBHOOK_URL's own (the proxy forwards it as is)."""
    return urlparse(url).path or "/"


def health_routes(db: Database, metrics: Metrics) -> list[Route]:
    """/healthz, /readyz and /metrics."""
    head = head_revision()

    async def healthz(_request: Request) -> Response:
        return PlainTextResponse("ok\n")

    async def readyz(_request: Request) -> Response:
        try:
            found = await asyncio.wait_for(database_revision(db), READY_TIMEOUT_S)
        except Exception as exc:  # any failure means "not ready", with a reason
            reason = f"database: {type(exc).__name__}"
            return JSONResponse({"ready": False, "reason": reason}, status_code=503)
        if found != head:
            reason = f"migrations at {found}, code expects {head}"
            return JSONResponse({"ready": False, "reason": reason}, status_code=503)
        return JSONResponse({"ready": True, "migration": head})

    async def metrics_page(_request: Request) -> Response:
        return Response(await metrics.render(db), media_type=CONTENT_TYPE)

    return [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/metrics", metrics_page, methods=["GET"]),
    ]


def webhook_route(path: str, secret: str, inbox: WebhookInbox, metrics: Metrics) -> Route:
    """POST path: check the secret, keep the update, then answer 200."""
    expected = secret.encode()

    async def webhook(request: Request) -> Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, expected):
            metrics.webhook.labels("forbidden").inc()
            return Response(status_code=403)
        try:
            payload = json.loads(await request.body())
            int(payload["update_id"])
        except (ValueError, KeyError, TypeError):
            metrics.webhook.labels("bad_request").inc()
            return Response(status_code=400)
        try:
            fresh = await inbox.receive(payload)
        except Exception:
            # Not kept: Telegram must send it again, so it must not hear 2xx.
            log.exception("update %s could not be kept", payload.get("update_id"))
            metrics.webhook.labels("unavailable").inc()
            return Response(status_code=503)
        metrics.webhook.labels("stored" if fresh else "duplicate").inc()
        return Response(status_code=200)

    return Route(path, webhook, methods=["POST"])


def listening_socket(host: str, port: int) -> socket.socket:
    """The server's socket. SO_REUSEPORT lets several web processes of one host share
    WEB_PORT (the kernel spreads connections among them), like uvicorn's workers."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if hasattr(socket, "SO_REUSEPORT"):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: it would re-raise SIGTERM once it has stopped,
    which ends the process before the shop has shut down. The process sets `should_exit`."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def make_server(app: Starlette) -> uvicorn.Server:
    """uvicorn for the application: no access log (one line per business event, not per
    request), no lifespan (the process starts and stops the shop around the server), no signal
    handlers of its own (see `serve`)."""
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    return _Server(config)


async def serve(app: Starlette, sock: socket.socket, stop: asyncio.Event | None = None) -> None:
    """Serve on an open socket until SIGTERM or SIGINT (or `stop` is set)."""
    server = make_server(app)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)

    async def stop_when_told() -> None:
        await stop.wait()
        server.should_exit = True

    stopper = asyncio.create_task(stop_when_told())
    try:
        await server.serve(sockets=[sock])
    finally:
        stopper.cancel()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def api_application(shop: ShopApp, settings: Settings) -> ASGIApp | None:
    """The HTTP API (issue 17) on the shop's services, to mount at `API_PREFIX`; None for an
    application built without sales channels."""
    services = shop.bot_data
    if services.channels is None:
        return None
    api = ApiServices(
        db=services.db,
        clock=services.clock,
        texts=services.texts,
        shop=services.shop,
        channels=services.channels,
        rate_limit=RateLimit.parse(settings.api_rate_limit),
    )
    return build_api(api)


class WebProcess:
    """The web process's parts, built from the settings (bot/cli.py runs it)."""

    def __init__(self, settings: Settings, shop: ShopApp, metrics: Metrics) -> None:
        self.settings = settings
        self.shop = shop
        self.metrics = metrics
        db: Database = shop.bot_data.db
        self.db = db
        url, secret = settings.webhook()
        self.url, self.secret = url, secret
        self.inbox = WebhookInbox(
            cast(OnceApplication, shop),
            db,
            lease=timedelta(seconds=settings.webhook_lease_seconds),
            concurrency=settings.concurrent_updates,
        )
        routes: list[BaseRoute] = [webhook_route(webhook_path(url), secret, self.inbox, metrics)]
        routes += health_routes(db, metrics)
        api = api_application(shop, settings)
        if api is not None:  # the HTTP API (issue 17)
            routes.append(Mount(API_PREFIX, app=api))
        handlers = {404: api_not_found(shop.bot_data.texts)}
        self.asgi = Starlette(routes=routes, exception_handlers=handlers)

    async def start(self) -> None:
        """The shop (commands, and jobs when RUN_JOBS), the webhook, the takeover sweep."""
        shop = self.shop
        await shop.initialize()
        await shop.start()  # the queue that payment replays go through
        if shop.post_init is not None:
            await shop.post_init(shop)
        await shop.bot.set_webhook(
            url=self.url,
            secret_token=self.secret,
            allowed_updates=ALLOWED_UPDATES,
            max_connections=self.settings.webhook_max_connections,
        )
        self.inbox.start()
        log.info(
            "web process started on %s:%d: webhook %s, max %d connections",
            self.settings.web_host,
            self.settings.web_port,
            webhook_path(self.url),
            self.settings.webhook_max_connections,
        )

    async def stop(self) -> None:
        """Finish the updates in hand, then stop the shop (the webhook stays registered: the
        other processes, or this one restarted, go on receiving)."""
        await self.inbox.stop()
        shop = self.shop
        if shop.running:
            await shop.stop()
        if shop.post_stop is not None:
            await shop.post_stop(shop)
        await shop.shutdown()
        if shop.post_shutdown is not None:
            await shop.post_shutdown(shop)
        log.info("web process stopped")
