"""Carriers and shipments: who carries a parcel, its tracking number, and where to follow it."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.parse import quote

from domain.catalog.model import Product
from domain.orders.model import Order
from domain.shared.dialogs import Dialog
from domain.shared.errors import InvalidInputError

TRACKING_MIN, TRACKING_MAX = 4, 40


NOTE_MAX = 500
OTHER_CARRIER = "other"  # the built-in carrier for any other: the admin types its name
OTHER_CARRIER_NAME = "Other carrier"  # its name until typed (shown in the reader's language)
CARRIER_NAME_MAX = 32


_CODE = re.compile(r"[a-z]{1,8}")


_LOOSE = re.compile(r"[A-Z0-9][A-Z0-9-]*")  # what any tracking number looks like


_URL_FORBIDDEN = set(" \"<>'\\`")


@dataclass(frozen=True)
class Carrier:
    """A shipping company the shop hands parcels to.

    `tracking_url` is a template with `{number}` where the tracking number goes (empty: no
    tracking page); `pattern` is a regular expression a valid number matches in full
    (None: any number of 4 to 40 letters, digits and dashes)."""

    code: str
    name: str
    tracking_url: str = ""
    pattern: str | None = None
    example: str = ""

    def check(self, text: str) -> str:
        """The tracking number, upper-cased without spaces, or InvalidInputError."""
        number = re.sub(r"\s+", "", text or "").upper()
        if not TRACKING_MIN <= len(number) <= TRACKING_MAX or not _LOOSE.fullmatch(number):
            raise InvalidInputError(
                "adm.error.tracking_invalid", min=TRACKING_MIN, max=TRACKING_MAX
            )
        if self.pattern and not re.fullmatch(self.pattern, number):
            raise InvalidInputError(
                "adm.error.tracking_pattern", carrier=self.name, example=self.example or "—"
            )
        return number

    def link(self, number: str) -> str | None:
        """The carrier's tracking page for a number, or None when it has none."""
        if not self.tracking_url:
            return None
        return self.tracking_url.replace("{number}", quote(number, safe=""))


# A sensible default for a shop in China or shipping abroad. Patterns are the carriers'
# published formats; anything else can be shipped as "other".
DEFAULT_CARRIERS: tuple[Carrier, ...] = (
    Carrier(
        "sf",
        "SF Express",
        "https://www.sf-express.com/chn/en/waybill/waybill-detail/{number}",
        r"SF\d{12,13}",
        "SF1234567890123",
    ),
    Carrier(
        "zto", "ZTO Express", "https://www.zto.com/?num={number}", r"\d{12,15}", "731234567890"
    ),
    Carrier(
        "ems",
        "EMS",
        "https://www.ems.com.cn/qps/yjcx?mailNum={number}",
        r"[A-Z]{2}\d{9}[A-Z]{2}",
        "EA123456789CN",
    ),
    Carrier(
        "dhl",
        "DHL Express",
        "https://www.dhl.com/global-en/home/tracking/tracking-express.html?tracking-id={number}",
        r"\d{10}",
        "1234567890",
    ),
    Carrier(
        "ups",
        "UPS",
        "https://www.ups.com/track?tracknum={number}",
        r"1Z[0-9A-Z]{16}",
        "1Z999AA10123456784",
    ),
    Carrier(
        "fedex",
        "FedEx",
        "https://www.fedex.com/fedextrack/?trknbr={number}",
        r"\d{12}|\d{15}|\d{20}",
        "123456789012",
    ),
    Carrier(OTHER_CARRIER, OTHER_CARRIER_NAME),
)


class CarrierConfigError(ValueError):
    """The CARRIERS setting cannot be used (the message says why)."""


def carriers_from_json(text: str) -> tuple[Carrier, ...]:
    """Parse the CARRIERS setting: a JSON list of {code, name, url?, pattern?, example?}.
    Empty text means the built-in list."""
    if not text or not text.strip():
        return DEFAULT_CARRIERS
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CarrierConfigError(f"must be a JSON list of carriers ({exc.msg})") from None
    if not isinstance(raw, list) or not raw:
        raise CarrierConfigError("must be a non-empty JSON list of carriers")
    if len(raw) > 20:
        raise CarrierConfigError("at most 20 carriers")
    carriers: list[Carrier] = []
    for i, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            raise CarrierConfigError(f"carrier {i} must be an object")
        unknown = set(item) - {"code", "name", "url", "pattern", "example"}
        if unknown:
            raise CarrierConfigError(f"carrier {i} has unknown field(s) {sorted(unknown)}")
        code, name = item.get("code"), item.get("name")
        url, pattern = item.get("url") or "", item.get("pattern") or None
        example = item.get("example") or ""
        if not isinstance(code, str) or not _CODE.fullmatch(code):
            raise CarrierConfigError(f"carrier {i}: code must be 1-8 lower-case letters")
        if any(c.code == code for c in carriers):
            raise CarrierConfigError(f"carrier {i}: code {code!r} is used twice")
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 32:
            raise CarrierConfigError(f"carrier {i}: name must be 1-32 characters")
        if not isinstance(url, str) or (
            url
            and (
                not url.startswith(("http://", "https://"))
                or "{number}" not in url
                or _URL_FORBIDDEN & set(url)
            )
        ):
            raise CarrierConfigError(
                f"carrier {i}: url must be an http(s) address containing {{number}}"
            )
        if pattern is not None:
            if not isinstance(pattern, str):
                raise CarrierConfigError(f"carrier {i}: pattern must be a string")
            try:
                re.compile(pattern)
            except re.error as exc:
                raise CarrierConfigError(f"carrier {i}: pattern is not valid ({exc})") from None
        if not isinstance(example, str):
            raise CarrierConfigError(f"carrier {i}: example must be a string")
        carriers.append(Carrier(code, name.strip(), url, pattern, example))
    return tuple(carriers)


@dataclass
class Shipment:
    """A parcel handed to a carrier for one order; `key` makes recording it idempotent."""

    order_id: int
    carrier_code: str
    carrier_name: str
    tracking_number: str
    tracking_url: str | None
    actor: str
    shipped_at: datetime
    key: str
    note: str | None = None
    id: int | None = None


class ShipmentRepository(Protocol):
    async def add(self, shipment: Shipment) -> int:
        """Insert; raises DuplicateError when a shipment with the same key exists."""

    async def for_orders(self, order_ids: list[int]) -> dict[int, list[Shipment]]:
        """Shipments of these orders, oldest first, by order id."""


@dataclass
class DialogResult:
    """A dialog after an answer: still going (`dialog` at its next step) or finished (`done`
    names what happened, with what it touched)."""

    dialog: Dialog
    done: bool = False
    order: Order | None = None
    product: Product | None = None
    shipment: Shipment | None = None
