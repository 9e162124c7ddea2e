"""The merchant's one-line description of a new code, as typed after /promo_new:

    SPRING10 10% min 50 from 2026-12-01 until 2026-12-31 uses 100 per 1 products 1,2 freeship
    TAKE5 5 category Tea,Coffee

The code comes first, then its value (`10%`: percent; `5` or `5.50`: a fixed amount in the
shop's currency), then any of: `min AMOUNT`, `from DATE`, `until DATE` (days in the shop's time
zone, both included), `uses N` (in all), `per N` (per customer), `products ID,ID`,
`category NAME,NAME` (names as the catalog spells them, any case, spaces allowed),
`freeship`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from domain.promotions.model import PromoKind
from domain.promotions.rules import PromoError, normalise_code
from domain.shared.money import Money, MoneyError

MAX_PERCENT = 100
# Bounds of what a description may ask, so a typo of many digits is explained instead of
# overflowing a column: counts fit a 32-bit integer, amounts the catalog's price bound, ids
# the products' key, and the product list its 512-character column.
COUNT_MAX = 1_000_000
AMOUNT_MAX_MINOR = 10**11
PRODUCT_ID_MAX = 2**31 - 1
PRODUCTS_MAX = 40
SHOWN_MAX = 40  # characters of a word echoed back in an explanation
# What a description can get wrong (each has a text promo.adm.bad.<name>).
MISTAKES = (
    "usage",
    "code",
    "percent",
    "amount",
    "date",
    "count",
    "word",
    "nothing",
    "dates",
    "products",
    "product",
    "category",
)


@dataclass
class PromoSpec:
    """A parsed description; categories are still names (the use case finds their ids)."""

    code: str
    kind: PromoKind
    value: int
    min_subtotal: int = 0
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    max_uses: int | None = None
    max_uses_per_customer: int | None = None
    product_ids: tuple[int, ...] = ()
    category_names: tuple[str, ...] = field(default=())
    free_shipping: bool = False


def _bad(what: str, **params: object) -> PromoError:
    return PromoError(f"promo.adm.bad.{what}", **params)


def shown(text: str) -> str:
    """What the merchant typed, as an explanation quotes it: at most SHOWN_MAX characters."""
    return text if len(text) <= SHOWN_MAX else text[: SHOWN_MAX - 1] + "…"


def _number(text: str | None, most: int) -> int | None:
    """A whole number from 1 to `most` (None otherwise; never int() of thousands of digits)."""
    if text is None or not text.isdigit() or len(text) > len(str(most)):
        return None
    value = int(text)
    return value if 1 <= value <= most else None


def _count(word: str, text: str | None) -> int:
    value = _number(text, COUNT_MAX)
    if value is None:
        raise _bad("count", word=word, max=COUNT_MAX)
    return value


def _day(word: str, text: str | None) -> date:
    try:
        day = date.fromisoformat(text or "")
    except ValueError:
        raise _bad("date", word=word) from None
    if not 1970 <= day.year <= 9998:  # 9999-12-31's next day, or year 1 in UTC, overflow
        raise _bad("date", word=word)
    return day


def _money(word: str, text: str | None, currency: str) -> int:
    if len(text or "") > len(str(AMOUNT_MAX_MINOR)) + 1:  # digits and a decimal point
        raise _bad("amount", word=shown(word))
    try:
        amount = Money.from_major(text or "", currency).amount
    except MoneyError:
        raise _bad("amount", word=shown(word)) from None
    if not 0 <= amount <= AMOUNT_MAX_MINOR:
        raise _bad("amount", word=shown(word))
    return amount


KEYWORDS = frozenset(
    {"freeship", "min", "from", "until", "uses", "per", "products", "category", "categories"}
)


class _Words:
    """The description's words after the value, read one by one (or up to a keyword)."""

    def __init__(self, words: list[str]) -> None:
        self._words = words
        self._at = 0

    def __iter__(self) -> _Words:
        return self

    def __next__(self) -> str:
        if self._at >= len(self._words):
            raise StopIteration
        self._at += 1
        return self._words[self._at - 1]

    def until(self, keywords: frozenset[str]) -> str:
        """The words up to the next keyword (or the end), joined by spaces."""
        taken = []
        while self._at < len(self._words) and self._words[self._at].lower() not in keywords:
            taken.append(self._words[self._at])
            self._at += 1
        return " ".join(taken)


def parse_spec(text: str, currency: str, zone: tzinfo) -> PromoSpec:
    """The description of a new code, or PromoError naming what to fix."""
    words = text.split()
    if len(words) < 2:
        raise _bad("usage")
    code = normalise_code(words[0])
    if not code:
        raise _bad("code")
    value_text = words[1]
    if value_text.endswith("%"):
        number = value_text[:-1]
        percent = _number(number, MAX_PERCENT)
        if percent is None:
            raise _bad("percent")
        spec = PromoSpec(code, PromoKind.PERCENT, percent)
    else:
        spec = PromoSpec(code, PromoKind.FIXED, _money("value", value_text, currency))
    rest = _Words(words[2:])
    for word in rest:
        key = word.lower()
        if key == "freeship":
            spec.free_shipping = True
        elif key == "min":
            spec.min_subtotal = _money(key, next(rest, None), currency)
        elif key == "from":
            day = _day(key, next(rest, None))
            spec.valid_from = datetime.combine(day, time(), zone)
        elif key == "until":
            day = _day(key, next(rest, None))
            spec.valid_until = datetime.combine(day + timedelta(days=1), time(), zone)
        elif key == "uses":
            spec.max_uses = _count(key, next(rest, None))
        elif key == "per":
            spec.max_uses_per_customer = _count(key, next(rest, None))
        elif key == "products":
            ids = [i for i in rest.until(KEYWORDS).replace(" ", ",").split(",") if i]
            numbers = [_number(i, PRODUCT_ID_MAX) for i in ids]
            if not numbers or None in numbers:
                raise _bad("products")
            spec.product_ids = tuple(sorted({n for n in numbers if n is not None}))
            if len(spec.product_ids) > PRODUCTS_MAX:
                raise _bad("products")
        elif key in ("category", "categories"):
            # names may have spaces: every word up to the next keyword ("Green Tea,Teaware")
            names = [n.strip() for n in rest.until(KEYWORDS).split(",") if n.strip()]
            if not names:
                raise _bad("category", name="")
            spec.category_names = tuple(names)
        else:
            raise _bad("word", word=shown(word))
    if spec.kind == PromoKind.FIXED and spec.value == 0 and not spec.free_shipping:
        raise _bad("nothing")
    if spec.valid_from and spec.valid_until and spec.valid_until <= spec.valid_from:
        raise _bad("dates")
    return spec
