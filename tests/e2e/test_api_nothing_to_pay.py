"""Orders from the HTTP API that cost nothing (a promo code covering the lines and the
shipping), end to end over real HTTP against the web process, on SQLite and PostgreSQL: the
channel names the code, the order is placed and paid at once with a payment of 0, as a chat
order with nothing to pay is (tests/e2e/test_nothing_to_pay.py), and a retry or two calls at
once still place one order, take one use of the code and record one payment."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.tables.catalog import ProductRow
from storage.tables.orders import OrderRow
from storage.tables.outbox import OutboxRow
from storage.tables.payments import PaymentRow
from storage.tables.promotions import PromoCodeRow, PromoRedemptionRow
from tests.e2e import harness
from tests.e2e.test_api import ORDER, Channel, assert_problem, cli, product_id, scalar
from tests.e2e.web_kit import WebUnderTest, running_web

ADMIN_ID = 4242  # the merchant who makes the codes


@pytest.fixture(params=["sqlite", "postgres"])
async def engine(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[dict[str, Any]]:
    """Settings of the web process's database: a SQLite file (the default), or a new
    PostgreSQL database (TEST_DATABASE_URL) with the test data key, where two calls at once
    really run at once."""
    if request.param == "sqlite":
        yield {}
        return
    async with harness.fresh_pg_shop(monkeypatch) as settings:
        yield settings


async def key_for(web: WebUnderTest, tmp_path: Path, name: str, *scopes: str) -> str:
    """`python -m bot api-key create NAME` on the web process's database; the token."""
    values = {"DATABASE_URL": web.settings.database_url}
    if web.settings.data_keys is not None:
        values["DATA_KEYS"] = web.settings.data_keys.get_secret_value()
    args = [arg for scope in scopes for arg in ("--scope", scope)]
    done = await cli(tmp_path, "api-key", "create", name, *args, **values)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


async def make_code(web: WebUnderTest, spec: str) -> None:
    """The merchant's `/promo_new <spec>`, through the same use case."""
    await web.web.shop.bot_data.promotions.create(spec, ADMIN_ID)


async def count(web: WebUnderTest, row: Any, *where: Any) -> int:
    return int(await scalar(web, select(func.count()).select_from(row).where(*where)))


async def stock_of(web: WebUnderTest, sku: str) -> tuple[int, int]:
    """(stock, reserved) of a product."""
    async with web.db.uow(readonly=True) as uow:
        row = (
            await uow.session.execute(
                select(ProductRow.stock, ProductRow.reserved).where(ProductRow.sku == sku)
            )
        ).one()
    return int(row[0]), int(row[1])


async def test_a_code_covering_everything_places_a_paid_order_once(
    tmp_path: Path, engine: dict[str, Any]
) -> None:
    async with running_web(tmp_path, **engine) as web:
        shop = Channel(web, await key_for(web, tmp_path, "webshop"))
        await make_code(web, "ALLFREE 100% freeship uses 5")
        keemun = await product_id(web, "TEA-BLACK-100")
        stock, reserved = await stock_of(web, "TEA-BLACK-100")
        body = dict(
            ORDER,
            lines=[{"product_id": keemun, "quantity": 2}],
            payment_method="free",
            promo_code="allfree",  # as a customer types it
            reference="WS-FREE-1",
        )

        first = await shop.post("/orders", body, key="free-1")
        assert first.status_code == 201, first.text
        order = first.json()
        # Placed and paid at once: nothing is awaited from anyone.
        assert (order["status"], order["payment_method"], order["promo_code"]) == (
            "paid",
            "free",
            "ALLFREE",
        )
        assert (order["subtotal_minor"], order["discount_minor"]) == (2 * 1100, 2 * 1100)
        assert (order["shipping_minor"], order["total_minor"]) == (0, 0)
        assert [(e["type"], e["to_status"]) for e in order["events"]] == [
            ("placed", "pending_payment"),
            ("paid", "paid"),
        ]
        assert all(e["actor"] == "channel:webshop" for e in order["events"])
        # The units are sold (a paid order's), not held for a payment.
        assert await stock_of(web, "TEA-BLACK-100") == (stock - 2, reserved)
        order_id = await scalar(web, select(OrderRow.id).where(OrderRow.number == order["number"]))
        async with web.db.uow(readonly=True) as uow:
            [payment] = (
                await uow.session.scalars(select(PaymentRow).where(PaymentRow.order_id == order_id))
            ).all()
        assert (payment.method, payment.amount_minor, payment.status) == ("free", 0, "applied")
        # The admin chat is told there is nothing to pay.
        async with web.db.uow(readonly=True) as uow:
            [alert] = (
                await uow.session.scalars(
                    select(OutboxRow).where(OutboxRow.template == "admin.channel_order")
                )
            ).all()
        assert alert.params["payment"] == "free" and alert.params["channel"] == "webshop"

        # A retry with the same Idempotency-Key: the first answer; with a new key and the same
        # reference: the same order. One order, one use of the code, one payment.
        again = await shop.post("/orders", body, key="free-1")
        assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
        assert again.json() == order
        same = await shop.post("/orders", body, key="free-1-retry")
        assert same.status_code == 200 and same.json()["number"] == order["number"]
        assert await count(web, OrderRow) == 1
        assert await count(web, PromoRedemptionRow) == 1
        assert await count(web, PaymentRow) == 1
        assert await stock_of(web, "TEA-BLACK-100") == (stock - 2, reserved)

        # Two calls at once with one reference (a channel's retry racing its first try).
        twin = dict(body, reference="WS-FREE-2", payment_method="cod")  # 0 is paid whatever
        a, b = await asyncio.gather(
            shop.post("/orders", twin, key="twin-a"), shop.post("/orders", twin, key="twin-b")
        )
        assert sorted([a.status_code, b.status_code]) == [200, 201], (a.text, b.text)
        assert a.json()["number"] == b.json()["number"]
        assert (a.json()["status"], a.json()["payment_method"]) == ("paid", "free")
        assert await count(web, OrderRow) == 2
        assert await count(web, PromoRedemptionRow) == 2
        assert await count(web, PaymentRow) == 2
        assert (
            await scalar(web, select(PromoCodeRow.uses).where(PromoCodeRow.code == "ALLFREE")) == 2
        )
        assert await stock_of(web, "TEA-BLACK-100") == (stock - 4, reserved)

        # Paid: the channel cannot cancel it (a refund is the admin chat's), in words.
        late = await shop.post(f"/orders/{order['number']}/cancel", None, key="cancel-free")
        assert (
            "refunded from the admin chat" in assert_problem(late, 409, ":wrong-status")["detail"]
        )
        # ... and it ships like any paid order.
        office = Channel(web, await key_for(web, tmp_path, "backoffice", "admin"))
        parcel = {"carrier": "sf", "tracking_number": "SF1234567890123"}
        shipped = await office.post(f"/orders/{order['number']}/ship", parcel, key="ship-free")
        assert shipped.status_code == 200 and shipped.json()["status"] == "shipped", shipped.text


async def test_a_code_that_leaves_something_to_pay_takes_a_payment_method(tmp_path: Path) -> None:
    async with running_web(tmp_path) as web:
        shop = Channel(web, await key_for(web, tmp_path, "webshop"))
        await make_code(web, "HALF 50%")
        await make_code(web, "ONCE 100% freeship uses 1")
        keemun = await product_id(web, "TEA-BLACK-100")
        body = dict(ORDER, lines=[{"product_id": keemun, "quantity": 2}], promo_code="HALF")

        # Nothing to pay is not a way to pay what is due: refused in the shop's words.
        free = dict(body, payment_method="free")
        refused = assert_problem(await shop.post("/orders", free, key="h-1"), 422, ":refused")
        assert "$16.00" in refused["detail"] and "Nothing was ordered" in refused["detail"]
        chinese = await shop.post("/orders", free, key="h-2", **{"Accept-Language": "zh"})
        assert "您" in assert_problem(chinese, 422)["detail"]
        assert await count(web, OrderRow) == 0
        # With a way to pay: placed with the discount, waiting for the transfer.
        bank = await shop.post("/orders", dict(body, payment_method="bank"), key="h-3")
        assert bank.status_code == 201, bank.text
        half = bank.json()
        assert (half["status"], half["payment_method"], half["promo_code"]) == (
            "pending_payment",
            "bank",
            "HALF",
        )
        assert (half["discount_minor"], half["total_minor"]) == (1100, 1100 + 500)
        assert await count(web, PaymentRow) == 0

        # A code the shop does not have, or one used up: refused in the API's words (the
        # channel's order, not a chat customer's cart), nothing placed.
        unknown = dict(body, promo_code="NOSUCH")
        nosuch = assert_problem(await shop.post("/orders", unknown, key="h-4"), 422, ":refused")
        assert nosuch["detail"] == "The shop has no such promo code, or it is not active."
        once = dict(body, promo_code="ONCE", payment_method="free")
        assert (await shop.post("/orders", once, key="h-5")).status_code == 201
        used = assert_problem(await shop.post("/orders", once, key="h-6"), 422, ":refused")
        assert used["detail"] == "Promo code ONCE has been used up."
        longjing = await product_id(web, "TEA-GREEN-100")
        await make_code(web, f"GREENONLY 10% products {longjing}")
        other = dict(body, promo_code="GREENONLY", payment_method="bank")
        refused = assert_problem(await shop.post("/orders", other, key="h-7"), 422, ":refused")
        assert refused["detail"] == "Promo code GREENONLY applies to none of this order's lines."
        chinese = await shop.post("/orders", other, key="h-8", **{"Accept-Language": "zh"})
        assert (
            assert_problem(chinese, 422)["detail"]
            == "优惠码 GREENONLY 不适用于此订单中的任何商品。"
        )
        for problem in (nosuch, used, refused):
            assert "🏷" not in problem["detail"] and "cart" not in problem["detail"]
        assert await count(web, OrderRow) == 2
        assert await count(web, PromoRedemptionRow) == 2


async def test_a_code_once_per_customer_is_once_per_buyer_of_a_channel(
    tmp_path: Path, engine: dict[str, Any]
) -> None:
    """A channel's buyers without Telegram share its one customer row; a per-customer limit
    tells them apart by their order's phone, however it is written."""
    async with running_web(tmp_path, **engine) as web:
        shop = Channel(web, await key_for(web, tmp_path, "webshop"))
        await make_code(web, "WELCOME 10% per 1")
        keemun = await product_id(web, "TEA-BLACK-100")
        body = dict(ORDER, lines=[{"product_id": keemun, "quantity": 1}], promo_code="welcome")

        grace = await shop.post("/orders", dict(body, reference="w-1"), key="p-1")
        assert grace.status_code == 201, grace.text
        ada = dict(body, reference="w-2", recipient="Ada Lovelace", phone="+1 202 555 0199")
        assert (await shop.post("/orders", ada, key="p-2")).status_code == 201, (
            "another buyer of the same channel: her first use"
        )
        again = dict(body, reference="w-3", phone="+12025550143")  # Grace's, written otherwise
        refused = assert_problem(await shop.post("/orders", again, key="p-3"), 422, ":refused")
        assert refused["detail"] == "This customer has already used promo code WELCOME."
        without = await shop.post("/orders", dict(again, promo_code=None), key="p-4")
        assert without.status_code == 201, "her order without the code goes through"
        assert await count(web, OrderRow) == 3
        assert await count(web, PromoRedemptionRow) == 2

        # Cancelled, Grace's first order gives its use back: she may use the code again.
        cancelled = await shop.post(f"/orders/{grace.json()['number']}/cancel", {}, key="p-5")
        assert cancelled.status_code == 200, cancelled.text
        assert (
            await shop.post("/orders", dict(again, reference="w-6"), key="p-6")
        ).status_code == 201
