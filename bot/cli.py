"""Command line: run the bot, run only its scheduled jobs, import a catalog CSV, or run the
playground (`demo`, bot/playground/)."""

from __future__ import annotations

import argparse
import asyncio
import csv
import logging
import signal
import sys
from pathlib import Path

from telegram import Update

from bot.app import build_application
from bot.catalog.csv_import import read_catalog_csv
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
    imp = sub.add_parser("import-products", help="create or update products from a CSV file")
    imp.add_argument("file", type=Path)
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
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    if args.command == "demo":  # its own settings: no token, no .env
        from bot.playground.demo import main as demo

        return demo(args)
    try:
        settings = load_settings()
        if args.command in (None, "run", "jobs"):
            settings.token()
    except SettingsError as exc:
        print(f"orderbot: setting {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)
    if args.command == "migrate":
        asyncio.run(upgrade(settings.database_url))
        return 0
    if args.command == "import-products":
        if not args.file.is_file():
            print(f"orderbot: no such file: {args.file}", file=sys.stderr)
            return 2
        return asyncio.run(import_products(settings, args.file))
    if args.command == "jobs":
        return run_jobs(settings)
    return run(settings)


def run(settings: Settings) -> int:
    """Apply migrations, then poll Telegram until stopped."""
    asyncio.run(upgrade(settings.database_url))
    app = build_application(settings)
    app.run_polling(allowed_updates=Update.ALL_TYPES)
    return 0


def run_jobs(settings: Settings) -> int:
    """Apply migrations, then run the scheduled jobs until SIGTERM or SIGINT (no polling)."""
    asyncio.run(upgrade(settings.database_url))
    asyncio.run(_jobs_only(settings))
    return 0


async def _jobs_only(settings: Settings) -> None:
    app = build_application(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await app.initialize()
    # Started without an updater: nothing is polled, but payment updates the inbox job
    # replays are still handled here.
    await app.start()
    jobs = app.bot_data.jobs
    jobs.start()
    log.info("job runner started: %s", ", ".join(jobs.intervals))
    try:
        await stop.wait()
    finally:
        await jobs.stop()
        await app.stop()
        await app.shutdown()
        if app.post_shutdown:
            await app.post_shutdown(app)
    log.info("job runner stopped")


async def import_products(settings: Settings, path: Path) -> int:
    """Load a catalog CSV into the database: all rows or none."""
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
    await upgrade(settings.database_url)
    db = Database(settings.database_url)
    try:
        shop = Shop(
            db, SystemClock(), ShopConfig(settings.currency, settings.shipping), flow=ORDER_FLOW
        )
        try:
            created, updated = await shop.import_catalog(drafts)
        except CatalogImportError as exc:
            for line, message in exc.params["errors"]:
                print(f"{path}:{line}: {message}", file=sys.stderr)
            print("orderbot: nothing was imported", file=sys.stderr)
            return 1
    finally:
        await db.dispose()
    print(f"Imported {len(drafts)} products: {created} new, {updated} updated.")
    return 0
