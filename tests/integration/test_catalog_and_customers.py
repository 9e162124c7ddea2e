"""Round trips through the customer and product repositories."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from domain.shared.customers import Customer, Language
from domain.shared.errors import CatalogImportError
from domain.shared.money import Money
from domain.shared.paging import Page
from storage.db import Database
from storage.tables.catalog import CategoryRow
from tests.integration.helpers import CURRENCY, draft, make_shop, product_by_sku

# -- customers ---------------------------------------------------------------------------


async def test_an_unknown_customer_is_none(db: Database) -> None:
    async with db.uow(readonly=True) as uow:
        assert await uow.customers.get(404) is None


async def test_upsert_creates_then_updates_a_customer_but_keeps_the_chosen_language(
    db: Database,
) -> None:
    big_id = 7_000_000_001  # Telegram ids outgrow 32 bits
    async with db.uow() as uow:
        await uow.customers.upsert(
            Customer(id=big_id, first_name="Ann", username="ann", language_code="en")
        )
        await uow.customers.set_language(big_id, Language.ZH.value)
        await uow.commit()

    async with db.uow() as uow:
        await uow.customers.upsert(
            Customer(id=big_id, first_name="Anna", username=None, language_code="de")
        )
        await uow.commit()

    async with db.uow(readonly=True) as uow:
        customer = await uow.customers.get(big_id)
    assert customer == Customer(
        id=big_id,
        first_name="Anna",
        username=None,
        language_code="de",
        language=Language.ZH,
        reachable=True,
    )


async def test_set_language_and_set_reachable_round_trip(db: Database) -> None:
    async with db.uow() as uow:
        await uow.customers.upsert(Customer(id=1, first_name="Ann"))
        await uow.commit()

    async with db.uow() as uow:
        await uow.customers.set_language(1, "zh")
        await uow.customers.set_reachable(1, False)
        await uow.commit()
    async with db.uow(readonly=True) as uow:
        customer = await uow.customers.get(1)
    assert customer is not None
    assert (customer.language, customer.reachable) == (Language.ZH, False)

    async with db.uow() as uow:
        await uow.customers.set_language(1, None)
        await uow.customers.set_reachable(1, True)
        await uow.commit()
    async with db.uow(readonly=True) as uow:
        customer = await uow.customers.get(1)
    assert customer is not None
    assert (customer.language, customer.reachable) == (None, True)


# -- categories and browsing -------------------------------------------------------------


async def test_categories_lists_only_categories_with_active_products_with_their_counts(
    db: Database, seed
) -> None:
    await seed(
        draft("T1", category="Tea"),
        draft("T2", category="Tea"),
        draft("T3", category="Tea", active=False),
        draft("C1", category="Coffee"),
        draft("X1", category="Retired", active=False),
    )

    async with db.uow(readonly=True) as uow:
        categories = await uow.products.categories()

    # import order gives the shelf order (positions), not the alphabet
    assert [(c.name, c.product_count) for c in categories] == [("Tea", 2), ("Coffee", 1)]


async def test_category_looks_up_one_category_even_without_products(db: Database, seed) -> None:
    await seed(draft("X1", category="Retired", active=False))
    async with db.uow(readonly=True) as uow:
        retired_id = await uow.session.scalar(
            select(CategoryRow.id).where(CategoryRow.name == "Retired")
        )
        assert retired_id is not None
        category = await uow.products.category(retired_id)
        assert category is not None and category.name == "Retired"
        assert await uow.products.category(retired_id + 100) is None


async def test_in_category_pages_active_products_by_name_with_the_total(db: Database, seed) -> None:
    names = ["Oolong", "Assam", "Genmaicha", "Darjeeling", "Matcha", "Chai", "Earl Grey"]
    ids = await seed(
        *[draft(f"T{i}", name=n, category="Tea") for i, n in enumerate(names)],
        draft("T-OFF", name="Aaa inactive", category="Tea", active=False),
        draft("C1", name="Arabica", category="Coffee"),
    )
    tea = (await make_shop(db).categories())[0]
    assert tea.name == "Tea"

    async with db.uow(readonly=True) as uow:
        pages = [await uow.products.in_category(tea.id, Page(n, 3)) for n in range(4)]

    assert [len(p.items) for p in pages] == [3, 3, 1, 0]
    assert {p.total for p in pages} == {7}
    assert pages[0].pages == 3 and pages[0].has_next and not pages[0].has_prev
    assert not pages[2].has_next
    listed = [item.name for page in pages for item in page.items]
    assert listed == sorted(names)
    first = pages[0].items[0]
    assert first.id == ids["T1"] and first.category_name == "Tea"
    assert first.price == Money(1000, CURRENCY)


async def test_products_with_equal_names_are_paged_in_a_stable_order(db: Database, seed) -> None:
    ids = await seed(*[draft(f"S{i}", name="Same") for i in range(5)])
    tea = (await make_shop(db).categories())[0]
    async with db.uow(readonly=True) as uow:
        pages = [await uow.products.in_category(tea.id, Page(n, 2)) for n in range(3)]
    assert [p.id for page in pages for p in page.items] == sorted(ids.values())


# -- search ------------------------------------------------------------------------------


async def _search(db: Database, words: str) -> list[str]:
    async with db.uow(readonly=True) as uow:
        found = await uow.products.search(words, Page(0, 50))
    assert found.total == len(found.items)
    return sorted(p.sku for p in found.items)


async def test_search_is_case_insensitive_over_name_sku_and_description(db: Database, seed) -> None:
    await seed(
        draft("GRN-1", name="Green Tea"),
        draft("BLK-1", name="Black Tea", description="Strong breakfast GREENERY blend"),
        draft("sku-green", name="Mug"),
        draft("OFF-1", name="Green Old", active=False),
        draft("RED-1", name="Rooibos"),
    )

    assert await _search(db, "green") == ["BLK-1", "GRN-1", "sku-green"]
    assert await _search(db, "GREEN") == ["BLK-1", "GRN-1", "sku-green"]
    assert await _search(db, "grn-") == ["GRN-1"]
    assert await _search(db, "nothing like it") == []


async def test_search_is_case_insensitive_for_letters_beyond_ascii(
    db: Database, seed, backend: str, request: pytest.FixtureRequest
) -> None:
    await seed(draft("E1", name="Éclair"), draft("R1", name="Чай с мятой"), draft("X", name="Mug"))

    assert await _search(db, "éclair") == ["E1"]
    assert await _search(db, "ÉCLAIR") == ["E1"]
    assert await _search(db, "чай") == ["R1"]
    assert await _search(db, "МЯТ") == ["R1"]


async def test_search_treats_percent_and_underscore_as_literal_characters(
    db: Database, seed
) -> None:
    await seed(
        draft("P1", name="100% Cotton Tee"),
        draft("P2", name="1000 Cotton Tee"),
        draft("U_1", name="Mug"),
        draft("UX1", name="Cup"),
        draft("B1", name="Back\\slash"),
        draft("B2", name="Backslash"),
    )

    assert await _search(db, "%") == ["P1"]
    assert await _search(db, "100%") == ["P1"]
    assert await _search(db, "0% c") == ["P1"]
    assert await _search(db, "_") == ["U_1"]
    assert await _search(db, "u_") == ["U_1"]
    assert await _search(db, "k\\s") == ["B1"]


async def test_search_pages_its_results(db: Database, seed) -> None:
    await seed(*[draft(f"M{i}", name=f"Mug {i}") for i in range(5)], draft("X", name="Cup"))
    async with db.uow(readonly=True) as uow:
        first = await uow.products.search("mug", Page(0, 2))
        last = await uow.products.search("mug", Page(2, 2))
    assert first.total == last.total == 5
    assert [p.name for p in first.items] == ["Mug 0", "Mug 1"]
    assert [p.name for p in last.items] == ["Mug 4"]


# -- stock -------------------------------------------------------------------------------


async def _product(db: Database, product_id: int):  # type: ignore[no-untyped-def]
    async with db.uow(readonly=True) as uow:
        product = await uow.products.get(product_id)
    assert product is not None
    return product


async def test_reserve_holds_units_only_while_enough_are_available(db: Database, seed) -> None:
    ids = await seed(draft("A", stock=5))
    async with db.uow() as uow:
        assert await uow.products.reserve(ids["A"], 3)
        assert not await uow.products.reserve(ids["A"], 3)  # 2 left
        assert await uow.products.reserve(ids["A"], 2)
        assert not await uow.products.reserve(ids["A"], 1)
        await uow.commit()

    product = await _product(db, ids["A"])
    assert (product.stock, product.reserved, product.available) == (5, 5, 0)


async def test_release_returns_units_and_never_goes_below_zero(db: Database, seed) -> None:
    ids = await seed(draft("A", stock=5))
    async with db.uow() as uow:
        assert await uow.products.reserve(ids["A"], 4)
        await uow.products.release(ids["A"], 3)
        await uow.products.release(ids["A"], 2)  # only 1 reserved: refused, not negative
        await uow.commit()
    assert (await _product(db, ids["A"])).reserved == 1


async def test_an_inactive_or_unknown_product_cannot_be_reserved(db: Database, seed) -> None:
    ids = await seed(draft("OFF", stock=5, active=False))
    async with db.uow() as uow:
        assert not await uow.products.reserve(ids["OFF"], 1)
        assert not await uow.products.reserve(ids["OFF"] + 100, 1)
        await uow.commit()
    assert (await _product(db, ids["OFF"])).reserved == 0


async def test_commit_reserved_takes_reserved_units_off_the_shelf_for_good(
    db: Database, seed
) -> None:
    ids = await seed(draft("A", stock=5))
    async with db.uow() as uow:
        assert await uow.products.reserve(ids["A"], 3)
        await uow.products.commit_reserved(ids["A"], 2)
        await uow.products.commit_reserved(ids["A"], 5)  # more than reserved: refused
        await uow.commit()
    product = await _product(db, ids["A"])
    assert (product.stock, product.reserved, product.available) == (3, 1, 2)


async def test_restock_puts_units_back_on_the_shelf(db: Database, seed) -> None:
    ids = await seed(draft("A", stock=5))
    async with db.uow() as uow:
        assert await uow.products.reserve(ids["A"], 2)
        await uow.products.restock(ids["A"], 4)
        await uow.commit()
    product = await _product(db, ids["A"])
    assert (product.stock, product.reserved, product.available) == (9, 2, 7)


# -- catalog import ----------------------------------------------------------------------


async def test_upsert_drafts_creates_then_updates_products_by_sku(db: Database) -> None:
    shop = make_shop(db)
    assert await shop.import_catalog([draft("A", name="Alpha"), draft("B")]) == (2, 0)
    before = await product_by_sku(db, "A")

    result = await shop.import_catalog(
        [
            draft(
                "A",
                name="Alpha II",
                category="Coffee",
                price=1250,
                stock=7,
                description="new",
                active=False,
            ),
            draft("C"),
        ],
        set_stock=True,
    )

    assert result == (1, 1)
    after = await product_by_sku(db, "A")
    assert after.id == before.id
    assert (after.name, after.category_name, after.price, after.stock) == (
        "Alpha II",
        "Coffee",
        Money(1250, CURRENCY),
        7,
    )
    assert (after.description, after.active) == ("new", False)
    async with db.uow(readonly=True) as uow:
        categories = {c.name: c.product_count for c in await uow.products.categories()}
        names = set((await uow.session.scalars(select(CategoryRow.name))).all())
    assert categories == {"Tea": 2}  # B and C; the Coffee shelf has only an inactive product
    assert names == {"Tea", "Coffee"}


async def test_upsert_drafts_refuses_stock_below_reserved_naming_the_line_and_changes_nothing(
    db: Database, seed
) -> None:
    ids = await seed(draft("A", stock=5), draft("B", stock=5))
    async with db.uow() as uow:
        assert await uow.products.reserve(ids["A"], 4)
        await uow.commit()

    with pytest.raises(CatalogImportError) as caught:
        await make_shop(db).import_catalog(
            [
                draft("B", stock=9, line=2),
                draft("A", stock=3, line=3),
                draft("NEW", category="New shelf", line=4),
            ],
            set_stock=True,
        )

    errors = caught.value.params["errors"]
    assert [line for line, _ in errors] == [3]
    assert "4" in errors[0][1] and "reserved" in errors[0][1]
    assert (await product_by_sku(db, "A")).stock == 5
    assert (await product_by_sku(db, "B")).stock == 5  # the whole import is one transaction
    async with db.uow(readonly=True) as uow:
        assert (await uow.products.search("NEW", Page(0, 5))).total == 0
        names = set((await uow.session.scalars(select(CategoryRow.name))).all())
    assert names == {"Tea"}


async def test_stock_may_be_set_exactly_to_what_is_reserved(db: Database, seed) -> None:
    ids = await seed(draft("A", stock=5))
    async with db.uow() as uow:
        assert await uow.products.reserve(ids["A"], 4)
        await uow.commit()
    assert await make_shop(db).import_catalog([draft("A", stock=4)], set_stock=True) == (0, 1)
    product = await product_by_sku(db, "A")
    assert (product.stock, product.reserved, product.available) == (4, 4, 0)


async def test_changing_the_photo_clears_the_cached_telegram_file_id(db: Database, seed) -> None:
    ids = await seed(draft("A", photo="https://example.com/a.png"))
    shop = make_shop(db)
    await shop.remember_photo(ids["A"], "file-a")
    assert (await product_by_sku(db, "A")).photo_file_id == "file-a"

    await shop.import_catalog([draft("A", name="Renamed", photo="https://example.com/a.png")])
    assert (await product_by_sku(db, "A")).photo_file_id == "file-a"  # same photo: kept

    await shop.import_catalog([draft("A", photo="https://example.com/a2.png")])
    product = await product_by_sku(db, "A")
    assert (product.photo, product.photo_file_id) == ("https://example.com/a2.png", None)
