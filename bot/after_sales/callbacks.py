"""Typed callback data of after-sales: the customer's requests and the merchant's queue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from bot.callback_data import Callback, OrderNo, Token

# ---- after-sales: prefixes start with "s" (bot/after_sales/); "sa…" are admin-only --------


@dataclass(frozen=True)
class AsStart(Callback):
    """Customer: start a return, exchange or repair request on an order."""

    prefix: ClassVar[str] = "sn"
    number: OrderNo
    page: int


@dataclass(frozen=True)
class AsKind(Callback):
    """Customer: the request's kind (return, exchange, repair)."""

    prefix: ClassVar[str] = "sk"
    token: Token
    kind: str


@dataclass(frozen=True)
class AsLine(Callback):
    """Customer: one unit more (+1) or fewer (-1) of an order line in the request."""

    prefix: ClassVar[str] = "sl"
    token: Token
    line_id: int
    delta: int


@dataclass(frozen=True)
class AsLinesDone(Callback):
    """Customer: done choosing the request's units."""

    prefix: ClassVar[str] = "sd"
    token: Token


@dataclass(frozen=True)
class AsReason(Callback):
    """Customer: why (a reason code)."""

    prefix: ClassVar[str] = "sr"
    token: Token
    code: str


@dataclass(frozen=True)
class AsSkip(Callback):
    """Customer: skip the details, or be done with the photos."""

    prefix: ClassVar[str] = "ss"
    token: Token


@dataclass(frozen=True)
class AsSubmit(Callback):
    """Customer: send the request."""

    prefix: ClassVar[str] = "sy"
    token: Token


@dataclass(frozen=True)
class AsCancel(Callback):
    """Customer: give up the request or return-parcel dialog."""

    prefix: ClassVar[str] = "sx"
    token: Token


@dataclass(frozen=True)
class AsMine(Callback):
    """Customer: a page of their after-sales requests."""

    prefix: ClassVar[str] = "sm"
    page: int


@dataclass(frozen=True)
class AsView(Callback):
    """Customer: one of their requests."""

    prefix: ClassVar[str] = "sv"
    request_id: int


@dataclass(frozen=True)
class AsSendBack(Callback):
    """Customer: give the return parcel's carrier and tracking number."""

    prefix: ClassVar[str] = "st"
    request_id: int


@dataclass(frozen=True)
class AsReturnCarrier(Callback):
    """Customer: the return parcel's carrier."""

    prefix: ClassVar[str] = "sc"
    token: Token
    code: str


@dataclass(frozen=True)
class AsAdmQueue(Callback):
    """Admin: a page of requests under a filter (new, appr, recv, done, open)."""

    prefix: ClassVar[str] = "sa"
    filter: str
    page: int


@dataclass(frozen=True)
class AsAdmOpen(Callback):
    """Admin: open a request from an alert (as a new message)."""

    prefix: ClassVar[str] = "sao"
    request_id: int


@dataclass(frozen=True)
class AsAdmView(Callback):
    """Admin: a request's detail in place."""

    prefix: ClassVar[str] = "sav"
    request_id: int


@dataclass(frozen=True)
class AsAdmApprove(Callback):
    """Admin: approve a request."""

    prefix: ClassVar[str] = "saa"
    request_id: int


@dataclass(frozen=True)
class AsAdmDecline(Callback):
    """Admin: start declining a request (a reason is asked)."""

    prefix: ClassVar[str] = "sad"
    request_id: int


@dataclass(frozen=True)
class AsAdmReceive(Callback):
    """Admin: the goods came back (restock, writeoff, or keep for a repair)."""

    prefix: ClassVar[str] = "sar"
    request_id: int
    how: str


@dataclass(frozen=True)
class AsAdmRefund(Callback):
    """Admin: refund a return (Stars: asks first; other methods: asks for the note)."""

    prefix: ClassVar[str] = "saf"
    request_id: int


@dataclass(frozen=True)
class AsAdmRefundGo(Callback):
    """Admin: yes, refund the return's Stars through Telegram."""

    prefix: ClassVar[str] = "sag"
    request_id: int


@dataclass(frozen=True)
class AsAdmShip(Callback):
    """Admin: ship the replacement or the repaired goods (the ship dialog)."""

    prefix: ClassVar[str] = "sas"
    request_id: int


@dataclass(frozen=True)
class AsAdmClose(Callback):
    """Admin: close a request."""

    prefix: ClassVar[str] = "sac"
    request_id: int


@dataclass(frozen=True)
class AsAdmPhotos(Callback):
    """Admin: the request's photos, sent again as an album."""

    prefix: ClassVar[str] = "sap"
    request_id: int


@dataclass(frozen=True)
class AsAdmDialogCancel(Callback):
    """Admin: leave a decline or refund-note dialog; nothing changes."""

    prefix: ClassVar[str] = "sax"
    token: Token


@dataclass(frozen=True)
class AsAdmOrder(Callback):
    """Admin: the after-sales requests of an order."""

    prefix: ClassVar[str] = "saq"
    number: OrderNo
