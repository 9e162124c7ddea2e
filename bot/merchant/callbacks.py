"""Typed callback data of the merchant's admin screens (and the customer's reply to the shop)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from bot.callback_data import TELEGRAM_ID, Callback, OrderNo, Token

# ---- merchant (admin chat): prefixes start with "a"; every handler is admin-only -----------


@dataclass(frozen=True)
class AdminMenu(Callback):
    """Admin: the merchant's panel."""

    prefix: ClassVar[str] = "am"


@dataclass(frozen=True)
class AdminOrders(Callback):
    """Admin: the first page of orders under a filter (ship, pend, sent, after, all). A page
    above 0 is a Prev/Next button sent before the lists paged by key (AdminOrdersPage)."""

    prefix: ClassVar[str] = "aol"
    filter: str
    page: int


@dataclass(frozen=True)
class AdminOrdersPage(Callback):
    """Admin: the page of orders next to an order of the page shown (issue 13: one index
    range wherever the page is): `toward` n, the orders after `key` (the last shown); p, the
    ones before it (the first shown); a, from it on (the first shown: the page again).
    `page` is what the page is called ("page 3 of 120")."""

    prefix: ClassVar[str] = "aon"
    filter: str
    page: int
    toward: str
    key: int


@dataclass(frozen=True)
class AdminOpenOrder(Callback):
    """Admin: open an order from an alert (as a new message)."""

    prefix: ClassVar[str] = "ao"
    number: OrderNo


@dataclass(frozen=True)
class AdminOrder(Callback):
    """Admin: an order's detail in place, from the first page of a list (a page above 0 is a
    button sent before the lists paged by key: Back then opens the first page)."""

    prefix: ClassVar[str] = "av"
    number: OrderNo
    filter: str
    page: int


@dataclass(frozen=True)
class AdminOrderOnPage(Callback):
    """Admin: an order's detail in place, remembering its list's page by the page's first
    order (`key`) and what the page is called."""

    prefix: ClassVar[str] = "avp"
    number: OrderNo
    filter: str
    page: int
    key: int


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
class AdminChoice(Callback):
    """Admin: a value a dialog's step offers as a button (a category's id, a preset reason's
    index)."""

    prefix: ClassVar[str] = "ach"
    token: Token
    value: int


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


@dataclass(frozen=True)
class ContactShop(Callback):
    """Customer: write to the shop (not about one order)."""

    prefix: ClassVar[str] = "cs"


@dataclass(frozen=True)
class ContactAbout(Callback):
    """Customer: write to the shop about one of their orders."""

    prefix: ClassVar[str] = "csn"
    number: OrderNo


@dataclass(frozen=True)
class ContactCancel(Callback):
    """Customer: give up the message to the shop."""

    prefix: ClassVar[str] = "csx"
    token: Token


@dataclass(frozen=True)
class AdminAnswer(Callback):
    """Admin: answer a customer who wrote to the shop."""

    prefix: ClassVar[str] = "aan"
    customer_id: int = field(metadata=TELEGRAM_ID)


@dataclass(frozen=True)
class AnswerCancel(Callback):
    """Admin: give up the answer to a customer."""

    prefix: ClassVar[str] = "aax"
    token: Token


@dataclass(frozen=True)
class JobsRefresh(Callback):
    """Admin: show the scheduled jobs again."""

    prefix: ClassVar[str] = "jj"
