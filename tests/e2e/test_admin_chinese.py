"""A Chinese-speaking admin chat (issue 15, item 6): the built-in carriers are named in Chinese
on the ship dialog, the order card and the tracking notices, while an English customer reads
them in English; /track takes and lists the statuses in Chinese."""

from __future__ import annotations

from pathlib import Path

from tests.e2e import helpers as db
from tests.e2e.admin_kit import admin_world, place_order, shipments
from tests.e2e.admin_kit import order_row as order_of
from tests.unit.bot.test_chinese_words import english_words


async def test_a_chinese_admin_ships_and_tracks_in_chinese(tmp_path: Path) -> None:
    async with admin_world(tmp_path, admin_language="zh") as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        number = await place_order(alice)
        await bot.outbox_drained()
        alert = next(m for m in ann.chat.bot_messages() if f"新订单 {number}" in (m.text or ""))
        card = await ann.tap("查看订单", alert)
        assert "已确认（货到付款）" in card.text, "one label per status: the [status] table"
        carriers = await ann.tap("发货", card)
        labels = [b for row in carriers.buttons for b in row]
        assert {"顺丰速运", "中通快递", "联邦快递", "其他快递"} <= set(labels)
        assert not {"SF Express", "ZTO Express", "FedEx", "Other carrier"} & set(labels)
        ask = await ann.tap("顺丰速运", carriers)
        assert "顺丰速运" in ask.text and english_words(ask.text.split("（")[0]) == []
        await ann.say("SF1234567890123")
        confirm = await ann.tap("跳过")
        assert "快递公司：顺丰速运" in confirm.text
        shipped = await ann.tap("确认发货", confirm)
        assert f"订单 {number} 已发货，顺丰速运" in shipped.text
        edited = ann.chat.message(card.message_id)  # the order card, edited in place
        assert edited is not None and "顺丰速运：SF1234567890123" in (edited.text or "")
        [shipment] = await shipments(bot, (await order_of(bot, number)).id)
        assert shipment.carrier_name == "SF Express", "stored as configured"

        await bot.outbox_drained()
        notice = next(t for t in alice.texts() if "is on its way" in t)
        assert "SF Express" in notice and "顺丰" not in notice, "the customer's language"

        usage = await ann.say("/track")
        assert "运输中" in usage.text and "in_transit" not in usage.text
        posted = await ann.say(f"/track {number} 运输中")
        assert f"订单 {number}：运输中 — 已记录" in posted.text
        await bot.outbox_drained()
        push = alice.texts()[-1]
        assert "in transit" in push and "SF Express" in push
        assert db.bad_requests(bot) == []
