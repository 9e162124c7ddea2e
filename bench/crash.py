"""Crash test: real bot processes (`python -m bot`) killed with SIGKILL while customers check
out and pay by card at once, against the local Bot API server over HTTP.

Each customer goes /start -> catalog -> product -> add -> cart -> checkout -> name -> phone
-> address -> card -> confirm -> pre-checkout -> pays. A step whose answer does not come (the
process died) is repeated, as a person would tap again. Meanwhile the bot process is killed
with SIGKILL every --kill-every seconds (jittered) and started again at once. Afterwards the
last process runs until every payment is recorded and the outbox is empty (or --settle
seconds pass), and the script prints, beside the targets:

- lost paid orders (a charge Telegram reported with no payment recorded): target 0
- duplicate orders (a customer with more than one order): target 0
- oversold units (stock or reservations below zero, or more reserved than on hand): target 0
- outbox rows never delivered: target 0
- messages Telegram received twice, per outbox messages sent: as few as the design allows

    .venv/bin/python bench/crash.py --customers 300 --kills 20 --kill-every 4 --settle 900
    .venv/bin/python bench/crash.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/orderbot_test

Figures, never pass/fail on time. tests/e2e/test_crash.py runs a short version and asserts the
invariants (not the duplicate count).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import os
import random
import re
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select

from bot.botapi.server import FakeBotApi
from bot.botapi.sim import SimMessage, SimUser
from domain.promotions.service import Promotions
from domain.shared.clock import SystemClock
from storage.crypto import DataKeys
from storage.db import Database
from storage.tables.catalog import ProductRow
from storage.tables.orders import OrderRow
from storage.tables.outbox import OutboxRow
from storage.tables.payments import PaymentRow
from storage.tables.promotions import PromoCodeRow, PromoRedemptionRow
from tests.e2e.harness import ADMIN_CHAT, TOKEN, seed_demo_catalog

PROVIDER_TOKEN = "284685063:TEST:payments-provider"
STEP_WAIT_S = 8.0
TRIES = 6
NUMBER = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}")


@dataclass
class Results:
    kills: int = 0
    customers: int = 0
    stuck: int = 0
    # where journeys were given up (the text sent or the button tapped whose answer never came),
    # and the end of the bot's stderr when any was: a failed run says why
    given_up_at: collections.Counter[str] = field(default_factory=collections.Counter)
    bot_log_tail: list[str] = field(default_factory=list)
    charges: list[str] = field(default_factory=list)
    lost_paid: int = 0
    duplicate_orders: int = 0
    oversold: int = 0
    undelivered: int = 0
    outbox_sent: int = 0
    duplicate_sends: int = 0
    settle_s: float = 0.0
    # issue 16 under kills: every order keeps the delivery method and the code it was placed
    # with, and the code's uses are exactly its orders' redemptions (none lost, none doubled)
    orders: int = 0
    without_method: int = 0
    without_code: int = 0
    code_uses: int = 0
    redemptions: int = 0


class BotProcess:
    """`python -m bot` polling the local server; killed and restarted at will."""

    def __init__(self, api: FakeBotApi, database_url: str, workdir: Path) -> None:
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE"))},
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": api.url,
            "DATABASE_URL": database_url,
            "ADMIN_CHAT_ID": str(ADMIN_CHAT),
            "CURRENCY": "USD",
            "SHIPPING_FEE": "5.00",
            # One delivery method serving every address: taken without a question (so the
            # journey has no extra step), snapshotted on every order.
            "SHIPPING_METHODS": SHIPPING_METHODS,
            "PAYMENT_PROVIDER_TOKEN": PROVIDER_TOKEN,
            "OUTBOX_POLL_SECONDS": "2",
            # Crashes, not Telegram's pace, are measured here: the local server sets no flood
            # limits, so the outbox may send as fast as it can (bench/notifications.py paces).
            "OUTBOX_RATE_PER_SECOND": "1000",
            "OUTBOX_PRIVATE_PER_SECOND": "100",
            "OUTBOX_GROUP_PER_MINUTE": "6000",
            "LOG_LEVEL": "WARNING",
        }
        self.workdir = workdir
        self.log = workdir / "bot.log"  # every start's stderr, one after the other
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self.log.open("ab") as err:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                cwd=self.workdir,
                env=self.env,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=err,
            )

    def log_tail(self, lines: int = 20) -> list[str]:
        if not self.log.exists():
            return []
        return self.log.read_text(errors="replace").splitlines()[-lines:]

    async def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)
            await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 30)
            except TimeoutError:
                await self.kill()


class Customer:
    def __init__(self, api: FakeBotApi, user: SimUser, results: Results) -> None:
        self.api = api
        self.user = user
        self.results = results
        self.at = ""  # the step under way: the text sent or the button tapped

    def chat(self) -> list[SimMessage]:
        return self.api.chat(self.user.id).bot_messages()

    def seen(self, marker: str) -> SimMessage | None:
        """The newest bot message whose text or buttons contain `marker`."""
        for message in reversed(self.chat()):
            if marker in (message.body or "") or any(
                marker in label for row in message.buttons for label in row
            ):
                return message
        return None

    def count(self, marker: str) -> int:
        return sum(marker in (m.body or "") for m in self.chat())

    async def step(self, act: Callable[[], Any], done: Callable[[], Any]) -> bool:
        """Act, then wait for the answer; act again when none comes (the process died)."""
        for _ in range(TRIES):
            try:
                await act()
            except LookupError:  # the button is not on screen (yet): look again
                await asyncio.sleep(0.3)
                continue
            with contextlib.suppress(TimeoutError):
                await self.api.wait_for(lambda _api: done(), STEP_WAIT_S)
                return True
        return False

    async def tap(self, label: str, done: Callable[[], Any]) -> bool:
        self.at = f"tap {label!r}"

        async def act() -> None:
            message = self.seen(label)
            if message is None:
                raise LookupError(label)
            await self.user.tap(message, label, exact=False)

        return await self.step(act, done)

    async def say(self, text: str, done: Callable[[], Any]) -> bool:
        self.at = f"say {text!r}"

        async def act() -> None:
            await self.user.send_text(text)

        return await self.step(act, done)

    async def journey(self) -> None:
        n = self.count
        steps = [
            lambda: self.say("/start", lambda: self.seen("Catalog")),
            lambda: self.tap("Catalog", lambda: self.seen("Tea (")),
            lambda: self.tap("Tea (", lambda: self.seen("Keemun")),
            lambda: self.tap("Keemun", lambda: self.seen("Add 1 to cart")),
            lambda: self.tap("Add 1 to cart", lambda: self.seen("In your cart")),
            lambda: self.tap("Cart", lambda: self.seen("Checkout")),
            lambda: self.tap("Checkout", lambda: self.seen("Who will receive")),
            lambda: self.say("Crash Tester", lambda: n("phone number") > 0),
            lambda: self.say("+12025550143", lambda: self.seen("delivery address")),
            lambda: self.say("1 Main Street, Springfield, IL 62701", lambda: self.seen("card")),
            lambda: self.tap("card", lambda: self.seen("Confirm order")),
            lambda: self.tap("Have a code?", lambda: self.seen("Send the code")),
            lambda: self.say(PROMO_CODE, lambda: self.seen(f"Discount ({PROMO_CODE})")),
            lambda: self.tap("Confirm order", lambda: self._invoice()),
        ]
        for make in steps:
            if not await make():
                self.give_up()
                return
        invoice = self._invoice()
        assert invoice is not None
        self.at = "pre-checkout"
        answered = await self._pre_checkout(invoice)
        if not answered:
            self.give_up()
            return
        charge = f"crash-{self.user.id}-{random.getrandbits(32):08x}"
        self.results.charges.append(charge)
        # Telegram reports a payment once; the bot's inbox must not lose it.
        await self.user.successful_payment(invoice, telegram_payment_charge_id=charge)

    def give_up(self) -> None:
        self.results.stuck += 1
        self.results.given_up_at[self.at] += 1

    def _invoice(self) -> SimMessage | None:
        invoices = [m for m in self.chat() if m.kind == "invoice"]
        return invoices[-1] if invoices else None

    async def _pre_checkout(self, invoice: SimMessage) -> bool:
        for _ in range(TRIES):
            update = await self.user.pre_checkout(invoice)
            query_id = update["pre_checkout_query"]["id"]
            with contextlib.suppress(TimeoutError):
                answer = await self.api.wait_for(answered(query_id), STEP_WAIT_S)
                return bool(answer.get("ok"))
        return False


def answered(query_id: str) -> Callable[[FakeBotApi], dict[str, Any] | None]:
    """The bot's answer to the pre-checkout query, once it came."""
    return lambda api: api.pre_checkout_answers.get(query_id)


async def killer(bot: BotProcess, results: Results, kills: int, every: float) -> None:
    for _ in range(kills):
        await asyncio.sleep(every * random.uniform(0.5, 1.5))
        await bot.kill()
        results.kills += 1
        await bot.start()


async def settle(db: Database, results: Results, seconds: float) -> None:
    """Wait for the last process to record every payment and empty the outbox."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        async with db.uow(readonly=True) as uow:
            recorded = await uow.session.scalar(
                select(func.count())
                .select_from(PaymentRow)
                .where(PaymentRow.telegram_charge_id.in_(results.charges or ["-"]))
            )
            pending = await uow.outbox.pending_count()
        if recorded == len(results.charges) and pending == 0:
            break
        await asyncio.sleep(0.5)
    results.settle_s = time.monotonic() - started


async def check(db: Database, api: FakeBotApi, results: Results) -> None:
    async with db.uow(readonly=True) as uow:
        s = uow.session
        recorded = set(
            (
                await s.scalars(
                    select(PaymentRow.telegram_charge_id).where(
                        PaymentRow.telegram_charge_id.in_(results.charges or ["-"])
                    )
                )
            ).all()
        )
        results.lost_paid = len(set(results.charges) - recorded)
        per_customer = collections.Counter((await s.scalars(select(OrderRow.customer_id))).all())
        results.duplicate_orders = sum(n - 1 for n in per_customer.values() if n > 1)
        products = (await s.scalars(select(ProductRow))).all()
        results.oversold = sum(
            1 for p in products if p.stock < 0 or p.reserved < 0 or p.reserved > p.stock
        )
        orders = (await s.scalars(select(OrderRow))).all()
        results.orders = len(orders)
        results.without_method = sum(1 for o in orders if not o.shipping_method)
        results.without_code = sum(1 for o in orders if o.promo_code != PROMO_CODE)
        results.code_uses = int(
            await s.scalar(select(PromoCodeRow.uses).where(PromoCodeRow.code == PROMO_CODE)) or 0
        )
        results.redemptions = int(
            await s.scalar(
                select(func.count())
                .select_from(PromoRedemptionRow)
                .where(PromoRedemptionRow.returned_at.is_(None))
            )
            or 0
        )
        results.undelivered = int(
            await s.scalar(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.sent_at.is_(None))
            )
            or 0
        )
        results.outbox_sent = int(
            await s.scalar(
                select(func.count()).select_from(OutboxRow).where(OutboxRow.sent_at.is_not(None))
            )
            or 0
        )
    # Outbox messages carry an order number: the same text to the same chat twice is a
    # message Telegram received twice (alerts in the admin chat, receipts to customers).
    sent = collections.Counter(
        (call.params.get("chat_id"), call.params.get("text"))
        for call in api.calls("sendMessage")
        if NUMBER.search(str(call.params.get("text") or ""))
        and (
            str(call.params.get("chat_id")) == str(ADMIN_CHAT)
            or "Payment received" in str(call.params.get("text"))
        )
    )
    results.duplicate_sends = sum(n - 1 for n in sent.values() if n > 1)


async def run(
    customers: int,
    kills: int,
    every: float,
    settle_s: float,
    database_url: str | None,
    concurrency: int = 20,
) -> Results:
    results = Results(customers=customers)
    with tempfile.TemporaryDirectory() as tmp:
        url = database_url or f"sqlite+aiosqlite:///{tmp}/shop.db"
        await seed_demo_catalog(url, stock=dict.fromkeys(KNOWN_SKUS, 10_000))
        await seed_code(url)
        api = FakeBotApi(token=TOKEN)
        await api.start()
        api.add_group(ADMIN_CHAT, "Tea House admins")
        users = [
            api.add_user(70_000 + i, f"Tester{i}", language_code="en") for i in range(customers)
        ]
        bot = BotProcess(api, url, Path(tmp))
        await bot.start()
        db = Database(url)
        try:
            shoppers = [Customer(api, user, results) for user in users]
            at_once = asyncio.Semaphore(concurrency)

            async def shop(customer: Customer) -> None:
                async with at_once:
                    await customer.journey()

            kill_task = asyncio.create_task(killer(bot, results, kills, every))
            await asyncio.gather(*(shop(s) for s in shoppers))
            await kill_task
            await settle(db, results, settle_s)
            await check(db, api, results)
        finally:
            await bot.stop()
            await db.dispose()
            await api.stop()
            if results.stuck:
                results.bot_log_tail = bot.log_tail()
    return results


KNOWN_SKUS = ("TEA-BLACK-100",)  # Keemun: what every customer buys
PROMO_CODE = "CRASH10"  # every customer enters it before Confirm
SHIPPING_METHODS = '[{"code": "std", "name": "Standard", "fee": "5.00"}]'


async def seed_code(url: str, keys: DataKeys | None = None) -> None:
    """The code, made as the merchant's /promo_new makes one (the same use case); `keys`: the
    database's personal-data keys when its processes are given DATA_KEYS (the audit entry
    names the admin). bench/webhook_cluster.py seeds its shop with it too."""
    db = Database(url, keys=keys)
    try:
        await Promotions(db, SystemClock(), "USD", ZoneInfo("UTC")).create(
            f"{PROMO_CODE} 10%", ADMIN_CHAT
        )
    finally:
        await db.dispose()


def given_up(r: Results) -> None:
    """Where journeys were given up, and the end of the bot's stderr (when kept)."""
    if r.given_up_at:
        print("given up at: " + ", ".join(f"{at} ({n})" for at, n in r.given_up_at.most_common()))
    if r.bot_log_tail:
        print("the bot's stderr ended with:", *r.bot_log_tail, sep="\n  ")


def report(r: Results) -> None:
    print(f"{r.customers} customers, {r.kills} SIGKILLs, {r.stuck} journeys given up")
    given_up(r)
    print(f"charges reported by Telegram: {len(r.charges)}; settled in {r.settle_s:.1f} s")
    print(f"lost paid orders:        {r.lost_paid:>5}   (target 0)")
    print(f"duplicate orders:        {r.duplicate_orders:>5}   (target 0)")
    print(f"oversold products:       {r.oversold:>5}   (target 0)")
    print(f"outbox rows undelivered: {r.undelivered:>5}   (target 0)")
    print(f"orders without method:   {r.without_method:>5}   of {r.orders} (target 0)")
    print(f"orders without the code: {r.without_code:>5}   of {r.orders} (target 0)")
    print(f"code uses, redemptions:  {r.code_uses:>5}, {r.redemptions}   (target {r.orders} each)")
    print(
        f"duplicate sends:         {r.duplicate_sends:>5}   per {r.outbox_sent} outbox messages "
        "(target: as few as the design allows)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=60)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--kill-every", type=float, default=2.0, help="seconds, jittered")
    parser.add_argument("--settle", type=float, default=90.0)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--concurrency", type=int, default=20, help="customers at once")
    args = parser.parse_args()
    results = asyncio.run(
        run(
            args.customers,
            args.kills,
            args.kill_every,
            args.settle,
            args.database_url,
            args.concurrency,
        )
    )
    report(results)


if __name__ == "__main__":
    main()
