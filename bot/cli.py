"""Command line: run the bot, run only its scheduled jobs, import a catalog CSV, or run the
playground (`demo`, bot/playground/)."""

from __future__ import annotations

import argparse
import asyncio
import csv
import logging
import sys
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from telegram import Bot, Update
from telegram.error import InvalidToken, TelegramError

from bot.api.cli import COMMAND as API_KEY_COMMAND
from bot.api.cli import add_api_key_commands, run_api_key_command
from bot.app import build_application
from bot.catalog.csv_import import read_catalog_csv
from bot.data_cli import COMMANDS as DATA_COMMANDS
from bot.data_cli import add_data_commands, run_data_command
from bot.data_keys import check_data_keys, resolve_data_keys
from bot.logs import configure_from
from bot.settings import Settings, SettingsError, load_settings
from domain.checkout.shop import Shop
from domain.checkout.shop_base import ShopConfig
from domain.reactions import ORDER_FLOW
from domain.shared.clock import SystemClock
from domain.shared.errors import CatalogImportError
from storage.db import Database
from storage.migrate import upgrade

log = logging.getLogger("bot")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Telegram order bot")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot with long polling (the default)")
    sub.add_parser(
        "web",
        help="run the bot behind a webhook (WEBHOOK_URL, WEBHOOK_SECRET) on WEB_HOST:WEB_PORT, "
        "with /healthz, /readyz and /metrics; several may share one PostgreSQL",
    )
    imp = sub.add_parser("import-products", help="create or update products from a CSV file")
    imp.add_argument("file", type=Path)
    imp.add_argument(
        "--set-stock",
        action="store_true",
        help="also set existing products' on-hand stock from the file: shows the differences; "
        "with --yes, applies them (each one written to the inventory log)",
    )
    imp.add_argument("--yes", action="store_true", help="apply the differences --set-stock shows")
    sub.add_parser("migrate", help="apply database migrations and exit")
    demo = sub.add_parser(
        "demo",
        help="the playground: the whole shop in a browser, with no Telegram token or network",
    )
    from bot.playground.demo import add_arguments

    add_arguments(demo)
    sub.add_parser(
        "jobs",
        help="run only the scheduled jobs, without polling (one job runner for several bots)",
    )
    add_data_commands(sub)  # backup, restore, rotate-keys, new-key (bot/data_cli.py)
    add_api_key_commands(sub)  # the HTTP API's keys (bot/api/cli.py)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    if args.command == "demo":  # its own settings: no token, no .env
        from bot.playground.demo import main as demo

        return demo(args)
    try:
        settings = load_settings()
        if args.command in (None, "run", "jobs", "web"):
            settings.token()
        if args.command == "web":
            settings.webhook()
    except SettingsError as exc:
        print(f"orderbot: setting {exc}", file=sys.stderr)
        return 2
    # One line per business event, not the libraries'; text or JSON; no secrets (bot/logs.py).
    configure_from(settings)
    try:
        return _command(args, settings)
    except SettingsError as exc:  # DATA_KEYS refused by the stored data
        print(f"orderbot: setting {exc}", file=sys.stderr)
        return 2
    except StartupError as exc:  # a setting the outside world refused: one line, exit 2
        print(f"orderbot: {exc}", file=sys.stderr)
        return 2


class StartupError(Exception):
    """The database or Telegram refused what a setting names; the message names the setting."""


def _command(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "migrate":
        asyncio.run(open_database(settings))
        return 0
    if args.command == "import-products":
        if not args.file.is_file():
            print(f"orderbot: no such file: {args.file}", file=sys.stderr)
            return 2
        return asyncio.run(
            import_products(settings, args.file, set_stock=args.set_stock, yes=args.yes)
        )
    if args.command == API_KEY_COMMAND:
        asyncio.run(open_database(settings))
        return run_api_key_command(args, settings)
    if args.command in DATA_COMMANDS:
        return run_data_command(args, settings)
    if args.command == "jobs":
        return run_jobs(settings)
    if args.command == "web":
        return run_web(settings)
    return run(settings)


def run_web(settings: Settings) -> int:
    """Apply migrations, then serve the webhook, health and metrics until SIGTERM or SIGINT."""
    from bot.web.app import WebProcess, listening_socket, serve
    from bot.web.metrics import Metrics

    asyncio.run(open_database(settings))
    asyncio.run(check_token(settings))
    try:
        sock = listening_socket(settings.web_host, settings.web_port)
    except OSError as exc:
        raise StartupError(
            f"WEB_PORT: cannot listen on {settings.web_host}:{settings.web_port}: {exc.strerror}"
        ) from None
    metrics = Metrics()
    web = WebProcess(settings, build_application(settings, metrics=metrics), metrics)

    async def main() -> None:
        try:
            try:
                await web.start()
            except InvalidToken:
                raise StartupError(TOKEN_REJECTED) from None
            except TelegramError as exc:
                raise StartupError(f"WEBHOOK_URL: Telegram refused the webhook: {exc}") from None
            await serve(web.asgi, sock)
        finally:
            await web.stop()

    try:
        asyncio.run(main())
    finally:
        sock.close()
    return 0


def run(settings: Settings) -> int:
    """Apply migrations, then poll Telegram until stopped."""
    asyncio.run(open_database(settings))
    asyncio.run(check_token(settings))
    app = build_application(settings)
    try:
        app.run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:
        raise StartupError(TOKEN_REJECTED) from None
    log.info("bot stopped")
    return 0


async def check_token(settings: Settings) -> None:
    """Ask the Bot API who we are before anything else starts: a rejected token is one
    line, not PTB's retry loop's traceback. Other failures (no network) are left to that loop."""
    try:
        async with Bot(settings.token(), base_url=settings.api_base_url):
            pass  # entering calls getMe
    except InvalidToken:
        raise StartupError(TOKEN_REJECTED) from None
    except TelegramError as exc:
        log.warning("could not reach the Bot API yet: %s", exc)


def run_jobs(settings: Settings) -> int:
    """Apply migrations, then run the scheduled jobs until SIGTERM or SIGINT (no polling); on
    PostgreSQL a second runner waits on standby (bot/web/jobs.py)."""
    from bot.web.jobs import run_jobs_runner

    asyncio.run(open_database(settings))
    asyncio.run(check_token(settings))
    try:
        return asyncio.run(run_jobs_runner(settings))
    except InvalidToken:
        raise StartupError(TOKEN_REJECTED) from None
    except OSError as exc:  # JOBS_PORT taken
        raise StartupError(
            f"JOBS_PORT: cannot listen on {settings.web_host}:{settings.jobs_port}: {exc.strerror}"
        ) from None


TOKEN_REJECTED = "BOT_TOKEN: Telegram rejected the token; copy it again from @BotFather"


async def open_database(settings: Settings) -> None:
    """Apply migrations; a database that cannot be reached or opened is a StartupError that
    names DATABASE_URL (without its password) and the reason, in one line."""
    url = settings.database_url
    try:
        await asyncio.wait_for(upgrade(url), DATABASE_OPEN_TIMEOUT_S)
    except (SQLAlchemyError, OSError, TimeoutError, asyncpg.PostgresError) as exc:
        shown = make_url(url).render_as_string(hide_password=True)
        raise StartupError(
            f"DATABASE_URL: cannot open the database at {shown}: {_reason(exc)}"
        ) from None
    # Keys that do not decrypt the stored personal data end the program (SettingsError).
    db = Database(url, keys=resolve_data_keys(settings))
    try:
        await check_data_keys(db)
    finally:
        await db.dispose()


DATABASE_OPEN_TIMEOUT_S = 30


def _reason(exc: BaseException) -> str:
    """The driver's own reason for a database error, on one line."""
    if isinstance(exc, TimeoutError):
        return f"no answer within {DATABASE_OPEN_TIMEOUT_S} s"
    cause = getattr(exc, "orig", None) or exc
    text = str(cause).strip().splitlines()
    return (text[0] if text else type(cause).__name__)[:200]


async def import_products(
    settings: Settings, path: Path, *, set_stock: bool = False, yes: bool = False
) -> int:
    """Load a catalog CSV into the database: all rows or none. The file's stock is a new
    product's starting stock; existing products keep theirs unless --set-stock --yes."""
    try:
        drafts = read_catalog_csv(path, settings.currency)
    except CatalogImportError as exc:
        for line, message in exc.params["errors"]:
            print(f"{path}:{line}: {message}", file=sys.stderr)
        print("orderbot: nothing was imported", file=sys.stderr)
        return 1
    except (UnicodeDecodeError, csv.Error) as exc:
        print(f"orderbot: {path} is not a readable CSV file: {exc}", file=sys.stderr)
        return 1
    await open_database(settings)
    db = Database(settings.database_url)
    try:
        shop = Shop(
            db, SystemClock(), ShopConfig(settings.currency, settings.shipping), flow=ORDER_FLOW
        )
        differences = await shop.stock_differences(drafts)
        for draft, current in differences if set_stock else ():
            print(f"{draft.sku}: stock {current} -> {draft.stock} ({draft.stock - current:+d})")
        if set_stock and not yes:
            print(
                f"{len(differences)} stock differences shown; nothing was imported. "
                "Run again with --set-stock --yes to apply them."
            )
            return 0
        try:
            created, updated = await shop.import_catalog(
                drafts,
                actor="cli",
                reason=f"catalog import {path.name}",
                set_stock=set_stock,
            )
        except CatalogImportError as exc:
            for line, message in exc.params["errors"]:
                print(f"{path}:{line}: {message}", file=sys.stderr)
            print("orderbot: nothing was imported", file=sys.stderr)
            return 1
    finally:
        await db.dispose()
    print(f"Imported {len(drafts)} products: {created} new, {updated} updated.")
    if differences and not set_stock:
        print(
            f"Stock left as it is for {len(differences)} existing products whose stock in the "
            "file differs (the file's stock applies to new products; --set-stock to change it)."
        )
    return 0
