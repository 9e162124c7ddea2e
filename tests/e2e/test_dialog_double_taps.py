"""An admin's key tapped twice at once takes effect once on SQLite and on PostgreSQL, where
the two taps really run at once: a dialog's last step (one product added), a promo code's
Pause (one change, one audit entry)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from storage.tables.audit import AuditRow
from storage.tables.catalog import ProductRow
from storage.tables.merchant import DialogRow
from storage.tables.promotions import PromoCodeRow
from tests.e2e import helpers as db
from tests.e2e.admin_kit import admin_world


async def test_add_product_confirmed_twice_at_once_adds_one_product(
    tmp_path: Path,
    engine: dict[str, Any],
) -> None:
    async with admin_world(tmp_path, **engine) as world:
        bot, ann = world.bot, world.ann
        await ann.tap("Add product", await ann.say("/products"))
        for answer in ("Dragon Pearl Jasmine 100 g", "Tea", "21.50", "10", "Hand-rolled."):
            await ann.say(answer)
        confirm = await ann.send_photo(b"\x89PNG\r\n\x1a\n pearl")
        assert "Add this product?" in confirm.text
        data = confirm.callback_data("✅ Add product")
        first = await ann.sim.tap_data(confirm, data)
        second = await ann.sim.tap_data(confirm, data)
        await asyncio.gather(bot.processed(first), bot.processed(second))
        rows = await db.rows(bot, ProductRow, ProductRow.name == "Dragon Pearl Jasmine 100 g")
        assert len(rows) == 1, "one product, however the taps interleave"
        answers = [bot.api.callback_answers[u["callback_query"]["id"]] for u in (first, second)]
        assert sorted(bool(a.get("show_alert")) for a in answers) == [False, True], answers
        assert "over or was replaced" in next(a["text"] for a in answers if a.get("show_alert"))
        assert await db.rows(bot, DialogRow) == []
        assert [r for r in db.bad_requests(bot) if "not modified" not in r] == []


async def test_pause_tapped_twice_at_once_pauses_and_audits_once(
    tmp_path: Path,
    engine: dict[str, Any],
) -> None:
    async with admin_world(tmp_path, **engine) as world:
        bot, ann = world.bot, world.ann
        card = await ann.say("/promo_new TWICE 10%")
        data = card.callback_data("⏸ Pause")
        first = await ann.sim.tap_data(card, data)
        second = await ann.sim.tap_data(card, data)
        await asyncio.gather(bot.processed(first), bot.processed(second))
        [code] = await db.rows(bot, PromoCodeRow)
        assert code.paused
        audited = await db.rows(bot, AuditRow, AuditRow.action == "promo_pause")
        assert len(audited) == 1, "one change, one entry in the audit log"
        answers = [bot.api.callback_answers[u["callback_query"]["id"]] for u in (first, second)]
        assert all("paused" in (a["text"] or "").lower() for a in answers), answers
        shown = ann.chat.message(card.message_id)
        assert shown is not None and "⏸ Paused" in shown.text and shown.buttons[0] == ["▶️ Resume"]


async def test_two_messages_to_the_shop_at_once_are_one_question(
    tmp_path: Path,
    engine: dict[str, Any],
) -> None:
    """Contact the shop asks for one message: two sent at once (a double send) end the dialog
    once, so the admin chat gets one of them and the other is told the dialog is over."""
    async with admin_world(tmp_path, **engine) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        await alice.tap("Contact the shop", await alice.say("/start"))
        first = await alice.sim.send_text("Do you ship to Winnipeg?")
        second = await alice.sim.send_text("Do you ship to Calgary?")
        await asyncio.gather(bot.processed(first), bot.processed(second))
        await bot.outbox_drained()
        asked = [
            m
            for m in ann.chat.bot_messages()
            if "Winnipeg" in (m.text or "") or "Calgary" in (m.text or "")
        ]
        assert len(asked) == 1, "one question reaches the admin chat"
        assert len([t for t in alice.texts() if "was sent to the shop" in t]) == 1
        assert await db.rows(bot, DialogRow) == []
