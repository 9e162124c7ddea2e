"""What "every update takes effect once" costs per update (issue 11): an update that reads in
one transaction and changes a row in another, with and without the (bot id, update id) mark
that makes the first transaction look for the update and the first write record it.

Rounds alternate (without, with) so machine noise hits both alike; the best round of each is
printed, with the difference per update. bench/checkout_vs_echo.py shows the whole journey, but
its noise on a shared machine is larger than this difference.

    .venv/bin/python bench/replay_cost.py
    .venv/bin/python bench/replay_cost.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/orderbot_test
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from storage.db import Database
from storage.migrate import upgrade
from storage.updates import handling

SCRATCH = 987_654  # a category row the bench changes, removed at the end


async def measure(url: str, updates: int, rounds: int) -> tuple[float, float]:
    await upgrade(url)
    db = Database(url)
    async with db.uow() as uow:
        await uow.session.execute(
            text(
                "INSERT INTO categories (id, name, position) VALUES (:id, 'replay-cost bench', 0)"
            ),
            {"id": SCRATCH},
        )
        await uow.commit()

    async def update(marked: bool, update_id: int) -> None:
        async def handle() -> None:
            async with db.uow(readonly=True) as uow:
                await uow.customers.get(1)
            async with db.uow() as uow:
                await uow.session.execute(
                    text("UPDATE categories SET position = position + 1 WHERE id = :id"),
                    {"id": SCRATCH},
                )
                await uow.commit()

        if marked:
            with handling(SCRATCH, update_id):
                await handle()
        else:
            await handle()

    best = {False: float("inf"), True: float("inf")}
    try:
        for round_ in range(rounds):
            for marked in (False, True):
                started = time.perf_counter()
                for i in range(updates):
                    await update(marked, round_ * updates + i)
                per = (time.perf_counter() - started) / updates * 1000
                best[marked] = min(best[marked], per)
    finally:
        async with db.uow() as uow:
            await uow.session.execute(
                text("DELETE FROM categories WHERE id = :id"), {"id": SCRATCH}
            )
            await uow.session.execute(
                text("DELETE FROM handled_updates WHERE bot_id = :id"), {"id": SCRATCH}
            )
            await uow.commit()
        await db.dispose()
    return best[False], best[True]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
        plain, marked = asyncio.run(measure(url, args.updates, args.rounds))
    backend = url.split("+")[0]
    print(f"{backend}: an update with a read and a write transaction (best of {args.rounds})")
    print(f"  without the mark: {plain:.3f} ms   with it: {marked:.3f} ms")
    print(
        f"  cost of taking effect once: {marked - plain:+.3f} ms per update "
        "(one SELECT and one INSERT; target: small beside the handler's own work)"
    )


if __name__ == "__main__":
    main()
