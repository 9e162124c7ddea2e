"""Bad input, replays and forgeries against this session's new features (issue 16), the way a
real user sends them: promo codes (the admin's /promo commands, the checkout's code step),
shipping options, back in stock and broadcasts. Each gets a clear, friendly reply, changes
nothing, never raises, and a replayed update or a double tap takes effect once."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest

from bot.checkout.callbacks import RemoveCode
from bot.promotions.callbacks import PromoList, PromoOpen, PromoPause
from storage.tables.promotions import PromoCodeRow, PromoRedemptionRow
from tests.e2e import helpers as db
from tests.e2e.harness import BotUnderTest, Person
from tests.e2e.payments_kit import pay_world
from tests.e2e.test_customer_journey import checkout_new_address, fill_cart
from tests.e2e.test_promo_codes import admin_says

REFUSAL = "Only the shop's admins can do that."
CRASH = "Something went wrong"


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def refused_calls(bot: BotUnderTest, *allowed: str) -> list[str]:
    """Bot API calls Telegram refused, but for the ones a test expects (a replayed tap's
    answer is 'query is too old', as Telegram says)."""
    return [r for r in db.bad_requests(bot) if not any(a in r for a in allowed)]


# -- media a client can send that the harness has no helper for ---------------------------------


async def send_media(person: Any, kind: str, chat_id: int | None = None) -> dict[str, Any]:
    """A sticker or a voice note, as Telegram delivers it; returns the update once handled."""
    sim = person.sim
    chat = sim._target(chat_id)
    media = {
        "sticker": {
            "file_id": "CAACAgIAAxkBAAEBsticker",
            "file_unique_id": "AgADsticker",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "🍵",
        },
        "voice": {
            "file_id": "AwACAgIAAxkBAAEBvoice",
            "file_unique_id": "AgADvoice",
            "duration": 3,
            "mime_type": "audio/ogg",
        },
    }[kind]
    message = sim._user_message(chat, kind, extra={kind: media})
    update = await sim._emit("message", message.to_dict())
    await person.bot.processed(update)
    return update


async def edit(person: Any, update: dict[str, Any], text: str) -> None:
    """The user edits a message they sent; waits until the bot has seen the edit."""
    edited = dict(update["message"], text=text, edit_date=int(time.time()))
    await person.bot.processed(person.bot.api.enqueue_update("edited_message", edited))


# == promo codes ================================================================================


async def promo_codes(bot: BotUnderTest) -> list[PromoCodeRow]:
    return await db.rows(bot, PromoCodeRow)


async def at_code_step(alice: Person) -> None:
    """Alice's review (2 Longjing, 1 Keemun, bank transfer), then Have a code?."""
    await fill_cart(alice)
    await checkout_new_address(alice)
    await alice.tap("Bank transfer")
    ask = await alice.tap("Have a code?")
    assert "Promo code" in ask.text


async def test_a_customer_at_the_promo_commands_is_refused_and_nothing_is_created(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with pay_world(tmp_path) as world:
        bot, alice, merchant = world.bot, world.alice, world.merchant
        await admin_says(merchant, "/promo_new REAL 10%")
        await alice.say("/start")
        for command in ("/promo_new FREE 100%", "/promo_new", "/promos", "/promo REAL", "/promo"):
            answer = await alice.say(command)
            assert REFUSAL in answer.text, (command, answer.text)
            assert "REAL" not in answer.text and not answer.buttons, command
        [code] = await promo_codes(bot)
        # The merchant's buttons, forged by a customer: refused before anything runs.
        for data in (PromoOpen(code.id), PromoPause(code.id, 1), PromoList()):
            await alice.tap_data(data.pack())
            assert alice.answer["show_alert"] is True and REFUSAL in alice.answer["text"], data
        [code] = await promo_codes(bot)
        assert (code.code, code.paused) == ("REAL", False)
        assert "REAL" not in "".join(alice.texts())
        assert errors(caplog) == [] and db.bad_requests(bot) == []


async def test_promo_new_with_oversized_or_garbage_arguments_is_explained(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with pay_world(tmp_path) as world:
        bot, merchant = world.bot, world.merchant
        garbage = [
            "/promo_new " + "A" * 4080,  # a code as long as a message can be
            "/promo_new SPRING " + "9" * 4000,  # a value no shop gives
            "/promo_new SPRING 10% category " + "Teaware " * 500,  # a category echoed back
            "/promo_new SPRING 10% products " + ",".join(str(n) for n in range(1, 800)),
            "/promo_new SPRING 10% products 99999999999999999999999",
            "/promo_new SPRING 10% uses 99999999999999999999999",
            "/promo_new SPRING 10% min 99999999999999999999999",
            "/promo_new SPRING 10% per -1",
            "/promo_new SPRING 10% uses 0",
            "/promo_new SPRING 10% from 2026-13-45",
            "/promo_new SPRING 10% until 2026-02-30",
            "/promo_new SPRING -5",
            "/promo_new SPRING 10% 10%",
            "/promo_new 春天 10%",
            "/promo_new <b>X</b> 10%",
            "/promo_new SPRING 10% min",
            "/promo_new SPRING 10% freeship freeship bogus words",
        ]
        for command in garbage:
            answer = await admin_says(merchant, command)
            assert CRASH not in answer.text, command[:60]
            assert "/promo_new" in answer.text, (command[:60], answer.text[:300])
            assert len(answer.text) <= 4096
        looked_up = await admin_says(merchant, "/promo " + "Z" * 4080)
        assert CRASH not in looked_up.text and len(looked_up.text) <= 4096
        assert await promo_codes(bot) == [], [c.code for c in await promo_codes(bot)]
        assert errors(caplog) == [] and db.bad_requests(bot) == []


async def test_media_an_edit_or_a_huge_text_at_the_code_step_changes_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with pay_world(tmp_path) as world:
        bot, alice, merchant = world.bot, world.alice, world.merchant
        await admin_says(merchant, "/promo_new SPRING10 10%")
        await at_code_step(alice)
        before = await db.checkout(bot, alice.id)
        assert before is not None and before.step == "enter_code"

        for send in (
            lambda: alice.send_photo(),
            lambda: send_media(alice, "sticker"),
            lambda: send_media(alice, "voice"),
        ):
            await send()
            answer = alice.screen
            assert CRASH not in (answer.body or "")
            assert "can't use that here" in (answer.body or ""), answer.body
            state = await db.checkout(bot, alice.id)
            assert state is not None and state.step == "enter_code"
            assert state.draft.get("promo_code") is None

        huge = await alice.say("X" * 5000)
        assert "too long" in huge.text
        state = await db.checkout(bot, alice.id)
        assert state is not None and state.step == "enter_code"

        # A wrong code, then the customer edits that message into a good one: an edit is not
        # a new answer, so the code is not applied by it.
        wrong = await alice.sim.send_text("AUTUMN")
        await bot.processed(wrong)
        assert "There is no such code" in alice.screen.text
        said = len(alice.texts())
        await edit(alice, wrong, "SPRING10")
        assert len(alice.texts()) == said
        state = await db.checkout(bot, alice.id)
        assert state is not None and state.step == "enter_code"
        assert "SPRING10" not in json.dumps(state.draft)

        review = await alice.say("spring10")  # typed again: applied
        assert "Discount (SPRING10)" in review.text
        assert CRASH not in alice.transcript()
        assert errors(caplog) == [] and db.bad_requests(bot) == []


async def test_a_double_tapped_and_replayed_confirm_with_a_code_redeems_once(
    tmp_path: Path,
) -> None:
    async with pay_world(tmp_path) as world:
        bot, alice, merchant = world.bot, world.alice, world.merchant
        await admin_says(merchant, "/promo_new ONCE 10% uses 5")
        await at_code_step(alice)
        review = await alice.say("once")
        data = review.callback_data("✅ Confirm order")
        first = await alice.sim.tap_data(review, data)
        second = await alice.sim.tap_data(review, data)  # both in flight at once
        await asyncio.gather(bot.processed(first), bot.processed(second))
        await bot.deliver_again(first)  # and Telegram delivers the first tap again
        await alice.tap_data(data, review)  # and a third tap on the old screen
        assert "already placed" in alice.answer["text"]
        [order] = await db.orders(bot, alice.id)
        assert (order.promo_code, order.discount_minor) == ("ONCE", 360)
        [code] = await promo_codes(bot)
        assert code.uses == 1
        assert len(await db.rows(bot, PromoRedemptionRow)) == 1
        assert CRASH not in alice.transcript()
        # the later taps carry the review as it was, so their edit to the placed screen finds
        # it placed already (handled as done, as Telegram says 'not modified')
        assert refused_calls(bot, "query is too old", "message is not modified") == []


async def test_a_forged_remove_code_from_another_customers_checkout_changes_nothing(
    tmp_path: Path,
) -> None:
    async with pay_world(tmp_path) as world:
        bot, alice, bob, merchant = world.bot, world.alice, world.bob, world.merchant
        await admin_says(merchant, "/promo_new SHARED 10%")
        await at_code_step(alice)
        await alice.say("shared")
        alices = await db.checkout(bot, alice.id)
        assert alices is not None and alices.draft.get("promo_code") == "SHARED"

        await bob.say("/start")
        await bob.tap_data(RemoveCode(alices.token).pack())  # type: ignore[arg-type]
        assert bob.answer["show_alert"] is True, bob.answer
        assert "removed" not in bob.answer["text"].lower(), bob.answer
        # and on a checkout of his own, Alice's token still removes nothing of hers
        await at_code_step(bob)
        await bob.say("shared")
        await bob.tap_data(RemoveCode(alices.token).pack())  # type: ignore[arg-type]
        assert bob.answer["show_alert"] is True, bob.answer
        after = await db.checkout(bot, alice.id)
        assert after is not None and after.draft.get("promo_code") == "SHARED"
        assert after.step == alices.step and after.updated_at == alices.updated_at
        bobs = await db.checkout(bot, bob.id)
        assert bobs is not None and bobs.draft.get("promo_code") == "SHARED"
        assert "SHARED" not in "".join(bob.texts()[:2])
        placed = await alice.tap("Confirm order")
        assert "placed" in placed.text
        [order] = await db.orders(bot, alice.id)
        assert order.promo_code == "SHARED"
        assert CRASH not in bob.transcript() and db.bad_requests(bot) == []
