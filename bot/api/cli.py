"""`python -m bot api-key create NAME [--scope ...] | revoke NAME | list` (bot/cli.py calls
this after opening the database, so a bad setting or an unreachable database is one line and
exit code 2, as for every command)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from bot.api.keys import DEFAULT_SCOPES, SCOPES, ApiKeyError, ApiKeys
from bot.data_keys import resolve_data_keys
from bot.settings import Settings
from domain.shared.clock import SystemClock
from storage.db import Database

COMMAND = "api-key"


def add_api_key_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The api-key command and its three subcommands."""
    keys = sub.add_parser(
        COMMAND, help="create, revoke or list the HTTP API's keys (one per channel)"
    )
    actions = keys.add_subparsers(dest="key_action", required=True)
    create = actions.add_parser("create", help="create a key and print its token once")
    create.add_argument("name", help="the sales channel, e.g. webshop (a-z, 0-9, _ and -)")
    create.add_argument(
        "--scope",
        action="append",
        choices=SCOPES,
        default=[],
        help=f"what the key may do (repeat; default: {' '.join(DEFAULT_SCOPES)})",
    )
    revoke = actions.add_parser("revoke", help="revoke a key at once")
    revoke.add_argument("name")
    actions.add_parser("list", help="list the keys (never their tokens)")


def run_api_key_command(args: argparse.Namespace, settings: Settings) -> int:
    """Run one api-key subcommand; the exit code."""
    return asyncio.run(_run(args, settings))


async def _run(args: argparse.Namespace, settings: Settings) -> int:
    db = Database(settings.database_url, keys=resolve_data_keys(settings))
    keys = ApiKeys(db, SystemClock())
    try:
        if args.key_action == "create":
            created = await keys.create(args.name, args.scope)
            scopes = " ".join(sorted(created.key.scopes))
            print(f"API key {created.key.name} created, scopes: {scopes}")
            print("Token (shown only now; keep it secret, send it as 'Authorization: Bearer ...'):")
            print(created.token)
        elif args.key_action == "revoke":
            await keys.revoke(args.name)
            print(f"API key {args.name} revoked.")
        else:
            for key in await keys.listed():
                state = "revoked" if key.revoked_at else "active"
                used = (
                    key.last_used_at.isoformat(timespec="seconds") if key.last_used_at else "never"
                )
                print(
                    f"{key.name}\t{key.prefix}…\t{state}\t{' '.join(sorted(key.scopes))}"
                    f"\tcreated {key.created_at.isoformat(timespec='seconds')}\tlast used {used}"
                )
    except ApiKeyError as exc:
        print(f"orderbot: {exc}", file=sys.stderr)
        return 1
    finally:
        await db.dispose()
    return 0
