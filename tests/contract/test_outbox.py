"""The outbox: notifications queued with their cause, claimed, sent or retried by the job."""

from __future__ import annotations

from domain.shared.customers import Language
from domain.shared.notifications import Notification
from tests.contract import seed
from tests.contract.seed import Factory, at

LEASE = 60.0  # seconds


def note(chat_id: int, template: str = "t", dedupe_key: str | None = None) -> Notification:
    return Notification(chat_id, template, dedupe_key=dedupe_key)


async def _add(uow_factory: Factory, *notifications: Notification, minutes: float = 0) -> None:
    async with uow_factory() as uow:
        for notification in notifications:
            await uow.outbox.add(notification, at(minutes))
        await uow.commit()


async def _claim(
    uow_factory: Factory, minutes: float, limit: int = 10, exclude: tuple[int, ...] = ()
) -> list[Notification]:
    async with uow_factory() as uow:
        claimed = await uow.outbox.claim_due(at(minutes), limit, LEASE, exclude_chats=exclude)
        await uow.commit()
    return claimed


def _templates(claimed: list[Notification]) -> list[str]:
    return [n.template for n in claimed]


async def test_a_claimed_notification_carries_everything_that_was_queued(
    uow_factory: Factory,
) -> None:
    queued = Notification(
        chat_id=7,
        template="order-paid",
        params={"number": "A-1", "total": 3500, "items": ["tea"]},
        language=Language.ZH,
        buttons=[[("btn-open", "o:1"), ("btn-pay", "p:1")], [("btn-back", "b")]],
        dedupe_key="paid:1",
        attempts=5,
    )
    await _add(uow_factory, queued)
    [claimed] = await _claim(uow_factory, 0)
    assert claimed.id is not None
    assert claimed == Notification(
        7, "order-paid", queued.params, Language.ZH, queued.buttons, "paid:1", claimed.id, 1
    )


async def test_a_second_notification_with_the_same_dedupe_key_is_dropped(
    uow_factory: Factory,
) -> None:
    await _add(uow_factory, note(7, "a", "k"), note(8, "b", "k"), note(7, "c"), note(7, "d"))
    await _add(uow_factory, note(9, "e", "k"))
    async with uow_factory(readonly=True) as uow:
        assert await uow.outbox.pending_count() == 3


async def test_claim_due_takes_only_the_oldest_pending_row_of_a_chat(uow_factory: Factory) -> None:
    await _add(uow_factory, note(7, "first"), note(8, "other"), note(7, "second"))
    assert _templates(await _claim(uow_factory, 0)) == ["first", "other"]


async def test_claim_due_takes_chats_in_the_order_their_rows_were_queued_up_to_the_limit(
    uow_factory: Factory,
) -> None:
    await _add(uow_factory, note(9, "a"), note(7, "b"), note(8, "c"))
    assert _templates(await _claim(uow_factory, 0, limit=2)) == ["a", "b"]
    assert _templates(await _claim(uow_factory, 0, limit=2)) == ["c"]


async def test_claim_due_counts_an_attempt_and_leases_the_row(uow_factory: Factory) -> None:
    await _add(uow_factory, note(7, "a"), note(7, "b"))
    [first] = await _claim(uow_factory, 0)
    assert first.attempts == 1
    assert await _claim(uow_factory, 0.5) == []  # leased: not taken again
    assert await _claim(uow_factory, 1) == []  # the lease ends after, not at, its last moment
    [again] = await _claim(uow_factory, 1.01)  # an expired lease: taken again
    assert (again.id, again.template, again.attempts) == (first.id, "a", 2)


async def test_a_row_not_yet_due_holds_back_its_chat(uow_factory: Factory) -> None:
    await _add(uow_factory, note(7, "later"), minutes=5)
    await _add(uow_factory, note(8, "now"))
    await _add(uow_factory, note(7, "after"), minutes=0)
    assert _templates(await _claim(uow_factory, 4)) == ["now"]
    assert _templates(await _claim(uow_factory, 5)) == ["later"]  # due at its very moment


async def test_claim_due_leaves_out_excluded_chats(uow_factory: Factory) -> None:
    await _add(uow_factory, note(7, "a"), note(8, "b"), note(9, "c"))
    assert _templates(await _claim(uow_factory, 0, exclude=(7, 9))) == ["b"]
    assert _templates(await _claim(uow_factory, 0, exclude=())) == ["a", "c"]


async def test_claim_due_skips_customers_who_cannot_be_reached(uow_factory: Factory) -> None:
    await seed.customer(uow_factory, 7, reachable=False)
    await seed.customer(uow_factory, 8)
    await _add(uow_factory, note(7, "blocked"), note(8, "known"), note(-100, "admin chat"))
    assert _templates(await _claim(uow_factory, 0)) == ["known", "admin chat"]
    async with uow_factory() as uow:
        await uow.customers.set_reachable(7, True)
        await uow.commit()
    assert _templates(await _claim(uow_factory, 0)) == ["blocked"]


async def test_mark_sent_lets_the_next_row_of_the_chat_go(uow_factory: Factory) -> None:
    await _add(uow_factory, note(7, "a"), note(7, "b"))
    [first] = await _claim(uow_factory, 0)
    assert first.id is not None
    async with uow_factory() as uow:
        await uow.outbox.mark_sent(first.id, at(0))
        assert await uow.outbox.pending_count() == 1
        await uow.commit()
    [second] = await _claim(uow_factory, 0)
    assert second.id is not None and second.template == "b"
    async with uow_factory() as uow:
        await uow.outbox.mark_sent(second.id, at(0))
        await uow.commit()
    assert await _claim(uow_factory, 10) == []  # sent rows are never taken again


async def test_retry_later_frees_the_row_until_its_next_attempt(uow_factory: Factory) -> None:
    await _add(uow_factory, note(7, "a"), note(7, "b"))
    [first] = await _claim(uow_factory, 0)
    assert first.id is not None
    async with uow_factory() as uow:
        await uow.outbox.retry_later(first.id, "flood " * 500, at(3))
        await uow.commit()
    assert await _claim(uow_factory, 2) == []  # the chat waits for its head row
    [again] = await _claim(uow_factory, 3)
    assert (again.template, again.attempts) == ("a", 2)


async def test_retry_later_uncounted_gives_the_attempt_back(uow_factory: Factory) -> None:
    await _add(uow_factory, note(7, "a"))
    [first] = await _claim(uow_factory, 0)
    assert first.id is not None
    async with uow_factory() as uow:
        await uow.outbox.retry_later(first.id, "rate limited", at(1), counted=False)
        await uow.commit()
    [again] = await _claim(uow_factory, 1)
    assert again.attempts == 1


async def test_give_up_fails_the_row_and_lets_the_next_one_go(uow_factory: Factory) -> None:
    await _add(uow_factory, note(7, "a"), note(7, "b"))
    [first] = await _claim(uow_factory, 0)
    assert first.id is not None
    async with uow_factory() as uow:
        await uow.outbox.give_up(first.id, "chat not found", at(0))
        assert await uow.outbox.pending_count() == 1
        await uow.commit()
    assert _templates(await _claim(uow_factory, 0)) == ["b"]


async def test_hold_frees_the_row_at_once_without_counting_the_attempt(
    uow_factory: Factory,
) -> None:
    await _add(uow_factory, note(7, "a"))
    [first] = await _claim(uow_factory, 0)
    assert first.id is not None
    async with uow_factory() as uow:
        await uow.outbox.hold(first.id, "paused")
        await uow.commit()
    [again] = await _claim(uow_factory, 0)
    assert (again.id, again.attempts) == (first.id, 1)


async def test_release_gives_a_claimed_row_back_untouched(uow_factory: Factory) -> None:
    await _add(uow_factory, note(7, "a"), note(8, "b"))
    first, second = await _claim(uow_factory, 0)
    assert first.id is not None and second.id is not None
    async with uow_factory() as uow:
        await uow.outbox.release(first.id)
        await uow.outbox.mark_sent(second.id, at(0))
        await uow.outbox.release(second.id)  # sent already: nothing to give back
        await uow.commit()
    [again] = await _claim(uow_factory, 0)
    assert (again.id, again.attempts) == (first.id, 1)
    async with uow_factory(readonly=True) as uow:
        assert await uow.outbox.pending_count() == 1


async def test_waiting_chats_names_those_of_the_given_chats_with_a_row_to_claim(
    uow_factory: Factory,
) -> None:
    await seed.customer(uow_factory, 10, reachable=False)
    await _add(uow_factory, note(7, "a"), note(8, "b"), note(10, "blocked"), note(11, "x"))
    await _add(uow_factory, note(9, "later"), minutes=5)
    [claimed] = await _claim(uow_factory, 0, limit=1)  # chat 7 leased
    assert claimed.template == "a"
    async with uow_factory(readonly=True) as uow:
        assert await uow.outbox.waiting_chats(at(0), [7, 8, 9, 10]) == {8}
        assert await uow.outbox.waiting_chats(at(5), [8, 9]) == {8, 9}
        assert await uow.outbox.waiting_chats(at(0), []) == set()


async def test_pending_count_counts_rows_neither_sent_nor_failed(uow_factory: Factory) -> None:
    async with uow_factory(readonly=True) as uow:
        assert await uow.outbox.pending_count() == 0
    await _add(uow_factory, note(7, "a"), note(8, "b"), note(9, "c"))
    await _claim(uow_factory, 0)
    async with uow_factory(readonly=True) as uow:
        assert await uow.outbox.pending_count() == 3  # claimed rows are still pending


async def test_the_steps_of_an_unknown_row_change_nothing(uow_factory: Factory) -> None:
    await _add(uow_factory, note(7, "a"))
    [claimed] = await _claim(uow_factory, 0)
    ghost = (claimed.id or 0) + 1000
    async with uow_factory() as uow:
        await uow.outbox.mark_sent(ghost, at(0))
        await uow.outbox.retry_later(ghost, "x", at(0))
        await uow.outbox.give_up(ghost, "x", at(0))
        await uow.outbox.hold(ghost, "x")
        await uow.outbox.release(ghost)
        assert await uow.outbox.pending_count() == 1


async def test_release_all_claims_frees_rows_a_gone_runner_claimed(uow_factory: Factory) -> None:
    await _add(uow_factory, note(7, "a"), note(8, "b"), note(9, "c"))
    first, second, third = await _claim(uow_factory, 0)
    assert await _claim(uow_factory, 0) == [], "leased: nobody else takes them"
    assert first.id is not None and second.id is not None
    async with uow_factory() as uow:
        await uow.outbox.mark_sent(second.id, at(0))
        assert await uow.outbox.release_all_claims() == 2  # the sent one stays sent
        await uow.commit()
    again = await _claim(uow_factory, 0)
    assert sorted(n.id for n in again) == sorted([first.id, third.id])


async def test_forget_done_deletes_old_sent_and_failed_rows_and_keeps_what_is_owed(
    uow_factory: Factory,
) -> None:
    await _add(uow_factory, note(7, "sent"), note(8, "failed"), note(9, "pending"))
    await _add(uow_factory, note(10, "sent late"), minutes=30)
    sent, failed, _pending = await _claim(uow_factory, 0)
    [sent_late] = await _claim(uow_factory, 30, exclude=(7, 8, 9))
    assert sent.id and failed.id and sent_late.id
    async with uow_factory() as uow:
        await uow.outbox.mark_sent(sent.id, at(1))
        await uow.outbox.give_up(failed.id, "chat not found", at(1))
        await uow.outbox.mark_sent(sent_late.id, at(31))
        await uow.commit()
    async with uow_factory() as uow:
        # failed rows are kept longer: only the sent row before minute 10 goes
        assert await uow.outbox.forget_done(at(10), at(0), limit=10) == 1
        assert await uow.outbox.forget_done(at(10), at(10), limit=10) == 1  # now the failed
        assert await uow.outbox.forget_done(at(10), at(10), limit=10) == 0
        assert await uow.outbox.pending_count() == 1
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.outbox.forget_done(at(60), at(60), limit=10) == 1  # the late one
        await uow.commit()
    # the pending row is still owed and still goes out once its lease is over
    assert _templates(await _claim(uow_factory, 0)) == []
    assert _templates(await _claim(uow_factory, 40)) == ["pending"]
