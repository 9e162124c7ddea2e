"""Orders from other sales channels (storage/channels.py and the fake): an order by its
channel's reference (unique per channel), the sync's keyset pages, the customer a verified
phone belongs to, and the channel's own customer row."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.channels.orders import channel_customer_id
from domain.orders.lifecycle import OrderStatus
from domain.shared.errors import DuplicateError
from domain.shared.notifications import Notification
from tests.contract import seed
from tests.contract.seed import Factory, at, new_order


async def _place(
    uow_factory: Factory, number: str, channel: str | None, reference: str | None
) -> int:
    pid = await seed.product(uow_factory, f"P{number}", stock=10)
    await seed.customer(uow_factory, 7)
    placed = replace(new_order(number, 7, {pid: 1}), channel=channel, channel_reference=reference)
    async with uow_factory() as uow:
        order_id = await uow.orders.add(placed)
        await uow.commit()
    return order_id


async def test_an_order_is_found_by_its_channels_reference_and_a_reference_is_taken_once(
    uow_factory: Factory,
) -> None:
    order_id = await _place(uow_factory, "C-1", "webshop", "WS-1")
    await _place(uow_factory, "C-2", "market", "WS-1")  # another channel's same reference
    await _place(uow_factory, "C-3", None, None)  # chat orders have none
    await _place(uow_factory, "C-4", None, None)
    async with uow_factory(readonly=True) as uow:
        found = await uow.channels.by_reference("webshop", "WS-1")
        assert found is not None and found.id == order_id
        assert (found.channel, found.channel_reference) == ("webshop", "WS-1")
        assert (await uow.orders.get(order_id)) == found
        assert await uow.channels.by_reference("webshop", "WS-2") is None
    pid = await seed.product(uow_factory, "DUP", stock=10)
    twin = replace(new_order("C-5", 7, {pid: 1}), channel="webshop", channel_reference="WS-1")
    async with uow_factory() as uow:
        with pytest.raises(DuplicateError):
            await uow.orders.add(twin)
        # The unit of work goes on after the refused duplicate (a SAVEPOINT on SQL).
        assert await uow.orders.get(order_id) is not None
        await uow.commit()


async def test_changed_since_pages_by_updated_at_then_id(uow_factory: Factory) -> None:
    ids = []
    for n, minutes in enumerate([3, 1, 2, 2, 5]):
        pid = await seed.product(uow_factory, f"K{n}", stock=10)
        await seed.customer(uow_factory, 7)
        placed = replace(new_order(f"K-{n}", 7, {pid: 1}), updated_at=at(minutes))
        async with uow_factory() as uow:
            ids.append(await uow.orders.add(placed))
            await uow.commit()
    expected = [ids[1], ids[2], ids[3], ids[0], ids[4]]  # (1), (2, id), (2, id), (3), (5)
    seen: list[int] = []
    after = None
    while True:
        async with uow_factory(readonly=True) as uow:
            page = await uow.channels.changed_since(at(0), after, 2)
        if not page:
            break
        seen += [o.id for o in page if o.id is not None]
        assert page[-1].updated_at is not None and page[-1].id is not None
        after = (page[-1].updated_at, page[-1].id)
    assert seen == expected
    async with uow_factory(readonly=True) as uow:
        since = await uow.channels.changed_since(at(2), None, 10)
        assert [o.id for o in since] == expected[1:]
    # A status change moves the order to the end.
    async with uow_factory() as uow:
        moved = await uow.orders.get(ids[1])
        assert moved is not None
        moved.status, moved.updated_at = OrderStatus.CANCELLED, at(9)
        assert await uow.orders.save_status(moved, expected=OrderStatus.PENDING_PAYMENT)
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        last = await uow.channels.changed_since(at(4), None, 10)
        assert [o.id for o in last] == [ids[4], ids[1]]


async def test_a_verified_phone_finds_the_one_customer_who_verified_it_last(
    uow_factory: Factory,
) -> None:
    await seed.customer(uow_factory, 7)
    await seed.customer(uow_factory, 8)
    async with uow_factory(readonly=True) as uow:
        assert await uow.channels.customer_with_phone("+14155552671") is None
    async with uow_factory() as uow:
        await uow.customers.set_verified_phone(7, "+14155552671")
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert await uow.channels.customer_with_phone("+14155552671") == 7
        assert await uow.channels.customer_with_phone("+14155552672") is None
    async with uow_factory() as uow:
        await uow.customers.set_verified_phone(8, "+14155552671")
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert await uow.channels.customer_with_phone("+14155552671") == 8
    # The number moved to 8's account: 7 lost it, whatever 7 changes later.
    async with uow_factory() as uow:
        await uow.customers.set_language(7, "zh")
        await uow.customers.set_verified_phone(7, "+14155552672")
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert await uow.channels.customer_with_phone("+14155552671") == 8
        assert await uow.channels.customer_with_phone("+14155552672") == 7
    # An erased customer's verified phone is gone with the rest of their data.
    async with uow_factory() as uow:
        await uow.personal.erase(8, "—", at(1))
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert await uow.channels.customer_with_phone("+14155552671") is None
        assert await uow.channels.customer_with_phone("+14155552672") == 7


async def test_the_channels_customer_is_made_once_and_is_never_written_to(
    uow_factory: Factory,
) -> None:
    customer_id = channel_customer_id("webshop")
    for _ in range(2):
        async with uow_factory() as uow:
            await uow.channels.ensure_channel_customer(customer_id, "webshop")
            await uow.commit()
    async with uow_factory() as uow:
        found = await uow.customers.get(customer_id)
        assert found is not None and found.first_name == "webshop"
        assert not found.reachable
        await uow.outbox.add(Notification(chat_id=customer_id, template="t"), at(0))
        await uow.outbox.add(Notification(chat_id=7, template="t"), at(0))
        await uow.commit()
    async with uow_factory() as uow:
        due = await uow.outbox.claim_due(at(1), 10, 60)
        assert [n.chat_id for n in due] == [7]
        assert await uow.outbox.pending_count() == 1
