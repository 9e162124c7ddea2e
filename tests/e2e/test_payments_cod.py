"""Cash on delivery: confirmed for fulfilment at placement (unpaid, stock still reserved), and
recorded as paid when the order is delivered."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from domain.reactions import ORDER_FLOW
from domain.shared.errors import IllegalTransitionError
from tests.e2e import helpers as db
from tests.e2e.harness import BotUnderTest
from tests.e2e.payments_kit import event_types, order_row, pay_world, payments, place_order, stock


async def step(bot: BotUnderTest, number: str, trigger: str) -> None:
    """What the merchant's Ship / Delivered buttons do: one transition in one transaction."""
    async with db.db_of(bot).uow() as uow:
        order = await uow.orders.get_by_number(number)
        assert order is not None
        await ORDER_FLOW.step(uow, order, trigger, actor="admin:7001", at=datetime.now(UTC))
        await uow.commit()


async def test_cash_on_delivery_is_confirmed_at_once_and_paid_when_delivered(
    tmp_path: Path,
) -> None:
    async with pay_world(tmp_path) as world:
        bot, alice = world.bot, world.alice
        number = await place_order(alice, "Cash on delivery")

        placed = alice.screen
        assert "Please have $41.00 ready when the courier arrives" in placed.text
        assert not any("Pay now" in b for row in placed.buttons for b in row)
        order = await order_row(bot, number)
        assert order.status == "confirmed"
        assert await event_types(bot, order.id) == ["placed", "confirmed"]
        assert await stock(bot, "TEA-GREEN-100") == (40, 2)  # reserved until shipped
        assert await payments(bot) == []

        await step(bot, number, "ship")
        assert await stock(bot, "TEA-GREEN-100") == (38, 0)
        assert await payments(bot) == []
        await step(bot, number, "deliver")

        [payment] = await payments(bot, order.id)
        assert (payment.method, payment.status, payment.amount_minor, payment.currency) == (
            "cod",
            "applied",
            4100,
            "USD",
        )
        assert payment.telegram_charge_id is None
        assert payment.payload == {"collected_by": "admin:7001"}
        assert await event_types(bot, order.id) == [
            "placed",
            "confirmed",
            "shipped",
            "delivered",
            "paid",
        ]
        with pytest.raises(IllegalTransitionError):
            await step(bot, number, "deliver")
        assert len(await payments(bot)) == 1
        await alice.say("/orders")
        detail = await alice.tap(number)
        assert "Status: delivered" in detail.text and "payment received" in detail.text
