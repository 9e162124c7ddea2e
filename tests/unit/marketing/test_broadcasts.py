"""Broadcasts (issue 16), with the fakes: the dialog, the fan-out in batches (a crash in a batch
neither loses nor doubles a message), the outbox's outcomes counted once, and the summary."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.marketing.broadcasts import Broadcasts
from domain.marketing.records import (
    BROADCAST_TEMPLATE,
    DONE_TEMPLATE,
    BroadcastStatus,
    Outcome,
)
from domain.shared.clock import FixedClock
from domain.shared.customers import Customer, Language
from domain.shared.dialogs import StaleDialogError
from domain.shared.errors import InvalidInputError
from domain.shared.money import Money
from domain.shared.notifications import Notification
from jobs.marketing import broadcast_outcomes
from jobs.outbox import Delivery, OutboxDispatcher, Sent, Undeliverable, Unreachable
from tests.unit import fakes
from tests.unit.fakes import FakeUnitOfWorkFactory

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
ADMIN_CHAT = -100
ADMIN = 1


def _shop(batch_size: int = 2) -> tuple[FakeUnitOfWorkFactory, Broadcasts, FixedClock]:
    """Customers 11..15: 12 turned optional messages off, 13 blocked the bot; 14 speaks Chinese."""
    factory = FakeUnitOfWorkFactory()
    store = factory.store
    for customer_id in range(11, 16):
        store.customers[customer_id] = Customer(customer_id, f"C{customer_id}")
    store.customers[12].optional_messages = False
    store.customers[13].reachable = False
    store.customers[14].language_code = "zh"
    store.add_product("Tea", Money(500, "USD"), stock=3, sku="TEA")
    clock = FixedClock(T0)
    broadcasts = Broadcasts(
        factory,
        clock,
        currency="USD",
        admin_chat_id=ADMIN_CHAT,
        tokens=iter(f"tok{i}" for i in range(100)).__next__,
        batch_size=batch_size,
    )
    return factory, broadcasts, clock


async def _send(broadcasts: Broadcasts, text: str = "<b>Sale</b>", sku: str | None = "tea") -> int:
    await broadcasts.start(ADMIN_CHAT, ADMIN, "all")
    await broadcasts.give_message(ADMIN_CHAT, ADMIN, text, len("Sale"), None)
    if sku is None:
        dialog = await broadcasts.skip_product(ADMIN_CHAT, ADMIN, "tok0")
    else:
        dialog = await broadcasts.give_product(ADMIN_CHAT, ADMIN, sku)
    sent = await broadcasts.send(ADMIN_CHAT, ADMIN, dialog.token, Language.EN)
    assert sent.id is not None
    return sent.id


def _rows(factory: FakeUnitOfWorkFactory, template: str = BROADCAST_TEMPLATE) -> list[Notification]:
    return [
        e.notification for e in factory.store.outbox.values() if e.notification.template == template
    ]


async def test_the_dialog_checks_each_answer_and_sends_once() -> None:
    factory, broadcasts, _ = _shop()
    dialog = await broadcasts.start(ADMIN_CHAT, ADMIN, "all")
    assert dialog.data["count"] == 5
    with pytest.raises(InvalidInputError):
        await broadcasts.give_message(ADMIN_CHAT, ADMIN, "", 0, None)  # no text, no photo
    await broadcasts.give_message(ADMIN_CHAT, ADMIN, "", 0, "photo-file-id")  # a bare photo
    with pytest.raises(InvalidInputError) as refused:
        await broadcasts.give_product(ADMIN_CHAT, ADMIN, "NOPE")
    assert refused.value.key == "mkt.error.no_product"
    dialog = await broadcasts.give_product(ADMIN_CHAT, ADMIN, "tea")  # typed in lower case
    sent = await broadcasts.send(ADMIN_CHAT, ADMIN, dialog.token, Language.EN)
    with pytest.raises(StaleDialogError):  # a double tap on Send
        await broadcasts.send(ADMIN_CHAT, ADMIN, dialog.token, Language.EN)
    assert [b.id for b in await broadcasts.recent()] == [sent.id]
    assert sent.photo_file_id == "photo-file-id" and sent.audience_count == 5
    assert [e.action for e in factory.store.audit] == ["broadcast"]


async def test_the_fan_out_queues_each_recipient_once_in_batches() -> None:
    factory, broadcasts, _ = _shop(batch_size=2)
    broadcast_id = await _send(broadcasts)
    stats = await broadcasts.fan_out()
    assert (stats.queued, stats.skipped, stats.blocked, stats.batches) == (3, 1, 1, 3)
    rows = _rows(factory)
    assert [(n.chat_id, n.language, n.dedupe_key) for n in rows] == [
        (11, Language.EN, f"broadcast:{broadcast_id}:11"),
        (14, Language.ZH, f"broadcast:{broadcast_id}:14"),
        (15, Language.EN, f"broadcast:{broadcast_id}:15"),
    ]
    tea = factory.store.products
    assert rows[0].params == {
        "text": "<b>Sale</b>",
        "broadcast_id": broadcast_id,
        "product_id": next(iter(tea)),
    }
    again = await broadcasts.fan_out()  # nothing left: nothing queued twice
    assert not again and len(_rows(factory)) == 3
    found = await broadcasts.get(broadcast_id)
    assert found is not None and found.status == BroadcastStatus.DELIVERING
    assert (found.queued, found.skipped, found.blocked, found.pending) == (4, 1, 1, 3)


async def test_a_crash_in_a_batch_loses_and_doubles_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    factory, broadcasts, _ = _shop(batch_size=3)  # batches: 11 12 13 | 14 15
    broadcast_id = await _send(broadcasts, sku=None)
    real_add = fakes.FakeOutboxRepository.add
    calls = {"n": 0}

    async def crashing_add(self: fakes.FakeOutboxRepository, n: Notification, at: datetime) -> None:
        calls["n"] += 1
        if calls["n"] == 3:  # the second batch's second message (15): the process dies
            raise RuntimeError("killed")
        await real_add(self, n, at)

    monkeypatch.setattr(fakes.FakeOutboxRepository, "add", crashing_add)
    with pytest.raises(RuntimeError):
        await broadcasts.fan_out()
    assert [n.chat_id for n in _rows(factory)] == [11]  # the first batch committed, alone
    monkeypatch.setattr(fakes.FakeOutboxRepository, "add", real_add)
    await broadcasts.fan_out()  # the restart
    assert [n.chat_id for n in _rows(factory)] == [11, 14, 15]
    recipients = {
        c: o for (b, c), o in factory.store.marketing.recipients.items() if b == broadcast_id
    }
    assert recipients == {
        11: Outcome.QUEUED,
        12: Outcome.SKIPPED,
        13: Outcome.BLOCKED,
        14: Outcome.QUEUED,
        15: Outcome.QUEUED,
    }


class ScriptedSender:
    """Sent, except for the chats given another answer."""

    def __init__(self, answers: dict[int, Delivery]) -> None:
        self.answers = answers
        self.sent: list[int] = []

    async def __call__(self, notification: Notification) -> Delivery:
        answer = self.answers.get(notification.chat_id, Sent())
        if isinstance(answer, Sent):
            self.sent.append(notification.chat_id)
        return answer


async def test_outcomes_are_counted_once_and_the_last_one_sends_the_summary() -> None:
    factory, broadcasts, clock = _shop(batch_size=10)
    broadcast_id = await _send(broadcasts)
    await broadcasts.fan_out()
    sender = ScriptedSender(
        {
            14: Unreachable("forbidden: bot was blocked by the user"),
            15: Undeliverable("bad request"),
        }
    )
    dispatcher = OutboxDispatcher(
        factory, sender, clock, observers=[broadcast_outcomes(ADMIN_CHAT)]
    )
    await dispatcher.run_once()
    found = await broadcasts.get(broadcast_id)
    assert found is not None
    assert (found.sent, found.failed, found.blocked, found.skipped) == (1, 1, 2, 1)
    assert found.status == BroadcastStatus.DONE and found.finished_at == T0
    # The blocked customer's row is given up, not held for their return.
    [blocked_row] = [e for e in factory.store.outbox.values() if e.notification.chat_id == 14]
    assert blocked_row.failed_at is not None
    assert not factory.store.customers[14].reachable
    await dispatcher.run_once()  # the summary goes out once
    [summary] = _rows(factory, DONE_TEMPLATE)
    assert summary.chat_id == ADMIN_CHAT
    assert summary.params == {
        "broadcast_id": broadcast_id,
        "audience": "all",
        "sent": 1,
        "failed": 1,
        "blocked": 2,
        "skipped": 1,
    }
    assert sender.sent == [11, ADMIN_CHAT]
    assert not await broadcasts.fan_out()  # done: nothing more


async def test_a_broadcast_nobody_can_receive_finishes_at_once() -> None:
    factory, broadcasts, _ = _shop()
    for customer in factory.store.customers.values():
        customer.optional_messages = False
    broadcast_id = await _send(broadcasts)
    stats = await broadcasts.fan_out()
    assert stats.finished == 1 and stats.skipped == 5
    found = await broadcasts.get(broadcast_id)
    assert found is not None and found.status == BroadcastStatus.DONE
    assert [n.params["skipped"] for n in _rows(factory, DONE_TEMPLATE)] == [5]


async def test_a_recipient_who_blocks_the_bot_after_the_fan_out_is_settled_when_it_stalls() -> None:
    factory, broadcasts, clock = _shop(batch_size=10)
    broadcast_id = await _send(broadcasts)
    await broadcasts.fan_out()
    factory.store.customers[14].reachable = False  # another message's 403, before ours went
    dispatcher = OutboxDispatcher(
        factory, ScriptedSender({}), clock, observers=[broadcast_outcomes(ADMIN_CHAT)]
    )
    await dispatcher.run_once()  # 11 and 15 go out; 14's row is held, never tried
    await broadcasts.fan_out()  # pending 1: noted
    found = await broadcasts.get(broadcast_id)
    assert found is not None and found.pending == 1 and found.status == BroadcastStatus.DELIVERING
    stats = await broadcasts.fan_out()  # still 1: stalled, settled, finished
    assert (stats.blocked, stats.finished) == (1, 1)
    found = await broadcasts.get(broadcast_id)
    assert found is not None and (found.sent, found.blocked, found.pending) == (2, 2, 0)
    [held] = [e for e in factory.store.outbox.values() if e.notification.chat_id == 14]
    assert held.failed_at is not None, "given up: it will not go out when they come back"
    assert len(_rows(factory, DONE_TEMPLATE)) == 1


async def test_the_cards_to_update_are_those_whose_counts_moved_and_the_finished_once() -> None:
    factory, broadcasts, clock = _shop(batch_size=10)
    broadcast_id = await _send(broadcasts)
    assert await broadcasts.moved() == []  # no card yet
    await broadcasts.set_card(broadcast_id, ADMIN_CHAT, 77)
    assert [b.id for b in await broadcasts.moved()] == [broadcast_id]  # first look
    assert await broadcasts.moved() == []  # nothing moved
    await broadcasts.fan_out()
    [moved] = await broadcasts.moved()
    assert (moved.queued, moved.card_message_id) == (4, 77)
    dispatcher = OutboxDispatcher(
        factory, ScriptedSender({}), clock, observers=[broadcast_outcomes(ADMIN_CHAT)]
    )
    await dispatcher.run_once()  # everything out: done
    [done] = await broadcasts.moved()
    assert done.status == BroadcastStatus.DONE and done.sent == 3
    assert await broadcasts.moved() == []  # told once
