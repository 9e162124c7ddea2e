"""What a call of the HTTP API costs (issue 17): GET /products, GET /orders/{number} and
POST /orders (placing an order: a fresh Idempotency-Key each, so every call places one), one
at a time and N at once, through the real /api/v1 application (the web process's, in process,
over httpx's ASGI transport: no sockets, so the figure is the API's and the database's).

Each call is three write transactions besides the use case's own (the key and its rate
window; the Idempotency-Key of a POST; the answer kept with its key and the audit entry).

    .venv/bin/python bench/api_calls.py
    DATA_KEYS=$(.venv/bin/python -m bot new-key) .venv/bin/python bench/api_calls.py \
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/a_scratch_database

SQLite, the shared 2-core machine (Dec 2026), 200 calls each: GET /products 3.3 ms median one
at a time, ~195 calls/s either way; GET /orders/{number} 3.9 ms, ~140/s; POST /orders 15 ms
one at a time (44/s), 126/s with 8 at once (SQLite's writers queue on one lock, so 8 at once
wait longer each but commit back to back).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from bot.api.app import build_api
from bot.api.keys import ADMIN, ApiKeys
from bot.api.ratelimit import RateLimit
from bot.api.services import ApiServices
from bot.app import build_application
from bot.catalog.csv_import import read_catalog_csv
from bot.settings import load_settings
from storage.migrate import upgrade

TOKEN = "123456789:AAbench-api-calls-000000000000000000"
CATALOG = Path(__file__).resolve().parents[1] / "bot" / "demo" / "catalog.csv"


async def timed(
    call: Callable[[int], Awaitable[httpx.Response]], n: int, at_once: int
) -> list[float]:
    """Milliseconds per call, `at_once` calls in flight."""
    spent: list[float] = []
    gate = asyncio.Semaphore(at_once)

    async def one(i: int) -> None:
        async with gate:
            started = time.perf_counter()
            answer = await call(i)
            spent.append((time.perf_counter() - started) * 1000)
            assert answer.status_code < 300, answer.text

    await asyncio.gather(*(one(i) for i in range(n)))
    return spent


async def main(url: str, calls: int, at_once: int) -> None:
    await upgrade(url)
    settings = load_settings(
        bot_token=TOKEN, database_url=url, currency="USD", shipping_fee="5.00", run_jobs=False
    )
    app = build_application(settings)
    services = app.bot_data
    assert services.channels is not None
    await services.shop.import_catalog(
        [
            d.__class__(**{**d.__dict__, "stock": 1_000_000})
            for d in read_catalog_csv(CATALOG, "USD")
        ]
    )
    key = await ApiKeys(services.db, services.clock).create(f"bench{int(time.time())}", [ADMIN])
    api = build_api(
        ApiServices(
            db=services.db,
            clock=services.clock,
            texts=services.texts,
            shop=services.shop,
            channels=services.channels,
            rate_limit=RateLimit(10**9, 60),
        )
    )
    try:
        await measure(api, key.token, calls, at_once, url)
    finally:
        await services.db.dispose()


async def measure(api: object, token: str, calls: int, at_once: int, url: str) -> None:
    """The three calls, one at a time and `at_once` at once (the app is mounted at /api/v1 in
    the web process; here its routes are served at the root)."""
    headers = {"Authorization": f"Bearer {token}"}
    transport = httpx.ASGITransport(app=api)  # type: ignore[arg-type]
    async with httpx.AsyncClient(
        transport=transport, base_url="http://bench", headers=headers
    ) as client:
        products = (await client.get("/products")).json()["items"]
        body = {
            "lines": [{"product_id": products[0]["id"], "quantity": 1}],
            "recipient": "Grace Hopper",
            "phone": "+1 202 555 0143",
            "address": "1 Navy Yard, Washington DC 20374",
            "payment_method": "cod",
        }
        run = int(time.time())
        placed = await client.post("/orders", json=body, headers={"Idempotency-Key": f"b{run}"})
        number = placed.json()["number"]
        cases: dict[str, Callable[[int], Awaitable[httpx.Response]]] = {
            "GET /products": lambda i: client.get("/products"),
            "GET /orders/{number}": lambda i: client.get(f"/orders/{number}"),
            "POST /orders": lambda i: client.post(
                "/orders", json=body, headers={"Idempotency-Key": f"b{run}-{at_once}-{i}"}
            ),
        }
        print(f"{url.split(':')[0]}, {calls} calls each")
        for name, call in cases.items():
            for width in (1, at_once):
                started = time.perf_counter()
                spent = await timed(call, calls, width)
                wall = time.perf_counter() - started
                print(
                    f"  {name:22} {width:2} at once: median {statistics.median(spent):6.1f} ms, "
                    f"p95 {sorted(spent)[int(len(spent) * 0.95) - 1]:6.1f} ms, "
                    f"{calls / wall:6.0f} calls/s"
                )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--at-once", type=int, default=8)
    args = parser.parse_args()
    url = args.database_url
    if url is None:
        folder = tempfile.mkdtemp(prefix="api_calls")
        url = f"sqlite+aiosqlite:///{folder}/shop.db"
    asyncio.run(main(url, args.calls, args.at_once))
