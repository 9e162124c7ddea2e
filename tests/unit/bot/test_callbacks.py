"""Callback data: every button we issue fits in 64 bytes and parses back; nothing else parses."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

import bot.app  # noqa: F401  (the composition root imports every feature's callback types)
from bot.callback_data import _REGISTRY, Callback, Words, pack_checked, parse
from bot.cart.callbacks import CartLess, CartMore
from bot.catalog.callbacks import ProductCard, SearchPage
from bot.orders.callbacks import OrderList

LARGEST: dict[str, Any] = {
    "int": 2_147_483_647,  # the widest id the parser accepts (a PostgreSQL integer)
    "Token": "Zz9_-Zz9_-Zz9_-Z",  # 16 characters, the widest token
    "OrderNo": "7KQ2-M9XD",
    "str": "abcdefgh",  # the widest method or language code
    "Words": "龙井 green tea, 100 g (the widest that fits!!)",  # 48 bytes: with sp:<12 digits>:, 64
}
REALISTIC: dict[str, Any] = {
    "int": 2_147_483_647,
    "Token": "q3Xz-9_a",  # secrets.token_urlsafe(6)
    "OrderNo": "ZZZZ-ZZZZ",
    "str": "bank",
    "Words": "oolong",
}
TYPES = sorted(_REGISTRY.items())


def build(cls: type[Callback], values: dict[str, Any]) -> Callback:
    return cls(*[values[str(f.type)] for f in dataclasses.fields(cls)])  # type: ignore[arg-type]


def test_every_button_type_is_registered_under_its_own_prefix() -> None:
    assert len(TYPES) >= 23
    for prefix, cls in TYPES:
        assert cls.prefix == prefix
        assert ":" not in prefix


def test_a_second_type_with_a_taken_prefix_is_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):

        @dataclasses.dataclass(frozen=True)
        class Clash(Callback):
            prefix = "m"


@pytest.mark.parametrize("values", [LARGEST, REALISTIC], ids=["largest", "realistic"])
@pytest.mark.parametrize(("prefix", "cls"), TYPES, ids=[p for p, _ in TYPES])
def test_every_button_packs_within_64_bytes_and_parses_back_equal(
    prefix: str, cls: type[Callback], values: dict[str, Any]
) -> None:
    data = build(cls, values)
    packed = data.pack()
    assert len(packed.encode()) <= 64
    assert packed.startswith(f"{prefix}:") or packed == prefix
    parsed = parse(packed)
    assert parsed == data
    assert type(parsed) is cls
    assert cls.matches(packed)


def test_packing_more_than_64_bytes_is_refused() -> None:
    with pytest.raises(ValueError, match="too long"):
        ProductCard(10**15, 10**15, 10**15, 10**15).pack()


def test_matches_tells_types_apart() -> None:
    assert CartMore.matches("ci:5")
    assert not CartLess.matches("ci:5")
    assert not CartMore.matches("nonsense")


def test_a_negative_page_is_a_number() -> None:
    assert parse("ol:-1") == OrderList(-1)


MALFORMED = [
    None,
    "",
    b"m",
    42,
    "zz:1",  # unknown prefix
    "M",
    "ci",  # too few parts
    "ci:1:2",  # too many parts
    "m:",
    "pl:1",
    "pc:1:2:3:4:5",
    "ci:abc",  # not a number
    "ci:1.5",
    "ci:",
    "ci: 1",
    "ci:0x1f",
    "ci:1234567890123",  # 13 digits
    "pl:1:two",
    "kn:",  # empty token
    "kn:has space",
    "kn:way_too_long_token_x",
    "kn:tøken",
    "od:7kq2-m9xd:0",  # order numbers come as we issue them, upper case with a dash
    "od:7KQ2M9XD:0",
    "od:7KQ2-M9XD:x",
    "kp:tok:CASH",
    "kp:tok:",
    "kp:tok:cashondelivery",
    "lg:zh-hans",
    "x" * 65,
    "kn:" + "a" * 62,  # 65 bytes
    "cats:" + "é" * 30,  # 65 bytes, fewer characters
]


@pytest.mark.parametrize("data", MALFORMED, ids=[repr(d)[:30] for d in MALFORMED])
def test_malformed_data_parses_to_none(data: object) -> None:
    assert parse(data) is None


@pytest.mark.parametrize("data", ["kn:tok1\n", "od:7KQ2-M9XD\n:0", "ky:tok1\n"])
def test_a_trailing_newline_is_not_part_of_a_token_or_order_number(data: str) -> None:
    assert parse(data) is None


@pytest.mark.parametrize("data", ["ci:2147483648", "ci:-2147483649", "ci:99999999999"])
def test_an_id_wider_than_a_database_integer_is_no_button_of_ours(data: str) -> None:
    """Forged ids past PostgreSQL's integer reached the database and failed there."""
    assert parse(data) is None


def test_a_telegram_id_may_be_wider() -> None:
    from bot.merchant.callbacks import AdminAnswer

    widest = AdminAnswer(2**52)  # Telegram's ids fit in 52 bits
    assert parse(widest.pack()) == widest
    assert parse("aan:12345678901234567") is None  # 17 digits


@pytest.mark.parametrize("data", ["ci:١٢", "ol:１"])
def test_only_ascii_digits_make_an_id(data: str) -> None:
    assert parse(data) is None


def test_search_words_ride_along_only_when_they_come_back_the_same() -> None:
    assert pack_checked(SearchPage(1, Words("green tea"))) == "sp:1:green tea"
    assert pack_checked(SearchPage(1, Words("茶" * 20))) is None, "over 64 bytes"
    assert pack_checked(SearchPage(1, Words("time: 5 min"))) is None, "a ':' would split it"
    assert parse("sp:1: tea") is None and parse("sp:1:") is None
