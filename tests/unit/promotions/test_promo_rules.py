"""The rules of promo codes: which codes apply, the one rounding rule, the split over lines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.promotions.model import PromoCode, PromoKind
from domain.promotions.rules import (
    PromoError,
    PromoLine,
    check_code,
    discount_amount,
    normalise_code,
    returned_units_discount,
    split,
)
from domain.promotions.spec import parse_spec

NOW = datetime(2026, 12, 7, 12, tzinfo=UTC)


def code(**changes: object) -> PromoCode:
    base = PromoCode(code="SPRING10", kind=PromoKind.PERCENT, value=10, currency="USD")
    for name, value in changes.items():
        setattr(base, name, value)
    return base


def lines(*amounts: int) -> list[PromoLine]:
    return [PromoLine(product_id=i + 1, category_id=100, amount=a) for i, a in enumerate(amounts)]


def test_codes_are_compared_in_upper_case_without_spaces() -> None:
    assert normalise_code(" spring10 ") == "SPRING10"
    assert normalise_code("spr ing-10") == "SPRING-10"
    assert normalise_code("x") == ""
    assert normalise_code("no way!") == ""


def test_a_percent_code_rounds_half_up_once_per_order() -> None:
    # 10% of 1005 is 100.5 -> 101; of 1004 is 100.4 -> 100
    assert discount_amount(code(), 1005) == 101
    assert discount_amount(code(), 1004) == 100
    assert discount_amount(code(value=100), 999) == 999


def test_a_fixed_code_never_takes_more_than_the_eligible_lines() -> None:
    assert discount_amount(code(kind=PromoKind.FIXED, value=500), 300) == 300
    assert discount_amount(code(kind=PromoKind.FIXED, value=500), 800) == 500


def test_the_split_gives_the_leftover_units_to_the_largest_remainders() -> None:
    # 100 over 1:1:1 -> 33.33 each; the one unit left goes to the first line on the tie
    assert split(100, [100, 100, 100]) == [34, 33, 33]
    # 10 over 1:2 -> 3.33 and 6.67: the larger remainder gets the unit
    assert split(10, [100, 200]) == [3, 7]
    assert split(0, [5, 5]) == [0, 0]


@given(
    st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=12),
    st.integers(min_value=0, max_value=100),
    st.data(),
)
def test_the_split_sums_exactly_and_no_line_goes_negative(
    amounts: list[int], percent: int, data: st.DataObject
) -> None:
    whole = sum(amounts)
    discount = data.draw(st.integers(min_value=0, max_value=whole))
    shares = split(discount, amounts)
    assert sum(shares) == discount
    assert all(0 <= share <= amount for share, amount in zip(shares, amounts, strict=True))
    by_percent = discount_amount(code(value=max(percent, 1)), whole)
    assert 0 <= by_percent <= whole


@given(
    st.lists(
        st.tuples(st.integers(min_value=1, max_value=10**6), st.booleans()),
        min_size=1,
        max_size=10,
    ),
    st.sampled_from([PromoKind.PERCENT, PromoKind.FIXED]),
    st.integers(min_value=1, max_value=10**7),
)
def test_a_code_takes_off_at_most_its_eligible_lines_and_nothing_from_others(
    cart: list[tuple[int, bool]], kind: PromoKind, value: int
) -> None:
    promo = code(
        kind=kind,
        value=min(value, 100) if kind == PromoKind.PERCENT else value,
        product_ids=tuple(i + 1 for i, (_, inside) in enumerate(cart) if inside),
        category_ids=(999,),  # scoped even when no product is named: no line is eligible
    )
    priced = lines(*(amount for amount, _ in cart))
    if not any(inside for _, inside in cart):
        with pytest.raises(PromoError) as refused:
            check_code(promo, priced, now=NOW, customer_uses=0)
        assert refused.value.key == "promo.error.not_applicable"
        return
    discount = check_code(promo, priced, now=NOW, customer_uses=0)
    eligible = sum(amount for amount, inside in cart if inside)
    assert 0 <= discount.amount <= eligible
    assert sum(discount.shares) == discount.amount
    for share, (amount, inside) in zip(discount.shares, cart, strict=True):
        assert 0 <= share <= amount
        if not inside:
            assert share == 0


@given(st.integers(min_value=0, max_value=10**6), st.integers(min_value=1, max_value=99))
def test_returning_every_unit_gives_back_the_whole_share_and_parts_never_more(
    share: int, quantity: int
) -> None:
    assert returned_units_discount(share, quantity, quantity) == share
    for returned in range(1, quantity):
        part = returned_units_discount(share, quantity, returned)
        assert 0 <= part <= share * returned / quantity


@given(
    st.integers(min_value=0, max_value=10**6),
    st.lists(st.integers(min_value=1, max_value=9), min_size=1, max_size=12),
)
def test_successive_returns_take_exactly_the_share_in_all(share: int, batches: list[int]) -> None:
    quantity = sum(batches)  # the line's units, returned over len(batches) returns
    parts, before = [], 0
    for returned in batches:
        parts.append(returned_units_discount(share, quantity, returned, before))
        before += returned
    assert sum(parts) == share
    assert all(part >= 0 for part in parts)
    assert returned_units_discount(10, 3, 1, 0) == 3  # 10 over 3 units, one at a time: 3, 3, 4
    assert returned_units_discount(10, 3, 1, 2) == 4


@pytest.mark.parametrize(
    ("changes", "uses", "key"),
    [
        ({"paused": True}, 0, "promo.error.unknown"),
        ({"valid_from": NOW + timedelta(days=1)}, 0, "promo.error.not_yet"),
        ({"valid_until": NOW}, 0, "promo.error.expired"),
        ({"max_uses": 3, "uses": 3}, 0, "promo.error.used_up"),
        ({"max_uses_per_customer": 1}, 1, "promo.error.used_by_you"),
        ({"min_subtotal": 5001}, 0, "promo.error.min_subtotal"),
        ({"category_ids": (7,)}, 0, "promo.error.not_applicable"),
    ],
)
def test_a_code_that_does_not_apply_says_why(
    changes: dict[str, object], uses: int, key: str
) -> None:
    with pytest.raises(PromoError) as refused:
        check_code(code(**changes), lines(2000, 3000), now=NOW, customer_uses=uses)
    assert refused.value.key == key


def test_a_code_in_its_window_with_uses_left_applies() -> None:
    promo = code(
        valid_from=NOW - timedelta(days=1),
        valid_until=NOW + timedelta(seconds=1),
        max_uses=3,
        uses=2,
        min_subtotal=5000,
        category_ids=(100,),
        free_shipping=True,
    )
    discount = check_code(promo, lines(2000, 3000), now=NOW, customer_uses=0)
    assert (discount.amount, discount.shares, discount.free_shipping) == (500, (200, 300), True)


def test_the_merchants_line_describes_a_code() -> None:
    spec = parse_spec(
        "spring10 10% min 50 from 2026-12-01 until 2026-12-31 uses 100 per 1 products 2,1 "
        "category Tea freeship",
        "USD",
        UTC,
    )
    assert spec.code == "SPRING10"
    assert (spec.kind, spec.value, spec.min_subtotal) == (PromoKind.PERCENT, 10, 5000)
    assert spec.valid_from == datetime(2026, 12, 1, tzinfo=UTC)
    assert spec.valid_until == datetime(2027, 1, 1, tzinfo=UTC)  # the 31st included
    assert (spec.max_uses, spec.max_uses_per_customer) == (100, 1)
    assert (spec.product_ids, spec.category_names, spec.free_shipping) == ((1, 2), ("Tea",), True)
    spaced = parse_spec("TEA5 5 category Green Tea, teaware uses 3 products 4, 3", "USD", UTC)
    assert spaced.product_ids == (3, 4)
    assert (spaced.category_names, spaced.max_uses) == (("Green Tea", "teaware"), 3)
    fixed = parse_spec("TAKE5 5.50", "USD", UTC)
    assert (fixed.kind, fixed.value) == (PromoKind.FIXED, 550)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("SPRING10", "promo.adm.bad.usage"),
        ("! 10%", "promo.adm.bad.code"),
        ("SPRING 120%", "promo.adm.bad.percent"),
        ("SPRING 5.555", "promo.adm.bad.amount"),
        ("SPRING 10% until tomorrow", "promo.adm.bad.date"),
        ("SPRING 10% uses zero", "promo.adm.bad.count"),
        ("SPRING 10% bogus", "promo.adm.bad.word"),
        ("SPRING 0", "promo.adm.bad.nothing"),
        ("SPRING 10% from 2026-12-05 until 2026-12-01", "promo.adm.bad.dates"),
    ],
)
def test_a_line_the_parser_cannot_read_names_what_to_fix(text: str, key: str) -> None:
    with pytest.raises(PromoError) as refused:
        parse_spec(text, "USD", UTC)
    assert refused.value.key == key
