"""The merchant's side: the queue, a request's file, approve or decline, receive the goods
(restocked or written off through the inventory log), ship the replacement or the repaired
goods (with the merchant's ship dialog, `ship_request`), and close."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from domain.after_sales.ports import AfterSalesUnitOfWork
from domain.after_sales.records import (
    OPEN,
    AfterSalesError,
    AfterSalesRequest,
    AfterSalesStepError,
    Disposition,
    Parcel,
    RequestKind,
    RequestLine,
    RequestStatus,
)
from domain.after_sales.refunds import ReturnRefunds, earlier_returns
from domain.after_sales.rules import (
    CUSTOMER_TRIGGERS,
    REASON_MAX,
    REASON_MIN,
    SHIP_TRIGGERS,
    allowed_triggers,
    clean_text,
    next_status,
    state_param,
)
from domain.after_sales.steps import _load, step, tell_customer
from domain.catalog.back_in_stock import queue_back_in_stock
from domain.catalog.model import InventoryEntry
from domain.catalog.stock import queue_low_stock_alerts
from domain.orders.model import Order, PaymentMethod
from domain.payments.records import PaymentStatus, Refund
from domain.shared.audit import Target, record
from domain.shared.customers import (
    Customer,
    admin_actor,
)
from domain.shared.dialogs import Dialog, DialogKind
from domain.shared.errors import NotFoundError
from domain.shared.money import Money
from domain.shared.numbers import normalize_order_number
from domain.shared.paging import Page, Paged
from domain.shipping.carriers import NOTE_MAX, Carrier, DialogResult, Shipment


async def ship_request(
    uow: AfterSalesUnitOfWork,
    dialog: Dialog,
    carrier: Carrier,
    at: datetime,
    admin_chat_id: int | None,
) -> DialogResult:
    """Carry out the merchant's ship dialog when it targets a request (`Merchant._ship` calls
    it inside its confirmation's transaction): the replacement (exchange) or the repaired goods
    (repair) go to the customer. The step is a compare-and-set, a replacement takes its units
    from stock (logged, and the low-stock alert follows), and the customer gets the carrier,
    the number and the tracking link."""
    request = await _load(uow, int(dialog.data["request"]))
    trigger = SHIP_TRIGGERS.get(request.kind)
    if trigger is None:
        raise AfterSalesStepError(number=request.number, state=state_param(request.status))
    tracking = str(dialog.data["tracking"])
    note = dialog.data.get("note")
    actor = admin_actor(dialog.user_id)
    parcel = Parcel(carrier.code, carrier.name, tracking, carrier.link(tracking), at)
    request.shipped = parcel
    await step(
        uow,
        request,
        trigger,
        actor=actor,
        at=at,
        note=str(note)[:NOTE_MAX] if note else None,
        params={"carrier": carrier.code, "tracking": tracking},
    )
    if trigger == "ship_replacement":
        for line in request.lines:
            # One conditional UPDATE: units reserved by orders meanwhile are never undercut.
            stock = await uow.backoffice.adjust_stock(line.product_id, -line.quantity)
            if stock is None:
                product = await uow.products.get(line.product_id)
                raise AfterSalesError(
                    "as.error.no_stock",
                    name=line.name,
                    available=product.available if product else 0,
                )
            entry_id = await uow.inventory.add(
                InventoryEntry(
                    product_id=line.product_id,
                    delta=-line.quantity,
                    stock_after=stock,
                    reason=f"after-sales {request.number}: replacement shipped"[:200],
                    actor=actor,
                    at=at,
                )
            )
            await queue_low_stock_alerts(
                uow, admin_chat_id, at, {line.product_id: line.quantity}, f"inv:{entry_id}"
            )
    template = (
        "as.customer.replacement_shipped"
        if trigger == "ship_replacement"
        else "as.customer.repaired_shipped"
    )
    await tell_customer(
        uow,
        request,
        template,
        at,
        carrier=carrier.name,
        tracking=tracking,
        url=parcel.url or {"$text": "as.customer.no_link"},
    )
    shipment = Shipment(
        order_id=request.order_id,
        carrier_code=carrier.code,
        carrier_name=carrier.name,
        tracking_number=tracking,
        tracking_url=parcel.url,
        actor=actor,
        shipped_at=at,
        key=dialog.token,
        note=str(note) if note else None,
    )
    return DialogResult(dialog, shipment=shipment)


@dataclass
class RequestFile:
    """Everything the merchant sees about one request."""

    request: AfterSalesRequest
    order: Order
    customer: Customer | None
    actions: list[str]  # the machine's triggers open to the merchant, in table order
    refund: Refund | None = None
    refund_amount: Money | None = None  # what a return gives back (or gave)
    refund_method: PaymentMethod | None = None
    names: dict[str, str] = field(default_factory=dict)  # actor -> display name


class MerchantDesk(ReturnRefunds):
    """The merchant's side (a request's file shows what its refund gives back)."""

    async def queue(
        self, statuses: Collection[RequestStatus], page: int
    ) -> Paged[AfterSalesRequest]:
        """A page of requests in these statuses, oldest first."""
        async with self._uow(readonly=True) as uow:
            return await uow.after_sales.listing(
                statuses, Page(max(page, 0), self.config.page_size)
            )

    async def counts(self) -> dict[RequestStatus, int]:
        """How many requests are in each open status (the merchant's queues; the closed and
        declined, which only grow, are not counted)."""
        async with self._uow(readonly=True) as uow:
            return await uow.after_sales.count_by_status(OPEN)

    async def for_order(self, number: str) -> tuple[Order, list[AfterSalesRequest]]:
        """An order and its requests, for the merchant."""
        normalized = normalize_order_number(number)
        async with self._uow(readonly=True) as uow:
            order = await uow.orders.get_by_number(normalized) if normalized else None
            if order is None:
                raise NotFoundError()
            assert order.id is not None
            return order, await uow.after_sales.for_order(order.id)

    async def request_file(self, request_id: int) -> RequestFile:
        """One request with its order, customer, timeline, refund and the steps open to it."""
        async with self._uow(readonly=True) as uow:
            request = await _load(uow, request_id)
            request.events = await uow.after_sales.events(request_id)
            order = await uow.orders.get(request.order_id)
            assert order is not None
            customer = await uow.customers.get(request.customer_id)
            refund = await uow.payments.refund_for_request(request_id)
            payment = None
            if request.kind.value == "return" and refund is None:
                payment = next(
                    (
                        p
                        for p in await uow.payments.for_order(request.order_id)
                        if p.status in (PaymentStatus.APPLIED, PaymentStatus.REFUNDED)
                    ),
                    None,
                )
            names: dict[str, str] = {}
            for actor in {e.actor for e in request.events}:
                who, _, raw = actor.partition(":")
                if who in ("admin", "customer") and raw.lstrip("-").isdigit():
                    person = await uow.customers.get(int(raw))
                    if person is not None:
                        names[actor] = person.first_name
            amount = refund.amount if refund else None
            method = refund.method if refund else None
            if refund is None and payment is not None:
                # Read inside the unit of work: after it, the session would begin a
                # transaction nobody ends (on SQLite holding the write lock: every later
                # write of the shop waited, then failed "database is locked").
                earlier = await earlier_returns(uow, request, order)
                amount, method = self._amount(request, order, payment, earlier), payment.method
        actions = [
            t for t in allowed_triggers(request.status, request.kind) if t not in CUSTOMER_TRIGGERS
        ]
        return RequestFile(request, order, customer, actions, refund, amount, method, names)

    async def approve(self, admin_id: int, request_id: int) -> AfterSalesRequest:
        """Accept the request: the customer is told where to send the goods back."""
        now = self._clock.now()
        async with self._uow() as uow:
            request = await _load(uow, request_id)
            await step(uow, request, "approve", actor=admin_actor(admin_id), at=now)
            await tell_customer(
                uow,
                request,
                "as.customer.approved",
                now,
                address=self.config.return_address or {"$text": "as.customer.address_missing"},
            )
            await record(
                uow,
                admin_actor(admin_id),
                "as_approve",
                Target(order_id=request.order_id, customer_id=request.customer_id),
                {"request": request.number},
                at=now,
            )
            await uow.commit()
        return request

    async def start_decline(self, chat_id: int, admin_id: int, request_id: int) -> Dialog:
        """Begin declining a request: the reason is asked first (the customer reads it)."""
        async with self._uow() as uow:
            request = await _load(uow, request_id)
            next_status(request.status, request.kind, "decline", request.number)
            dialog = Dialog(
                chat_id,
                admin_id,
                DialogKind.AS_DECLINE,
                self._tokens(),
                "reason",
                {"request_id": request.id, "request": request.number},
                self._clock.now(),
            )
            await uow.dialogs.save(dialog)
            await uow.commit()
        return dialog

    async def decline(
        self, admin_id: int, request_id: int, reason: str, dialog: Dialog | None = None
    ) -> AfterSalesRequest:
        """Refuse the request with a reason (the customer reads it); its units may be asked
        for again. The decline dialog that asked for the reason ends in the same transaction."""
        reason = clean_text(reason, REASON_MIN, REASON_MAX)
        now = self._clock.now()
        async with self._uow() as uow:
            request = await _load(uow, request_id)
            request.decline_reason = reason
            await step(uow, request, "decline", actor=admin_actor(admin_id), at=now, note=reason)
            await tell_customer(uow, request, "as.customer.declined", now, reason=reason)
            await record(
                uow,
                admin_actor(admin_id),
                "as_decline",
                Target(order_id=request.order_id, customer_id=request.customer_id),
                {"request": request.number},
                at=now,
            )
            if dialog is not None:
                await uow.dialogs.delete(dialog.chat_id, dialog.user_id, dialog.token)
            await uow.commit()
        return request

    async def receive(
        self, admin_id: int, request_id: int, disposition: Disposition | str
    ) -> AfterSalesRequest:
        """The goods came back. Returned or exchanged goods go back into stock or are written
        off, as the merchant chooses, each line in the inventory log; a repair keeps the
        customer's goods out of stock."""
        try:
            chosen = Disposition(disposition)
        except ValueError:
            raise AfterSalesError("as.error.stale") from None
        now = self._clock.now()
        actor = admin_actor(admin_id)
        async with self._uow() as uow:
            request = await _load(uow, request_id)
            if (request.kind == RequestKind.REPAIR) != (chosen == Disposition.KEEP):
                raise AfterSalesError("as.error.stale")
            request.disposition = chosen
            await step(
                uow, request, "receive", actor=actor, at=now, params={"disposition": chosen.value}
            )
            for line in request.lines:
                await self._log_return(uow, request, line, chosen, actor, now)
            await tell_customer(uow, request, "as.customer.received", now)
            await record(
                uow,
                admin_actor(admin_id),
                "as_receive",
                Target(order_id=request.order_id, customer_id=request.customer_id),
                {"request": request.number, "disposition": chosen.value},
                at=now,
            )
            await uow.commit()
        return request

    @staticmethod
    async def _log_return(
        uow: AfterSalesUnitOfWork,
        request: AfterSalesRequest,
        line: RequestLine,
        disposition: Disposition,
        actor: str,
        now: datetime,
    ) -> None:
        if disposition == Disposition.KEEP:
            return
        delta = line.quantity if disposition == Disposition.RESTOCK else 0
        if delta:
            await uow.products.restock(line.product_id, delta)
            await queue_back_in_stock(uow, [line.product_id], now)  # issue 16
        product = await uow.products.get(line.product_id)
        if product is None:
            return
        what = "restocked" if delta else f"{line.quantity} written off"
        await uow.inventory.add(
            InventoryEntry(
                product_id=line.product_id,
                delta=delta,
                stock_after=product.stock,
                reason=f"after-sales {request.number}: returned, {what}"[:200],
                actor=actor,
                at=now,
            )
        )

    async def start_ship(self, chat_id: int, admin_id: int, request_id: int) -> Dialog:
        """Begin shipping the replacement (exchange) or the repaired goods (repair) with the
        merchant's ship dialog (carrier, tracking number, note, confirm); `ship_request`
        carries it out."""
        async with self._uow() as uow:
            request = await _load(uow, request_id)
            trigger = SHIP_TRIGGERS.get(request.kind, "ship_replacement")
            next_status(request.status, request.kind, trigger, request.number)
            if trigger == "ship_replacement":
                for line in request.lines:
                    product = await uow.products.get(line.product_id)
                    available = product.available if product else 0
                    if available < line.quantity:
                        raise AfterSalesError(
                            "as.error.no_stock", name=line.name, available=available
                        )
            dialog = Dialog(
                chat_id,
                admin_id,
                DialogKind.SHIP,
                self._tokens(),
                "carrier",
                {
                    "number": request.order_number,
                    "request": request.id,
                    "request_number": request.number,
                },
                self._clock.now(),
            )
            await uow.dialogs.save(dialog)
            await uow.commit()
        return dialog

    async def close(self, admin_id: int, request_id: int) -> AfterSalesRequest:
        """Close a request whose work is done (or whose goods never came back)."""
        now = self._clock.now()
        async with self._uow() as uow:
            request = await _load(uow, request_id)
            await step(uow, request, "close", actor=admin_actor(admin_id), at=now)
            await tell_customer(uow, request, "as.customer.closed", now)
            await record(
                uow,
                admin_actor(admin_id),
                "as_close",
                Target(order_id=request.order_id, customer_id=request.customer_id),
                {"request": request.number},
                at=now,
            )
            await uow.commit()
        return request
