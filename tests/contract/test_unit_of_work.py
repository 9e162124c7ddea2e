"""The unit of work: one transaction that rolls back unless told to commit."""

from __future__ import annotations

import pytest

from tests.contract import seed
from tests.contract.seed import Factory


async def _reserved(uow_factory: Factory, product_id: int) -> int:
    async with uow_factory(readonly=True) as uow:
        product = await uow.products.get(product_id)
    assert product is not None
    return product.reserved


async def test_rolls_back_uncommitted_work_by_default(uow_factory: Factory) -> None:
    tea = await seed.product(uow_factory, stock=5)
    await seed.customer(uow_factory, 7)
    async with uow_factory() as uow:
        assert await uow.products.reserve(tea, 2)
        await uow.carts.set_quantity(7, tea, 3)
    assert await _reserved(uow_factory, tea) == 0
    async with uow_factory(readonly=True) as uow:
        assert (await uow.carts.get(7)).lines == []


async def test_sees_its_own_uncommitted_work(uow_factory: Factory) -> None:
    tea = await seed.product(uow_factory, stock=5)
    async with uow_factory() as uow:
        assert await uow.products.reserve(tea, 2)
        product = await uow.products.get(tea)
    assert product is not None and product.reserved == 2


async def test_keeps_committed_work_and_drops_what_follows_the_commit(
    uow_factory: Factory,
) -> None:
    tea = await seed.product(uow_factory, stock=5)
    async with uow_factory() as uow:
        await uow.products.reserve(tea, 2)
        await uow.commit()
        await uow.products.reserve(tea, 1)
    assert await _reserved(uow_factory, tea) == 2


async def test_rolls_back_when_the_block_raises(uow_factory: Factory) -> None:
    tea = await seed.product(uow_factory, stock=5)
    with pytest.raises(RuntimeError, match="boom"):
        async with uow_factory() as uow:
            await uow.products.reserve(tea, 2)
            raise RuntimeError("boom")
    assert await _reserved(uow_factory, tea) == 0


async def test_rollback_undoes_the_work_since_the_last_commit_and_work_can_go_on(
    uow_factory: Factory,
) -> None:
    tea = await seed.product(uow_factory, stock=5)
    async with uow_factory() as uow:
        await uow.products.reserve(tea, 1)
        await uow.commit()
        await uow.products.reserve(tea, 2)
        await uow.rollback()
        await uow.products.reserve(tea, 3)
        await uow.commit()
    assert await _reserved(uow_factory, tea) == 4


async def test_a_readonly_unit_of_work_cannot_commit(uow_factory: Factory) -> None:
    async with uow_factory(readonly=True) as uow:
        with pytest.raises(RuntimeError):
            await uow.commit()


async def test_entities_handed_out_are_copies(uow_factory: Factory) -> None:
    tea = await seed.product(uow_factory, stock=5)
    async with uow_factory() as uow:
        product = await uow.products.get(tea)
        assert product is not None
        product.stock = 0
        product.name = "Changed"
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        again = await uow.products.get(tea)
    assert again is not None and (again.stock, again.name) == (5, "Product TEA")


async def test_each_unit_of_work_ends_its_transaction_when_it_ends(uow_factory: Factory) -> None:
    """A read's snapshot and an uncommitted write are let go with the unit of work: a pooled
    connection that kept either would hand the next unit of work stale rows (SQLite's snapshot
    starts at the first read) or the write lock."""
    tea = await seed.product(uow_factory, stock=5)
    for _ in range(3):  # whichever pooled connection comes next
        assert await _reserved(uow_factory, tea) == 0
    async with uow_factory() as uow:
        assert await uow.products.reserve(tea, 4)  # never committed
    async with uow_factory() as uow:  # the write lock was let go
        assert await uow.products.reserve(tea, 1)
        await uow.commit()
    for _ in range(3):
        assert await _reserved(uow_factory, tea) == 1
