"""Marketing (issue 16): back-in-stock subscriptions and broadcasts with their recipients, on the
fakes, SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any

from domain.marketing.records import Broadcast, BroadcastStatus, Outcome
from domain.shared.customers import Customer, Language
from domain.shared.notifications import Notification
from tests.contract import seed
from tests.contract.seed import Factory, at


async def test_watching_is_once_per_customer_and_product_until_notified(
    uow_factory: Factory,
) -> None:
    tea = await seed.product(uow_factory, stock=0)
    ann = await seed.customer(uow_factory, 7)
    async with uow_factory() as uow:
        assert await uow.stock_watchers.watch(ann, tea, at(0))
        assert not await uow.stock_watchers.watch(ann, tea, at(1))  # a double tap
        assert await uow.stock_watchers.is_watching(ann, tea)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.stock_watchers.unwatch(ann, tea)
        assert not await uow.stock_watchers.unwatch(ann, tea)
        assert not await uow.stock_watchers.is_watching(ann, tea)
        await uow.commit()


async def test_take_waiting_takes_only_products_on_sale_and_only_once(
    uow_factory: Factory,
) -> None:
    tea = await seed.product(uow_factory, "TEA", stock=0)
    cup = await seed.product(uow_factory, "CUP", stock=0)
    ann = await seed.customer(uow_factory, 7)
    bob = await seed.customer(uow_factory, 8)
    async with uow_factory() as uow:
        await uow.customers.upsert(Customer(id=bob, first_name="Bob", language_code="zh-hans"))
        for customer in (bob, ann):
            await uow.stock_watchers.watch(customer, tea, at(customer))
        await uow.stock_watchers.watch(ann, cup, at(2))
        await uow.commit()
    async with uow_factory() as uow:  # nothing is back yet
        assert await uow.stock_watchers.take_waiting([tea, cup], at(5)) == []
        await uow.products.restock(tea, 3)
        taken = await uow.stock_watchers.take_waiting([tea, cup], at(6))
        await uow.commit()
    # Subscription order within the product; languages as the customers speak.
    assert [(w.customer_id, w.product_id, w.language) for w in taken] == [
        (bob, tea, Language.ZH),
        (ann, tea, Language.EN),
    ]
    assert taken[0].since == at(bob)
    async with uow_factory() as uow:
        assert await uow.stock_watchers.take_waiting([tea], at(7)) == []  # once
        assert not await uow.stock_watchers.is_watching(ann, tea)
        assert await uow.stock_watchers.is_watching(ann, cup)
        # Waiting again after being told: a new subscription, told again next time.
        assert await uow.stock_watchers.watch(ann, tea, at(8))
        assert [w.customer_id for w in await uow.stock_watchers.take_waiting([tea], at(9))] == [ann]
        await uow.commit()


async def test_take_waiting_leaves_reserved_or_inactive_products_waiting(
    uow_factory: Factory,
) -> None:
    held = await seed.product(uow_factory, "HELD", stock=2, reserved=2)
    off = await seed.product(uow_factory, "OFF", stock=5, active=False)
    ann = await seed.customer(uow_factory, 7)
    async with uow_factory() as uow:
        await uow.stock_watchers.watch(ann, held, at(0))
        await uow.stock_watchers.watch(ann, off, at(0))
        assert await uow.stock_watchers.take_waiting([held, off], at(1)) == []
        await uow.products.release(held, 1)
        assert [
            w.product_id for w in await uow.stock_watchers.take_waiting([held, off], at(2))
        ] == [held]
        await uow.commit()


def _broadcast(**fields: Any) -> Broadcast:
    values: dict[str, Any] = {
        "audience": "all",
        "text_html": "<b>Sale</b> today",
        "photo_file_id": None,
        "product_id": None,
        "language": Language.EN,
        "created_by": 1,
        "created_at": at(0),
        "audience_count": 3,
    }
    values.update(fields)
    return Broadcast(**values)


async def test_a_broadcast_fans_out_with_a_compare_and_set_cursor(uow_factory: Factory) -> None:
    for customer_id in (5, 7, 9):
        await seed.customer(uow_factory, customer_id)
    async with uow_factory() as uow:
        assert await uow.broadcasts.customer_count() == 3
        broadcast_id = await uow.broadcasts.add(_broadcast())
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.broadcasts.customer_ids_after(0, 2) == [5, 7]
        assert await uow.broadcasts.customer_ids_after(7, 2) == [9]
        recipients = await uow.broadcasts.recipients([9, 5, 404])
        assert [(r.customer_id, r.reachable, r.optional_messages) for r in recipients] == [
            (5, True, True),
            (9, True, True),
        ]
        new = await uow.broadcasts.add_recipients(
            broadcast_id, {5: Outcome.QUEUED, 7: Outcome.SKIPPED}
        )
        assert new == {5, 7}
        assert await uow.broadcasts.add_recipients(broadcast_id, {5: Outcome.QUEUED}) == set()
        counts = {Outcome.QUEUED: 1, Outcome.SKIPPED: 1}
        assert await uow.broadcasts.advance(broadcast_id, 0, 7, counts, None)
        assert not await uow.broadcasts.advance(broadcast_id, 0, 7, counts, None)  # moved
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.broadcasts.add_recipients(broadcast_id, {9: Outcome.BLOCKED}) == {9}
        assert await uow.broadcasts.advance(broadcast_id, 7, 9, {Outcome.BLOCKED: 1}, at(1))
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        found = await uow.broadcasts.get(broadcast_id)
        assert [b.id for b in await uow.broadcasts.unfinished()] == [broadcast_id]
    assert found is not None
    assert found.status == BroadcastStatus.DELIVERING
    assert (found.cursor, found.queued, found.skipped, found.blocked) == (9, 1, 1, 1)
    assert found.fanned_out_at == at(1)
    assert found.text_html == "<b>Sale</b> today"
    assert (found.card_chat_id, found.card_message_id) == (None, None)
    async with uow_factory() as uow:
        await uow.broadcasts.set_card(broadcast_id, -100, 42)
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        found = await uow.broadcasts.get(broadcast_id)
    assert found is not None and (found.card_chat_id, found.card_message_id) == (-100, 42)


async def test_outcomes_count_once_and_the_last_one_finishes_the_broadcast(
    uow_factory: Factory,
) -> None:
    for customer_id in (5, 7):
        await seed.customer(uow_factory, customer_id)
    async with uow_factory() as uow:
        broadcast_id = await uow.broadcasts.add(_broadcast())
        await uow.broadcasts.add_recipients(broadcast_id, {5: Outcome.QUEUED, 7: Outcome.QUEUED})
        await uow.broadcasts.advance(broadcast_id, 0, 7, {Outcome.QUEUED: 2}, at(1))
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.broadcasts.record_outcome(broadcast_id, 5, Outcome.SENT)
        assert not await uow.broadcasts.record_outcome(broadcast_id, 5, Outcome.SENT)  # again
        assert not await uow.broadcasts.record_outcome(broadcast_id, 404, Outcome.SENT)
        assert not await uow.broadcasts.finish(broadcast_id, at(2))  # 7 is still queued
        assert await uow.broadcasts.record_outcome(broadcast_id, 7, Outcome.BLOCKED)
        assert await uow.broadcasts.finish(broadcast_id, at(3))
        assert not await uow.broadcasts.finish(broadcast_id, at(4))  # once
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        found = await uow.broadcasts.get(broadcast_id)
        assert await uow.broadcasts.unfinished() == []
        newest = await uow.broadcasts.recent(5)
    assert found is not None
    assert (found.sent, found.blocked, found.failed, found.pending) == (1, 1, 0, 0)
    assert found.status == BroadcastStatus.DONE and found.finished_at == at(3)
    assert [b.id for b in newest] == [broadcast_id]


async def test_a_stalled_broadcast_settles_recipients_whose_message_will_never_report(
    uow_factory: Factory,
) -> None:
    for customer_id in (5, 7, 9):
        await seed.customer(uow_factory, customer_id)
    async with uow_factory() as uow:
        broadcast_id = await uow.broadcasts.add(_broadcast())
        queued = {c: Outcome.QUEUED for c in (5, 7, 9)}
        await uow.broadcasts.add_recipients(broadcast_id, queued)
        await uow.broadcasts.advance(broadcast_id, 0, 9, {Outcome.QUEUED: 3}, at(1))
        for customer_id in (5, 7, 9):
            key = f"broadcast:{broadcast_id}:{customer_id}"
            await uow.outbox.add(Notification(customer_id, "mkt.broadcast", dedupe_key=key), at(1))
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.broadcasts.settle_stalled(broadcast_id, at(2)) == {}
        await uow.customers.set_reachable(7, False)  # blocked the bot after the fan-out
        [row_9] = [n for n in await uow.outbox.claim_due(at(2), 10, 60.0) if n.chat_id == 9]
        assert row_9.id is not None
        await uow.outbox.give_up(row_9.id, "personal data erased", at(2))  # /mydata
        settled = await uow.broadcasts.settle_stalled(broadcast_id, at(3))
        assert settled == {Outcome.BLOCKED: 1, Outcome.FAILED: 1}
        assert await uow.broadcasts.settle_stalled(broadcast_id, at(4)) == {}
        assert not await uow.broadcasts.record_outcome(broadcast_id, 7, Outcome.SENT)
        await uow.outbox.release_all_claims()
        await uow.commit()
    async with uow_factory() as uow:
        # Only customer 5's row is still owed: 7's was given up, so it never goes out late.
        [due] = await uow.outbox.claim_due(at(5), 10, 60.0)
        assert due.chat_id == 5
        assert await uow.broadcasts.record_outcome(broadcast_id, 5, Outcome.SENT)
        assert await uow.broadcasts.finish(broadcast_id, at(6))
        found = await uow.broadcasts.get(broadcast_id)
        await uow.commit()
    assert found is not None
    assert (found.sent, found.blocked, found.failed, found.pending) == (1, 1, 1, 0)


async def test_retention_forgets_recipients_of_broadcasts_finished_long_ago_only(
    uow_factory: Factory,
) -> None:
    for customer_id in (5, 7, 9):
        await seed.customer(uow_factory, customer_id)
    async with uow_factory() as uow:
        old = await uow.broadcasts.add(_broadcast())
        recent = await uow.broadcasts.add(_broadcast())
        running = await uow.broadcasts.add(_broadcast())
        for broadcast_id in (old, recent, running):
            await uow.broadcasts.add_recipients(
                broadcast_id, {5: Outcome.QUEUED, 7: Outcome.SKIPPED, 9: Outcome.QUEUED}
            )
            counts = {Outcome.QUEUED: 2, Outcome.SKIPPED: 1}
            await uow.broadcasts.advance(broadcast_id, 0, 9, counts, at(1))
        for broadcast_id, done_at in ((old, at(2)), (recent, at(20))):
            for customer_id in (5, 9):
                await uow.broadcasts.record_outcome(broadcast_id, customer_id, Outcome.SENT)
            assert await uow.broadcasts.finish(broadcast_id, done_at)
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.broadcasts.forget_recipients(at(10), 2) == 2  # a batch
        assert await uow.broadcasts.forget_recipients(at(10), 2) == 1
        assert await uow.broadcasts.forget_recipients(at(10), 2) == 0
        await uow.commit()
    async with uow_factory() as uow:
        # Gone: the old broadcast takes them as new; the others still know theirs.
        assert await uow.broadcasts.add_recipients(old, {5: Outcome.QUEUED}) == {5}
        assert await uow.broadcasts.add_recipients(recent, {5: Outcome.QUEUED}) == set()
        assert await uow.broadcasts.add_recipients(running, {5: Outcome.QUEUED}) == set()
        kept = await uow.broadcasts.get(old)
    assert kept is not None and (kept.sent, kept.skipped, kept.pending) == (2, 1, 0)
