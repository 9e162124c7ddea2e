"""Webhook mode at scale (issue 14): several `python -m bot web` processes and one
`python -m bot jobs` runner on one PostgreSQL, behind one webhook, against the local Bot API
server in webhook mode over real HTTP.

The web processes share one port (SO_REUSEPORT: the kernel spreads the Bot API server's
connections among them, as a reverse proxy would). Two measurements:

``crash``: customers check out and pay by card at once (bench/crash.py's journeys in its shop:
its delivery method and promo code, seeded by its seed_code; a step whose answer does not come
is repeated, as a person would tap again) while one web process is killed with SIGKILL
mid-traffic and not restarted. Afterwards it prints, beside the targets: lost paid orders,
duplicate orders, duplicate payments, oversold products, undelivered notifications,
notifications Telegram received twice, orders without the delivery method or the code (all
target 0), and the code's uses and redemptions (target: one of each per order).

``throughput``: the same burst of webhook updates (each user sends /start, which upserts the
customer and answers with the menu) handled by 1 and by 3 web processes, side by side in
alternating rounds; prints updates per second from the first POST to the last reply.

    .venv/bin/python bench/webhook_cluster.py throughput --updates 600 --rounds 2
    .venv/bin/python bench/webhook_cluster.py crash --customers 40

Both need PostgreSQL: --database-url (a server; a fresh database is created and dropped per
run) or TEST_DATABASE_URL. Figures, never pass/fail on time; tests/e2e/test_webhook_cluster.py
runs a short crash and asserts the invariants.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import os
import random
import signal
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from bench.crash import (
    KNOWN_SKUS,
    SHIPPING_METHODS,
    Customer,
    Results,
    check,
    given_up,
    seed_code,
    settle,
)
from bot.botapi.server import FakeBotApi
from bot.catalog.csv_import import read_catalog_csv
from domain.checkout.shop import Shop
from domain.checkout.shop_base import ShopConfig
from domain.reactions import ORDER_FLOW
from domain.shared.clock import SystemClock
from domain.shared.money import Money
from storage.crypto import DataKeys
from storage.db import Database
from storage.migrate import upgrade
from storage.tables.inbox import UpdateInboxRow
from storage.tables.payments import PaymentRow
from tests.e2e.harness import ADMIN_CHAT, DEMO_CATALOG, TOKEN

PROVIDER_TOKEN = "284685063:TEST:payments-provider"
SECRET = "bench-webhook-secret"
# The documented test key of personal data (tests/dbsetup.py); never for a real shop.
DATA_KEY = "dGVzdC1rZXktb2Ytb3JkZXJib3QtZm9yLXRlc3RzLTA="


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.asynccontextmanager
async def fresh_database(server_url: str) -> AsyncIterator[str]:
    """A new migrated database on the server `server_url` names; dropped afterwards."""
    base = make_url(server_url).set(drivername="postgresql+asyncpg")
    name = f"{base.database or 'orderbot'}_webhook_{uuid.uuid4().hex[:8]}"
    admin = base.set(drivername="postgresql", database="postgres")
    conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        await upgrade(url)
        yield url
    finally:
        conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


async def seed_demo_catalog(url: str, stock: dict[str, int] | None = None) -> None:
    """The shipped demo catalog (with more stock where asked), encrypted under DATA_KEY."""
    from dataclasses import replace

    drafts = read_catalog_csv(DEMO_CATALOG, "USD")
    if stock:
        drafts = [replace(d, stock=stock.get(d.sku, d.stock)) for d in drafts]
    db = Database(url, keys=DataKeys([DATA_KEY]))
    try:
        shop = Shop(db, SystemClock(), ShopConfig("USD", Money(500, "USD")), flow=ORDER_FLOW)
        await shop.import_catalog(drafts, actor="seed", reason="demo catalog")
    finally:
        await db.dispose()


class Process:
    """One `python -m bot <command>` subprocess."""

    def __init__(self, command: str, env: dict[str, str], workdir: Path) -> None:
        self.command = command
        self.env = env
        self.workdir = workdir
        self.process: asyncio.subprocess.Process | None = None
        self.log = workdir / f"{command}-{uuid.uuid4().hex[:6]}.log"

    async def start(self) -> None:
        with self.log.open("wb") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", self.command, cwd=self.workdir, env=self.env,
                stdout=asyncio.subprocess.DEVNULL, stderr=out,
            )  # fmt: skip

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


@dataclass
class Cluster:
    """N web processes and one jobs runner against one local Bot API server."""

    api: FakeBotApi
    url: str
    workdir: Path
    web: list[Process] = field(default_factory=list)
    jobs: Process | None = None

    def env(self, port: int) -> dict[str, str]:
        keep = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE"))}
        return {
            **keep,
            "BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": self.api.url,
            "DATABASE_URL": self.url,
            "DATA_KEYS": DATA_KEY,
            "ADMIN_CHAT_ID": str(ADMIN_CHAT),
            "CURRENCY": "USD",
            "SHIPPING_FEE": "5.00",
            # bench/crash.py's shop: its journeys take the one delivery method and enter its code
            "SHIPPING_METHODS": SHIPPING_METHODS,
            "PAYMENT_PROVIDER_TOKEN": PROVIDER_TOKEN,
            "RUN_JOBS": "false",
            "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
            "WEBHOOK_SECRET": SECRET,
            "WEB_HOST": "127.0.0.1",
            "WEB_PORT": str(port),
            "WEBHOOK_LEASE_SECONDS": "3",
            "OUTBOX_POLL_SECONDS": "5",
            "OUTBOX_RATE_PER_SECOND": "1000",
            "OUTBOX_PRIVATE_PER_SECOND": "100",
            "OUTBOX_GROUP_PER_MINUTE": "6000",
            "LOG_LEVEL": "WARNING",
        }

    async def start(self, processes: int, *, jobs: bool = True) -> None:
        port = free_port()
        env = self.env(port)
        self.web = [Process("web", env, self.workdir) for _ in range(processes)]
        for process in self.web:
            await process.start()
        if jobs:
            self.jobs = Process("jobs", {**env, "RUN_JOBS": "true"}, self.workdir)
            await self.jobs.start()
        # Every web process registers the webhook once it is ready to take updates.
        await self.api.wait_for(lambda a: len(a.calls("setWebhook")) >= processes, 60)
        await asyncio.sleep(0.3)  # the last one's socket is listening a moment after

    async def stop(self) -> None:
        for process in [*self.web, *([self.jobs] if self.jobs else [])]:
            await process.stop()
        await self.api.stop_webhook()
        self.api.webhook_url = ""

    def logs(self) -> str:
        return "".join(p.log.read_text(errors="replace") for p in self.web if p.log.exists())


# --------------------------------------------------------------------------- crash


@dataclass
class CrashResults(Results):
    web_processes: int = 0
    duplicate_payments: int = 0
    inbox_left: int = 0
    took_over: int = 0


async def run_crash(
    server_url: str,
    *,
    customers: int,
    processes: int = 3,
    kill_after: float = 4.0,
    settle_s: float = 60.0,
    concurrency: int = 20,
) -> CrashResults:
    results = CrashResults(customers=customers, web_processes=processes)
    async with fresh_database(server_url) as url:
        with tempfile.TemporaryDirectory() as tmp:
            await seed_demo_catalog(url, stock=dict.fromkeys(KNOWN_SKUS, 10_000))
            await seed_code(url, DataKeys([DATA_KEY]))
            api = FakeBotApi(token=TOKEN, local=True, webhook_retry_seconds=0.3)
            await api.start()
            api.add_group(ADMIN_CHAT, "Tea House admins")
            users = [api.add_user(80_000 + i, f"Shopper{i}") for i in range(customers)]
            cluster = Cluster(api, url, Path(tmp))
            db = Database(url, keys=DataKeys([DATA_KEY]))
            try:
                await cluster.start(processes)
                at_once = asyncio.Semaphore(concurrency)

                async def shop(customer: Customer) -> None:
                    async with at_once:
                        await customer.journey()

                async def kill_one() -> None:
                    await asyncio.sleep(kill_after * random.uniform(0.8, 1.2))
                    await cluster.web[0].kill()
                    results.kills += 1

                killer = asyncio.create_task(kill_one())
                await asyncio.gather(*(shop(Customer(api, u, results)) for u in users))
                await killer
                await settle(db, results, settle_s)
                await check(db, api, results)
                async with db.uow(readonly=True) as uow:
                    s = uow.session
                    per_charge = collections.Counter(
                        (await s.scalars(select(PaymentRow.order_id))).all()
                    )
                    results.duplicate_payments = sum(n - 1 for n in per_charge.values() if n > 1)
                    results.inbox_left = int(
                        await s.scalar(
                            select(func.count())
                            .select_from(UpdateInboxRow)
                            .where(UpdateInboxRow.done_at.is_(None))
                        )
                        or 0
                    )
                results.took_over = cluster.logs().count("its process died")
            finally:
                await cluster.stop()
                await db.dispose()
                await api.stop()
                if results.stuck:
                    results.bot_log_tail = cluster.logs().splitlines()[-20:]
    return results


def report_crash(r: CrashResults) -> None:
    print(
        f"{r.customers} customers, {r.web_processes} web processes + 1 jobs runner, "
        f"{r.kills} SIGKILL, {r.stuck} journeys given up"
    )
    given_up(r)
    print(f"charges reported by Telegram: {len(r.charges)}; settled in {r.settle_s:.1f} s")
    print(f"updates taken over from the killed process: {r.took_over}")
    print(f"lost paid orders:          {r.lost_paid:>5}   (target 0)")
    print(f"duplicate orders:          {r.duplicate_orders:>5}   (target 0)")
    print(f"duplicate payments:        {r.duplicate_payments:>5}   (target 0)")
    print(f"oversold products:         {r.oversold:>5}   (target 0)")
    print(f"updates kept, not handled: {r.inbox_left:>5}   (target 0)")
    print(f"outbox rows undelivered:   {r.undelivered:>5}   (target 0)")
    print(f"orders without method:     {r.without_method:>5}   of {r.orders} (target 0)")
    print(f"orders without the code:   {r.without_code:>5}   of {r.orders} (target 0)")
    print(
        f"code uses, redemptions:    {r.code_uses:>5}, {r.redemptions}   (target {r.orders} each)"
    )
    print(
        f"notifications sent twice:  {r.duplicate_sends:>5}   per {r.outbox_sent} outbox "
        "messages (target 0: the jobs runner is not killed)"
    )


# --------------------------------------------------------------------------- throughput


async def burst(api: FakeBotApi, users: list[int], within: float = 300.0) -> float:
    """Every user sends /start at once; seconds until each has its answer."""
    before = {u: len(api.chat(u).bot_messages()) for u in users}
    started = time.perf_counter()
    for user_id in users:
        await api.users[user_id].send_text("/start")
    await api.wait_for(
        lambda a: all(len(a.chat(u).bot_messages()) > before[u] for u in users), within
    )
    return time.perf_counter() - started


POLLING = 0  # the key of the long-polling baseline in the results


async def run_throughput(
    server_url: str, *, updates: int, rounds: int, sizes: tuple[int, ...] = (POLLING, 1, 3)
) -> dict[int, list[float]]:
    """updates/s per number of web processes (POLLING: one `python -m bot` long-polling, for
    reference), alternating in rounds."""
    rates: dict[int, list[float]] = {n: [] for n in sizes}
    async with fresh_database(server_url) as url:
        await seed_demo_catalog(url)
        with tempfile.TemporaryDirectory() as tmp:
            api = FakeBotApi(token=TOKEN, local=True, webhook_retry_seconds=0.3)
            await api.start()
            users = [api.add_user(90_000 + i, f"U{i}").id for i in range(updates)]
            try:
                for _ in range(rounds):
                    for n in sizes:
                        cluster = Cluster(api, url, Path(tmp))
                        api.requests.clear()
                        if n == POLLING:
                            env = cluster.env(free_port())
                            del env["WEBHOOK_URL"]
                            poller = Process("run", env, Path(tmp))
                            await poller.start()
                            await api.wait_for(lambda a: a.polling, 60)
                        else:
                            await cluster.start(n, jobs=False)
                        await burst(api, users[: max(20, updates // 10)])  # warm up
                        seconds = await burst(api, users)
                        rates[n].append(updates / seconds)
                        if n == POLLING:
                            await poller.stop()
                        else:
                            await cluster.stop()
            finally:
                await api.stop()
    return rates


def report_throughput(rates: dict[int, list[float]], updates: int) -> None:
    print(f"{updates} updates (/start from as many users at once), per round:")
    base = max(rates.get(1) or [0.0])
    for n, values in rates.items():
        best = max(values) if values else 0.0
        name = "long polling (reference)" if n == POLLING else f"webhook, {n} web process"
        name += "es" if n > 1 else ""
        ratio = f"  {best / base:.2f}x of 1 web process" if base and n not in (1,) else ""
        shown = ", ".join(f"{v:.0f}" for v in values)
        print(f"  {name:<27}: {shown} updates/s (best {best:.0f}){ratio}")
    print(f"  (this machine: {os.cpu_count()} cores, shared with the local Bot API server)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("what", choices=["crash", "throughput"])
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--customers", type=int, default=40)
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--updates", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if not args.database_url or not args.database_url.startswith("postgresql"):
        parser.error(
            "needs PostgreSQL: --database-url postgresql+asyncpg://... (or TEST_DATABASE_URL)"
        )
    if args.what == "crash":
        report_crash(
            asyncio.run(
                run_crash(args.database_url, customers=args.customers, processes=args.processes)
            )
        )
    else:
        rates = asyncio.run(
            run_throughput(
                args.database_url,
                updates=args.updates,
                rounds=args.rounds,
                sizes=(POLLING, 1, args.processes),
            )
        )
        report_throughput(rates, args.updates)


if __name__ == "__main__":
    main()
