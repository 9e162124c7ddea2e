"""CPU per call of the checkout journey's hot repository methods, this tree against another
(issue 13): building a statement cost more than running it, so each method is timed as the
bot calls it, inside an open unit of work, with time.process_time (the whole process: on
SQLite that includes aiosqlite's thread; PostgreSQL's own CPU is the server's, left out).

Each tree runs in a child process of its own (its code, on a database migrated and seeded the
same way), and the trees take turns, round after round, so machine noise hits both alike.
Printed: the median microseconds per call of each method in each tree.

    git worktree add /tmp/before HEAD~1
    .venv/bin/python bench/statement_cost.py --before /tmp/before --calls 2000 --rounds 3
    .venv/bin/python bench/statement_cost.py --before /tmp/before \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/statement_cost
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

CUSTOMER = 1
WARM_UP = 200


async def _seed(url: str) -> dict[str, int]:
    """A customer with a two-line cart, a checkout, a chat dialog and an after-sales draft."""
    from domain.after_sales.records import Draft, DraftKind
    from domain.checkout.flow import Checkout, CheckoutDraft, CheckoutStep
    from domain.shared.dialogs import Dialog, DialogKind
    from storage.base import utcnow
    from tests.integration.helpers import add_customer, draft, seed_catalog

    db = _database(url)
    try:
        ids = await seed_catalog(
            db, draft("A", category="Tea", stock=10**9), draft("B", category="Tea")
        )
        await add_customer(db, CUSTOMER)
        async with db.uow() as uow:
            await uow.carts.set_quantity(CUSTOMER, ids["A"], 2)
            await uow.carts.set_quantity(CUSTOMER, ids["B"], 1)
            await uow.checkouts.save(
                Checkout(
                    customer_id=CUSTOMER,
                    token="t" * 16,
                    step=CheckoutStep.ENTER_RECIPIENT,
                    draft=CheckoutDraft(new_address=True),
                    updated_at=utcnow(),
                )
            )
            await uow.dialogs.save(
                Dialog(CUSTOMER, CUSTOMER, DialogKind.NOTE, "d" * 16, "text", {"order": 1})
            )
            await uow.after_sales.save_draft(
                Draft(CUSTOMER, DraftKind.TRACKING, "a" * 16, "carrier", {"order": 1})
            )
            await uow.commit()
        async with db.uow(readonly=True) as uow:
            [category] = await uow.products.categories()
        return {"product": ids["A"], "category": category.id}
    finally:
        await db.dispose()


def _database(url: str) -> Any:
    from storage.db import Database
    from tests.dbsetup import TEST_KEYS

    return Database(url, keys=TEST_KEYS)


async def _child(url: str, calls: int) -> dict[str, float]:
    """Microseconds of CPU per call of each method, in this process's tree."""
    from domain.checkout.model import Address
    from domain.shared.paging import Page
    from storage.migrate import upgrade

    if url.startswith("postgresql"):
        from tests.dbsetup import truncate_all

        await upgrade(url)
        await truncate_all(url)
    else:
        await upgrade(url)
    ids = await _seed(url)
    db = _database(url)
    results: dict[str, float] = {}

    async def timed(name: str, readonly: bool, call: Callable[[Any, int], Awaitable[Any]]) -> None:
        async with db.uow(readonly=readonly) as uow:
            for i in range(WARM_UP):
                await call(uow, i)
            start = time.process_time()
            for i in range(calls):
                await call(uow, i)
            results[name] = (time.process_time() - start) / calls * 1e6

    async def get_then_save(uow: Any, i: int) -> None:
        # a step's write: the checkout read locked, changed, saved (contact, Confirm)
        checkout = await uow.checkouts.get(CUSTOMER, for_update=True)
        at = checkout.updated_at + timedelta(microseconds=1)
        await uow.checkouts.save(replace(checkout, updated_at=at))

    async def save_new(uow: Any, i: int) -> None:
        # Checkout: a new checkout saved over whatever was there, unread
        from domain.checkout.flow import Checkout, CheckoutDraft, CheckoutStep
        from storage.base import utcnow

        await uow.checkouts.save(
            Checkout(
                CUSTOMER,
                f"{i:016d}",
                CheckoutStep.ENTER_RECIPIENT,
                CheckoutDraft(),
                0,
                None,
                utcnow(),
            )
        )

    page = Page(0, 6)
    address = Address(0, CUSTOMER, "Ann Smith", "+14155552671", "1 Main Street")
    try:
        await timed("checkouts.get", True, lambda u, i: u.checkouts.get(CUSTOMER))
        await timed(
            "checkouts.get(for_update)",
            False,
            lambda u, i: u.checkouts.get(CUSTOMER, for_update=True),
        )
        await timed("checkouts.get + save", False, get_then_save)
        await timed("checkouts.save (unread)", False, save_new)
        await timed("addresses.count", True, lambda u, i: u.addresses.count(CUSTOMER))
        await timed("addresses.add (known)", False, lambda u, i: u.addresses.add(address))
        await timed("products.get", True, lambda u, i: u.products.get(ids["product"]))
        await timed("products.categories", True, lambda u, i: u.products.categories())
        await timed("products.category", True, lambda u, i: u.products.category(ids["category"]))
        await timed(
            "products.in_category", True, lambda u, i: u.products.in_category(ids["category"], page)
        )
        await timed(
            "products.reserve_and_read",
            False,
            lambda u, i: u.products.reserve_and_read(ids["product"], 1),
        )
        await timed("carts.get", True, lambda u, i: u.carts.get(CUSTOMER))
        await timed("carts.remove", False, lambda u, i: u.carts.remove(CUSTOMER, 0))
        await timed(
            "carts.set_quantity",
            False,
            lambda u, i: u.carts.set_quantity(CUSTOMER, ids["product"], 1 + i % 3),
        )
        await timed("dialogs.get", True, lambda u, i: u.dialogs.get(CUSTOMER, CUSTOMER))
        await timed("after_sales.get_draft", True, lambda u, i: u.after_sales.get_draft(CUSTOMER))
        await timed(
            "after_sales.get_draft(for_update)",
            False,
            lambda u, i: u.after_sales.get_draft(CUSTOMER, for_update=True),
        )
    finally:
        await db.dispose()
    return results


def _run_child(tree: Path, url: str | None, calls: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        database = url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        env = dict(os.environ, PYTHONPATH=str(tree))
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                "--database-url",
                database,
                "--calls",
                str(calls),
            ],
            cwd=tree,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return dict(json.loads(out.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="PostgreSQL database to use (default: SQLite)")
    parser.add_argument("--before", type=Path, help="the other tree (a git worktree)")
    parser.add_argument(
        "--after", type=Path, help="the tree measured as 'after' (default: this one)"
    )
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        sys.path.insert(0, os.getcwd())
        print(json.dumps(asyncio.run(_child(args.database_url, args.calls))))
        return
    here = args.after or Path(__file__).resolve().parents[1]
    trees = {"after": here} if args.before is None else {"before": args.before, "after": here}
    figures: dict[str, dict[str, list[float]]] = {name: {} for name in trees}
    for _ in range(args.rounds):
        for name, tree in trees.items():
            for method, us in _run_child(tree.resolve(), args.database_url, args.calls).items():
                figures[name].setdefault(method, []).append(us)
    methods = list(figures["after"])
    print(f"{'method':28} " + " ".join(f"{name:>10}" for name in trees) + "   (us CPU per call)")
    for method in methods:
        cells = [
            statistics.median(figures[name][method]) if method in figures[name] else float("nan")
            for name in trees
        ]
        print(f"{method:28} " + " ".join(f"{c:10.0f}" for c in cells))


if __name__ == "__main__":
    main()
