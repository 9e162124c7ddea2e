"""Typed callback data: short prefixes, strict parsing, always within Telegram's 64 bytes.
Anything that does not parse exactly is treated as a stale or forged button."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

MAX_BYTES = 64
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,16}")
_NUMBER = re.compile(r"[0-9A-Z]{4}-[0-9A-Z]{4}")
_REGISTRY: dict[str, type[Callback]] = {}
C = TypeVar("C", bound="Callback")


class Callback:
    """Base of all callback payloads; subclasses are frozen dataclasses with a unique prefix."""

    prefix: ClassVar[str]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.prefix in _REGISTRY:
            raise ValueError(f"duplicate callback prefix {cls.prefix}")
        _REGISTRY[cls.prefix] = cls

    def pack(self) -> str:
        """Serialise as `prefix:field:field`; raises if it would exceed 64 bytes."""
        values = [str(getattr(self, f.name)) for f in dataclasses.fields(self)]  # type: ignore[arg-type]
        data = ":".join([self.prefix, *values])
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data too long: {data}")
        return data

    @classmethod
    def matches(cls, data: object) -> bool:
        """Whether `data` parses as this type (used as a handler pattern)."""
        return isinstance(parse(data), cls)


def _convert(kind: Any, raw: str) -> Any:
    if kind in (int, "int"):
        if not re.fullmatch(r"-?[0-9]{1,12}", raw):
            raise ValueError(raw)
        return int(raw)
    if kind in ("Token", Token):
        if not _TOKEN.fullmatch(raw):
            raise ValueError(raw)
        return raw
    if kind in ("OrderNo", OrderNo):
        if not _NUMBER.fullmatch(raw):
            raise ValueError(raw)
        return raw
    if kind in (str, "str"):
        if not re.fullmatch(r"[a-z]{1,8}", raw):
            raise ValueError(raw)
        return raw
    raise TypeError(kind)


def parse(data: object) -> Callback | None:
    """The callback object for `data`, or None if it is not one we issue."""
    if not isinstance(data, str) or not data or len(data.encode()) > MAX_BYTES:
        return None
    prefix, *parts = data.split(":")
    cls = _REGISTRY.get(prefix)
    if cls is None:
        return None
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if len(parts) != len(fields):
        return None
    try:
        values = [_convert(f.type, raw) for f, raw in zip(fields, parts, strict=True)]
    except (ValueError, TypeError):
        return None
    return cls(*values)


class Token(str):
    """A checkout token."""


class OrderNo(str):
    """An order number like 7KQ2-M9XD."""


# ---- the buttons we issue -------------------------------------------------------------------


@dataclass(frozen=True)
class Noop(Callback):
    """A label-only button (page counter)."""

    prefix: ClassVar[str] = "x"


@dataclass(frozen=True)
class Menu(Callback):
    """Back to the main menu."""

    prefix: ClassVar[str] = "m"


@dataclass(frozen=True)
class Help(Callback):
    """The help text."""

    prefix: ClassVar[str] = "h"


@dataclass(frozen=True)
class Categories(Callback):
    """The list of categories."""

    prefix: ClassVar[str] = "cats"


@dataclass(frozen=True)
class ProductList(Callback):
    """A page of a category."""

    prefix: ClassVar[str] = "pl"
    category_id: int
    page: int


@dataclass(frozen=True)
class ProductCard(Callback):
    """A product with a chosen quantity; category 0 means it was opened from search."""

    prefix: ClassVar[str] = "pc"
    product_id: int
    qty: int
    category_id: int
    page: int


@dataclass(frozen=True)
class AddToCart(Callback):
    """Add `qty` of a product to the cart."""

    prefix: ClassVar[str] = "pa"
    product_id: int
    qty: int
    category_id: int
    page: int


@dataclass(frozen=True)
class ShowCart(Callback):
    """The cart."""

    prefix: ClassVar[str] = "cart"


@dataclass(frozen=True)
class CartMore(Callback):
    """One more of a cart line."""

    prefix: ClassVar[str] = "ci"
    product_id: int


@dataclass(frozen=True)
class CartLess(Callback):
    """One fewer of a cart line."""

    prefix: ClassVar[str] = "cd"
    product_id: int


@dataclass(frozen=True)
class CartRemove(Callback):
    """Remove a cart line."""

    prefix: ClassVar[str] = "cr"
    product_id: int


@dataclass(frozen=True)
class Checkout(Callback):
    """Start checkout."""

    prefix: ClassVar[str] = "co"


@dataclass(frozen=True)
class UseAddress(Callback):
    """Deliver to a saved address."""

    prefix: ClassVar[str] = "ka"
    token: Token
    address_id: int


@dataclass(frozen=True)
class NewAddress(Callback):
    """Enter a new address."""

    prefix: ClassVar[str] = "kn"
    token: Token


@dataclass(frozen=True)
class PayWith(Callback):
    """Choose a payment method."""

    prefix: ClassVar[str] = "kp"
    token: Token
    method: str


@dataclass(frozen=True)
class CheckoutBack(Callback):
    """One checkout step back."""

    prefix: ClassVar[str] = "kb"
    token: Token


@dataclass(frozen=True)
class CheckoutCancel(Callback):
    """Leave checkout."""

    prefix: ClassVar[str] = "kc"
    token: Token


@dataclass(frozen=True)
class Confirm(Callback):
    """Place the order."""

    prefix: ClassVar[str] = "ky"
    token: Token


@dataclass(frozen=True)
class OrderList(Callback):
    """A page of the customer's orders."""

    prefix: ClassVar[str] = "ol"
    page: int


@dataclass(frozen=True)
class OrderDetail(Callback):
    """One order."""

    prefix: ClassVar[str] = "od"
    number: OrderNo
    page: int


@dataclass(frozen=True)
class AskCancelOrder(Callback):
    """Ask before cancelling an order."""

    prefix: ClassVar[str] = "oc"
    number: OrderNo
    page: int


@dataclass(frozen=True)
class CancelOrder(Callback):
    """Cancel the order."""

    prefix: ClassVar[str] = "oy"
    number: OrderNo
    page: int


@dataclass(frozen=True)
class RefundOrder(Callback):
    """Admin: cancel a paid order with a refund (handled by the payments feature)."""

    prefix: ClassVar[str] = "$rf"
    number: OrderNo


@dataclass(frozen=True)
class SetLanguage(Callback):
    """Choose the bot's language."""

    prefix: ClassVar[str] = "lg"
    code: str


# ---- merchant (admin chat): prefixes start with "a"; every handler is admin-only -----------


@dataclass(frozen=True)
class AdminMenu(Callback):
    """Admin: the merchant's panel."""

    prefix: ClassVar[str] = "am"


@dataclass(frozen=True)
class AdminOrders(Callback):
    """Admin: a page of orders under a filter (ship, pend, sent, after, all)."""

    prefix: ClassVar[str] = "aol"
    filter: str
    page: int


@dataclass(frozen=True)
class AdminOpenOrder(Callback):
    """Admin: open an order from an alert (as a new message)."""

    prefix: ClassVar[str] = "ao"
    number: OrderNo


@dataclass(frozen=True)
class AdminOrder(Callback):
    """Admin: an order's detail in place, remembering the list it came from."""

    prefix: ClassVar[str] = "av"
    number: OrderNo
    filter: str
    page: int


@dataclass(frozen=True)
class AdminConfirmCod(Callback):
    """Admin: accept a cash-on-delivery order for shipping."""

    prefix: ClassVar[str] = "acod"
    number: OrderNo


@dataclass(frozen=True)
class AdminShip(Callback):
    """Admin: start the ship dialog."""

    prefix: ClassVar[str] = "as"
    number: OrderNo


@dataclass(frozen=True)
class AdminDeliver(Callback):
    """Admin: mark a shipped order delivered."""

    prefix: ClassVar[str] = "adlv"
    number: OrderNo


@dataclass(frozen=True)
class AdminComplete(Callback):
    """Admin: close a delivered order."""

    prefix: ClassVar[str] = "acmp"
    number: OrderNo


@dataclass(frozen=True)
class AdminCancel(Callback):
    """Admin: start cancelling an unpaid order (a reason is asked)."""

    prefix: ClassVar[str] = "acx"
    number: OrderNo


@dataclass(frozen=True)
class AdminNote(Callback):
    """Admin: start an internal note on an order."""

    prefix: ClassVar[str] = "ant"
    number: OrderNo


@dataclass(frozen=True)
class AdminMessage(Callback):
    """Admin: start a message to the order's customer."""

    prefix: ClassVar[str] = "amsg"
    number: OrderNo


@dataclass(frozen=True)
class AdminSlip(Callback):
    """Admin: the packing slip of an order, as a document."""

    prefix: ClassVar[str] = "aslp"
    number: OrderNo


@dataclass(frozen=True)
class AdminPickList(Callback):
    """Admin: the pick list of every order to ship, as a document."""

    prefix: ClassVar[str] = "apk"


@dataclass(frozen=True)
class AdminCarrier(Callback):
    """Admin: the ship dialog's carrier."""

    prefix: ClassVar[str] = "acr"
    token: Token
    code: str


@dataclass(frozen=True)
class AdminSkip(Callback):
    """Admin: skip an optional dialog step."""

    prefix: ClassVar[str] = "adk"
    token: Token


@dataclass(frozen=True)
class AdminDialogCancel(Callback):
    """Admin: leave a dialog; nothing changes."""

    prefix: ClassVar[str] = "adx"
    token: Token


@dataclass(frozen=True)
class AdminConfirm(Callback):
    """Admin: carry out a dialog waiting for confirmation."""

    prefix: ClassVar[str] = "ady"
    token: Token


@dataclass(frozen=True)
class AdminProducts(Callback):
    """Admin: a page of all products."""

    prefix: ClassVar[str] = "apl"
    page: int


@dataclass(frozen=True)
class AdminProduct(Callback):
    """Admin: a product's card in place, remembering its list page."""

    prefix: ClassVar[str] = "ap"
    product_id: int
    page: int


@dataclass(frozen=True)
class AdminOpenProduct(Callback):
    """Admin: open a product from an alert (as a new message)."""

    prefix: ClassVar[str] = "aop"
    product_id: int


@dataclass(frozen=True)
class AdminEdit(Callback):
    """Admin: start editing one field of a product (name, price, desc, thresh)."""

    prefix: ClassVar[str] = "ape"
    product_id: int
    field: str


@dataclass(frozen=True)
class AdminStock(Callback):
    """Admin: start a stock change with a reason."""

    prefix: ClassVar[str] = "aps"
    product_id: int


@dataclass(frozen=True)
class AdminActive(Callback):
    """Admin: take a product off sale (0) or put it back (1)."""

    prefix: ClassVar[str] = "apa"
    product_id: int
    active: int


@dataclass(frozen=True)
class AdminAddProduct(Callback):
    """Admin: start the add-product dialog."""

    prefix: ClassVar[str] = "apn"


@dataclass(frozen=True)
class AdminExport(Callback):
    """Admin: a CSV export (products or orders)."""

    prefix: ClassVar[str] = "aex"
    what: str


@dataclass(frozen=True)
class ReplyToShop(Callback):
    """Customer: reply to a message from the shop about an order."""

    prefix: ClassVar[str] = "rs"
    number: OrderNo


@dataclass(frozen=True)
class ReplyCancel(Callback):
    """Customer: give up a reply to the shop."""

    prefix: ClassVar[str] = "rsx"
    token: Token


# ---- payments: prefixes start with "$" (bot/payments.py) ------------------------------------


@dataclass(frozen=True)
class PayNow(Callback):
    """Customer: send (again) the invoice of an unpaid order."""

    prefix: ClassVar[str] = "$pn"
    number: OrderNo


@dataclass(frozen=True)
class AskReceipt(Callback):
    """Customer: send the photo of a bank transfer receipt for an order."""

    prefix: ClassVar[str] = "$ps"
    number: OrderNo


@dataclass(frozen=True)
class ConfirmReceipt(Callback):
    """Admin: the transfer arrived; the order is paid."""

    prefix: ClassVar[str] = "$tc"
    receipt_id: int


@dataclass(frozen=True)
class AskRejectReceipt(Callback):
    """Admin: choose why a transfer receipt is not accepted."""

    prefix: ClassVar[str] = "$tx"
    receipt_id: int


@dataclass(frozen=True)
class RejectReceipt(Callback):
    """Admin: do not accept a transfer receipt, for a reason (amount, missing, unclear)."""

    prefix: ClassVar[str] = "$tr"
    receipt_id: int
    reason: str


@dataclass(frozen=True)
class ReceiptBack(Callback):
    """Admin: back to Confirm / Reject on a transfer receipt."""

    prefix: ClassVar[str] = "$tb"
    receipt_id: int


@dataclass(frozen=True)
class RefundPayment(Callback):
    """Admin: refund one payment (e.g. one that arrived for an expired order)."""

    prefix: ClassVar[str] = "$rp"
    payment_id: int


@dataclass(frozen=True)
class ConfirmRefund(Callback):
    """Admin: yes, refund that payment (and cancel its order if it paid one)."""

    prefix: ClassVar[str] = "$ry"
    payment_id: int


@dataclass(frozen=True)
class KeepPayment(Callback):
    """Admin: do not refund after all."""

    prefix: ClassVar[str] = "$rn"
    payment_id: int


# ---- jobs and tracking: prefixes start with "j" (bot/tracking.py) ---------------------------


@dataclass(frozen=True)
class Received(Callback):
    """Customer: the parcel arrived; complete the order (from its detail, on page `page`)."""

    prefix: ClassVar[str] = "jr"
    number: OrderNo
    page: int


@dataclass(frozen=True)
class ReceivedFromNotice(Callback):
    """Customer: the parcel arrived; complete the order (from the delivery notice)."""

    prefix: ClassVar[str] = "jrn"
    number: OrderNo


@dataclass(frozen=True)
class JobsRefresh(Callback):
    """Admin: show the scheduled jobs again."""

    prefix: ClassVar[str] = "jj"


# ---- after-sales: prefixes start with "s" (bot/after_sales.py); "sa…" are admin-only --------


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


# ---- reviews: prefixes start with "v" (bot/reviews.py) ---------------------------------------


@dataclass(frozen=True)
class RvAsk(Callback):
    """Customer: show the 1-5 star buttons for a completed order."""

    prefix: ClassVar[str] = "vn"
    number: OrderNo
    page: int


@dataclass(frozen=True)
class RvRate(Callback):
    """Customer: rate a completed order (1-5)."""

    prefix: ClassVar[str] = "vr"
    number: OrderNo
    rating: int


@dataclass(frozen=True)
class RvSkip(Callback):
    """Customer: no comment on the review."""

    prefix: ClassVar[str] = "vs"
    token: Token
