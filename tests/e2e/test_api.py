"""The HTTP API for other sales channels (issue 17), end to end: the web process (`python -m bot
web`'s parts) serving `/api/v1` over real HTTP, keys made and revoked with the command line as
an operator does, and a channel's developer calling it with httpx: authentication and scopes,
an idempotent POST replayed and misused, problem+json for every error, the rate limit, and the
audit log naming the key."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from bot.botapi.server import FakeBotApi
from storage.tables.api import ApiIdempotencyRow, ApiKeyRow, ApiRateRow
from storage.tables.audit import AuditRow
from storage.tables.catalog import ProductRow
from storage.tables.orders import OrderRow
from tests.e2e.harness import TOKEN, seed_demo_catalog
from tests.e2e.test_cli import env_for, run_bot
from tests.e2e.web_kit import SECRET, WebUnderTest, running_web

PROBLEM = "application/problem+json"


async def cli(tmp_path: Path, *args: str, **values: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot ...`, in a thread: the web process in this loop keeps serving."""
    return await asyncio.to_thread(run_bot, tmp_path, *args, **values)


ORDER = {
    "lines": [{"product_id": 0, "quantity": 2}],
    "recipient": "Grace Hopper",
    "phone": "+1 202 555 0143",
    "address": "1 Navy Yard, Washington DC 20374",
    "payment_method": "cod",
}


async def create_key(web: WebUnderTest, tmp_path: Path, name: str, *scopes: str) -> str:
    """`python -m bot api-key create NAME --scope ...` on the web process's database; the token."""
    args = [arg for scope in scopes for arg in ("--scope", scope)]
    done = await cli(
        tmp_path, "api-key", "create", name, *args, DATABASE_URL=web.settings.database_url
    )
    assert done.returncode == 0, done.stderr
    token = done.stdout.strip().splitlines()[-1]
    assert re.fullmatch(r"ob_[A-Za-z0-9_-]{43}", token), done.stdout
    return token


class Channel:
    """A channel's developer: httpx against the running API with one key."""

    def __init__(self, web: WebUnderTest, token: str | None) -> None:
        self.web = web
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    async def get(self, path: str, **params: Any) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.web.url + "/api/v1") as client:
            return await client.get(path, params=params, headers=self.headers)

    async def post(
        self, path: str, body: Any, key: str | None = None, **headers: str
    ) -> httpx.Response:
        sent = dict(self.headers, **headers)
        if key is not None:
            sent["Idempotency-Key"] = key
        async with httpx.AsyncClient(base_url=self.web.url + "/api/v1") as client:
            return await client.post(path, json=body, headers=sent)


def assert_problem(response: httpx.Response, status: int, type_end: str | None = None) -> dict:
    """An RFC 9457 problem: its media type and its five members."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert {"type", "title", "status", "detail", "instance"} <= set(body), body
    assert body["instance"] == response.request.url.path
    assert body["title"] and body["detail"] and "<code>" not in body["detail"]
    if type_end is not None:
        assert body["type"].endswith(type_end), body
    return body


async def scalar(web: WebUnderTest, query: Any) -> Any:
    async with web.db.uow(readonly=True) as uow:
        return await uow.session.scalar(query)


async def product_id(web: WebUnderTest, sku: str) -> int:
    return int(await scalar(web, select(ProductRow.id).where(ProductRow.sku == sku)))


async def available(web: WebUnderTest, sku: str) -> int:
    row = await scalar(
        web, select(ProductRow.stock - ProductRow.reserved).where(ProductRow.sku == sku)
    )
    return int(row)


async def api_calls(web: WebUnderTest, actor: str) -> list[Any]:
    """The audit entries of a key's calls: (order_id, details), oldest first."""
    async with web.db.uow(readonly=True) as uow:
        rows = await uow.session.execute(
            select(AuditRow.order_id, AuditRow.details)
            .where(AuditRow.actor == actor, AuditRow.action == "api_call")
            .order_by(AuditRow.id)
        )
        return list(rows.all())


async def test_a_key_made_on_the_command_line_lists_products_until_it_is_revoked(
    tmp_path: Path,
) -> None:
    async with running_web(tmp_path, page_size=3) as web:
        token = await create_key(web, tmp_path, "webshop", "products:read")
        # Only the hash and a prefix are stored; the listing shows the prefix, never the token.
        async with web.db.uow(readonly=True) as uow:
            key_hash, prefix = (
                await uow.session.execute(select(ApiKeyRow.key_hash, ApiKeyRow.prefix))
            ).one()
        assert key_hash != token and token not in key_hash and prefix == token[:11]
        listed = await cli(tmp_path, "api-key", "list", DATABASE_URL=web.settings.database_url)
        assert listed.returncode == 0 and token not in listed.stdout
        assert "webshop" in listed.stdout and prefix in listed.stdout
        assert "active" in listed.stdout and "products:read" in listed.stdout

        # No key, a wrong key: 401 as problem+json with a challenge.
        anonymous = await Channel(web, None).get("/products")
        assert_problem(anonymous, 401, ":unauthorized")
        assert anonymous.headers["www-authenticate"].startswith("Bearer")
        assert_problem(await Channel(web, "ob_" + "x" * 43).get("/products"), 401)

        shop = Channel(web, token)
        # Every product on sale, page by page (3 a page) by following the cursor.
        seen: list[dict[str, Any]] = []
        cursor: str | None = None
        pages = 0
        while True:
            page = await (shop.get("/products", cursor=cursor) if cursor else shop.get("/products"))
            assert page.status_code == 200, page.text
            seen += page.json()["items"]
            cursor = page.json()["next_cursor"]
            pages += 1
            if cursor is None:
                break
        on_sale = await scalar(web, select(func.count()).where(ProductRow.active))
        assert len(seen) == on_sale and len({p["id"] for p in seen}) == on_sale
        assert pages == -(-on_sale // 3)
        keemun = next(p for p in seen if p["sku"] == "TEA-BLACK-100")
        assert keemun["price"] == {"amount_minor": 1100, "currency": "USD"}
        assert keemun["available"] == 30
        found = (await shop.get("/products", q="keemun")).json()["items"]
        assert [p["sku"] for p in found] == ["TEA-BLACK-100"]
        one = await shop.get(f"/products/{keemun['id']}")
        assert one.status_code == 200 and one.json()["available"] == 30
        assert_problem(await shop.get("/products/999999"), 404, ":not-found")
        assert_problem(await shop.get("/products", cursor="not a cursor!"), 400, ":bad-cursor")
        # A scope the key lacks: 403, naming the scope.
        forbidden = assert_problem(await shop.get("/orders/ABCD-1234"), 403, ":forbidden")
        assert "orders:read" in forbidden["detail"]
        # FastAPI's own errors are problems too: unknown path, wrong method, bad parameter.
        assert_problem(await shop.get("/nothing-here"), 404)
        assert_problem(await Channel(web, token).post("/products", {}), 405)
        invalid = assert_problem(await shop.get("/products/not-a-number"), 422, ":invalid-request")
        assert invalid["errors"] and invalid["errors"][0]["loc"][:2] == ["path", "product_id"]
        # Chinese, for a client that asks for it.
        async with httpx.AsyncClient() as client:
            chinese = await client.get(
                web.url + "/api/v1/products", headers={"Accept-Language": "zh-CN"}
            )
        assert_problem(chinese, 401)
        assert chinese.json()["title"] == "未认证"

        calls = await api_calls(web, "api:webshop")
        # Every call of a route with the key is in the audit log; the anonymous ones have no
        # name, and a path or method no route has is answered before any key is read.
        assert len(calls) == pages + 6
        assert {c.details["status"] for c in calls} == {200, 400, 403, 404, 422}
        assert calls[0].details["path"] == "/api/v1/products"

        revoked = await cli(
            tmp_path, "api-key", "revoke", "webshop", DATABASE_URL=web.settings.database_url
        )
        assert revoked.returncode == 0, revoked.stderr
        gone = assert_problem(await shop.get("/products"), 401)
        assert "revoked" in gone["detail"]
        again = await cli(
            tmp_path, "api-key", "revoke", "webshop", DATABASE_URL=web.settings.database_url
        )
        assert again.returncode == 1 and "no active key named 'webshop'" in again.stderr
        taken = await cli(
            tmp_path, "api-key", "create", "webshop", DATABASE_URL=web.settings.database_url
        )
        assert taken.returncode == 1 and "exists" in taken.stderr
        audit = await scalar(
            web,
            select(func.count())
            .select_from(AuditRow)
            .where(
                AuditRow.actor == "cli", AuditRow.action.in_(["api_key_create", "api_key_revoke"])
            ),
        )
        assert audit == 2


async def test_a_retried_order_is_placed_once_and_a_reused_key_is_refused(tmp_path: Path) -> None:
    async with running_web(tmp_path) as web:
        shop = Channel(web, await create_key(web, tmp_path, "webshop"))
        keemun = await product_id(web, "TEA-BLACK-100")
        body = dict(ORDER, lines=[{"product_id": keemun, "quantity": 2}], reference="WS-1001")

        assert_problem(await shop.post("/orders", body), 400, ":idempotency-key-missing")
        first = await shop.post("/orders", body, key="order-WS-1001")
        assert first.status_code == 201, first.text
        order = first.json()
        assert order["status"] == "confirmed" and order["channel"] == "webshop"
        assert order["reference"] == "WS-1001"
        assert order["total_minor"] == 2 * 1100 + 500 and order["shipping_minor"] == 500
        assert order["events"][0]["type"] == "placed"
        assert await available(web, "TEA-BLACK-100") == 28

        # The same request again (its body spaced and ordered otherwise): the first answer.
        again = await shop.post("/orders", dict(reversed(list(body.items()))), key="order-WS-1001")
        assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
        assert again.json() == order
        assert await available(web, "TEA-BLACK-100") == 28
        # The same key for another request: refused, nothing placed.
        other = dict(body, lines=[{"product_id": keemun, "quantity": 1}])
        assert_problem(await shop.post("/orders", other, key="order-WS-1001"), 422, "key-reused")
        # A new key with the same reference: the same order (the channel's own key), 200.
        same = await shop.post("/orders", body, key="order-WS-1001-retry")
        assert same.status_code == 200 and same.json()["number"] == order["number"]
        count = await scalar(web, select(func.count()).select_from(OrderRow))
        assert count == 1 and await available(web, "TEA-BLACK-100") == 28

        # A request still running holds its key: a second one meanwhile is told 409.
        async with web.db.uow() as uow:
            uow.session.add(
                ApiIdempotencyRow(
                    key_name="webshop",
                    idempotency_key="in-flight",
                    request_hash="0" * 64,
                    created_at=datetime.now(UTC),
                )
            )
            await uow.commit()
        busy = await shop.post("/orders", body, key="in-flight")
        assert_problem(busy, 422)  # another request's hash: reused
        async with web.db.uow() as uow:
            from bot.api.idempotency import request_hash

            row = await uow.session.get(ApiIdempotencyRow, ("webshop", "in-flight"))
            assert row is not None
            row.request_hash = request_hash("POST", "/api/v1/orders", httpx_body(body))
            await uow.commit()
        assert_problem(await shop.post("/orders", body, key="in-flight"), 409, "in-progress")
        # Its process died (never answered, 10 minutes on): a retry takes the key over and runs
        # again, which places nothing new, the channel's reference naming the order placed.
        async with web.db.uow() as uow:
            row = await uow.session.get(ApiIdempotencyRow, ("webshop", "in-flight"))
            assert row is not None
            row.created_at = datetime.now(UTC) - timedelta(minutes=10)
            await uow.commit()
        taken_over = await shop.post("/orders", body, key="in-flight")
        assert taken_over.status_code == 200 and taken_over.json()["number"] == order["number"]
        assert await scalar(web, select(func.count()).select_from(OrderRow)) == 1

        # The shop's refusals are problems with the shop's words, and are answers kept too.
        short = dict(body, reference=None, lines=[{"product_id": keemun, "quantity": 29}])
        out = assert_problem(await shop.post("/orders", short, key="too-many"), 409, "out-of-stock")
        assert "only 28" in out["detail"] and "Keemun" in out["detail"]
        replayed = await shop.post("/orders", short, key="too-many")
        assert replayed.status_code == 409 and replayed.headers["idempotent-replayed"] == "true"
        bad_phone = dict(body, reference="WS-1002", phone="12")
        assert_problem(await shop.post("/orders", bad_phone, key="bad-phone"), 422, ":refused")
        stars = dict(body, reference="WS-1003", payment_method="stars")
        invalid = assert_problem(
            await shop.post("/orders", stars, key="stars"), 422, "invalid-request"
        )
        assert invalid["errors"][0]["loc"][:2] == ["body", "payment_method"]
        # An invalid request never ran: its key is free for the corrected one.
        fixed = dict(body, reference="WS-1003", lines=[{"product_id": keemun, "quantity": 1}])
        assert (await shop.post("/orders", fixed, key="stars")).status_code == 201

        # The order, as the channel reads it; another channel cannot see it.
        read = await shop.get(f"/orders/{order['number']}")
        assert read.status_code == 200 and read.json()["number"] == order["number"]
        rival = Channel(web, await create_key(web, tmp_path, "marketplace"))
        assert_problem(await rival.get(f"/orders/{order['number']}"), 404, ":not-found")
        assert_problem(await rival.post(f"/orders/{order['number']}/cancel", {}, key="c1"), 404)
        # Cancelled while unpaid: the units go back; again (a new key) changes nothing.
        cancelled = await shop.post(f"/orders/{order['number']}/cancel", None, key="cancel-1")
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        assert await available(web, "TEA-BLACK-100") == 29
        twice = await shop.post(f"/orders/{order['number']}/cancel", None, key="cancel-2")
        assert twice.status_code == 200 and twice.json()["status"] == "cancelled"
        assert await available(web, "TEA-BLACK-100") == 29

        calls = await api_calls(web, "api:webshop")
        order_id = await scalar(web, select(OrderRow.id).where(OrderRow.number == order["number"]))
        about = [c for c in calls if c.order_id == order_id]
        assert [c.details["path"] for c in about][-2:] == [
            f"/api/v1/orders/{order['number']}/cancel"
        ] * 2
        assert calls[1].details["idempotency_key"] == "order-WS-1001"
        assert calls[2].details == {
            "method": "POST",
            "path": "/api/v1/orders",
            "status": 201,
            "replayed": True,
        }


def httpx_body(body: dict[str, Any]) -> bytes:
    """The bytes httpx sends for a JSON body."""
    return httpx.Request("POST", "http://x", json=body).content


async def test_the_admin_scope_marks_paid_ships_and_syncs_every_order(tmp_path: Path) -> None:
    async with running_web(tmp_path) as web:
        shop = Channel(web, await create_key(web, tmp_path, "webshop"))
        office = Channel(web, await create_key(web, tmp_path, "backoffice", "admin"))
        oolong = await product_id(web, "TEA-OOLONG-100")
        body = dict(ORDER, lines=[{"product_id": oolong, "quantity": 1}], payment_method="bank")
        placed = await shop.post("/orders", dict(body, reference="B-1"), key="b-1")
        assert placed.status_code == 201 and placed.json()["status"] == "pending_payment"
        number = placed.json()["number"]

        assert_problem(await shop.post(f"/orders/{number}/mark-paid", None, key="p"), 403)
        paid = await office.post(f"/orders/{number}/mark-paid", None, key="pay-1")
        assert paid.status_code == 200 and paid.json()["status"] == "paid"
        ship = {"carrier": "sf", "tracking_number": "SF1234567890123"}
        shipped = await office.post(f"/orders/{number}/ship", ship, key="ship-1")
        assert shipped.status_code == 200, shipped.text
        assert shipped.json()["status"] == "shipped"
        assert [e["to_status"] for e in shipped.json()["events"]][-1] == "shipped"
        # Cancelling a shipped order: the lifecycle refuses, in words.
        late = await shop.post(f"/orders/{number}/cancel", None, key="late")
        assert_problem(late, 409, ":wrong-status")

        # Sync: every order changed since a time, all of them through the cursor.
        for n in range(3):
            await shop.post("/orders", dict(body, reference=f"S-{n}"), key=f"s-{n}")
        synced = await office.get("/orders", changed_since="2020-01-01T00:00:00Z")
        assert synced.status_code == 200, synced.text
        numbers = [o["number"] for o in synced.json()["items"]]
        assert len(numbers) == 4 and numbers[-1] != number  # the shipped one changed first
        assert_problem(await shop.get("/orders"), 403)
        # An admin reads any channel's order.
        assert (await office.get(f"/orders/{number}")).json()["channel"] == "webshop"


async def test_a_key_over_its_rate_limit_is_told_when_to_come_back(tmp_path: Path) -> None:
    # An hour's window: the five calls cannot straddle two windows (a minute's could, now and then).
    async with running_web(tmp_path, api_rate_limit="3/hour") as web:
        shop = Channel(web, await create_key(web, tmp_path, "webshop", "products:read"))
        answers = await asyncio.gather(*(shop.get("/products") for _ in range(5)))
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200, 200, 200, 429, 429]
        refused = next(a for a in answers if a.status_code == 429)
        body = assert_problem(refused, 429, ":rate-limited")
        retry = int(refused.headers["retry-after"])
        assert 1 <= retry <= 3600
        assert (f"in {retry} seconds." if retry != 1 else "in 1 second.") in body["detail"]
        assert "3 requests per 3600 seconds" in body["detail"]
        # Refused calls are not audited; the answered ones are.
        assert len(await api_calls(web, "api:webshop")) == 3
        # The hourly retention job is in the jobs table and keeps this hour's window.
        jobs = web.web.shop.bot_data.jobs
        assert jobs.intervals["api_retention"] == 3600
        await jobs.guarded["api_retention"]()
        assert await scalar(web, select(func.count()).select_from(ApiRateRow)) == 1


def test_the_key_commands_end_with_one_line_on_a_bad_setting_or_database(tmp_path: Path) -> None:
    unreachable = "postgresql+asyncpg://postgres:secret-pw@127.0.0.1:1/orderbot"
    down = run_bot(tmp_path, "api-key", "list", DATABASE_URL=unreachable)
    assert down.returncode == 2 and down.stderr.count("\n") == 1, down.stderr
    assert down.stderr.startswith("orderbot: DATABASE_URL: cannot open the database")
    assert "secret-pw" not in down.stderr
    bad = run_bot(tmp_path, "api-key", "create", "webshop", API_RATE_LIMIT="lots")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1, bad.stderr
    assert "API_RATE_LIMIT: must look like 60/minute" in bad.stderr
    name = run_bot(tmp_path, "api-key", "create", "Web Shop!")
    assert name.returncode == 1 and "NAME:" in name.stderr and name.stdout == ""


async def test_python_m_bot_web_serves_the_api_beside_the_webhook(tmp_path: Path) -> None:
    """The command an operator runs: the API is there, with its document and no docs page."""
    telegram = FakeBotApi(token=TOKEN, local=True, webhook_retry_seconds=0.1)
    await telegram.start()
    await seed_demo_catalog(f"sqlite+aiosqlite:///{tmp_path}/shop.db")
    with socket.socket() as probe:  # a free port for the process to take
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    env = env_for(
        tmp_path,
        BOT_TOKEN=TOKEN,
        TELEGRAM_API_URL=telegram.url,
        WEBHOOK_URL=f"{base}/telegram",
        WEBHOOK_SECRET=SECRET,
        WEB_PORT=str(port),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "web", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            for _ in range(300):
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                raise AssertionError("python -m bot web did not get ready")
            made = await cli(tmp_path, "api-key", "create", "webshop")
            token = made.stdout.strip().splitlines()[-1]
            headers = {"Authorization": f"Bearer {token}"}
            products = await client.get("/api/v1/products", headers=headers)
            assert products.status_code == 200 and products.json()["items"]
            document = (await client.get("/api/v1/openapi.json")).json()
            assert document["openapi"].startswith("3.1") and document["servers"] == [
                {"url": "/api/v1"}
            ]
            assert "/orders/{number}/ship" in document["paths"]
            assert_problem(await client.get("/api/v1/docs"), 404)  # no page that needs a CDN
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), 30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
        await telegram.stop()


DELIVERY = """[
  {"code": "std", "name": "Standard", "fee": "5.00", "free_from": "50.00"},
  {"code": "express", "name": "Express", "fee": "15.00", "postcodes": ["20374"]},
  {"code": "pickup", "kind": "pickup", "name": "Pickup", "fee": "0", "place": "1 Tea Lane"}
]"""


async def test_an_order_ships_by_the_delivery_method_the_channel_names(tmp_path: Path) -> None:
    async with running_web(tmp_path, shipping_methods=DELIVERY) as web:
        shop = Channel(web, await create_key(web, tmp_path, "webshop"))
        keemun = await product_id(web, "TEA-BLACK-100")
        body = dict(ORDER, lines=[{"product_id": keemun, "quantity": 1}])

        express = await shop.post("/orders", dict(body, shipping_method="express"), key="e-1")
        assert express.status_code == 201, express.text
        order = express.json()
        assert (order["shipping_method"], order["shipping_minor"]) == ("express", 1500)
        assert order["total_minor"] == order["subtotal_minor"] + 1500
        # Naming none where two serve the address: asked to choose, nothing placed.
        asked = assert_problem(await shop.post("/orders", body, key="e-2"), 422)
        assert "std, express" in asked["detail"]
        # A method that does not deliver there, or does not exist: refused in words.
        far = dict(body, address="9 Rue de Rivoli, Paris", shipping_method="express")
        assert (
            "express" in assert_problem(await shop.post("/orders", far, key="e-3"), 422)["detail"]
        )
        drone = dict(body, shipping_method="drone")
        assert (
            "pickup" in assert_problem(await shop.post("/orders", drone, key="e-4"), 422)["detail"]
        )
        # Pickup at the shop needs no address.
        pickup = dict(body, address="", shipping_method="pickup")
        collected = await shop.post("/orders", pickup, key="e-5")
        assert collected.status_code == 201, collected.text
        assert (collected.json()["shipping_method"], collected.json()["address"]) == ("pickup", "")
        stored = await scalar(
            web, select(OrderRow.shipping_method).where(OrderRow.number == order["number"])
        )
        assert stored["code"] == "express"
        assert await scalar(web, select(func.count()).select_from(OrderRow)) == 2
