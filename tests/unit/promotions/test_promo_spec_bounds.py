"""/promo_new with numbers no shop means (a typo of many digits) or words too long to quote is
explained, never stored: counts, amounts, product ids and dates stay within what the columns
hold, and an explanation quotes at most 40 characters of what was typed."""

from __future__ import annotations

from datetime import UTC

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.promotions.rules import PromoError
from domain.promotions.spec import COUNT_MAX, parse_spec, shown

HUGE = "9" * 30


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (f"SPRING {HUGE}%", "promo.adm.bad.percent"),
        (f"SPRING {HUGE}", "promo.adm.bad.amount"),
        (f"SPRING 10% min {HUGE}", "promo.adm.bad.amount"),
        ("SPRING 10% min 1000000001", "promo.adm.bad.amount"),  # above the price bound
        (f"SPRING 10% uses {HUGE}", "promo.adm.bad.count"),
        (f"SPRING 10% uses {COUNT_MAX + 1}", "promo.adm.bad.count"),
        ("SPRING 10% per -1", "promo.adm.bad.count"),
        (f"SPRING 10% products {HUGE}", "promo.adm.bad.products"),
        ("SPRING 10% products 2147483648", "promo.adm.bad.products"),
        ("SPRING 10% products " + ",".join(str(n) for n in range(1, 42)), "promo.adm.bad.products"),
        ("SPRING 10% until 9999-12-31", "promo.adm.bad.date"),
        ("SPRING 10% from 0001-01-01", "promo.adm.bad.date"),
        ("SPRING 10% " + "x" * 5000, "promo.adm.bad.word"),
    ],
)
def test_numbers_beyond_what_a_shop_means_are_explained(text: str, key: str) -> None:
    with pytest.raises(PromoError) as refused:
        parse_spec(text, "USD", UTC)
    assert refused.value.key == key
    assert all(len(str(v)) <= 40 for v in refused.value.params.values())


def test_the_largest_accepted_values_parse() -> None:
    spec = parse_spec(f"BIG 10% uses {COUNT_MAX} min 1000000000 products 2147483647", "USD", UTC)
    assert (spec.max_uses, spec.min_subtotal, spec.product_ids) == (
        COUNT_MAX,
        10**11,
        (2**31 - 1,),
    )


def test_a_long_word_is_quoted_shortened() -> None:
    assert shown("short") == "short"
    assert shown("y" * 100) == "y" * 39 + "…"


WORDS = st.sampled_from(
    [
        *("SPRING", "10%", "5", "5.50", "min", "from", "until", "uses", "per", "products"),
        *("category", "freeship", "2026-12-31", "9999-12-31", "0", "-1", "1,2", "Tea", ""),
        *("%", "1e9", "٣", "NaN", "Infinity", "1_000"),
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(WORDS, st.text(max_size=30)), max_size=12))
def test_any_description_is_parsed_or_explained_never_raises_otherwise(words: list[str]) -> None:
    """Whatever the merchant types after /promo_new, the parser returns a spec within the
    columns' bounds or a PromoError naming what to fix, quoting at most 40 characters."""
    try:
        spec = parse_spec(" ".join(words), "USD", UTC)
    except PromoError as error:
        assert all(len(str(v)) <= 40 for v in error.params.values()), error.params
        return
    assert 0 <= spec.value <= 10**11 and 0 <= spec.min_subtotal <= 10**11
    assert all(0 < n <= COUNT_MAX for n in (spec.max_uses, spec.max_uses_per_customer) if n)
    assert all(0 < i < 2**31 for i in spec.product_ids) and len(spec.product_ids) <= 40
