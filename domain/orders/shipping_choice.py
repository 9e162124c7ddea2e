"""The delivery method an order was placed with, kept on the order as it was then."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

DELIVERY = "delivery"  # a courier brings the parcel to the customer's address
PICKUP = "pickup"  # the customer collects the order at the shop (no address asked)


@dataclass(frozen=True)
class ShippingChoice:
    """A snapshot of the shipping method on an order (its fee is `Order.shipping`): renaming
    or removing the method later changes nothing on orders already placed."""

    code: str
    kind: str = DELIVERY
    names: dict[str, str] = field(default_factory=dict, hash=False)  # by language code
    place: str = ""  # pickup: where the customer collects the order

    @property
    def pickup(self) -> bool:
        """True when the customer collects the order at the shop."""
        return self.kind == PICKUP

    def name(self, language: str) -> str:
        """The method's name in a language (the other language's, or the code, if missing)."""
        return self.names.get(language) or next(iter(self.names.values()), "") or self.code

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for storage."""
        data: dict[str, Any] = {"code": self.code, "kind": self.kind, "name": dict(self.names)}
        if self.place:
            data["place"] = self.place
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> ShippingChoice | None:
        """Inverse of to_dict; None for an order placed with the shop's flat fee."""
        if not data or not data.get("code"):
            return None
        names = data.get("name") or {}
        return cls(
            code=str(data["code"]),
            kind=str(data.get("kind") or DELIVERY),
            names={str(k): str(v) for k, v in names.items()} if isinstance(names, dict) else {},
            place=str(data.get("place") or ""),
        )
