"""Broadcasts (issue 16), end to end: the merchant writes one in the admin chat (a photo with a
caption and a button to a product), previews it and sends it; it goes out through the outbox;
the customer who turned optional messages off gets nothing, the one who blocked the bot is
counted blocked, the counts show on the card, in /broadcasts and in the summary; and a fan-out
that dies half-way and runs again after a restart delivers each message exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from storage.outbox import SqlOutboxRepository
from storage.tables.marketing import BroadcastRecipientRow, BroadcastRow
from storage.tables.outbox import OutboxRow
from tests.e2e import helpers as db
from tests.e2e.admin_kit import Admin, admin_world
from tests.e2e.harness import ADMIN_CHAT, BotUnderTest, Person
from tests.e2e.jobs_kit import run_job

PHOTO = (
    Path(__file__).resolve().parents[2] / "bot" / "demo" / "photos" / "green-tea.png"
).read_bytes()
CAPTION = "Spring sale: Longjing 20% off this week!"


async def _meet(bot: BotUnderTest, user_id: int, name: str, language: str = "en") -> Person:
    person = Person(bot, bot.api.add_user(user_id, name, language_code=language))
    await person.say("/start")
    return person


def _broadcasts_to(person: Person) -> list[str]:
    return [m.body or "" for m in person.messages if m.from_bot and CAPTION in (m.body or "")]


async def _compose(ann: Admin, audience: str = "All customers") -> None:
    """/broadcast → audience → the photo with its caption → the product's SKU: the preview."""
    picker = await ann.say("/broadcast")
    assert "New broadcast" in picker.text
    ask = await ann.tap(audience, picker)
    assert "Send the message" in ask.text
    update = await ann.sim.send_photo(data=PHOTO, caption=CAPTION, chat_id=ADMIN_CHAT)
    await ann.bot.processed(update)
    assert "Send its SKU, or Skip" in ann.screen.text
    await ann.say("tea-green-100")  # typed in lower case


async def test_admin_broadcasts_a_photo_with_a_product_button_and_sees_the_counts(
    tmp_path: Path,
) -> None:
    async with admin_world(tmp_path, outbox_private_per_second=10) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        await alice.say("/start")
        bob = await _meet(bot, 1002, "Bob")
        carol = await _meet(bot, 1004, "Carol")
        li = await _meet(bot, 1003, "李雷", "zh-hans")
        screen = await bob.say("/notifications")
        await bob.tap("Turn optional messages off", screen)
        carol.sim.blocked = True  # she blocked the bot; the shop learns it from the send
        await bot.outbox_drained()

        await _compose(ann)
        preview, confirm = ann.chat.bot_messages()[-2:]
        # The preview is the message as customers get it: the photo, the caption, the button.
        assert preview.kind == "photo" and preview.caption == CAPTION
        assert preview.buttons == [["🛍 View product"]]
        assert "All customers</b>, 4 customers now" in (confirm.html or "")
        assert confirm.buttons == [["📣 Send", "✖️ Cancel"]]

        send_data = confirm.inline_keyboard[0][0]["callback_data"]
        send = await ann.press("Send", confirm)
        await bot.processed(send)
        assert "Broadcast #1 is going out" in ann.answer["text"]
        card = ann.chat.message(confirm.message_id)
        assert card is not None and "Broadcast #1" in card.text
        await bot.deliver_again(send)  # Telegram delivers the tap twice: still one broadcast
        await ann.tap_data(send_data, card)  # a double tap on Send: the dialog is over
        assert ann.answer["show_alert"]
        assert len(await db.rows(bot, BroadcastRow)) == 1

        await run_job(bot, "broadcasts")  # its wake-up may have run it already
        await bot.outbox_drained()
        await bot.outbox_drained()  # the summary, queued by the last outcome

        assert _broadcasts_to(alice) == [CAPTION]
        assert _broadcasts_to(li) == [CAPTION]
        assert _broadcasts_to(bob) == [], "opted out of optional messages"
        assert _broadcasts_to(carol) == []
        [got] = [m for m in alice.messages if m.body == CAPTION]
        assert got.kind == "photo" and got.buttons == [["🛍 View product"]]
        [li_got] = [m for m in li.messages if m.body == CAPTION]
        assert li_got.buttons == [["🛍 查看商品"]]

        [row] = await db.rows(bot, BroadcastRow)
        assert (row.status, row.sent, row.failed, row.blocked, row.skipped) == (
            "done",
            2,
            0,
            1,
            1,
        )
        recipients = {r.customer_id: r.outcome for r in await db.rows(bot, BroadcastRecipientRow)}
        assert recipients == {
            alice.id: "sent",
            li.id: "sent",
            bob.id: "skipped",
            carol.id: "blocked",
        }
        [summary] = [m for m in ann.chat.bot_messages() if "is done" in (m.text or "")]
        assert "Sent: 2" in summary.text and "Blocked the bot: 1" in summary.text
        assert "Skipped (opted out): 1" in summary.text

        # The card was kept up to date by the job as the counts moved; Refresh reloads it too.
        await run_job(bot, "broadcasts")
        updated = ann.chat.message(card.message_id)
        assert updated is not None and "Sent: 2" in updated.text and "done" in updated.text
        refreshed = await ann.tap("Refresh", updated)
        assert "Sent: 2" in refreshed.text and "Waiting: 0" in refreshed.text
        listing = await ann.say("/broadcasts")
        assert "#1" in listing.text and "✅ 2" in listing.text and "🚫 1" in listing.text

        # The product button opens the product below the broadcast, which stays.
        product = await alice.tap("View product", got)
        assert "Longjing Green Tea 100 g" in (product.body or "")
        assert [m for m in alice.messages if m.body == CAPTION], "the broadcast is still there"
        # Carol's 403 and the replayed tap's answer (too old, as Telegram says): nothing else.
        expected = ("blocked by the user", "query is too old")
        assert [r for r in db.bad_requests(bot) if not any(e in r for e in expected)] == []


async def test_a_bad_sku_is_explained_and_cancel_sends_nothing(tmp_path: Path) -> None:
    async with admin_world(tmp_path) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        await alice.say("/start")
        refused = await world.eve.say("/broadcast")  # in the admin group, but not an admin
        assert "Only the shop's admins can do that" in refused.text
        picker = await ann.say("/broadcast")
        await ann.tap("All customers", picker)
        await ann.say("Hello from the tea house")
        wrong = await ann.say("NO-SUCH-SKU")
        assert "no product on sale with SKU NO-SUCH-SKU" in wrong.text
        preview = await ann.tap("Skip")
        assert "Audience" in preview.text
        [text_preview] = [
            m for m in ann.chat.bot_messages() if m.text == "Hello from the tea house"
        ]
        assert text_preview.buttons == []
        cancelled = await ann.tap("Cancel", preview)
        assert "nothing was sent" in cancelled.text
        assert await db.rows(bot, BroadcastRow) == []
        assert db.bad_requests(bot) == []


async def test_a_fan_out_killed_half_way_delivers_each_message_once_after_a_restart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Jobs run only when the test says (run_jobs off), so the crash lands where it should.
    async with admin_world(tmp_path, run_jobs=False) as world:
        bot, alice, ann = world.bot, world.alice, world.ann
        await alice.say("/start")
        people = [alice] + [await _meet(bot, 2000 + n, f"Customer {n}") for n in range(5)]
        await _compose(ann)
        await ann.tap("Send", ann.find("Send"))

        real_add = SqlOutboxRepository.add
        added = {"n": 0}

        async def dying_add(self: SqlOutboxRepository, notification, at):  # type: ignore[no-untyped-def]
            if notification.template == "mkt.broadcast":
                added["n"] += 1
                if added["n"] == 3:  # the second batch's first message: the process dies
                    raise SystemExit("killed mid-fan-out")
            await real_add(self, notification, at)

        assert bot.app is not None
        bot.app.bot_data.broadcasts.batch_size = 2  # type: ignore[union-attr]
        monkeypatch.setattr(SqlOutboxRepository, "add", dying_add)
        with pytest.raises(SystemExit):
            await bot.app.bot_data.jobs.guarded["broadcasts"]()
        queued = await db.rows(bot, OutboxRow, OutboxRow.template == "mkt.broadcast")
        assert len(queued) == 2, "the first batch committed, the second rolled back whole"

        monkeypatch.setattr(SqlOutboxRepository, "add", real_add)
        await bot.crash()
        await bot.start()  # a new process on the same database
        bot.app.bot_data.broadcasts.batch_size = 2  # type: ignore[union-attr]
        await bot.app.bot_data.jobs.run("broadcasts")
        await bot.app.bot_data.jobs.run("broadcasts")  # and once more: nothing new
        for _ in range(3):
            await bot.app.bot_data.jobs.run("outbox")

        for person in people:
            assert _broadcasts_to(person) == [CAPTION], person.transcript()
        async with db.db_of(bot).uow(readonly=True) as uow:
            keys = list(
                (
                    await uow.session.scalars(
                        select(OutboxRow.dedupe_key).where(OutboxRow.template == "mkt.broadcast")
                    )
                ).all()
            )
        assert len(keys) == len(set(keys)) == len(people)
        [row] = await db.rows(bot, BroadcastRow)
        assert (row.status, row.sent, row.queued) == ("done", len(people), len(people))
        summaries = [m for m in ann.chat.bot_messages() if "is done" in (m.text or "")]
        assert len(summaries) == 1
