"""`python -m bot demo`: the local Bot API server, the real bot polling it on a fresh SQLite file
with the demo catalog and a generated order history, and the chat page, all in one process."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import secrets
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.routing import Mount
from telegram import Update

from bot.api.app import PREFIX as API_PREFIX
from bot.api.keys import ApiKeyError, ApiKeys
from bot.api.problems import api_not_found
from bot.app import build_application
from bot.botapi.server import FakeBotApi
from bot.botapi.sim import SimUser
from bot.catalog.csv_import import read_catalog_csv
from bot.context import ShopApp
from bot.demo.history import CUSTOMER_ID_BASE, seed_history
from bot.logs import configure_logging
from bot.playground.web import PlaygroundWeb
from bot.settings import Settings, SettingsError, load_settings
from bot.web.app import api_application, make_server
from domain.catalog.importing import ProductDraft
from domain.checkout.shop import Shop
from domain.checkout.shop_base import ShopConfig
from domain.promotions.rules import PromoError
from domain.promotions.service import Promotions
from domain.reactions import ORDER_FLOW
from domain.shared.clock import SystemClock
from domain.shared.money import Money
from storage.db import Database
from storage.migrate import upgrade

log = logging.getLogger("bot.playground")

TOKEN = "777000111:PLAYGROUND-local-only-token"
PROVIDER_TOKEN = "284685063:TEST:playground"
ADMIN_CHAT = -1001000
MERCHANT = 7001
FIRST_CUSTOMER = 1001
CATALOG = Path(__file__).resolve().parents[1] / "demo" / "catalog.csv"
PORT_SETTING = "PLAYGROUND_PORT"
DEFAULT_PORT = 8080
STARS_PER_DOLLAR = 50  # the demo catalog repriced for a shop that sells in Telegram Stars

# What issue 16 added, seeded so the playground shows it (the page's "Try" panel names them).
PROMO_CODE = "WELCOME10"  # 10 % off from a $20 subtotal, once per customer, for a year
PROMO_MIN_DOLLARS = 20
FREE_FROM_DOLLARS = 50  # Standard delivery is free from this subtotal
SOLD_OUT_SKU = "TEA-PUER-357"  # Pu-erh Cake: sold out, so its card offers "Notify me"
SHOP_PLACE = "Tea House, 12 Harbour Road, Springfield · daily 10:00-18:00"
# Addresses the page suggests: Express serves the first two (Springfield, postcode 627..;
# Shanghai, 200..), Standard serves every address, Pickup needs none.
ADDRESSES = (
    "1 Main Street, Springfield, IL 62701",
    "上海市黄浦区南京东路 100 号 200001",
    "10 Downing Street, London SW1A 2AA",
)


class PlaygroundError(Exception):
    """A setting of the playground is wrong; the message names it."""


@dataclass(frozen=True)
class DemoOptions:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    days: int = 180
    customers: int = 300
    seed: int = 7
    stars: bool = False
    data_dir: Path | None = None


@dataclass
class Playground:
    """A running playground: the server, the bot, the page and the simulated people."""

    api: FakeBotApi
    app: ShopApp
    web: PlaygroundWeb
    database_url: str
    merchant: SimUser
    url: str
    api_url: str  # the HTTP API of issue 17, `/api/v1` below it
    api_token: str  # a key with every scope, made for this run


def check_port(host: str, port: int) -> None:
    """Refuse a port that is not one, or that something else already listens on."""
    if not 0 <= port <= 65535:
        raise PlaygroundError(f"{PORT_SETTING}: {port} is not a TCP port (1-65535)")
    if port == 0:
        return  # any free port (tests)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise PlaygroundError(
                f"{PORT_SETTING}: cannot listen on {host}:{port} ({exc.strerror or exc})"
            ) from None


@contextlib.asynccontextmanager
async def _serving_api(
    app: ShopApp, settings: Settings, host: str, port: int
) -> AsyncIterator[tuple[str, str]]:
    """The HTTP API for other sales channels (issue 17), as `python -m bot web` serves it, on
    the page's port + 1 (any free port if that one is taken), with a key made for this run
    (every scope; a data folder kept from an earlier run gets a new key beside the old ones).
    Yields the API's address and the key's token."""
    api = api_application(app, settings)
    assert api is not None  # the playground's shop takes orders from other channels too
    keys = ApiKeys(app.bot_data.db, SystemClock())
    try:
        created = await keys.create("playground", ["admin"])
    except ApiKeyError:
        created = await keys.create(f"playground-{secrets.token_hex(3)}", ["admin"])
    try:  # not SO_REUSEPORT (as the web process's socket): a busy port must fail here
        sock = socket.create_server((host, port + 1 if port else 0))
    except OSError:
        sock = socket.create_server((host, 0))
    not_found = {404: api_not_found(app.bot_data.texts)}
    server = make_server(
        Starlette(routes=[Mount(API_PREFIX, app=api)], exception_handlers=not_found)
    )
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if serving.done():
                serving.result()  # raises what stopped it
            await asyncio.sleep(0.01)
        bound = sock.getsockname()
        yield f"http://{host}:{bound[1]}", created.token
    finally:
        server.should_exit = True
        await serving
        sock.close()


def _dollars(amount: int, stars: bool) -> str:
    """A demo amount in dollars, as the shop's currency writes it (whole Stars)."""
    return str(amount * STARS_PER_DOLLAR) if stars else f"{amount}.00"


def shipping_methods(stars: bool) -> str:
    """The demo's SHIPPING_METHODS: Standard everywhere (free from $50), Express to Springfield
    and Shanghai, Pickup at the shop; a Stars shop charges the same in Stars."""
    methods = [
        {
            "code": "standard",
            "name": {"en": "Standard", "zh": "标准快递"},
            "fee": _dollars(5, stars),
            "free_from": _dollars(FREE_FROM_DOLLARS, stars),
        },
        {
            "code": "express",
            "name": {"en": "Express (next day)", "zh": "次日达快递"},
            "fee": _dollars(9, stars),
            "postcodes": ["627", "200"],
            "regions": ["Springfield", "上海"],
        },
        {
            "code": "pickup",
            "kind": "pickup",
            "name": {"en": "Pickup at Tea House", "zh": "到店自取"},
            "fee": "0",
            "place": SHOP_PLACE,
        },
    ]
    return json.dumps(methods, ensure_ascii=False)


def _demo_catalog(stars: bool) -> list[ProductDraft]:
    """The demo catalog, with SOLD_OUT_SKU sold out (and priced in Stars for a Stars shop)."""
    drafts = [
        replace(d, stock=0) if d.sku == SOLD_OUT_SKU else d
        for d in read_catalog_csv(CATALOG, "USD")
    ]
    if stars:
        drafts = [
            replace(d, price=Money(max(1, d.price.amount * STARS_PER_DOLLAR // 100), "XTR"))
            for d in drafts
        ]
    return drafts


def tour(stars: bool) -> dict[str, Any]:
    """What the page's "Try" panel names: the seeded code, the sold-out tea, the addresses."""
    [sold_out] = [d.name for d in _demo_catalog(stars) if d.sku == SOLD_OUT_SKU]

    def shown(dollars: int) -> str:
        amount = _dollars(dollars, stars)
        return f"⭐{amount}" if stars else f"${amount}"

    return {
        "code": PROMO_CODE,
        "code_min": shown(PROMO_MIN_DOLLARS),
        "free_from": shown(FREE_FROM_DOLLARS),
        "sold_out": sold_out,
        "addresses": list(ADDRESSES),  # Express serves the first two, Standard all of them
    }


async def _seed_promo(db: Database, settings: Settings) -> None:
    """PROMO_CODE, created as the merchant's /promo_new creates a code (the same use case);
    a data folder seeded before keeps the code it has."""
    until = (datetime.now(UTC) + timedelta(days=365)).date().isoformat()
    stars = settings.currency == "XTR"
    spec = f"{PROMO_CODE} 10% min {_dollars(PROMO_MIN_DOLLARS, stars)} until {until} per 1"
    promotions = Promotions(db, SystemClock(), settings.currency, ZoneInfo(settings.timezone))
    try:
        await promotions.create(spec, MERCHANT)
    except PromoError as exc:
        if exc.key != "promo.adm.taken":
            raise


async def _seed(database_url: str, options: DemoOptions, settings: Settings) -> None:
    currency = settings.currency
    await upgrade(database_url)
    db = Database(database_url)
    try:
        shop = Shop(db, SystemClock(), ShopConfig(currency, Money(0, currency)), flow=ORDER_FLOW)
        await shop.import_catalog(_demo_catalog(options.stars))
        await _seed_promo(db, settings)
        if options.days > 0:
            stats = await seed_history(
                db,
                days=options.days,
                customers=options.customers,
                seed=options.seed,
                now=datetime.now(UTC),
                currency=currency,
            )
            log.info(
                "demo history: %d orders from %d customers over %d days",
                stats.orders,
                stats.customers,
                options.days,
            )
    finally:
        await db.dispose()


def _add_history_customers(api: FakeBotApi, options: DemoOptions) -> None:
    """The generated customers exist on the server too, so what the bot still tells them (an
    unpaid order expiring, a parcel arriving) is delivered as to any Telegram user."""
    if options.days <= 0:
        return
    base = CUSTOMER_ID_BASE + options.seed * 1_000_000  # as bot/demo/history.py numbers them
    for i in range(options.customers):
        api.add_user(base + i, f"Customer {i}", language_code="zh-hans" if i % 4 == 0 else "en")


def _settings(api: FakeBotApi, database_url: str, options: DemoOptions) -> Settings:
    values: dict[str, Any] = {
        "_env_file": None,  # the playground ignores a real bot's .env
        "bot_token": TOKEN,
        "telegram_api_url": api.url,
        "database_url": database_url,
        "admin_chat_id": ADMIN_CHAT,
        "admin_user_ids": [MERCHANT],
        "shop_name": "Tea House",
        "bank_transfer_details": "Tea House Ltd · IBAN DE02 1203 0000 0000 2020 51",
        "return_address": "Tea House, 12 Harbour Road, Springfield",
        "outbox_poll_seconds": 1,
        "payment_sweep_seconds": 30,
        "shipping_methods": shipping_methods(options.stars),
    }
    if options.stars:
        values.update(currency="XTR", shipping_fee="0", payment_methods=["stars"])
    else:
        values.update(
            currency="USD",
            shipping_fee="5.00",
            payment_provider_token=PROVIDER_TOKEN,
            payment_methods=["card", "bank", "cod"],
        )
    return load_settings(**values)


@contextlib.asynccontextmanager
async def running_playground(options: DemoOptions) -> AsyncIterator[Playground]:
    """Start everything; stop it in reverse order on exit."""
    check_port(options.host, options.port)
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        data_dir = options.data_dir or Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="orderbot-demo-"))
        )
        database_url = f"sqlite+aiosqlite:///{data_dir / 'playground.db'}"
        api = FakeBotApi(token=TOKEN, bot_username="tea_house_demo_bot", bot_first_name="Tea House")
        await api.start()
        try:
            api.add_group(ADMIN_CHAT, "Tea House · admins")
            merchant = api.add_user(MERCHANT, "Mei", language_code="en", username="mei_tea")
            api.add_user(FIRST_CUSTOMER, "Alice", language_code="en", username="alice")
            settings = _settings(api, database_url, options)
            await _seed(database_url, options, settings)
            _add_history_customers(api, options)
            app = build_application(settings)
            await app.initialize()
            if app.post_init:
                await app.post_init(app)
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(
                timeout=2, poll_interval=0, allowed_updates=Update.ALL_TYPES
            )
            try:
                web = PlaygroundWeb(
                    api,
                    merchant=merchant,
                    admin_chat=ADMIN_CHAT,
                    customers=[FIRST_CUSTOMER],
                    tour=tour(options.stars),
                )
                url = await web.start(options.host, options.port)
                try:
                    async with _serving_api(app, settings, options.host, options.port) as (
                        api_url,
                        api_token,
                    ):
                        log.info(
                            "playground ready in %.1f s at %s", time.monotonic() - started, url
                        )
                        yield Playground(
                            api, app, web, database_url, merchant, url, api_url, api_token
                        )
                finally:
                    await web.stop()
            finally:
                await _stop(app)
        finally:
            await api.stop()


async def _stop(app: ShopApp) -> None:
    assert app.updater is not None
    if app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    if app.post_stop:
        await app.post_stop(app)
    await app.shutdown()
    if app.post_shutdown:
        await app.post_shutdown(app)


async def _serve(options: DemoOptions) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with running_playground(options) as playground:
        print(f"Playground: {playground.url}  (Ctrl+C to stop)", flush=True)
        print(
            f"HTTP API:   {playground.api_url}/api/v1  (key: {playground.api_token})\n"
            f'            curl -H "Authorization: Bearer {playground.api_token}" '
            f"{playground.api_url}/api/v1/products",
            flush=True,
        )
        await stop.wait()
    log.info("playground stopped")


def _port_from_env() -> int:
    raw = os.environ.get(PORT_SETTING, "").strip()
    if not raw:
        return DEFAULT_PORT
    try:
        return int(raw)
    except ValueError:
        raise PlaygroundError(f"{PORT_SETTING}: {raw!r} is not a TCP port (1-65535)") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port", help=f"the page's port (default ${PORT_SETTING} or {DEFAULT_PORT})"
    )
    parser.add_argument("--host", default="127.0.0.1", help="the page's address")
    parser.add_argument(
        "--days", type=int, default=180, help="days of generated order history (0: none)"
    )
    parser.add_argument(
        "--stars", action="store_true", help="a shop that prices and sells in Telegram Stars"
    )


def main(args: argparse.Namespace) -> int:
    """Run the playground until Ctrl+C; a bad setting ends with one line and exit code 2."""
    # The command line's logging (bot/logs.py): one line per business event, no libraries'
    # chatter; the local Bot API server and the page's server are quiet too.
    configure_logging("INFO")
    for noisy in ("aiohttp", "bot.botapi"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        if args.port is None:
            port = _port_from_env()
        else:
            try:
                port = int(args.port)
            except ValueError:
                raise PlaygroundError(
                    f"{PORT_SETTING}: {args.port!r} is not a TCP port (1-65535)"
                ) from None
        if port == 0:
            raise PlaygroundError(f"{PORT_SETTING}: 0 is not a TCP port (1-65535)")
        options = DemoOptions(host=args.host, port=port, days=max(args.days, 0), stars=args.stars)
        check_port(options.host, options.port)
        print(f"Preparing the demo shop ({options.days} days of order history) ...", flush=True)
        asyncio.run(_serve(options))
    except (PlaygroundError, SettingsError) as exc:
        print(f"orderbot: setting {exc}", file=sys.stderr)
        return 2
    return 0
