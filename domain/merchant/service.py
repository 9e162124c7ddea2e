"""Use cases of the merchant's side, run from the admin chat: orders, shipping, products, stock.
Each opens one unit of work: load, apply the rules, commit. Every action records its admin as
the actor ("admin:<telegram user id>") in the order's timeline or the inventory log."""

from __future__ import annotations

import logging
import re
import secrets
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from domain.catalog.importing import CATEGORY_MAX, DESCRIPTION_MAX, NAME_MAX, ProductDraft
from domain.catalog.model import InventoryEntry, Product
from domain.catalog.stock import queue_low_stock_alerts
from domain.merchant.ports import MerchantUnitOfWork
from domain.orders import lifecycle
from domain.orders import transitions as orders
from domain.orders.lifecycle import OrderEventType, OrderStatus
from domain.orders.model import Order, PaymentMethod
from domain.orders.transitions import OrderFlow
from domain.shared import dialogs
from domain.shared.clock import Clock
from domain.shared.customers import Customer, Language, admin_actor, customer_actor
from domain.shared.dialogs import CONFIRM, Dialog, DialogKind, StaleDialogError
from domain.shared.errors import (
    DuplicateError,
    IllegalTransitionError,
    InvalidInputError,
    NotFoundError,
    ProductUnavailableError,
)
from domain.shared.money import Money, MoneyError
from domain.shared.notifications import Notification
from domain.shared.numbers import ALPHABET, normalize_order_number
from domain.shared.paging import Page, Paged
from domain.shared.ports import UnitOfWorkFactory
from domain.shipping.carriers import DEFAULT_CARRIERS, NOTE_MAX, Carrier, DialogResult, Shipment

log = logging.getLogger(__name__)

TEXT_MAX = 1000  # a note, a message to or from a customer
REASON_MIN, REASON_MAX = 2, 200
STOCK_MAX = 1_000_000
PRICE_MAX_MINOR = 10**11
PICK_LIST_MAX = 200
EXPORT_MAX = 10_000
LOG_SHOWN = 5
_SPACES = re.compile(r"[ \t\r\f\v]+")
_STOCK_CHANGE = re.compile(r"([+\-=]?)\s*(\d{1,7})")


class OrderFilter(StrEnum):
    """The merchant's views of the order book."""

    TO_SHIP = "ship"  # paid or cash on delivery, waiting for the warehouse (oldest first)
    PENDING = "pend"  # waiting for payment
    SHIPPED = "sent"  # with a carrier
    AFTER_SALES = "after"  # with an open after-sales request (domain/after_sales.py)
    ALL = "all"  # everything, newest first


FILTER_STATUSES: dict[OrderFilter, frozenset[OrderStatus] | None] = {
    OrderFilter.TO_SHIP: lifecycle.TO_SHIP,
    OrderFilter.PENDING: frozenset({OrderStatus.PENDING_PAYMENT}),
    OrderFilter.SHIPPED: frozenset({OrderStatus.SHIPPED}),
    OrderFilter.ALL: None,
}


class AdminAction(StrEnum):
    """Buttons an order's detail may offer, each one step of the lifecycle."""

    CONFIRM_COD = "cod"  # accept a cash-on-delivery order for shipping
    SHIP = "ship"
    DELIVER = "deliver"
    COMPLETE = "complete"
    CANCEL = "cancel"  # unpaid orders: stock goes back on sale
    REFUND = "refund"  # paid orders: cancel with a refund (the payments feature does it)


_ACTION_FOR_TRIGGER = {
    "confirm_cod": AdminAction.CONFIRM_COD,
    "ship": AdminAction.SHIP,
    "deliver": AdminAction.DELIVER,
    "complete": AdminAction.COMPLETE,
    "cancel": AdminAction.CANCEL,
    # "pay" is recorded by the payments feature and "expire" by a job: no merchant buttons.
}
SHIPPED_OR_LATER = frozenset({OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.COMPLETED})


def order_actions(order: Order) -> list[AdminAction]:
    """The merchant's buttons for exactly the steps the lifecycle allows from here."""
    actions: list[AdminAction] = []
    for trigger in lifecycle.allowed_triggers(order.status):
        action = _ACTION_FOR_TRIGGER.get(trigger)
        if action is None:
            continue
        if action == AdminAction.CONFIRM_COD and (
            order.payment_method != PaymentMethod.CASH_ON_DELIVERY
        ):
            continue
        if action == AdminAction.CANCEL and order.status in lifecycle.STOCK_COMMITTED:
            action = AdminAction.REFUND  # money was taken: it has to go back
        actions.append(action)
    return actions


# Product fields an admin edits one at a time.
EDITABLE_FIELDS = ("name", "price", "desc", "thresh")


@dataclass(frozen=True)
class MerchantConfig:
    """The shop's settings that the merchant's rules depend on."""

    currency: str
    admin_chat_id: int | None = None
    carriers: tuple[Carrier, ...] = DEFAULT_CARRIERS
    page_size: int = 6

    def carrier(self, code: str) -> Carrier | None:
        """The configured carrier with this code."""
        return next((c for c in self.carriers if c.code == code), None)


@dataclass
class OrderFile:
    """Everything the merchant sees about one order."""

    order: Order
    customer: Customer | None
    shipments: list[Shipment]
    actions: list[AdminAction]
    names: dict[str, str] = field(default_factory=dict)  # actor -> display name


@dataclass
class ProductFile:
    """A product with the latest lines of its inventory log."""

    product: Product
    log: list[InventoryEntry]
    names: dict[str, str] = field(default_factory=dict)


def _clean(text: str | None, *, multiline: bool = False) -> str:
    """Drop control characters, squeeze spaces; keep line breaks only when `multiline`."""
    kept = "".join(
        ch for ch in (text or "") if unicodedata.category(ch)[0] != "C" or ch in (" ", "\n", "\t")
    )
    lines = [_SPACES.sub(" ", line).strip() for line in kept.split("\n")]
    if not multiline:
        return " ".join(line for line in lines if line)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def check_text(text: str | None, low: int, high: int, *, multiline: bool = False) -> str:
    """Free text of `low` to `high` characters, or InvalidInputError."""
    cleaned = _clean(text, multiline=multiline)
    if not low <= len(cleaned) <= high:
        raise InvalidInputError("adm.error.text_length", min=low, max=high, length=len(cleaned))
    return cleaned


def check_price(text: str, currency: str) -> Money:
    """A price above zero in major units, such as 12.50."""
    try:
        price = Money.from_major(_clean(text).replace(",", "."), currency)
    except MoneyError:
        raise InvalidInputError("adm.error.price_invalid") from None
    if not 0 < price.amount <= PRICE_MAX_MINOR:
        raise InvalidInputError("adm.error.price_invalid")
    return price


def check_count(text: str, high: int = STOCK_MAX) -> int:
    """A whole number from 0 to `high`."""
    cleaned = _clean(text)
    if not cleaned.isdigit() or not 0 <= int(cleaned) <= high:
        raise InvalidInputError("adm.error.count_invalid", max=high)
    return int(cleaned)


def parse_stock_change(text: str) -> tuple[str, int]:
    """A stock change: "+5" adds, "-2" removes, "=25" or "25" sets the count."""
    match = _STOCK_CHANGE.fullmatch(_clean(text))
    if match is None or int(match.group(2)) > STOCK_MAX:
        raise InvalidInputError("adm.error.stock_change_invalid")
    sign, number = match.group(1) or "=", int(match.group(2))
    if sign != "=" and number == 0:
        raise InvalidInputError("adm.error.stock_change_invalid")
    return sign, number


def _new_sku(choice: Callable[[str], str] = secrets.choice) -> str:
    return "P-" + "".join(choice(ALPHABET) for _ in range(6))


class Merchant:
    """The merchant-facing use cases of one shop."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[MerchantUnitOfWork],
        clock: Clock,
        config: MerchantConfig,
        tokens: Callable[[], str] = lambda: secrets.token_urlsafe(6),
        skus: Callable[[], str] = _new_sku,
        *,
        flow: OrderFlow,
    ) -> None:
        self._uow = uow
        self._flow = flow
        self._clock = clock
        self.config = config
        self._tokens = tokens
        self._skus = skus

    # -- orders --------------------------------------------------------------------------

    async def orders(self, which: OrderFilter, page: int) -> Paged[Order]:
        """A page of the order book as the merchant filters it."""
        where = Page(max(page, 0), self.config.page_size)
        async with self._uow(readonly=True) as uow:
            if which == OrderFilter.AFTER_SALES:
                return await uow.after_sales.orders_with_open(where)
            return await uow.backoffice.orders(
                FILTER_STATUSES[which], where, oldest_first=which == OrderFilter.TO_SHIP
            )

    async def order_file(self, number: str) -> OrderFile:
        """One order with customer, shipments, timeline and the actions open to it."""
        async with self._uow(readonly=True) as uow:
            order = await self._load(uow, number)
            assert order.id is not None
            order.events = await uow.orders.events(order.id)
            customer = await uow.customers.get(order.customer_id)
            shipments = (await uow.shipments.for_orders([order.id])).get(order.id, [])
            names = await self._names(uow, [e.actor for e in order.events])
        return OrderFile(order, customer, shipments, order_actions(order), names)

    async def _names(self, uow: MerchantUnitOfWork, actors: Sequence[str]) -> dict[str, str]:
        names: dict[str, str] = {}
        for actor in set(actors):
            kind, _, raw = actor.partition(":")
            if kind in ("admin", "customer") and raw.lstrip("-").isdigit():
                person = await uow.customers.get(int(raw))
                if person is not None:
                    names[actor] = person.first_name
        return names

    @staticmethod
    async def _load(uow: MerchantUnitOfWork, number: str) -> Order:
        normalized = normalize_order_number(number)
        order = await uow.orders.get_by_number(normalized) if normalized else None
        if order is None:
            raise NotFoundError()
        return order

    async def _refused(self, number: str, trigger: str) -> IllegalTransitionError:
        """The error for a step the order can no longer take, naming its status now."""
        async with self._uow(readonly=True) as uow:
            order = await self._load(uow, number)
        if trigger == "ship" and order.status in SHIPPED_OR_LATER:
            return IllegalTransitionError(
                "adm.error.already_shipped", number=order.number, status=str(order.status)
            )
        return IllegalTransitionError(status=str(order.status), action=trigger)

    async def _step(
        self, admin_id: int, number: str, trigger: str, tell_customer: str | None
    ) -> Order:
        now = self._clock.now()
        try:
            async with self._uow() as uow:
                order = await self._load(uow, number)
                await self._flow.step(uow, order, trigger, actor=admin_actor(admin_id), at=now)
                if tell_customer:
                    await self._tell_customer(
                        uow, order, tell_customer, f"{trigger}:{order.number}"
                    )
                await uow.commit()
        except IllegalTransitionError:
            raise await self._refused(number, trigger) from None
        return order

    async def confirm_cod(self, admin_id: int, number: str) -> Order:
        """Accept a cash-on-delivery order for shipping; the customer is told."""
        async with self._uow(readonly=True) as uow:
            order = await self._load(uow, number)
        if order.payment_method != PaymentMethod.CASH_ON_DELIVERY:
            raise IllegalTransitionError(status=str(order.status), action="confirm_cod")
        return await self._step(admin_id, number, "confirm_cod", "adm.notify.confirmed")

    async def deliver(self, admin_id: int, number: str) -> Order:
        """Mark a shipped order delivered; the customer is told."""
        return await self._step(admin_id, number, "deliver", "adm.notify.delivered")

    async def complete(self, admin_id: int, number: str) -> Order:
        """Close a delivered order."""
        return await self._step(admin_id, number, "complete", None)

    async def _tell_customer(
        self, uow: MerchantUnitOfWork, order: Order, template: str, key: str | None, **params: Any
    ) -> None:
        customer = await uow.customers.get(order.customer_id)
        language = customer.effective_language if customer else Language.EN
        await uow.outbox.add(
            Notification(
                chat_id=order.customer_id,
                template=template,
                params={"number": order.number, **params},
                language=language,
                dedupe_key=key,
            ),
            self._clock.now(),
        )

    async def pick_list(self, number: str | None = None) -> list[Order]:
        """One order (a packing slip), or every order waiting to ship, oldest first."""
        async with self._uow(readonly=True) as uow:
            if number is not None:
                return [await self._load(uow, number)]
            paged = await uow.backoffice.orders(
                lifecycle.TO_SHIP, Page(0, PICK_LIST_MAX), oldest_first=True
            )
            return paged.items

    async def export_orders(self) -> list[tuple[Order, list[Shipment]]]:
        """The newest orders (up to 10 000) with their shipments, for a CSV file."""
        async with self._uow(readonly=True) as uow:
            found = await uow.backoffice.recent_orders(EXPORT_MAX)
            shipments = await uow.shipments.for_orders([o.id for o in found if o.id is not None])
        return [(o, shipments.get(o.id or 0, [])) for o in found]

    # -- dialogs: starting -----------------------------------------------------------------

    async def current_dialog(self, chat_id: int, user_id: int) -> Dialog | None:
        """The user's dialog in this chat, unless there is none or it went stale."""
        async with self._uow(readonly=True) as uow:
            dialog = await uow.dialogs.get(chat_id, user_id)
        if dialog is None or dialog.expired(self._clock.now()):
            return None
        return dialog

    async def _start(
        self, uow: MerchantUnitOfWork, chat_id: int, user_id: int, kind: DialogKind, **data: Any
    ) -> Dialog:
        dialog = dialogs.start(chat_id, user_id, kind, self._tokens(), self._clock.now(), **data)
        await uow.dialogs.save(dialog)
        return dialog

    async def start_ship(self, chat_id: int, admin_id: int, number: str) -> Dialog:
        """Begin shipping an order: the carrier is asked first."""
        async with self._uow() as uow:
            order = await self._load(uow, number)
            if lifecycle.can(order.status, "ship"):
                dialog = await self._start(
                    uow, chat_id, admin_id, DialogKind.SHIP, number=order.number
                )
                await uow.commit()
                return dialog
        raise await self._refused(number, "ship")

    async def start_cancel(self, chat_id: int, admin_id: int, number: str) -> Dialog:
        """Begin cancelling an unpaid order: its reason is asked first."""
        async with self._uow() as uow:
            order = await self._load(uow, number)
            if order.status in lifecycle.STOCK_COMMITTED and lifecycle.can(order.status, "cancel"):
                raise IllegalTransitionError("adm.error.refund_needed", number=order.number)
            if not lifecycle.can(order.status, "cancel"):
                raise IllegalTransitionError(status=str(order.status), action="cancel")
            dialog = await self._start(
                uow, chat_id, admin_id, DialogKind.CANCEL, number=order.number
            )
            await uow.commit()
        return dialog

    async def start_note(self, chat_id: int, admin_id: int, number: str) -> Dialog:
        """Begin an internal note on an order."""
        return await self._start_on_order(chat_id, admin_id, number, DialogKind.NOTE)

    async def start_message(self, chat_id: int, admin_id: int, number: str) -> Dialog:
        """Begin a message to the order's customer."""
        return await self._start_on_order(chat_id, admin_id, number, DialogKind.MESSAGE)

    async def _start_on_order(
        self, chat_id: int, admin_id: int, number: str, kind: DialogKind
    ) -> Dialog:
        async with self._uow() as uow:
            order = await self._load(uow, number)
            dialog = await self._start(uow, chat_id, admin_id, kind, number=order.number)
            await uow.commit()
        return dialog

    async def start_add_product(self, chat_id: int, admin_id: int) -> Dialog:
        """Begin adding a product: its name is asked first."""
        async with self._uow() as uow:
            dialog = await self._start(uow, chat_id, admin_id, DialogKind.ADD_PRODUCT)
            await uow.commit()
        return dialog

    async def start_edit(self, chat_id: int, admin_id: int, product_id: int, what: str) -> Dialog:
        """Begin editing one field of a product (name, price, desc or thresh)."""
        if what not in EDITABLE_FIELDS:
            raise StaleDialogError()
        return await self._start_on_product(
            chat_id, admin_id, product_id, DialogKind.EDIT_PRODUCT, field=what
        )

    async def start_stock(self, chat_id: int, admin_id: int, product_id: int) -> Dialog:
        """Begin a stock change: the change is asked first, then its reason."""
        return await self._start_on_product(chat_id, admin_id, product_id, DialogKind.STOCK)

    async def _start_on_product(
        self, chat_id: int, admin_id: int, product_id: int, kind: DialogKind, **data: Any
    ) -> Dialog:
        async with self._uow() as uow:
            product = await uow.products.get(product_id)
            if product is None:
                raise ProductUnavailableError()
            dialog = await self._start(
                uow, chat_id, admin_id, kind, product_id=product.id, name=product.name, **data
            )
            await uow.commit()
        return dialog

    async def start_reply(self, customer_id: int, number: str) -> Dialog:
        """A customer begins replying to the shop about one of their orders."""
        async with self._uow() as uow:
            order = await self._load(uow, number)
            if order.customer_id != customer_id:
                raise NotFoundError()
            dialog = await self._start(
                uow, customer_id, customer_id, DialogKind.REPLY, number=order.number
            )
            await uow.commit()
        return dialog

    # -- dialogs: answering ----------------------------------------------------------------

    async def _open(
        self, uow: MerchantUnitOfWork, chat_id: int, user_id: int, token: str | None
    ) -> Dialog:
        dialog = await uow.dialogs.get(chat_id, user_id)
        if dialog is None or (token is not None and dialog.token != token):
            raise StaleDialogError()
        return dialog

    async def choose_carrier(self, chat_id: int, admin_id: int, token: str, code: str) -> Dialog:
        """The ship dialog's carrier; the tracking number is asked next."""
        carrier = self.config.carrier(code)
        async with self._uow() as uow:
            dialog = await self._open(uow, chat_id, admin_id, token)
            if dialog.kind != DialogKind.SHIP or dialog.step != "carrier" or carrier is None:
                raise StaleDialogError()
            dialog.data["carrier"] = carrier.code
            dialog.advance()
            await self._save(uow, dialog)
            await uow.commit()
        return dialog

    async def _save(self, uow: MerchantUnitOfWork, dialog: Dialog) -> None:
        dialog.updated_at = self._clock.now()
        await uow.dialogs.save(dialog)

    async def answer(self, chat_id: int, user_id: int, text: str) -> DialogResult | None:
        """Typed text for the user's dialog in this chat; None when no dialog waits for it.
        A wrong value raises InvalidInputError and leaves the dialog where it was."""
        async with self._uow() as uow:
            dialog = await uow.dialogs.get(chat_id, user_id)
            if dialog is None or dialog.expired(self._clock.now()):
                return None
            if not dialog.typed:
                raise InvalidInputError("adm.error.use_buttons")
            dialog.data[dialog.step] = self._check(dialog, text)
            if (dialog.kind, dialog.step) == (DialogKind.STOCK, "change"):
                await self._check_stock_change(uow, dialog)
            result = await self._next(uow, dialog)
            await uow.commit()
        return result

    async def give_photo(self, chat_id: int, user_id: int, file_id: str) -> DialogResult | None:
        """A photo for the add-product dialog; None when no dialog waits for one."""
        async with self._uow() as uow:
            dialog = await uow.dialogs.get(chat_id, user_id)
            if dialog is None or dialog.expired(self._clock.now()):
                return None
            if (dialog.kind, dialog.step) != (DialogKind.ADD_PRODUCT, "photo"):
                raise InvalidInputError("adm.error.photo_unexpected")
            dialog.data["photo"] = file_id
            result = await self._next(uow, dialog)
            await uow.commit()
        return result

    async def skip(self, chat_id: int, user_id: int, token: str) -> DialogResult:
        """Leave an optional step empty."""
        async with self._uow() as uow:
            dialog = await self._open(uow, chat_id, user_id, token)
            if not dialog.optional:
                raise StaleDialogError()
            dialog.data[dialog.step] = None
            result = await self._next(uow, dialog)
            await uow.commit()
        return result

    async def cancel_dialog(self, chat_id: int, user_id: int, token: str) -> Dialog:
        """Drop the dialog; nothing it collected takes effect."""
        async with self._uow() as uow:
            dialog = await self._open(uow, chat_id, user_id, token)
            await uow.dialogs.delete(chat_id, user_id, token)
            await uow.commit()
        return dialog

    async def confirm(self, chat_id: int, admin_id: int, token: str) -> DialogResult:
        """Carry out a dialog that waits for confirmation (ship, cancel, add a product)."""
        try:
            async with self._uow() as uow:
                dialog = await self._open(uow, chat_id, admin_id, token)
                if dialog.step != CONFIRM:
                    raise StaleDialogError()
                result = await self._finish(uow, dialog)
                await uow.commit()
        except IllegalTransitionError as error:
            # Someone else moved the order first: this dialog is moot.
            async with self._uow() as uow:
                dialog = await self._open(uow, chat_id, admin_id, token)
                await uow.dialogs.delete(chat_id, admin_id, token)
                await uow.commit()
            if error.key != IllegalTransitionError.key:
                raise
            trigger = "ship" if dialog.kind == DialogKind.SHIP else "cancel"
            raise await self._refused(str(dialog.data["number"]), trigger) from None
        return result

    async def _next(self, uow: MerchantUnitOfWork, dialog: Dialog) -> DialogResult:
        if dialog.last_step:
            return await self._finish(uow, dialog)
        dialog.advance()
        await self._save(uow, dialog)
        return DialogResult(dialog)

    def _check(self, dialog: Dialog, text: str) -> Any:
        """Validate a typed answer for the dialog's current step."""
        kind, step = dialog.kind, dialog.step
        if kind == DialogKind.SHIP:
            if step == "tracking":
                carrier = self.config.carrier(str(dialog.data.get("carrier")))
                if carrier is None:
                    raise StaleDialogError()
                return carrier.check(text)
            return check_text(text, 1, NOTE_MAX, multiline=True)
        if kind == DialogKind.CANCEL:
            return check_text(text, REASON_MIN, REASON_MAX)
        if kind in (DialogKind.NOTE, DialogKind.MESSAGE, DialogKind.REPLY):
            return check_text(text, 1, TEXT_MAX, multiline=True)
        if kind == DialogKind.STOCK:
            if step == "change":
                return list(parse_stock_change(text))
            return check_text(text, REASON_MIN, REASON_MAX)
        what = dialog.data.get("field") if kind == DialogKind.EDIT_PRODUCT else step
        if what == "name":
            return check_text(text, 1, NAME_MAX)
        if what == "category":
            return check_text(text, 1, CATEGORY_MAX)
        if what == "price":
            return check_price(text, self.config.currency).amount
        if what in ("stock", "thresh"):
            return check_count(text)
        if what in ("description", "desc"):
            return check_text(text, 1, DESCRIPTION_MAX, multiline=True)
        raise StaleDialogError()

    async def _finish(self, uow: MerchantUnitOfWork, dialog: Dialog) -> DialogResult:
        """Carry the dialog out and delete it, in the caller's transaction."""
        actions = {
            DialogKind.SHIP: self._ship,
            DialogKind.CANCEL: self._cancel,
            DialogKind.NOTE: self._note,
            DialogKind.MESSAGE: self._message,
            DialogKind.ADD_PRODUCT: self._add_product,
            DialogKind.EDIT_PRODUCT: self._edit_product,
            DialogKind.STOCK: self._change_stock,
            DialogKind.REPLY: self._reply,
        }
        result = await actions[dialog.kind](uow, dialog)
        await uow.dialogs.delete(dialog.chat_id, dialog.user_id, dialog.token)
        result.done = True
        return result

    # -- dialogs: what they do -------------------------------------------------------------

    async def _ship(self, uow: MerchantUnitOfWork, dialog: Dialog) -> DialogResult:
        now = self._clock.now()
        carrier = self.config.carrier(str(dialog.data.get("carrier")))
        if carrier is None:
            raise StaleDialogError()
        if dialog.data.get("request"):
            # The replacement or repaired goods of an after-sales request, not the order.
            from domain.after_sales.desk import ship_request

            return await ship_request(uow, dialog, carrier, now, self.config.admin_chat_id)
        order = await self._load(uow, str(dialog.data["number"]))
        assert order.id is not None
        tracking = str(dialog.data["tracking"])
        note = dialog.data.get("note")
        actor = admin_actor(dialog.user_id)
        # The transition is a compare-and-set on the status: of two admins confirming at
        # once, the second is refused here before anything else is written.
        await self._flow.step(
            uow,
            order,
            "ship",
            actor=actor,
            at=now,
            note=note,
            params={"carrier": carrier.code, "tracking": tracking},
        )
        shipment = Shipment(
            order_id=order.id,
            carrier_code=carrier.code,
            carrier_name=carrier.name,
            tracking_number=tracking,
            tracking_url=carrier.link(tracking),
            actor=actor,
            shipped_at=now,
            key=dialog.token,
            note=note,
        )
        try:
            shipment.id = await uow.shipments.add(shipment)
        except DuplicateError:
            raise IllegalTransitionError(status=str(order.status), action="ship") from None
        template = "adm.notify.shipped" if shipment.tracking_url else "adm.notify.shipped_plain"
        params: dict[str, Any] = {"carrier": carrier.name, "tracking": tracking}
        if shipment.tracking_url:
            params["url"] = shipment.tracking_url
        await self._tell_customer(uow, order, template, f"shipped:{order.number}", **params)
        return DialogResult(dialog, order=order, shipment=shipment)

    async def _cancel(self, uow: MerchantUnitOfWork, dialog: Dialog) -> DialogResult:
        order = await self._load(uow, str(dialog.data["number"]))
        if order.status in lifecycle.STOCK_COMMITTED:
            raise IllegalTransitionError("adm.error.refund_needed", number=order.number)
        reason = str(dialog.data["reason"])
        await self._flow.step(
            uow,
            order,
            "cancel",
            actor=admin_actor(dialog.user_id),
            at=self._clock.now(),
            note=reason,
            params={"reason": reason},
        )
        await self._tell_customer(
            uow, order, "adm.notify.cancelled", f"cancelled:{order.number}", reason=reason
        )
        return DialogResult(dialog, order=order)

    async def _note(self, uow: MerchantUnitOfWork, dialog: Dialog) -> DialogResult:
        order = await self._load(uow, str(dialog.data["number"]))
        await orders.record(
            uow,
            order,
            OrderEventType.NOTE_ADDED,
            actor=admin_actor(dialog.user_id),
            at=self._clock.now(),
            note=str(dialog.data["text"]),
            params={"internal": True, "kind": "note"},
        )
        return DialogResult(dialog, order=order)

    async def _message(self, uow: MerchantUnitOfWork, dialog: Dialog) -> DialogResult:
        order = await self._load(uow, str(dialog.data["number"]))
        text = str(dialog.data["text"])
        await orders.record(
            uow,
            order,
            OrderEventType.NOTE_ADDED,
            actor=admin_actor(dialog.user_id),
            at=self._clock.now(),
            note=text,
            params={"internal": True, "kind": "message_out"},
        )
        await self._tell_customer(uow, order, "adm.relay.to_customer", None, text=text)
        return DialogResult(dialog, order=order)

    async def _reply(self, uow: MerchantUnitOfWork, dialog: Dialog) -> DialogResult:
        order = await self._load(uow, str(dialog.data["number"]))
        if order.customer_id != dialog.user_id:
            raise NotFoundError()
        text = str(dialog.data["text"])
        await orders.record(
            uow,
            order,
            OrderEventType.NOTE_ADDED,
            actor=customer_actor(dialog.user_id),
            at=self._clock.now(),
            note=text,
            params={"internal": True, "kind": "message_in"},
        )
        if self.config.admin_chat_id is not None:
            customer = await uow.customers.get(order.customer_id)
            who = customer.first_name if customer else str(order.customer_id)
            if customer and customer.username:
                who = f"{who} (@{customer.username})"
            await uow.outbox.add(
                Notification(
                    chat_id=self.config.admin_chat_id,
                    template="adm.relay.from_customer",
                    params={"number": order.number, "customer": who, "text": text},
                ),
                self._clock.now(),
            )
        return DialogResult(dialog, order=order)

    async def _log(
        self, uow: MerchantUnitOfWork, product: Product, delta: int, reason: str, actor: str
    ) -> InventoryEntry:
        entry = InventoryEntry(
            product_id=product.id,
            delta=delta,
            stock_after=product.stock,
            reason=reason[:REASON_MAX],
            actor=actor,
            at=self._clock.now(),
        )
        entry.id = await uow.inventory.add(entry)
        return entry

    async def _add_product(self, uow: MerchantUnitOfWork, dialog: Dialog) -> DialogResult:
        data = dialog.data
        sku = self._skus()
        for _ in range(8):
            if await uow.backoffice.product_id_by_sku(sku) is None:
                break
            sku = self._skus()
        else:
            raise DuplicateError("error.generic")
        draft = ProductDraft(
            sku=sku,
            name=str(data["name"]),
            category=str(data["category"]),
            price=Money(int(data["price"]), self.config.currency),
            stock=int(data["stock"]),
            description=str(data.get("description") or ""),
        )
        await uow.products.upsert_drafts([draft])
        product_id = await uow.backoffice.product_id_by_sku(sku)
        assert product_id is not None
        if data.get("photo"):
            await uow.backoffice.update_product(product_id, photo_file_id=str(data["photo"]))
        product = await uow.products.get(product_id)
        assert product is not None
        await self._log(uow, product, product.stock, "new product", admin_actor(dialog.user_id))
        return DialogResult(dialog, product=product)

    async def _product(self, uow: MerchantUnitOfWork, dialog: Dialog) -> Product:
        product = await uow.products.get(int(dialog.data["product_id"]))
        if product is None:
            raise ProductUnavailableError()
        return product

    async def _edit_product(self, uow: MerchantUnitOfWork, dialog: Dialog) -> DialogResult:
        product = await self._product(uow, dialog)
        what, value = dialog.data["field"], dialog.data.get("value")
        if what == "name":
            await uow.backoffice.update_product(product.id, name=str(value))
            reason = f"name: {product.name} -> {value}"
        elif what == "price":
            price = Money(int(value or 0), self.config.currency)
            await uow.backoffice.update_product(product.id, price=price)
            reason = f"price: {product.price.to_major()} -> {price.to_major()} {price.currency}"
        elif what == "desc":
            await uow.backoffice.update_product(product.id, description=str(value or ""))
            reason = "description edited" if value else "description cleared"
        else:
            await uow.backoffice.update_product(product.id, low_stock_threshold=int(value or 0))
            reason = f"low-stock threshold: {product.low_stock_threshold} -> {value}"
        await self._log(uow, product, 0, reason, admin_actor(dialog.user_id))
        return DialogResult(dialog, product=await self._product(uow, dialog))

    async def _stock_delta(self, uow: MerchantUnitOfWork, dialog: Dialog) -> tuple[Product, int]:
        """The product and the change its stock would take; refused when it is no change or
        would leave fewer units than orders hold."""
        product = await self._product(uow, dialog)
        mode, number = dialog.data["change"]
        delta = {"+": number, "-": -number}.get(mode, number - product.stock)
        if delta == 0:
            raise InvalidInputError("adm.error.stock_unchanged", stock=product.stock)
        if product.stock + delta < product.reserved or product.stock + delta > STOCK_MAX:
            raise InvalidInputError(
                "adm.error.stock_below_reserved", reserved=product.reserved, stock=product.stock
            )
        return product, delta

    async def _check_stock_change(self, uow: MerchantUnitOfWork, dialog: Dialog) -> None:
        await self._stock_delta(uow, dialog)

    async def _change_stock(self, uow: MerchantUnitOfWork, dialog: Dialog) -> DialogResult:
        product, delta = await self._stock_delta(uow, dialog)
        # Checked again atomically: an order may have reserved units since the change was typed.
        stock = await uow.backoffice.adjust_stock(product.id, delta)
        if stock is None:
            raise InvalidInputError(
                "adm.error.stock_below_reserved", reserved=product.reserved, stock=product.stock
            )
        product = replace(product, stock=stock)
        entry = await self._log(
            uow, product, delta, str(dialog.data["reason"]), admin_actor(dialog.user_id)
        )
        if delta < 0:
            await queue_low_stock_alerts(
                uow, self.config.admin_chat_id, entry.at, {product.id: -delta}, f"inv:{entry.id}"
            )
        return DialogResult(dialog, product=await self._product(uow, dialog))

    # -- products --------------------------------------------------------------------------

    async def products(self, page: int) -> Paged[Product]:
        """A page of every product, inactive ones too."""
        async with self._uow(readonly=True) as uow:
            return await uow.backoffice.products(Page(max(page, 0), self.config.page_size))

    async def product_file(self, product_id: int) -> ProductFile:
        """A product (active or not) with its latest inventory log lines."""
        async with self._uow(readonly=True) as uow:
            product = await uow.products.get(product_id)
            if product is None:
                raise ProductUnavailableError()
            entries = await uow.inventory.for_product(product_id, LOG_SHOWN)
            names = await self._names(uow, [e.actor for e in entries])
        return ProductFile(product, entries, names)

    async def set_active(self, admin_id: int, product_id: int, active: bool) -> Product:
        """Take a product off sale, or put it back; logged."""
        async with self._uow() as uow:
            product = await uow.products.get(product_id)
            if product is None:
                raise ProductUnavailableError()
            if product.active != active:
                await uow.backoffice.update_product(product_id, active=active)
                reason = "reactivated" if active else "deactivated"
                await self._log(uow, product, 0, reason, admin_actor(admin_id))
            product.active = active
            await uow.commit()
        return product

    async def export_products(self) -> list[Product]:
        """Every product, for a CSV file the import reads back."""
        async with self._uow(readonly=True) as uow:
            return await uow.backoffice.all_products()

    async def import_catalog(
        self, admin_id: int, drafts: Sequence[ProductDraft], source: str
    ) -> tuple[int, int]:
        """Create or update products by SKU, all or none; every stock change is logged.
        Returns (created, updated)."""
        actor = admin_actor(admin_id)
        async with self._uow() as uow:
            before = {p.sku: p for p in await uow.backoffice.all_products()}
            created, updated = await uow.products.upsert_drafts(drafts)
            now = self._clock.now()
            for product in await uow.backoffice.all_products():
                known = before.get(product.sku)
                delta = product.stock - (known.stock if known else 0)
                if known is not None and delta == 0:
                    continue
                entry = await self._log(
                    uow, product, delta, f"csv import {source}"[:REASON_MAX], actor
                )
                if delta < 0:
                    await queue_low_stock_alerts(
                        uow, self.config.admin_chat_id, now, {product.id: -delta}, f"inv:{entry.id}"
                    )
            await uow.commit()
        return created, updated
