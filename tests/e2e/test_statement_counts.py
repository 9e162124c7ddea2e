"""SQL statements and transactions per update on the checkout journey (issue 13): the bot's CPU
per update follows them (each statement costs SQLAlchemy's work and a trip to the database's
thread, each transaction a session, a BEGIN and its end), so a change that adds some to a hot
step fails here. Counted with a SQLAlchemy listener on the real bot's engine, per update id
(statements of the outbox and other jobs belong to no update and are left out). The figures
and their targets are in bench/checkout_vs_echo.py and bench/flash_sale.py."""

from __future__ import annotations

import collections
from typing import Any

from sqlalchemy import event

from storage import updates
from tests.e2e.harness import BotUnderTest, Person

# step -> (statements at most, transactions at most), measured when issue 13 closed (before
# it, BEGIN not counted: card ➕ 3 in 2, Add 6 in 1, cart ➕ 7 in 2, typed steps 15 in 4,
# contact 13 in 2, payment 9 in 1, Confirm 20 in 1 plus the order's rollups)
BUDGET = {
    "card ➕": (3, 1),
    "Add 1 to cart": (4, 1),
    "cart ➕": (3, 1),
    "Checkout": (5, 1),
    "recipient": (8, 4),
    "contact": (7, 2),  # + the customer's own number kept as verified (issue 17)
    "address": (8, 4),
    "Cash on delivery": (4, 1),
    "Confirm order": (28, 1),
}


class Counter:
    def __init__(self, bot: BotUnderTest) -> None:
        assert bot.app is not None
        engine = bot.app.bot_data.db.engine.sync_engine
        self.statements: collections.Counter[int] = collections.Counter()
        self.transactions: collections.Counter[int] = collections.Counter()
        self.seen: dict[int, list[str]] = collections.defaultdict(list)
        event.listen(engine, "before_cursor_execute", self._statement)

    @staticmethod
    def _update() -> int | None:
        claim = updates._current.get()
        return None if claim is None else claim.update_id

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        update = self._update()
        if update is None:
            return
        if statement.startswith("BEGIN"):
            self.transactions[update] += 1
        else:
            self.statements[update] += 1
        self.seen[update].append(" ".join(statement.split()[:6]))

    def last(self, bot: BotUnderTest) -> tuple[int, int, list[str]]:
        """The counts of the update the bot handled last."""
        update = max(bot._done)
        return self.statements[update], self.transactions[update], self.seen[update]


async def test_the_checkout_journey_keeps_its_statement_budget(
    bot: BotUnderTest, alice: Person
) -> None:
    counter = Counter(bot)
    await alice.say("/start")
    await alice.tap("Catalog")
    await alice.tap("Tea")
    await alice.tap("Keemun")
    measured: dict[str, tuple[int, int, list[str]]] = {}

    async def step(name: str, act: Any) -> None:
        await act
        measured[name] = counter.last(bot)

    await step("card ➕", alice.tap("➕"))
    await step("Add 1 to cart", alice.tap("Add 2 to cart"))
    await alice.tap("Cart")
    await step("cart ➕", alice.tap("➕"))
    await step("Checkout", alice.tap("Checkout"))
    await step("recipient", alice.say("Alice Smith"))
    await step("contact", alice.share_contact("12025550143"))
    await step("address", alice.say("1 Main Street, Springfield, IL 62701"))
    await step("Cash on delivery", alice.tap("Cash on delivery"))
    placed = alice.tap("Confirm order")
    await step("Confirm order", placed)
    assert "placed" in (alice.screen.text or ""), alice.transcript()

    over = {
        name: (statements, transactions, BUDGET[name], sql)
        for name, (statements, transactions, sql) in measured.items()
        if statements > BUDGET[name][0] or transactions > BUDGET[name][1]
    }
    assert not over, "\n".join(
        f"{name}: {s} statements in {t} transactions, budget {b}:\n  " + "\n  ".join(sql)
        for name, (s, t, b, sql) in over.items()
    )
