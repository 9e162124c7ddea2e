"""Catalog import: good rows become drafts; every bad row is reported with its line at once."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from domain.catalog.importing import ProductDraft, parse_catalog
from domain.shared.errors import CatalogImportError
from domain.shared.money import Money

HEADER = ["sku", "name", "category", "price", "stock"]
FULL_HEADER = [*HEADER, "description", "photo", "low_stock_threshold", "active"]


def row(line: int, **values: str | None) -> tuple[int, dict[str, str | None]]:
    """A csv.DictReader-like row, numbered as in the file (header is line 1)."""
    base: dict[str, str | None] = {
        "sku": f"SKU-{line}",
        "name": f"Product {line}",
        "category": "Tea",
        "price": "12.50",
        "stock": "10",
    }
    base.update(values)
    return line, base


def errors_of(
    rows: list[tuple[int, dict[str, str | None]]],
    header: list[str] | None = FULL_HEADER,
    currency: str = "USD",
    photo_ok: Callable[[str], bool] = lambda _: True,
) -> list[tuple[int, str]]:
    with pytest.raises(CatalogImportError) as caught:
        parse_catalog(header, rows, currency, photo_ok)
    assert caught.value.key == "error.import"
    return list(caught.value.params["errors"])


def test_good_rows_become_drafts() -> None:
    drafts = parse_catalog(
        FULL_HEADER,
        [
            row(
                2,
                description="Fresh leaves",
                photo="tea.png",
                low_stock_threshold="3",
                active="yes",
            ),
            row(3, sku="MUG-1", name="Mug", category="Cups", price="8", stock="0", active="0"),
        ],
        "USD",
    )
    assert drafts == [
        ProductDraft(
            sku="SKU-2",
            name="Product 2",
            category="Tea",
            price=Money(1250, "USD"),
            stock=10,
            description="Fresh leaves",
            photo="tea.png",
            low_stock_threshold=3,
            active=True,
            line=2,
        ),
        ProductDraft(
            sku="MUG-1",
            name="Mug",
            category="Cups",
            price=Money(800, "USD"),
            stock=0,
            active=False,
            line=3,
        ),
    ]


def test_optional_columns_may_be_left_out() -> None:
    (draft,) = parse_catalog(HEADER, [row(2)], "USD")
    assert (draft.description, draft.photo, draft.low_stock_threshold, draft.active) == (
        "",
        None,
        0,
        True,
    )


def test_headers_and_values_are_trimmed_and_case_insensitive() -> None:
    (draft,) = parse_catalog(
        [" SKU", "Name ", "CATEGORY", "Price", "stock"],
        [
            (
                2,
                {
                    " SKU": " A-1 ",
                    "Name ": " Tea ",
                    "CATEGORY": "Tea",
                    "Price": " 1.5 ",
                    "stock": " 4 ",
                },
            )
        ],
        "USD",
    )
    assert (draft.sku, draft.name, draft.price, draft.stock) == ("A-1", "Tea", Money(150, "USD"), 4)


def test_prices_follow_the_shop_currency() -> None:
    (draft,) = parse_catalog(HEADER, [row(2, price="1250")], "JPY")
    assert draft.price == Money(1250, "JPY")


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        (["sku", "name", "category", "price"], "stock"),
        (["name", "category", "stock"], "sku, price"),
        ([], "sku, name, category, price, stock"),
        (None, "sku, name, category, price, stock"),
    ],
)
def test_missing_columns_are_reported_on_line_one(header: list[str] | None, missing: str) -> None:
    assert errors_of([row(2)], header=header) == [(1, f"missing column(s): {missing}")]


def test_unknown_columns_are_reported_on_line_one() -> None:
    assert errors_of([row(2)], header=[*HEADER, "colour", "weight"]) == [
        (1, "unknown column(s): colour, weight")
    ]


BAD_ROWS = [
    ({"sku": ""}, "sku is empty"),
    ({"name": ""}, "name is empty"),
    ({"category": None}, "category is empty"),
    ({"sku": "S" * 33}, "sku is longer than 32 characters"),
    ({"name": "N" * 65}, "name is longer than 64 characters"),
    ({"category": "C" * 49}, "category is longer than 48 characters"),
    ({"price": "0"}, "price must be greater than zero"),
    ({"price": "-1.00"}, "price must be greater than zero"),
    ({"price": "abc"}, "price: not a number"),
    ({"price": ""}, "price: not a number"),
    ({"price": "1.234"}, "more than 2 decimal places"),
    ({"stock": "-1"}, "stock must not be negative"),
    ({"stock": "many"}, "stock must be a whole number"),
    ({"stock": "1.5"}, "stock must be a whole number"),
    ({"low_stock_threshold": "-2"}, "low_stock_threshold must not be negative"),
    ({"description": "d" * 801}, "description is longer than 800 characters"),
    ({"active": "maybe"}, "active must be true or false"),
    ({"photo": "missing.png"}, "photo file not found: missing.png"),
]


@pytest.mark.parametrize(("values", "message"), BAD_ROWS, ids=[m for _, m in BAD_ROWS])
def test_each_kind_of_bad_row_is_reported_with_its_line(
    values: dict[str, str | None], message: str
) -> None:
    errors = errors_of([row(2), row(3, **values), row(4)], photo_ok=lambda name: False)
    assert len(errors) == 1
    line, text = errors[0]
    assert line == 3
    assert message in text


def test_all_bad_rows_are_reported_at_once_not_just_the_first() -> None:
    rows = [
        row(2),
        row(3, price="0"),
        row(4),
        row(5, stock="-4"),
        row(6, active="perhaps"),
        row(7),
        row(9, price="9.999"),  # line 8 was blank in the file
    ]
    assert [line for line, _ in errors_of(rows)] == [3, 5, 6, 9]


def test_all_problems_of_one_row_are_reported_together() -> None:
    (error,) = errors_of([row(2, name="", price="abc", stock="-1")])
    assert error[0] == 2
    for part in ("name is empty", "price: not a number", "stock must not be negative"):
        assert part in error[1]


def test_a_duplicate_sku_in_the_file_is_reported_with_the_first_line() -> None:
    errors = errors_of([row(2, sku="TEA-1"), row(3), row(4, sku="TEA-1")])
    assert errors == [(4, "sku TEA-1 already appears on line 2")]


def test_a_duplicate_of_a_bad_row_is_reported_in_the_same_run() -> None:
    errors = errors_of([row(2, sku="TEA-1", price="abc"), row(3, sku="TEA-1")])
    assert [line for line, _ in errors] == [2, 3]


def test_a_row_with_more_values_than_columns_is_reported() -> None:
    line, raw = row(3)
    raw[None] = ["surplus"]  # type: ignore[index,assignment]  # as csv.DictReader keeps extras
    assert errors_of([row(2), (line, raw)]) == [(3, "more values than columns")]


def test_a_row_with_fewer_values_than_columns_reports_what_is_missing() -> None:
    errors = errors_of(
        [(2, {"sku": "A-1", "name": "Tea", "category": None, "price": None, "stock": None})]
    )
    assert errors[0][0] == 2
    assert "category is empty" in errors[0][1]
    assert "price" in errors[0][1]


@pytest.mark.parametrize(
    ("text", "active"),
    [
        ("1", True),
        ("TRUE", True),
        ("Yes", True),
        ("y", True),
        ("on", True),
        ("", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("n", False),
        ("OFF", False),
    ],
)
def test_active_accepts_the_usual_spellings(text: str, active: bool) -> None:
    (draft,) = parse_catalog(FULL_HEADER, [row(2, active=text)], "USD")
    assert draft.active is active


def test_local_photos_must_exist() -> None:
    asked: list[str] = []

    def photo_ok(name: str) -> bool:
        asked.append(name)
        return name == "tea.png"

    errors = errors_of([row(2, photo="tea.png"), row(3, photo="gone.png")], photo_ok=photo_ok)
    assert errors == [(3, "photo file not found: gone.png")]
    assert asked == ["tea.png", "gone.png"]


@pytest.mark.parametrize("url", ["https://example.com/tea.png", "http://example.com/mug.jpg"])
def test_photo_urls_are_accepted_without_looking_for_a_file(url: str) -> None:
    def photo_ok(name: str) -> bool:
        raise AssertionError(f"photo_ok called for {name}")

    (draft,) = parse_catalog(FULL_HEADER, [row(2, photo=url)], "USD", photo_ok)
    assert draft.photo == url


def test_an_empty_file_gives_no_drafts() -> None:
    assert parse_catalog(HEADER, [], "USD") == []


SUPPLY_HEADER = [*HEADER, "lead_time_days", "lead_time_max_days", "order_cost", "holding_cost"]


def test_supply_columns_are_read_in_days_and_minor_units_and_empty_cells_clear_them() -> None:
    full, empty = parse_catalog(
        SUPPLY_HEADER,
        [
            row(
                2,
                lead_time_days="5.5",
                lead_time_max_days="12",
                order_cost="20.00",
                holding_cost="1.25",
            ),
            row(3, lead_time_days="", lead_time_max_days="", order_cost="", holding_cost=""),
        ],
        "USD",
    )
    assert full.supply == {
        "lead_time_days": 5.5,
        "lead_time_max_days": 12.0,
        "order_cost_minor": 2000,
        "holding_cost_minor": 125,
    }
    assert empty.supply == dict.fromkeys(
        ("lead_time_days", "lead_time_max_days", "order_cost_minor", "holding_cost_minor")
    ), "an empty cell means the shop's default"
    (lead_only,) = parse_catalog([*HEADER, "lead_time_days"], [row(2, lead_time_days="3")], "USD")
    assert lead_only.supply == {"lead_time_days": 3.0}, "columns the file lacks stay untouched"
    (plain,) = parse_catalog(HEADER, [row(2)], "USD")
    assert plain.supply == {}
    (yen,) = parse_catalog([*HEADER, "order_cost"], [row(2, price="500", order_cost="300")], "JPY")
    assert yen.supply == {"order_cost_minor": 300}


def test_bad_supply_values_are_reported_with_their_line() -> None:
    problems = errors_of(
        [
            row(2, lead_time_days="soon", lead_time_max_days="7", order_cost="1", holding_cost="1"),
            row(3, lead_time_days="0", lead_time_max_days="400", order_cost="1", holding_cost="1"),
            row(4, lead_time_days="9", lead_time_max_days="7", order_cost="-1", holding_cost="0"),
            row(
                5, lead_time_days="7", lead_time_max_days="9", order_cost="1.234", holding_cost="x"
            ),
            row(6, lead_time_days="nan", lead_time_max_days="", order_cost="0", holding_cost="0.5"),
            row(7, lead_time_days="7", lead_time_max_days="7", order_cost="0", holding_cost="0.5"),
        ],
        header=SUPPLY_HEADER,
    )
    assert problems == [
        (2, "lead_time_days must be a number of days, got 'soon'"),
        (
            3,
            "lead_time_days must be more than 0 and at most 365 days; "
            "lead_time_max_days must be more than 0 and at most 365 days",
        ),
        (
            4,
            "lead_time_max_days must not be below lead_time_days; "
            "order_cost must be zero or more; holding_cost must be greater than zero",
        ),
        (
            5,
            "order_cost: 1.234 has more than 2 decimal places for USD; "
            "holding_cost: not a number: 'x'",
        ),
        (6, "lead_time_days must be more than 0 and at most 365 days"),
    ]
