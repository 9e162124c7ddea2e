"""A crash between Telegram handing over a payment and the bot recording it loses nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.payments.inbox import replay_unrecorded_payments
from domain.payments.service import Payments
from domain.shared.clock import FixedClock
from storage.tables.inbox import UpdateInboxRow
from tests.e2e import helpers as db
from tests.e2e.payments_kit import (
    invoices,
    order_row,
    pay_world,
    payments,
    place_order,
    pre_checkout,
)

CARD = "Pay by card"


def payment_recorded(api: Any, chat_id: int) -> bool:
    return any("Payment received" in (m.body or "") for m in api.chat(chat_id).bot_messages())


async def test_a_payment_fetched_just_before_a_crash_is_recorded_after_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FixedClock(datetime.now(UTC))
    async with pay_world(tmp_path, clock=clock) as world:
        bot, alice, api = world.bot, world.alice, world.api
        number = await place_order(alice, CARD)
        [invoice] = invoices(alice)
        assert (await pre_checkout(alice, invoice))["ok"] is True

        async def database_gone(self: Payments, charge: Any) -> Any:
            raise ConnectionError("the database went away")

        monkeypatch.setattr(Payments, "record_telegram_payment", database_gone)
        update = await alice.sim.successful_payment(
            invoice, telegram_payment_charge_id="ch-crash-1"
        )
        await bot.processed(update, timeout=20)
        # Telegram considers the update delivered: it will never send it again.
        await api.wait_for(lambda a: not a.pending_updates())
        assert await payments(bot) == []
        [kept] = await db.rows(bot, UpdateInboxRow)
        assert kept.telegram_charge_id == "ch-crash-1"

        monkeypatch.undo()
        clock.advance(seconds=31)
        await bot.restart()

        await api.wait_for(lambda a: payment_recorded(a, alice.id), timeout=15)
        [payment] = await payments(bot)
        assert payment.telegram_charge_id == "ch-crash-1"
        assert (await order_row(bot, number)).status == "paid"
        await bot.outbox_drained()
        clock.advance(seconds=31)
        assert await replay_unrecorded_payments(bot.app, db.db_of(bot), clock) == 0
        assert await db.rows(bot, UpdateInboxRow) == [], "recorded payments leave the inbox"
        assert len(await payments(bot)) == 1


async def test_a_payment_update_is_not_confirmed_to_telegram_until_it_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with pay_world(tmp_path) as world:
        bot, alice = world.bot, world.alice
        number = await place_order(alice, CARD)
        [invoice] = invoices(alice)
        from storage.inbox import SqlUpdateInbox

        real_keep = SqlUpdateInbox.keep
        failures = {"left": 2}

        async def flaky_keep(self: SqlUpdateInbox, bot_id: int, entries: Any, at: datetime) -> None:
            if failures["left"]:
                failures["left"] -= 1
                raise ConnectionError("database busy")
            await real_keep(self, bot_id, entries, at)

        monkeypatch.setattr(SqlUpdateInbox, "keep", flaky_keep)
        update = await alice.sim.successful_payment(invoice, telegram_payment_charge_id="ch-flaky")
        await bot.processed(update, timeout=30)
        assert failures["left"] == 0, "getUpdates was retried until the update was kept"
        [payment] = await payments(bot)
        assert payment.telegram_charge_id == "ch-flaky"
        assert (await order_row(bot, number)).status == "paid"
