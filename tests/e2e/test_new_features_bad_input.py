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

from bot.checkout.callbacks import ChooseShipping, RemoveCode
from bot.marketing.callbacks import (
    BcAudience,
    BcCancel,
    BcList,
    BcOpen,
    BcSend,
    BcSkip,
    UnwatchProduct,
    WatchProduct,
)
from bot.promotions.callbacks import PromoList, PromoOpen, PromoPause
from storage.tables.marketing import BackInStockRow, BroadcastRow
from storage.tables.merchant import DialogRow
from storage.tables.promotions import PromoCodeRow, PromoRedemptionRow
from tests.e2e import helpers as db
from tests.e2e.admin_kit import Admin, admin_world
from tests.e2e.harness import ADMIN_CHAT, BotUnderTest, Person
from tests.e2e.jobs_kit import run_job
from tests.e2e.payments_kit import pay_world
from tests.e2e.test_customer_journey import checkout_new_address, fill_cart
from tests.e2e.test_promo_codes import admin_says

REFUSAL = "Only the shop's admins can do that."


CRASH = "Something went wrong"


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def unanswered(bot: BotUnderTest) -> list[str]:
    """Button taps the bot never answered (the user's spinner keeps turning)."""
    return [q for q in bot.api._callback_queries if q not in bot.api.callback_answers]


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
        assert unanswered(bot) == []


async def test_promo_new_with_oversized_or_garbage_arguments_is_explained(
    tmp_path: Path, engine: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    async with pay_world(tmp_path, **engine) as world:
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
        # and a good one: its card says its uses with the plural rule (not "1 times")
        card = await admin_says(merchant, "/promo_new SOLO 10% uses 1")
        assert "Used 0 of 1 time\n" in card.text, card.text
        assert errors(caplog) == [] and db.bad_requests(bot) == []
        assert unanswered(bot) == []


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
            assert "Please type your answer" in (answer.body or ""), answer.body
            assert "Promo code" in (answer.body or ""), "the code is asked again"
            assert answer.reply_keyboard is not None, "with Back and Cancel"
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
        assert unanswered(bot) == []


async def test_a_double_tapped_and_replayed_confirm_with_a_code_redeems_once(
    tmp_path: Path, engine: dict[str, Any]
) -> None:
    async with pay_world(tmp_path, **engine) as world:
        bot, alice, merchant = world.bot, world.alice, world.merchant
        await admin_says(merchant, "/promo_new ONCE 10%")
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
        card = await admin_says(merchant, "/promo ONCE")
        assert "Used 1 time (no limit)" in card.text, card.text
        assert CRASH not in alice.transcript()
        # the later taps carry the review as it was, so their edit to the placed screen finds
        # it placed already (handled as done, as Telegram says 'not modified')
        assert refused_calls(bot, "query is too old", "message is not modified") == []
        assert unanswered(bot) == []


async def test_a_forged_remove_code_from_another_customers_checkout_changes_nothing(
    tmp_path: Path,
    engine: dict[str, Any],
) -> None:
    async with pay_world(tmp_path, **engine) as world:
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
        assert unanswered(bot) == []


# == shipping options ===========================================================================

METHODS = json.dumps(
    [
        {"code": "std", "name": {"en": "Standard", "zh": "标准快递"}, "fee": "5.00"},
        {
            "code": "express",
            "name": {"en": "Express", "zh": "特快专递"},
            "fee": "15.00",
            "regions": ["Beijing", "北京"],
        },
    ]
)
BEIJING = "88 Jianguo Road, Chaoyang, Beijing 100022"


async def to_methods(person: Person) -> None:
    """A filled cart, checkout with a new address in Beijing: the delivery methods."""
    await fill_cart(person)
    await person.tap("Cart")
    await person.tap("Checkout")
    await person.say(f"{person.sim.first_name} Smith")
    await person.share_contact("12025550143")
    methods = await person.say(BEIJING)
    assert "How should we send your order" in methods.text, person.transcript()


async def test_forged_and_foreign_method_buttons_and_media_at_the_address_change_nothing(
    tmp_path: Path, engine: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    async with pay_world(tmp_path, shipping_methods=METHODS, **engine) as world:
        bot, alice, bob = world.bot, world.alice, world.bob
        await to_methods(alice)
        methods = alice.screen
        before = await db.checkout(bot, alice.id)
        assert before is not None and before.step == "choose_shipping"

        # Codes that do not exist (or cannot be a code at all) on Alice's own token.
        for code in ("nope", "zzzzzzzz", "EXPRESS", "std1", "x" * 30):
            await alice.tap_data(f"ksh:{before.token}:{code}", methods)
            assert alice.answer.get("text"), code
            assert CRASH not in alice.answer["text"], code
            state = await db.checkout(bot, alice.id)
            assert state is not None and state.step == "choose_shipping", code
            assert state.draft.get("shipping_method") is None, code

        # Bob, in a checkout of his own at the address step, taps Alice's method button.
        await fill_cart(bob)
        await bob.tap("Cart")
        await bob.tap("Checkout")
        await bob.say("Bob Smith")
        await bob.share_contact("12025550199")
        await bob.tap_data(ChooseShipping(before.token, "express").pack())  # type: ignore[arg-type]
        assert bob.answer.get("text") and CRASH not in bob.answer["text"], bob.answer
        after = await db.checkout(bot, alice.id)
        assert after is not None
        assert (after.step, after.updated_at) == (before.step, before.updated_at)
        bobs = await db.checkout(bot, bob.id)
        assert bobs is not None and bobs.step == "enter_address"

        # Media where Bob's address is asked: a friendly answer, still asked for the address.
        await bob.send_photo()
        assert "Please type your answer" in bob.screen.text
        assert "address" in bob.screen.text and bob.screen.reply_keyboard is not None
        await send_media(bob, "sticker")
        assert "Please type your answer" in bob.screen.text
        bobs = await db.checkout(bot, bob.id)
        assert bobs is not None and bobs.step == "enter_address"
        assert bobs.draft.get("address_text") is None
        methods = await bob.say(BEIJING)
        assert "How should we send your order" in methods.text

        payment = await alice.tap("Express", alice.find("Express"))
        assert "How would you like to pay" in payment.text
        assert CRASH not in alice.transcript() + bob.transcript()
        assert errors(caplog) == [] and db.bad_requests(bot) == []
        assert unanswered(bot) == []


async def test_a_double_tapped_and_replayed_method_takes_effect_once(
    tmp_path: Path, engine: dict[str, Any]
) -> None:
    async with pay_world(tmp_path, shipping_methods=METHODS, **engine) as world:
        bot, alice = world.bot, world.alice
        await to_methods(alice)
        methods = alice.screen
        data = methods.callback_data("🚚 Express — $15.00")
        first = await alice.sim.tap_data(methods, data)
        second = await alice.sim.tap_data(methods, data)
        await asyncio.gather(bot.processed(first), bot.processed(second))
        await bot.deliver_again(first)
        state = await db.checkout(bot, alice.id)
        assert state is not None and state.step == "choose_payment"
        assert state.draft.get("shipping_method") == "express"
        review = await alice.tap("Cash on delivery")
        assert "Shipping: $15.00" in review.text
        placed = await alice.tap("Confirm order")
        assert "placed" in placed.text
        [order] = await db.orders(bot, alice.id)
        assert order.shipping_minor == 1500
        assert CRASH not in alice.transcript()
        assert refused_calls(bot, "query is too old", "message is not modified") == []
        assert unanswered(bot) == []


# == back in stock ==============================================================================

LONGJING, KEEMUN, JASMINE = "TEA-GREEN-100", "TEA-BLACK-100", "TEA-JASMINE-50"


async def waits(bot: BotUnderTest) -> list[BackInStockRow]:
    return await db.rows(bot, BackInStockRow)


async def test_forged_notify_buttons_for_products_in_stock_gone_or_deleted_store_nothing(
    tmp_path: Path, engine: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    async with admin_world(tmp_path, stock={LONGJING: 0, JASMINE: 0}, **engine) as world:
        bot, alice = world.bot, world.alice
        await alice.say("/catalog")
        await alice.tap("Tea (")
        card = await alice.tap("Keemun")  # in stock: its card has Add to cart, no Notify me
        keemun = await db.product(bot, KEEMUN)
        await alice.tap_data(WatchProduct(keemun.id, keemun.category_id, 0).pack(), card)
        assert "is in stock" in alice.answer["text"] or "in stock" in alice.answer["text"], (
            alice.answer
        )
        assert not alice.answer.get("show_alert"), "not a mistake: it can be ordered now"
        assert any("Add 1 to cart" in b for row in alice.screen.buttons for b in row)

        for product_id in (0, -5, 999_999, 2**31 - 1):
            await alice.tap_data(WatchProduct(product_id, 0, 0).pack(), card)
            assert alice.answer["show_alert"] is True, product_id
            assert "no longer available" in alice.answer["text"], (product_id, alice.answer)
            await alice.tap_data(UnwatchProduct(product_id, 0, 0).pack(), card)
            assert "no longer available" in alice.answer["text"], (product_id, alice.answer)
        # an id wider than the products' key is no button the bot issued (on PostgreSQL it
        # failed in the database: "value out of int32 range")
        for data in ("bw:999999999999:0:0", "bu:2147483648:0:0"):
            await alice.tap_data(data, card)
            assert "no longer valid" in alice.answer["text"], (data, alice.answer)

        # Jasmine is sold out, then taken off sale while its card is on screen.
        await alice.tap("Back", alice.screen)
        jasmine_card = await alice.tap("Jasmine")
        assert any("Notify me" in b for row in jasmine_card.buttons for b in row)
        await db.set_product(bot, JASMINE, active=False)
        await alice.tap("Notify me", jasmine_card)
        assert alice.answer["show_alert"] is True
        assert "no longer available" in alice.answer["text"]
        # a forged Stop notifying for a product she never waited for changes nothing
        longjing = await db.product(bot, LONGJING)
        await alice.tap_data(UnwatchProduct(longjing.id, longjing.category_id, 0).pack(), card)
        assert "won't hear" in alice.answer["text"]
        assert await waits(bot) == []
        assert CRASH not in alice.transcript()
        assert errors(caplog) == [] and db.bad_requests(bot) == []
        assert unanswered(bot) == []


async def test_a_double_tapped_and_replayed_notify_me_waits_once(
    tmp_path: Path, engine: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    async with admin_world(tmp_path, stock={LONGJING: 0}, **engine) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        await alice.say("/catalog")
        await alice.tap("Tea (")
        card = await alice.tap("Longjing")
        data = card.callback_data(next(b for r in card.buttons for b in r if "Notify me" in b))
        first = await alice.sim.tap_data(card, data)
        second = await alice.sim.tap_data(card, data)
        await asyncio.gather(bot.processed(first), bot.processed(second))
        await bot.deliver_again(first)
        await bot.deliver_again(second)
        answers = [
            bot.api.callback_answers[u["callback_query"]["id"]]["text"] for u in (first, second)
        ]
        assert sorted("already on the list" in a for a in answers) == [False, True], answers
        [wait] = await waits(bot)
        assert wait.customer_id == alice.id and wait.notified_at is None

        await bot.outbox_drained()
        await ann.tap("Stock ±", await ann.tap("Longjing", await ann.say("/products")))
        await ann.say("+3")
        await ann.say("Delivery")
        await bot.outbox_drained()
        told = [m for m in alice.messages if "back in stock" in (m.body or "")]
        assert len(told) == 1, alice.transcript()
        assert CRASH not in alice.transcript()
        assert errors(caplog) == []
        assert refused_calls(bot, "query is too old", "message is not modified") == []
        assert unanswered(bot) == []


# == broadcasts =================================================================================


async def broadcasts(bot: BotUnderTest) -> list[BroadcastRow]:
    return await db.rows(bot, BroadcastRow)


async def at_message_step(ann: Admin) -> None:
    picker = await ann.say("/broadcast")
    ask = await ann.tap("All customers", picker)
    assert "Send the message" in ask.text, ann.transcript()


async def photo_with_caption(ann: Admin, caption: str) -> None:
    update = await ann.sim.send_photo(
        data=b"\x89PNG\r\n\x1a\n ad", caption=caption, chat_id=ADMIN_CHAT
    )
    await ann.bot.processed(update)


async def test_a_customer_or_a_bystander_at_the_broadcast_commands_is_refused(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with admin_world(tmp_path) as world:
        bot, alice, ann, eve = world.bot, world.alice, world.ann, world.eve
        await alice.say("/start")
        for command in ("/broadcast", "/broadcasts"):
            assert REFUSAL in (await alice.say(command)).text, command
            assert REFUSAL in (await eve.say(command)).text, command
        # Ann starts one; Alice and Eve forge every key of the dialog with its token.
        await at_message_step(ann)
        [dialog] = await db.rows(bot, DialogRow)
        token = dialog.token
        for data in (
            BcAudience(0),
            BcSkip(token),
            BcSend(token),
            BcCancel(token),
            BcOpen(1),
            BcList(),
        ):
            await alice.tap_data(data.pack())
            assert alice.answer["show_alert"] is True and REFUSAL in alice.answer["text"], data
            await eve.tap_data(data.pack(), ann.screen)
            assert eve.answer["show_alert"] is True and REFUSAL in eve.answer["text"], data
        [still] = await db.rows(bot, DialogRow)
        assert (still.token, still.step) == (token, "message"), "Ann's dialog is untouched"
        assert await broadcasts(bot) == []
        assert errors(caplog) == [] and db.bad_requests(bot) == []
        assert unanswered(bot) == []


async def test_oversized_text_or_caption_and_wrong_media_are_refused_at_compose(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async with admin_world(tmp_path) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        await alice.say("/start")
        await at_message_step(ann)

        too_long = await ann.say("a" * 4097)
        assert "Please send 1–4096 characters (that was 4097)" in too_long.text
        await photo_with_caption(ann, "b" * 1025)
        assert "Please send 1–1024 characters (that was 1025)" in ann.screen.text
        # 600 characters, but 1,200 in Telegram's count (UTF-16): too long for a caption
        await photo_with_caption(ann, "🍵" * 600)
        assert "Please send 1–1024 characters" in ann.screen.text, ann.screen.text
        [dialog] = await db.rows(bot, DialogRow)
        assert dialog.step == "message"

        for kind in ("sticker", "voice"):
            await send_media(ann, kind, chat_id=ADMIN_CHAT)
            assert "cannot be broadcast" in ann.screen.text, kind
            assert "Send the message" in ann.screen.text, "the question again"
        await send_media(world.eve, "sticker", chat_id=ADMIN_CHAT)  # chatter: left alone
        assert "cannot be broadcast" in ann.screen.text
        [dialog] = await db.rows(bot, DialogRow)
        assert dialog.step == "message"

        # the longest caption Telegram allows goes through to the preview and out
        await photo_with_caption(ann, "🍵" * 512)
        assert "Send its SKU, or Skip" in ann.screen.text
        await photo_with_caption(ann, "a photo where the SKU is asked")
        assert "Send the product's SKU, or Skip" in ann.screen.text
        await send_media(ann, "sticker", chat_id=ADMIN_CHAT)
        assert "Send the product's SKU, or Skip" in ann.screen.text
        preview = await ann.tap("Skip")
        assert "Audience" in preview.text
        typed = await ann.say("send it please")
        assert "Please use the buttons" in typed.text
        await ann.tap("Send", ann.find("Send"))
        await run_job(bot, "broadcasts")
        got = [m for m in alice.messages if m.kind == "photo"]
        assert len(got) == 1 and got[0].caption == "🍵" * 512
        assert CRASH not in ann.transcript()
        assert errors(caplog) == [] and db.bad_requests(bot) == []
        assert unanswered(bot) == []


async def test_send_twice_or_replayed_is_one_broadcast_and_cancel_after_send_stops_nothing(
    tmp_path: Path, engine: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    async with admin_world(tmp_path, **engine) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        await alice.say("/start")
        await at_message_step(ann)
        await ann.say("Tea tasting on Saturday")
        confirm = await ann.tap("Skip")
        send_data = confirm.callback_data("📣 Send")
        cancel_data = confirm.callback_data("✖️ Cancel")
        first = await ann.sim.tap_data(confirm, send_data)
        second = await ann.sim.tap_data(confirm, send_data)
        await asyncio.gather(bot.processed(first), bot.processed(second))
        await bot.deliver_again(first)
        await ann.tap_data(cancel_data, ann.chat.message(confirm.message_id))
        assert ann.answer["show_alert"] is True and "over" in ann.answer["text"], ann.answer
        [row] = await broadcasts(bot)
        assert row.status != "cancelled"
        await run_job(bot, "broadcasts")
        assert [m.body for m in alice.messages if m.body == "Tea tasting on Saturday"] == [
            "Tea tasting on Saturday"
        ]
        assert CRASH not in ann.transcript()
        assert errors(caplog) == []
        assert refused_calls(bot, "query is too old", "message is not modified") == []
        assert unanswered(bot) == []


# == the new admin commands in Telegram's menus ==================================================

NEW_ADMIN_COMMANDS = {"promo_new", "promos", "promo", "broadcast", "broadcasts"}


async def test_the_new_admin_commands_are_registered_for_admins_only_in_both_languages(
    tmp_path: Path,
) -> None:
    async with admin_world(tmp_path) as world:
        api = world.bot.api
        admin_scopes = [{"type": "chat", "chat_id": ADMIN_CHAT}] + [
            {"type": "chat", "chat_id": admin} for admin in (world.ann.id, world.ben.id)
        ]
        for scope in admin_scopes:
            english = {c["command"]: c["description"] for c in api.commands_for(scope)}
            chinese = {c["command"]: c["description"] for c in api.commands_for(scope, "zh")}
            assert NEW_ADMIN_COMMANDS <= set(english) and NEW_ADMIN_COMMANDS <= set(chinese)
            for command in NEW_ADMIN_COMMANDS:
                assert english[command].strip() and chinese[command].strip(), (scope, command)
                assert english[command] != chinese[command], (scope, command)
        assert english["broadcast"] == "Send a message to customers"
        assert chinese["promos"] != english["promos"]
        for language in ("", "zh"):
            customers = api.commands_for(None, language) + api.commands_for(
                {"type": "all_private_chats"}, language
            )
            assert customers, language
            assert not NEW_ADMIN_COMMANDS & {c["command"] for c in customers}, language


# == replayed admin messages ======================================================================


async def test_replayed_admin_messages_of_the_new_features_take_effect_once(
    tmp_path: Path, engine: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    async with admin_world(tmp_path, **engine) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        await alice.say("/start")
        created = await ann.sim.send_text("/promo_new TWICE 10% uses 2", chat_id=ADMIN_CHAT)
        await bot.processed(created)
        await bot.deliver_again(created)
        [code] = await promo_codes(bot)
        assert code.code == "TWICE"
        assert len([t for t in ann.texts() if "TWICE" in t]) == 1, "one card"

        await at_message_step(ann)
        message = await ann.sim.send_text("Autumn teas are here", chat_id=ADMIN_CHAT)
        await bot.processed(message)
        assert "Send its SKU, or Skip" in ann.screen.text
        await bot.deliver_again(message)  # not read as the SKU asked now
        assert "no product on sale" not in ann.screen.text, ann.transcript()
        sku = await ann.sim.send_text("tea-green-100", chat_id=ADMIN_CHAT)
        await bot.processed(sku)
        await bot.deliver_again(sku)  # not a second preview
        previews = [m for m in ann.chat.bot_messages() if m.body == "Autumn teas are here"]
        assert len(previews) == 1, ann.transcript()
        [dialog] = await db.rows(bot, DialogRow)
        assert dialog.step == "confirm" and dialog.data["product_id"]
        assert errors(caplog) == [] and db.bad_requests(bot) == []
        assert unanswered(bot) == []
