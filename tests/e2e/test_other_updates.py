"""Every kind of update the bot may receive either has a behaviour or is ignored quietly:
edits, channel posts, reactions, polls, chosen inline results, other chat-member changes. And typed
text or button data nobody issued never raises and changes nothing (property-based)."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from storage.tables.catalog import ProductRow
from storage.tables.orders import OrderRow
from tests.e2e import helpers as db
from tests.e2e.harness import BotUnderTest, Person


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def test_editing_a_message_is_ignored_quietly(
    bot: BotUnderTest, alice: Person, caplog: pytest.LogCaptureFixture
) -> None:
    await alice.say("/start")
    update = await alice.sim.send_text("green tea")
    await bot.processed(update)
    said = len(alice.texts())
    edited = dict(update["message"], text="black tea", edit_date=int(time.time()))
    await bot.processed(bot.api.enqueue_update("edited_message", edited))
    assert len(alice.texts()) == said, "an edit is not a new message"
    assert "Something went wrong" not in alice.transcript()
    assert errors(caplog) == []


async def test_every_other_kind_of_update_is_ignored_quietly(
    bot: BotUnderTest, alice: Person, caplog: pytest.LogCaptureFixture
) -> None:
    await alice.say("/start")
    hello = await alice.sim.send_text("hello")
    await bot.processed(hello)  # its answer ("Nothing matches") is in before counting
    message = hello["message"]
    user = alice.sim.to_dict()
    channel = {"id": -100777, "type": "channel", "title": "News"}
    now = int(time.time())
    post = {"message_id": 1, "date": now, "chat": channel, "text": "sale!"}
    member = {"user": user, "status": "member"}
    kinds: list[tuple[str, dict[str, Any]]] = [
        ("edited_message", dict(message, text="hello!", edit_date=now)),
        ("edited_message", dict(message, caption="a caption", edit_date=now)),
        ("channel_post", post),
        ("edited_channel_post", dict(post, text="sale!!", edit_date=now)),
        (
            "message_reaction",
            {
                "chat": message["chat"],
                "message_id": message["message_id"],
                "user": user,
                "date": now,
                "old_reaction": [],
                "new_reaction": [{"type": "emoji", "emoji": "👍"}],
            },
        ),
        (
            "chat_member",
            {
                "chat": {"id": -100888, "type": "supergroup", "title": "Fans"},
                "from": user,
                "date": now,
                "old_chat_member": {"user": user, "status": "left"},
                "new_chat_member": member,
            },
        ),
        ("chosen_inline_result", {"result_id": "1", "from": user, "query": "tea"}),
        (
            "poll_answer",
            {"poll_id": "p1", "user": user, "option_ids": [0], "option_persistent_ids": ["o1"]},
        ),
    ]
    said = len(alice.texts())
    for kind, payload in kinds:
        await bot.processed(bot.api.enqueue_update(kind, payload))
    assert len(alice.texts()) == said
    assert errors(caplog) == [], errors(caplog)


async def snapshot(bot: BotUnderTest) -> tuple[Any, ...]:
    products = sorted(
        (p.sku, p.stock, p.reserved, p.price_minor, p.active)
        for p in await db.rows(bot, ProductRow)
    )
    return (products, len(await db.rows(bot, OrderRow)))


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    data=st.one_of(
        st.text(max_size=64),
        st.from_regex(r"[a-z]{1,3}:[0-9a-z:\-]{0,40}", fullmatch=True),
        st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
    ),
    text=st.text(min_size=1, max_size=300).filter(lambda t: t.strip() != ""),
)
async def test_forged_buttons_and_any_text_never_raise_and_change_nothing(
    bot: BotUnderTest, alice: Person, data: str, text: str
) -> None:
    if not alice.bot.api.chat(alice.id).bot_messages():
        await alice.say("/start")
    before = await snapshot(bot)
    await alice.tap_data(data[:64] or "x", alice.screen)
    await alice.say(text)
    assert await snapshot(bot) == before
    assert "Something went wrong" not in alice.transcript()
