"""How long a Confirm holds the product's stock row (issue 13). The stock reservation is one
conditional UPDATE of the product's row; on PostgreSQL it locks that row until the order's
transaction commits, so in a flash sale every other order of the product waits through each
order's statements from its reservation to its commit (bench/flash_sale.py: 1,000 buyers for
100 units). The reservation is therefore the order's last write but for those that need it
(domain/checkout/placing.py): counted here on the real bot's engine,
on SQLite and on PostgreSQL, for a cash-on-delivery order to a new address that crosses the
product's low-stock mark (so its alert is queued too)."""

from __future__ import annotations

import collections
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from storage import updates
from tests.e2e import harness
from tests.e2e.harness import ADMIN_CHAT, BotUnderTest, Person, running_bot

# Statements of the Confirm's transaction after its reservation: the low-stock alert (read
# from the row the reservation returned) and the two rollup upserts, which on PostgreSQL are one
# statement for an order of one product (the hour's upsert a CTE of the day's: 3 before). On
# PostgreSQL the outbox's wake-up (NOTIFY) went with the admin's alert, before the reservation
# (4 statements before).
# Before that: 20 on SQLite, 21 on PostgreSQL (the order's own rows, its events, the address,
# the cart, the checkout, the customer, the admin chat's alert and a read of the product were
# written or read while holding the row).
HOLD_BUDGET = {"sqlite": 3, "postgres": 2}
RESERVATION = "UPDATE products SET reserved"


@pytest.fixture(params=["sqlite", "postgres"])
async def shop(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[str, BotUnderTest]]:
    """The bot on a fresh SQLite file or PostgreSQL database (TEST_DATABASE_URL), with 7
    Keemun left and a low-stock threshold of 5, so that an order of 2 crosses it."""
    settings: dict[str, Any] = {}
    if request.param == "postgres":
        async with harness.fresh_pg_shop(monkeypatch) as settings:
            async with running_bot(tmp_path, stock={"TEA-BLACK-100": 7}, **settings) as bot:
                bot.api.add_group(ADMIN_CHAT, "Tea House admins")
                yield request.param, bot
        return
    async with running_bot(tmp_path, stock={"TEA-BLACK-100": 7}) as bot:
        bot.api.add_group(ADMIN_CHAT, "Tea House admins")
        yield request.param, bot


class Statements:
    """The SQL of each update the bot handles, from its engine."""

    def __init__(self, bot: BotUnderTest) -> None:
        assert bot.app is not None
        self.seen: dict[int, list[str]] = collections.defaultdict(list)
        event.listen(bot.app.bot_data.db.engine.sync_engine, "before_cursor_execute", self._add)

    def _add(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        claim = updates._current.get()
        if claim is not None:
            self.seen[claim.update_id].append(" ".join(statement.split()))


async def test_a_confirm_holds_the_products_row_for_few_statements(
    shop: tuple[str, BotUnderTest],
) -> None:
    backend, bot = shop
    alice = Person(bot, bot.api.add_user(1001, "Alice", language_code="en"))
    await alice.say("/start")
    await alice.tap("Catalog")
    await alice.tap("Tea")
    await alice.tap("Keemun")
    await alice.tap("➕")
    await alice.tap("Add 2 to cart")
    await alice.tap("Cart")
    await alice.tap("Checkout")
    await alice.say("Alice Smith")
    await alice.share_contact("12025550143")
    await alice.say("1 Main Street, Springfield, IL 62701")
    await alice.tap("Cash on delivery")
    statements = Statements(bot)
    await alice.tap("Confirm order")
    assert "placed" in (alice.screen.text or ""), alice.transcript()

    sql = statements.seen[max(bot._done)]
    [reservation] = [i for i, s in enumerate(sql) if s.startswith(RESERVATION)]
    held = [s[:60] for s in sql[reservation + 1 :] if not s.startswith(("COMMIT", "RELEASE"))]
    assert len(held) <= HOLD_BUDGET[backend], (
        f"{len(held)} statements between the reservation and the commit, budget "
        f"{HOLD_BUDGET[backend]}:\n  " + "\n  ".join(held)
    )
    # what the row was held for still happened: the low-stock alert reached the admin chat
    await bot.outbox_drained()
    admin = [m.text or "" for m in bot.api.chat(ADMIN_CHAT).bot_messages()]
    assert any("Low stock" in m and "TEA-BLACK-100" in m and "5 available" in m for m in admin), (
        admin
    )
