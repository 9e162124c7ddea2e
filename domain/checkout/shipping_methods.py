"""Shipping methods: how an order reaches the customer, what it costs, and where it goes.

The merchant configures them (the SHIPPING_METHODS setting, a JSON list; see README). Each has
a code, a name per language, a fee, an optional free-shipping threshold (a subtotal at or above
it ships free), and either the area it serves (a delivery method) or the shop's address where
the customer collects the order (kind "pickup": no address asked).

Which addresses a delivery method serves:
- `postcodes`: prefixes of postcodes. A postcode is a run of 4 to 10 letters and digits in
  the address with at least 3 digits (100020, 94103, 75008; a hyphen between digits is
  ignored, so 100-0001 reads 1000001). The method serves the address when one of them starts
  with one of its prefixes, ignoring case.
- `regions`: words or names (Beijing, 上海, New York). Written in Latin letters, a region must
  appear as whole words, ignoring case; in Chinese (or any text without spaces between
  words) it may appear anywhere in the address.
- The method serves the address when either list matches; with neither list, it serves every
  address.

With no SHIPPING_METHODS, the shop has one implicit method at the flat SHIPPING_FEE that serves
every address, chosen without a question, and orders carry no method snapshot (as before)."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from domain.orders.shipping_choice import ShippingChoice
from domain.shared.errors import DomainError
from domain.shared.money import Money, MoneyError

IMPLICIT_CODE = "standard"  # the one method of a shop without SHIPPING_METHODS
LANGUAGES = ("en", "zh")
MAX_METHODS = 10
NAME_MAX = 32
PLACE_MAX = 300
_CODE = re.compile(r"[a-z]{1,8}")  # as carriers' codes: fits the typed button data
_PREFIX = re.compile(r"[A-Za-z0-9]{1,10}")
_TOKEN = re.compile(r"[A-Za-z0-9]+")
_DIGIT_HYPHEN = re.compile(r"(?<=\d)-(?=\d)")
_FIELDS = {"code", "name", "fee", "free_from", "kind", "postcodes", "regions", "place"}


class ShippingKind(StrEnum):
    """How an order reaches the customer."""

    DELIVERY = "delivery"  # sent to the customer's address
    PICKUP = "pickup"  # collected at the shop: no address asked


class ShippingConfigError(ValueError):
    """The SHIPPING_METHODS setting cannot be used (the message says why)."""


class NoShippingMethodError(DomainError):
    """None of the shop's delivery methods serves the address the customer gave."""

    key = "checkout.shipping.no_method"


class ShippingChangedError(DomainError):
    """The shipping method chosen no longer exists or no longer serves the address (at
    Confirm): the customer chooses again."""

    key = "checkout.shipping.changed"


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _postcodes(address: str) -> list[str]:
    text = _DIGIT_HYPHEN.sub("", unicodedata.normalize("NFKC", address)).upper()
    return [
        token
        for token in _TOKEN.findall(text)
        if 4 <= len(token) <= 10 and sum(ch.isdigit() for ch in token) >= 3
    ]


def _spaced(word: str) -> bool:
    """True for a word of a script that separates words by spaces (Latin, Cyrillic ...)."""
    return all(ord(ch) < 0x2E80 for ch in word)


@dataclass(frozen=True)
class ShippingMethod:
    """One way of getting an order to the customer (see the module)."""

    code: str
    names: dict[str, str] = field(hash=False)
    fee: Money
    free_from: Money | None = None
    kind: ShippingKind = ShippingKind.DELIVERY
    postcodes: tuple[str, ...] = ()  # upper-cased prefixes
    regions: tuple[str, ...] = ()
    place: str = ""  # pickup: the shop's address shown to the customer

    @property
    def pickup(self) -> bool:
        """True when the customer collects the order at the shop."""
        return self.kind == ShippingKind.PICKUP

    def name(self, language: str) -> str:
        """The method's name in a language (the other one's if the merchant gave one only)."""
        return self.names.get(language) or next(iter(self.names.values()), "") or self.code

    def serves(self, address: str) -> bool:
        """True when this method delivers to the address (pickup: any customer)."""
        if self.pickup or not (self.postcodes or self.regions):
            return True
        if self.postcodes and any(
            code.startswith(prefix) for code in _postcodes(address) for prefix in self.postcodes
        ):
            return True
        folded = _fold(address)
        for region in self.regions:
            word = _fold(region)
            if _spaced(word):
                if re.search(rf"(?<!\w){re.escape(word)}(?!\w)", folded):
                    return True
            elif word in folded:
                return True
        return False

    def fee_for(self, subtotal: Money) -> Money:
        """The fee for a cart of this subtotal: free at or above the threshold."""
        if self.free_from is not None and subtotal >= self.free_from:
            return Money.zero(self.fee.currency)
        return self.fee

    def snapshot(self) -> ShippingChoice:
        """What the order keeps of this method."""
        return ShippingChoice(self.code, self.kind.value, dict(self.names), self.place)


@dataclass(frozen=True)
class ShippingOption:
    """A method offered to the customer with the fee it costs for their cart."""

    method: ShippingMethod
    fee: Money

    @property
    def free(self) -> bool:
        """True when this cart ships free with the method."""
        return self.fee.amount == 0


@dataclass(frozen=True)
class ShippingMethods:
    """The shop's shipping methods; without configured ones, the implicit flat fee."""

    configured: tuple[ShippingMethod, ...]
    flat_fee: Money

    @property
    def implicit(self) -> bool:
        """True for a shop without SHIPPING_METHODS: one flat fee, no question, no snapshot."""
        return not self.configured

    @property
    def all(self) -> tuple[ShippingMethod, ...]:
        """Every method, the implicit one included."""
        if self.configured:
            return self.configured
        return (ShippingMethod(IMPLICIT_CODE, {}, self.flat_fee),)

    def pickups(self, subtotal: Money) -> list[ShippingOption]:
        """The pickup methods, offered before any address is asked."""
        return [ShippingOption(m, m.fee_for(subtotal)) for m in self.all if m.pickup]

    def delivering_to(self, address: str, subtotal: Money) -> list[ShippingOption]:
        """The delivery methods that serve an address, in the configured order."""
        return [
            ShippingOption(m, m.fee_for(subtotal))
            for m in self.all
            if not m.pickup and m.serves(address)
        ]

    def get(self, code: str | None) -> ShippingMethod | None:
        """The method with this code, or None."""
        return next((m for m in self.all if m.code == code), None)

    def snapshot(self, method: ShippingMethod) -> ShippingChoice | None:
        """What the order keeps: nothing for the implicit flat fee (as before methods)."""
        return None if self.implicit else method.snapshot()


def _money(value: object, currency: str, where: str) -> Money:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ShippingConfigError(f'{where} must be an amount such as "5.00"')
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ShippingConfigError(f'{where} must be an amount such as "5.00"') from None
    if not amount.is_finite() or amount < 0:
        raise ShippingConfigError(f"{where} must not be negative")
    try:
        return Money.from_major(amount, currency)
    except MoneyError as exc:
        raise ShippingConfigError(f"{where}: {exc}") from None


def _names(value: object, where: str) -> dict[str, str]:
    if isinstance(value, str):
        value = {language: value for language in LANGUAGES}
    if not isinstance(value, dict) or not value:
        raise ShippingConfigError(f'{where}: name must be text or {{"en": ..., "zh": ...}}')
    unknown = set(value) - set(LANGUAGES)
    if unknown:
        raise ShippingConfigError(f"{where}: name has unknown language(s) {sorted(unknown)}")
    names: dict[str, str] = {}
    for language, name in value.items():
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= NAME_MAX:
            raise ShippingConfigError(f"{where}: name must be 1-{NAME_MAX} characters")
        names[language] = name.strip()
    return names


def _words(value: object, where: str, what: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ShippingConfigError(f"{where}: {what} must be a list of non-empty texts")
    return [v.strip() for v in value]


def shipping_methods_from_json(text: str, currency: str) -> tuple[ShippingMethod, ...]:
    """Parse the SHIPPING_METHODS setting (see the module); empty text means none (the flat
    SHIPPING_FEE). Raises ShippingConfigError saying what is wrong."""
    if not text or not text.strip():
        return ()
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ShippingConfigError(f"must be a JSON list of methods ({exc.msg})") from None
    if not isinstance(raw, list) or not raw:
        raise ShippingConfigError("must be a non-empty JSON list of methods")
    if len(raw) > MAX_METHODS:
        raise ShippingConfigError(f"at most {MAX_METHODS} methods")
    methods: list[ShippingMethod] = []
    for i, item in enumerate(raw, 1):
        where = f"method {i}"
        if not isinstance(item, dict):
            raise ShippingConfigError(f"{where} must be an object")
        unknown = set(item) - _FIELDS
        if unknown:
            raise ShippingConfigError(f"{where} has unknown field(s) {sorted(unknown)}")
        code = item.get("code")
        if not isinstance(code, str) or not _CODE.fullmatch(code):
            raise ShippingConfigError(f"{where}: code must be 1-8 lower-case letters")
        if any(m.code == code for m in methods):
            raise ShippingConfigError(f"{where}: code {code!r} is used twice")
        where = f"method {code!r}"
        kind_text = item.get("kind", ShippingKind.DELIVERY.value)
        try:
            kind = ShippingKind(kind_text)
        except ValueError:
            raise ShippingConfigError(f"{where}: kind must be delivery or pickup") from None
        names = _names(item.get("name"), where)
        if "fee" not in item:
            raise ShippingConfigError(f'{where}: fee is required ("0" for free)')
        fee = _money(item["fee"], currency, f"{where}: fee")
        free_from = (
            _money(item["free_from"], currency, f"{where}: free_from")
            if item.get("free_from") is not None
            else None
        )
        postcodes = _words(item.get("postcodes"), where, "postcodes")
        regions = _words(item.get("regions"), where, "regions")
        bad = [p for p in postcodes if not _PREFIX.fullmatch(p)]
        if bad:
            raise ShippingConfigError(
                f"{where}: postcodes must be prefixes of 1-10 letters or digits, not {bad[0]!r}"
            )
        place = item.get("place") or ""
        if not isinstance(place, str) or len(place) > PLACE_MAX:
            raise ShippingConfigError(f"{where}: place must be text of at most {PLACE_MAX}")
        if kind == ShippingKind.PICKUP:
            if postcodes or regions:
                raise ShippingConfigError(f"{where}: a pickup method has no postcodes or regions")
            if not place.strip():
                raise ShippingConfigError(f"{where}: place (the pickup address) is required")
        elif place:
            raise ShippingConfigError(f"{where}: only a pickup method has a place")
        methods.append(
            ShippingMethod(
                code=code,
                names=names,
                fee=fee,
                free_from=free_from,
                kind=kind,
                postcodes=tuple(p.upper() for p in postcodes),
                regions=tuple(regions),
                place=place.strip(),
            )
        )
    if all(m.pickup for m in methods):
        raise ShippingConfigError("needs at least one delivery method besides pickup")
    return tuple(methods)
