"""The merchant's orders: lists and files, the steps the merchant takes on an order, the pick
list and the export, and what the order dialogs do once confirmed (ship, cancel, note,
message, reply)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from domain.after_sales.desk import ship_request
from domain.merchant.base import MerchantBase
from domain.merchant.ports import MerchantUnitOfWork
from domain.merchant.rules import (
    EXPORT_MAX,
    FILTER_STATUSES,
    PICK_LIST_MAX,
    OrderFile,
    OrderFilter,
    order_actions,
)
from domain.orders import lifecycle
from domain.orders import transitions as orders
from domain.orders.lifecycle import OrderEventType
from domain.orders.model import Order, PaymentMethod
from domain.shared.audit import NOTHING, Target, record
from domain.shared.customers import admin_actor, customer_actor
from domain.shared.dialogs import Dialog, StaleDialogError
from domain.shared.errors import (
    DuplicateError,
    IllegalTransitionError,
    InvalidInputError,
    NotFoundError,
)
from domain.shared.notifications import Notification
from domain.shared.paging import Page, Paged, Seek
from domain.shipping.carriers import Carrier, DialogResult, Shipment


class MerchantOrders(MerchantBase):
    """The merchant's orders."""

    async def orders(self, which: OrderFilter, page: int, seek: Seek | None = None) -> Paged[Order]:
        """A page of the order book as the merchant filters it: the first, or (`seek`) the one
        next to a row of the page shown, called page `page`."""
        where = Page(max(page, 0), self.config.page_size, seek)
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

    async def _step(
        self, admin_id: int, number: str, trigger: str, tell_customer: str | None
    ) -> Order:
        now = self._clock.now()
        try:
            async with self._uow() as uow:
                order = await self._load(uow, number)
                await self._flow.step(uow, order, trigger, actor=admin_actor(admin_id), at=now)
                await record(
                    uow,
                    admin_actor(admin_id),
                    f"order_{trigger}",
                    Target(order_id=order.id),
                    {"number": order.number},
                    at=now,
                )
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

    async def pick_list(self, number: str | None = None) -> list[Order]:
        """One order (a packing slip), or every order waiting to ship, oldest first."""
        async with self._uow(readonly=True) as uow:
            if number is not None:
                return [await self._load(uow, number)]
            paged = await uow.backoffice.orders(
                lifecycle.TO_SHIP, Page(0, PICK_LIST_MAX), oldest_first=True
            )
            return paged.items

    async def export_orders(self, admin_id: int) -> list[tuple[Order, list[Shipment]]]:
        """The newest orders (up to 10 000) with their shipments, for a CSV file; the export is
        audited (read without the write lock, recorded in a short transaction of its own)."""
        async with self._uow(readonly=True) as uow:
            found = await uow.backoffice.recent_orders(EXPORT_MAX)
            shipments = await uow.shipments.for_orders([o.id for o in found if o.id is not None])
        async with self._uow() as uow:
            details = {"orders": len(found)}
            now = self._clock.now()
            await record(uow, admin_actor(admin_id), "export_orders", NOTHING, details, at=now)
            await uow.commit()
        return [(o, shipments.get(o.id or 0, [])) for o in found]

    async def _ship(self, uow: MerchantUnitOfWork, dialog: Dialog) -> DialogResult:
        now = self._clock.now()
        carrier = self.config.carrier(str(dialog.data.get("carrier")))
        if carrier is None:
            raise StaleDialogError()
        if dialog.data.get("carrier_name"):  # "Other carrier", named by the admin
            carrier = replace(carrier, name=str(dialog.data["carrier_name"]))
        if dialog.data.get("request"):
            # The replacement or repaired goods of an after-sales request, not the order.
            return await ship_request(uow, dialog, carrier, now, self.config.admin_chat_id)
        order, shipment = await self._ship_order(
            uow,
            str(dialog.data["number"]),
            carrier,
            str(dialog.data["tracking"]),
            actor=admin_actor(dialog.user_id),
            key=dialog.token,
            note=dialog.data.get("note"),
        )
        return DialogResult(dialog, order=order, shipment=shipment)

    async def ship_order(
        self, actor: str, number: str, carrier_code: str, tracking: str, key: str
    ) -> tuple[Order, Shipment]:
        """Ship an order without the dialog (another sales channel's admin key): the same step,
        shipment, audit entry and customer notice as the ship dialog. `key` makes it once."""
        carrier = self.config.carrier(carrier_code)
        if carrier is None:
            raise InvalidInputError(
                "adm.error.unknown_carrier",
                carriers=", ".join(c.code for c in self.config.carriers),
            )
        tracking = carrier.check(tracking)
        try:
            async with self._uow() as uow:
                result = await self._ship_order(
                    uow, number, carrier, tracking, actor=actor, key=key
                )
                await uow.commit()
        except IllegalTransitionError:
            raise await self._refused(number, "ship") from None
        return result

    async def _ship_order(
        self,
        uow: MerchantUnitOfWork,
        number: str,
        carrier: Carrier,
        tracking: str,
        *,
        actor: str,
        key: str,
        note: Any = None,
    ) -> tuple[Order, Shipment]:
        now = self._clock.now()
        order = await self._load(uow, number)
        assert order.id is not None
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
            key=key,
            note=note,
        )
        try:
            shipment.id = await uow.shipments.add(shipment)
        except DuplicateError:
            raise IllegalTransitionError(status=str(order.status), action="ship") from None
        await record(
            uow,
            actor,
            "order_ship",
            Target(order_id=order.id),
            {"number": order.number, "carrier": carrier.code, "tracking": tracking},
            at=now,
        )
        template = "adm.notify.shipped" if shipment.tracking_url else "adm.notify.shipped_plain"
        params: dict[str, Any] = {"carrier": carrier.name, "tracking": tracking}
        if shipment.tracking_url:
            params["url"] = shipment.tracking_url
        await self._tell_customer(uow, order, template, f"shipped:{order.number}", **params)
        return order, shipment

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
        await record(
            uow,
            admin_actor(dialog.user_id),
            "order_cancel",
            Target(order_id=order.id),
            {"number": order.number, "reason": reason},
            at=self._clock.now(),
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
        await record(
            uow,
            admin_actor(dialog.user_id),
            "order_note",
            Target(order_id=order.id),
            {"number": order.number},
            at=self._clock.now(),
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
        await record(
            uow,
            admin_actor(dialog.user_id),
            "order_message",
            Target(order_id=order.id),
            {"number": order.number},
            at=self._clock.now(),
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
