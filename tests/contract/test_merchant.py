"""The merchant's dialogs in the admin chat and the inventory log."""

from __future__ import annotations

from domain.catalog.model import InventoryEntry
from domain.shared.dialogs import Dialog, DialogKind
from tests.contract import seed
from tests.contract.seed import Factory, at


def _dialog(user_id: int = 1, token: str = "t1", **fields: object) -> Dialog:
    values: dict[str, object] = {
        "chat_id": -100,
        "user_id": user_id,
        "kind": DialogKind.SHIP,
        "token": token,
        "step": "carrier",
        "data": {"order": 5, "picked": ["a", 1]},
        "updated_at": at(1),
    }
    values.update(fields)
    return Dialog(**values)  # type: ignore[arg-type]


async def test_a_saved_dialog_comes_back_per_chat_and_user(uow_factory: Factory) -> None:
    async with uow_factory() as uow:
        await uow.dialogs.save(_dialog(1))
        await uow.dialogs.save(_dialog(2, "t2", kind=DialogKind.NOTE, step="text", data={}))
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        assert await uow.dialogs.get(-100, 1) == _dialog(1)
        assert await uow.dialogs.get(-100, 2) == _dialog(
            2, "t2", kind=DialogKind.NOTE, step="text", data={}
        )
        assert await uow.dialogs.get(-100, 3) is None
        assert await uow.dialogs.get(-101, 1) is None


async def test_saving_a_dialog_again_replaces_it(uow_factory: Factory) -> None:
    async with uow_factory() as uow:
        await uow.dialogs.save(_dialog(1))
        await uow.dialogs.save(
            _dialog(1, "t9", kind=DialogKind.STOCK, step="reason", data={"d": 2})
        )
        found = await uow.dialogs.get(-100, 1)
    assert found == _dialog(1, "t9", kind=DialogKind.STOCK, step="reason", data={"d": 2})


async def test_a_dialog_saved_without_a_time_is_stamped(uow_factory: Factory) -> None:
    async with uow_factory() as uow:
        await uow.dialogs.save(_dialog(1, updated_at=None))
        found = await uow.dialogs.get(-100, 1)
    assert found is not None and found.updated_at is not None


async def test_delete_ends_a_dialog_only_when_the_token_matches(uow_factory: Factory) -> None:
    async with uow_factory() as uow:
        await uow.dialogs.save(_dialog(1, "t1"))
        await uow.dialogs.save(_dialog(2, "t2"))
        assert not await uow.dialogs.delete(-100, 1, "stale")
        assert await uow.dialogs.delete(-100, 1, "t1")
        assert not await uow.dialogs.delete(-100, 1, "t1")
        assert await uow.dialogs.delete(-100, 2)  # no token: whatever dialog there is
        assert not await uow.dialogs.delete(-100, 3)
        assert await uow.dialogs.get(-100, 1) is None


def _entry(
    product_id: int, minutes: float, delta: int = 1, reason: str = "count"
) -> InventoryEntry:
    return InventoryEntry(product_id, delta, 10 + delta, reason, "admin:1", at(minutes))


async def test_the_inventory_log_lists_a_products_entries_newest_first(
    uow_factory: Factory,
) -> None:
    ids = await seed.products(uow_factory, seed.draft("A"), seed.draft("B"))
    a = ids["A"]
    async with uow_factory() as uow:
        old = await uow.inventory.add(_entry(a, 1, -2))
        tie_1 = await uow.inventory.add(_entry(a, 5, 3))
        tie_2 = await uow.inventory.add(_entry(a, 5, 4))
        await uow.inventory.add(_entry(ids["B"], 9))
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        found = await uow.inventory.for_product(a, 10)
        top = await uow.inventory.for_product(a, 1)
        assert await uow.inventory.for_product(a + 1000, 10) == []
    assert [e.id for e in found] == [tie_2, tie_1, old]
    assert found[2] == InventoryEntry(a, -2, 8, "count", "admin:1", at(1), id=old)
    assert [e.id for e in top] == [tie_2]


async def test_the_inventory_log_keeps_the_first_200_characters_of_a_reason(
    uow_factory: Factory,
) -> None:
    tea = await seed.product(uow_factory)
    async with uow_factory() as uow:
        await uow.inventory.add(_entry(tea, 1, reason="x" * 300))
        [found] = await uow.inventory.for_product(tea, 1)
    assert found.reason == "x" * 200
