"""Products: stock held for orders, the shop window and the catalog import."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from domain.reviews.records import Review
from domain.shared.errors import CatalogImportError
from domain.shared.paging import Page
from tests.contract import seed
from tests.contract.seed import Factory, draft


async def _stock(uow_factory: Factory, product_id: int) -> tuple[int, int]:
    async with uow_factory(readonly=True) as uow:
        product = await uow.products.get(product_id)
    assert product is not None
    return product.stock, product.reserved


async def test_reserve_never_holds_more_than_is_available(uow_factory: Factory) -> None:
    tea = await seed.product(uow_factory, stock=5, reserved=3)
    async with uow_factory() as uow:
        assert not await uow.products.reserve(tea, 3)
        assert await uow.products.reserve(tea, 2)
        assert not await uow.products.reserve(tea, 1)
        await uow.commit()
    assert await _stock(uow_factory, tea) == (5, 5)


async def test_reserve_and_read_returns_the_product_as_the_reservation_left_it(
    uow_factory: Factory,
) -> None:
    tea = await seed.product(uow_factory, stock=5, reserved=3)
    async with uow_factory() as uow:
        assert await uow.products.reserve_and_read(tea, 3) is None
        held = await uow.products.reserve_and_read(tea, 2)
        assert held is not None
        assert (held.id, held.stock, held.reserved, held.available) == (tea, 5, 5, 0)
        assert await uow.products.reserve_and_read(tea, 1) is None
        await uow.commit()
    assert await _stock(uow_factory, tea) == (5, 5)


async def test_reserve_refuses_an_inactive_or_unknown_product(
    uow_factory: Factory,
) -> None:
    off = await seed.product(uow_factory, "OFF", stock=5, active=False)
    async with uow_factory() as uow:
        assert not await uow.products.reserve(off, 1)
        assert not await uow.products.reserve(off + 1000, 1)
        assert await uow.products.reserve_and_read(off, 1) is None
        assert await uow.products.reserve_and_read(off + 1000, 1) is None


async def test_release_gives_back_held_units_but_never_more_than_are_held(
    uow_factory: Factory,
) -> None:
    tea = await seed.product(uow_factory, stock=5, reserved=3)
    async with uow_factory() as uow:
        await uow.products.release(tea, 4)
        await uow.products.release(tea, 2)
        await uow.products.release(tea + 1000, 1)
        await uow.commit()
    assert await _stock(uow_factory, tea) == (5, 1)


async def test_commit_reserved_takes_held_units_out_of_stock(
    uow_factory: Factory,
) -> None:
    tea = await seed.product(uow_factory, stock=5, reserved=3)
    async with uow_factory() as uow:
        await uow.products.commit_reserved(tea, 4)  # more than is held: nothing happens
        await uow.products.commit_reserved(tea, 2)
        await uow.commit()
    assert await _stock(uow_factory, tea) == (3, 1)


async def test_restock_adds_units_to_stock(uow_factory: Factory) -> None:
    tea = await seed.product(uow_factory, stock=5, reserved=1)
    async with uow_factory() as uow:
        await uow.products.restock(tea, 4)
        await uow.products.restock(tea + 1000, 4)
        await uow.commit()
    assert await _stock(uow_factory, tea) == (9, 1)


async def test_get_returns_the_product_with_its_category_name(
    uow_factory: Factory,
) -> None:
    tea = await seed.product(
        uow_factory,
        "T1",
        name="Green tea",
        category="Leaf",
        price=250,
        stock=4,
        description="Fresh",
        photo="p.jpg",
        low_stock_threshold=2,
    )
    async with uow_factory(readonly=True) as uow:
        product = await uow.products.get(tea)
        missing = await uow.products.get(tea + 1000)
    assert missing is None
    assert product is not None
    assert (product.sku, product.name, product.category_name) == ("T1", "Green tea", "Leaf")
    assert (product.price.amount, product.price.currency) == (250, "USD")
    assert (product.stock, product.reserved, product.description) == (4, 0, "Fresh")
    assert (product.photo, product.photo_file_id) == ("p.jpg", None)
    assert (product.low_stock_threshold, product.active) == (2, True)
    assert (product.rating_count, product.rating_sum) == (0, 0)


async def test_get_rates_a_product_by_the_reviews_of_the_orders_that_contained_it(
    uow_factory: Factory,
) -> None:
    tea = await seed.product(uow_factory, "TEA")
    cup = await seed.product(uow_factory, "CUP")
    first = await seed.order(uow_factory, "A-1", product_ids={tea: 1, cup: 1})
    second = await seed.order(uow_factory, "A-2", product_ids={tea: 2})
    now = datetime(2026, 1, 2, tzinfo=UTC)
    async with uow_factory() as uow:
        await uow.reviews.save(Review(first, 7, 5, now, now))
        await uow.reviews.save(Review(second, 7, 2, now, now))
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        rated_tea = await uow.products.get(tea)
        rated_cup = await uow.products.get(cup)
    assert rated_tea is not None and rated_cup is not None
    assert (rated_tea.rating_count, rated_tea.rating_sum) == (2, 7)
    assert (rated_cup.rating_count, rated_cup.rating_sum) == (1, 5)
    # an edited review moves the product's rating from the old stars to the new ones
    async with uow_factory() as uow:
        await uow.reviews.save(Review(first, 7, 3, now, now))
        await uow.reviews.save(Review(first, 7, 3, now, now))  # the same again: no change
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        rated_tea = await uow.products.get(tea)
        rated_cup = await uow.products.get(cup)
    assert rated_tea is not None and rated_cup is not None
    assert (rated_tea.rating_count, rated_tea.rating_sum) == (2, 5)
    assert (rated_cup.rating_count, rated_cup.rating_sum) == (1, 3)


async def test_set_photo_file_id_remembers_telegrams_copy_of_the_photo(
    uow_factory: Factory,
) -> None:
    tea = await seed.product(uow_factory, photo="tea.jpg")
    async with uow_factory() as uow:
        await uow.products.set_photo_file_id(tea, "AgAD")
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        product = await uow.products.get(tea)
    assert product is not None and product.photo_file_id == "AgAD"


async def test_categories_lists_only_shelves_with_active_products_in_import_order(
    uow_factory: Factory,
) -> None:
    await seed.products(
        uow_factory,
        draft("C1", category="Coffee"),
        draft("T1", category="Tea"),
        draft("T2", category="Tea"),
        draft("T3", category="Tea", active=False),
        draft("X1", category="Empty", active=False),
        draft("A1", category="Accessories"),
    )
    async with uow_factory(readonly=True) as uow:
        shelves = await uow.products.categories()
        first = await uow.products.category(shelves[0].id)
        missing = await uow.products.category(shelves[0].id + 1000)
    assert [(c.name, c.product_count) for c in shelves] == [
        ("Coffee", 1),
        ("Tea", 2),
        ("Accessories", 1),
    ]
    assert first is not None and first.name == "Coffee"
    assert missing is None


async def test_in_category_pages_active_products_by_name(uow_factory: Factory) -> None:
    ids = await seed.products(
        uow_factory,
        draft("T1", name="Oolong"),
        draft("T2", name="Assam"),
        draft("T3", name="Matcha"),
        draft("T4", name="Darjeeling", active=False),
        draft("T5", name="Sencha"),
        draft("C1", name="Arabica", category="Coffee"),
    )
    async with uow_factory(readonly=True) as uow:
        tea = await uow.products.get(ids["T1"])
        assert tea is not None
        first = await uow.products.in_category(tea.category_id, Page(0, 2))
        last = await uow.products.in_category(tea.category_id, Page(1, 3))
    assert [p.name for p in first.items] == ["Assam", "Matcha"]
    assert first.total == 4
    assert [p.name for p in last.items] == ["Sencha"]
    assert last.items[0].category_name == "Tea"


async def test_in_category_breaks_name_ties_by_id(uow_factory: Factory) -> None:
    ids = await seed.products(
        uow_factory, draft("T2", name="Same"), draft("T1", name="Same"), draft("T3", name="Same")
    )
    async with uow_factory(readonly=True) as uow:
        tea = await uow.products.get(ids["T1"])
        assert tea is not None
        found = await uow.products.in_category(tea.category_id, Page(0, 10))
    assert [p.id for p in found.items] == sorted(ids.values())


async def test_search_matches_name_sku_or_description_ignoring_case(
    uow_factory: Factory,
) -> None:
    await seed.products(
        uow_factory,
        draft("GREEN-1", name="Sencha"),
        draft("B1", name="Green Assam"),
        draft("B2", name="Earl Grey", description="Bergamot and GREEN leaves"),
        draft("B3", name="Greenish", active=False),
        draft("B4", name="Puerh"),
    )
    async with uow_factory(readonly=True) as uow:
        found = await uow.products.search("green", Page(0, 10))
        paged = await uow.products.search("GREEN", Page(1, 2))
    assert [p.name for p in found.items] == ["Earl Grey", "Green Assam", "Sencha"]
    assert found.total == 3
    assert [p.name for p in paged.items] == ["Sencha"]


async def test_search_takes_percent_and_underscore_literally(
    uow_factory: Factory,
) -> None:
    await seed.products(
        uow_factory,
        draft("P1", name="Tea 100% pure"),
        draft("P2", name="Tea 1000 pure"),
        draft("P3", name="Big_cup"),
        draft("P4", name="Bigxcup"),
    )
    async with uow_factory(readonly=True) as uow:
        percent = await uow.products.search("100%", Page(0, 10))
        underscore = await uow.products.search("g_c", Page(0, 10))
    assert [p.name for p in percent.items] == ["Tea 100% pure"]
    assert [p.name for p in underscore.items] == ["Big_cup"]


async def test_search_ignores_case_beyond_ascii(uow_factory: Factory) -> None:
    await seed.products(uow_factory, draft("R1", name="Чай зелёный"))
    async with uow_factory(readonly=True) as uow:
        found = await uow.products.search("ЧАЙ", Page(0, 10))
    assert [p.sku for p in found.items] == ["R1"]


async def test_upsert_drafts_creates_new_skus_and_updates_known_ones(
    uow_factory: Factory,
) -> None:
    ids = await seed.products(uow_factory, draft("T1", stock=5), draft("T2"))
    async with uow_factory() as uow:
        assert await uow.products.reserve(ids["T1"], 2)
        counts = await uow.products.upsert_drafts(
            [
                draft(
                    "T1",
                    name="Renamed",
                    category="Coffee",
                    price=99,
                    stock=8,
                    description="New",
                    low_stock_threshold=3,
                    active=False,
                ),
                draft("T3"),
            ],
            set_stock=True,
        )
        await uow.commit()
    assert counts == (1, 1)
    async with uow_factory(readonly=True) as uow:
        updated = await uow.products.get(ids["T1"])
        created = await uow.backoffice.product_id_by_sku("T3")
    assert updated is not None and created is not None
    assert (updated.name, updated.category_name, updated.price.amount) == ("Renamed", "Coffee", 99)
    assert (updated.stock, updated.reserved, updated.description) == (8, 2, "New")
    assert (updated.low_stock_threshold, updated.active) == (3, False)


async def test_upsert_drafts_leaves_existing_stock_alone_unless_asked(
    uow_factory: Factory,
) -> None:
    tea = await seed.product(uow_factory, "T1", stock=5, reserved=4)
    async with uow_factory() as uow:
        assert await uow.products.upsert_drafts([draft("T1", stock=12, price=77)]) == (0, 1)
        await uow.commit()
    assert await _stock(uow_factory, tea) == (5, 4), "a re-import never resurrects stock"
    async with uow_factory(readonly=True) as uow:
        assert await uow.products.stock_by_sku(["T1", "T9"]) == {"T1": (tea, 5)}
        product = await uow.products.get(tea)
    assert product is not None and product.price.amount == 77


async def test_upsert_drafts_refuses_stock_below_what_unpaid_orders_hold(
    uow_factory: Factory,
) -> None:
    tea = await seed.product(uow_factory, "T1", stock=5, reserved=4)
    async with uow_factory() as uow:
        with pytest.raises(CatalogImportError):
            await uow.products.upsert_drafts([draft("T2"), draft("T1", stock=3)], set_stock=True)
    assert await _stock(uow_factory, tea) == (5, 4)
    async with uow_factory(readonly=True) as uow:
        assert await uow.backoffice.product_id_by_sku("T2") is None


async def test_upsert_drafts_forgets_telegrams_copy_when_the_photo_changes(
    uow_factory: Factory,
) -> None:
    ids = await seed.products(uow_factory, draft("T1", photo="a.jpg"), draft("T2", photo="b.jpg"))
    async with uow_factory() as uow:
        await uow.products.set_photo_file_id(ids["T1"], "file-a")
        await uow.products.set_photo_file_id(ids["T2"], "file-b")
        await uow.products.upsert_drafts([draft("T1", photo="new.jpg"), draft("T2", photo="b.jpg")])
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        changed = await uow.products.get(ids["T1"])
        kept = await uow.products.get(ids["T2"])
    assert changed is not None and kept is not None
    assert (changed.photo, changed.photo_file_id) == ("new.jpg", None)
    assert (kept.photo, kept.photo_file_id) == ("b.jpg", "file-b")


async def test_reorder_points_are_stored_forgotten_and_read_with_the_product(
    uow_factory: Factory,
) -> None:
    tea = await seed.product(uow_factory, "TEA")
    cup = await seed.product(uow_factory, "CUP")
    async with uow_factory(readonly=True) as uow:
        fresh = await uow.products.get(tea)
    assert fresh is not None and (fresh.reorder_point, fresh.reorder_quantity) == (None, None)
    async with uow_factory() as uow:
        await uow.products.set_reorder_points({tea: (7, 20), cup: (3, 9)})
        await uow.products.set_reorder_points({tea: (7, 20)})  # unchanged: no harm
        await uow.commit()
    async with uow_factory() as uow:
        await uow.products.set_reorder_points({cup: None, tea + cup + 1000: (1, 1)})
        await uow.commit()
    async with uow_factory(readonly=True) as uow:
        stored_tea = await uow.products.get(tea)
        stored_cup = await uow.products.get(cup)
    assert stored_tea is not None and stored_cup is not None
    assert (stored_tea.reorder_point, stored_tea.reorder_quantity, stored_tea.low_mark) == (
        7,
        20,
        7,
    )
    assert (stored_cup.reorder_point, stored_cup.reorder_quantity) == (None, None)


async def test_an_import_sets_the_supply_columns_it_has_and_leaves_the_others(
    uow_factory: Factory,
) -> None:
    supply = {
        "lead_time_days": 5.5,
        "lead_time_max_days": 12.0,
        "order_cost_minor": 2000,
        "holding_cost_minor": 125,
    }
    base = draft("TEA", stock=4)
    await seed.products(uow_factory, replace(base, supply=supply))

    async def stored() -> tuple[object, ...]:
        async with uow_factory(readonly=True) as uow:
            found = await uow.backoffice.product_id_by_sku("TEA")
            assert found is not None
            product = await uow.products.get(found)
        assert product is not None
        return (
            product.lead_time_days,
            product.lead_time_max_days,
            product.order_cost_minor,
            product.holding_cost_minor,
        )

    assert await stored() == (5.5, 12.0, 2000, 125)
    async with uow_factory() as uow:  # a file without the columns
        await uow.products.upsert_drafts([base])
        await uow.commit()
    assert await stored() == (5.5, 12.0, 2000, 125)
    async with uow_factory() as uow:  # one column changed, one emptied (the default)
        await uow.products.upsert_drafts(
            [replace(base, supply={"lead_time_days": 3.0, "holding_cost_minor": None})]
        )
        await uow.commit()
    assert await stored() == (3.0, 12.0, 2000, None)
