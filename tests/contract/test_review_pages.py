"""The reviews' keyset pages (issue 13, ReviewRepository.entries_near) on the fake, SQLite and
PostgreSQL alike: the page next to a review of the page shown, ties on created_at kept in id
order, a low review raised since still marking its place, and a forged key the first page."""

from __future__ import annotations

from sqlalchemy import update

from domain.reviews.records import Review
from domain.shared.paging import Page, Paged, Seek, Toward
from storage.tables.reviews import ReviewRow
from tests.contract import seed
from tests.contract.seed import Factory, at


async def near(
    uow_factory: Factory, key: int, toward: Toward, size: int = 2, low: bool = False
) -> Paged[object]:
    async with uow_factory(readonly=True) as uow:
        found = await uow.reviews.entries_near(
            product_id=None, max_rating=2 if low else None, page=Page(1, size, Seek(key, toward))
        )
    return found  # type: ignore[return-value]


def shape(paged: Paged[object]) -> tuple[list[str], bool, bool, int]:
    numbers = [e.number for e in paged.items]  # type: ignore[attr-defined]
    return numbers, paged.has_prev, paged.has_next, paged.page.number


async def test_reviews_page_by_key_forward_back_again_and_from_a_forged_key(
    uow_factory: Factory,
) -> None:
    tea = await seed.product(uow_factory, "TEA")
    ids = []
    for n, minutes in enumerate([1, 2, 2, 2, 3]):  # tied: the id breaks the tie
        order = await seed.order(uow_factory, f"R-{n}", product_ids={tea: 1})
        async with uow_factory() as uow:
            review = Review(order, 7, 1 + n % 3, at(minutes), at(minutes), f"c{n}")
            ids.append(await uow.reviews.save(review))
            await uow.commit()
    # Newest first.
    assert shape(await near(uow_factory, ids[3], Toward.AFTER)) == (["R-2", "R-1"], True, True, 1)
    assert shape(await near(uow_factory, ids[1], Toward.AFTER)) == (["R-0"], True, False, 2)
    assert shape(await near(uow_factory, ids[0], Toward.BEFORE)) == (["R-2", "R-1"], True, True, 1)
    assert shape(await near(uow_factory, ids[2], Toward.FROM)) == (["R-2", "R-1"], True, True, 1)
    assert shape(await near(uow_factory, ids[2], Toward.BEFORE)) == (["R-4", "R-3"], False, True, 0)
    assert shape(await near(uow_factory, 2_000_000_000, Toward.AFTER))[0] == ["R-4", "R-3"]

    # Low (1-2 stars). R-3 raised to 5 stars still marks where it was.
    low = await near(uow_factory, ids[3], Toward.AFTER, low=True)
    assert shape(low) == (["R-1", "R-0"], True, False, 1)
    async with uow_factory() as uow:
        if hasattr(uow, "session"):
            await uow.session.execute(
                update(ReviewRow).where(ReviewRow.id == ids[3]).values(rating=5)
            )
        else:  # the fake
            uow.store.after_sales.reviews[ids[3]].rating = 5
        await uow.commit()
    moved = await near(uow_factory, ids[3], Toward.AFTER, low=True)
    assert shape(moved) == (["R-1", "R-0"], True, False, 1) and moved.total == 3
    assert shape(await near(uow_factory, ids[3], Toward.BEFORE, size=1, low=True)) == (
        ["R-4"],
        False,
        True,
        0,
    )
