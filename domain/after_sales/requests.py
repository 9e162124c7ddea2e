"""The customer's side: an order as after-sales sees it, the customer's requests, and a new
request (checked against the window and the units already covered, with the order's row
locked), with the merchant's alert."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from domain.after_sales.ports import AfterSalesUnitOfWork
from domain.after_sales.records import (
    AfterSalesError,
    AfterSalesEvent,
    AfterSalesRequest,
    RequestEventType,
    RequestKind,
    RequestLine,
    RequestStatus,
    ReturnReason,
)
from domain.after_sales.rules import (
    DETAILS_MAX,
    KIND_TEXTS,
    PHOTOS_MAX,
    REASON_TEXTS,
    _cut,
    clean_text,
    delivered_at,
    paid_in_stars,
)
from domain.after_sales.steps import AfterSalesBase
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order
from domain.shared.customers import (
    Customer,
    customer_actor,
    display_name,
)
from domain.shared.errors import DuplicateError, NotFoundError
from domain.shared.notifications import Notification
from domain.shared.numbers import normalize_order_number
from domain.shared.paging import Page, Paged

if TYPE_CHECKING:
    pass


@dataclass
class OrderAfterSales:
    """An order as after-sales sees it: its requests, and what may still be asked for."""

    order: Order
    requests: list[AfterSalesRequest]
    delivered_at: datetime | None
    open_until: datetime | None  # end of the window; None when never delivered
    remaining: dict[int, int]  # order line id -> units that may still be asked for
    can_request: bool  # a new request is possible now


class CustomerRequests(AfterSalesBase):
    """The customer's requests."""

    async def _own_order(self, uow: AfterSalesUnitOfWork, customer_id: int, number: str) -> Order:
        normalized = normalize_order_number(number)
        order = await uow.orders.get_by_number(normalized) if normalized else None
        if order is None or order.customer_id != customer_id:
            raise NotFoundError()
        assert order.id is not None
        order.events = await uow.orders.events(order.id)
        return order

    def _window(self, order: Order) -> tuple[datetime | None, datetime | None]:
        at = delivered_at(order)
        return at, (at + self.config.window if at is not None else None)

    async def _summary(self, uow: AfterSalesUnitOfWork, order: Order) -> OrderAfterSales:
        assert order.id is not None
        requests = await uow.after_sales.for_order(order.id)
        covered = await uow.after_sales.covered(order.id)
        remaining = {
            line.id: max(line.quantity - covered.get(line.id, 0), 0)
            for line in order.lines
            if line.id is not None
        }
        at, until = self._window(order)
        can = (
            order.status in (OrderStatus.DELIVERED, OrderStatus.COMPLETED)
            and until is not None
            and self._clock.now() <= until
            and any(remaining.values())
        )
        return OrderAfterSales(order, requests, at, until, remaining, can)

    async def order_summary(self, customer_id: int, number: str) -> OrderAfterSales:
        """One of the customer's orders with its requests and what may still be asked for."""
        async with self._uow(readonly=True) as uow:
            order = await self._own_order(uow, customer_id, number)
            return await self._summary(uow, order)

    async def summary_of(self, order: Order) -> OrderAfterSales:
        """An order already loaded for its customer (with its events), as after-sales sees it."""
        async with self._uow(readonly=True) as uow:
            return await self._summary(uow, order)

    async def my_requests(self, customer_id: int, page: int) -> Paged[AfterSalesRequest]:
        """The customer's requests, newest first."""
        async with self._uow(readonly=True) as uow:
            return await uow.after_sales.for_customer(
                customer_id, Page(max(page, 0), self.config.page_size)
            )

    async def my_request(self, customer_id: int, request_id: int) -> AfterSalesRequest:
        """One of the customer's requests with its timeline; someone else's is not found."""
        async with self._uow(readonly=True) as uow:
            request = await uow.after_sales.get(request_id)
            if request is None or request.customer_id != customer_id:
                raise NotFoundError("as.error.not_found")
            request.events = await uow.after_sales.events(request_id)
        return request

    def _check_window(self, order: Order, now: datetime) -> None:
        at, until = self._window(order)
        if at is None or order.status not in (OrderStatus.DELIVERED, OrderStatus.COMPLETED):
            raise AfterSalesError(
                "as.error.not_delivered", number=order.number, status=str(order.status)
            )
        assert until is not None
        if now > until:
            raise AfterSalesError(
                "as.error.window_closed",
                number=order.number,
                days=self.config.window.days,
                until=until,
            )

    async def request(
        self,
        customer_id: int,
        number: str,
        kind: RequestKind | str,
        lines: dict[int, int],
        reason: ReturnReason | str,
        details: str | None = None,
        photos: Sequence[str] = (),
    ) -> AfterSalesRequest:
        """Open a request on one of the customer's delivered orders, within the window, for
        units nobody asked for yet; the merchant is alerted with its photos."""
        async with self._uow() as uow:
            request = await self._open_request(
                uow, customer_id, number, kind, lines, reason, details, photos
            )
            await uow.commit()
        return request

    async def _open_request(
        self,
        uow: AfterSalesUnitOfWork,
        customer_id: int,
        number: str,
        kind: RequestKind | str,
        lines: dict[int, int],
        reason: ReturnReason | str,
        details: str | None,
        photos: Sequence[str],
    ) -> AfterSalesRequest:
        now = self._clock.now()
        try:
            kind, reason = RequestKind(kind), ReturnReason(reason)
        except ValueError:
            raise AfterSalesError("as.error.stale") from None
        if details is not None:
            details = clean_text(details, 1, DETAILS_MAX)
        if len(photos) > PHOTOS_MAX:
            raise AfterSalesError("as.error.photos_max", max=PHOTOS_MAX)
        order = await self._own_order(uow, customer_id, number)
        assert order.id is not None
        # The order's row stays locked until commit: a second request for the same lines waits
        # here, then counts this one's units.
        await uow.after_sales.lock_order(order.id)
        self._check_window(order, now)
        covered = await uow.after_sales.covered(order.id)
        by_id = {line.id: line for line in order.lines}
        chosen: list[RequestLine] = []
        for line_id, quantity in sorted(lines.items()):
            line = by_id.get(line_id)
            if line is None or quantity < 0:
                raise AfterSalesError("as.error.stale")
            if quantity == 0:
                continue
            if quantity > line.quantity:
                raise AfterSalesError("as.error.too_many", name=line.name, bought=line.quantity)
            left = line.quantity - covered.get(line_id, 0)
            if quantity > left:
                raise AfterSalesError("as.error.already_covered", name=line.name, left=left)
            chosen.append(
                RequestLine(
                    line_id, quantity, line.product_id, line.sku, line.name, line.unit_price
                )
            )
        if not chosen:
            raise AfterSalesError("as.error.no_units")
        if kind == RequestKind.RETURN and paid_in_stars(order):
            # Telegram gives a Stars payment back whole, never in part: a return of a Stars
            # order takes back every unit of it.
            whole = not any(covered.values()) and all(
                sum(c.quantity for c in chosen if c.order_line_id == line.id) == line.quantity
                for line in order.lines
            )
            if not whole:
                raise AfterSalesError("as.error.stars_whole", number=order.number)
        request = AfterSalesRequest(
            number=await self._fresh_number(uow),
            order_id=order.id,
            customer_id=customer_id,
            kind=kind,
            status=RequestStatus.REQUESTED,
            reason=reason,
            lines=chosen,
            created_at=now,
            details=details or None,
            photos=list(photos),
            order_number=order.number,
            currency=order.currency,
            updated_at=now,
        )
        request.id = await uow.after_sales.add(request)
        event = AfterSalesEvent(
            RequestEventType.REQUESTED,
            customer_actor(customer_id),
            now,
            to_status=RequestStatus.REQUESTED,
            note=request.details,
            params={"kind": kind.value, "reason": reason.value, "photos": len(request.photos)},
        )
        await uow.after_sales.add_event(request.id, event)
        request.events.append(event)
        await uow.orders.change_after_sales_open(order.id, +1)
        customer = await uow.customers.get(customer_id)
        await self._alert_new(uow, request, customer, now)
        return request

    async def _fresh_number(self, uow: AfterSalesUnitOfWork) -> str:
        for _ in range(8):
            number = self._numbers()
            if not await uow.after_sales.number_taken(number):
                return number
        raise DuplicateError("error.generic")  # 30 random bits colliding 8 times: not in practice

    async def _alert_new(
        self,
        uow: AfterSalesUnitOfWork,
        request: AfterSalesRequest,
        customer: Customer | None,
        now: datetime,
    ) -> None:
        if self.config.admin_chat_id is None:
            return
        params: dict[str, Any] = {
            "request": request.number,
            "request_id": request.id,
            "number": request.order_number,
            "kind": {"$text": KIND_TEXTS[request.kind]},
            "customer": display_name(customer, request.customer_id),
            # Short enough for a photo's caption (1024 characters) whatever the customer wrote.
            "lines": [[line.quantity, _cut(line.name, 60)] for line in request.lines[:5]]
            + ([["…", f"+{len(request.lines) - 5}"]] if len(request.lines) > 5 else []),
            "reason": {"$text": REASON_TEXTS[request.reason]},
            "details": _cut(request.details or "—", 300),
            "photos": len(request.photos),
        }
        if request.photos:
            params["$photo"] = request.photos[0]  # sent as a photo with the alert as caption
        await uow.outbox.add(
            Notification(
                chat_id=self.config.admin_chat_id,
                template="as.adm.new",
                params=params,
                dedupe_key=f"as.adm.new:{request.number}",
            ),
            now,
        )
        # The other photos follow the alert, one message each (an outbox row sends one photo).
        for index, photo in enumerate(request.photos[1:], 2):
            await uow.outbox.add(
                Notification(
                    chat_id=self.config.admin_chat_id,
                    template="as.adm.photo",
                    params={
                        "request": request.number,
                        "request_id": request.id,
                        "n": index,
                        "total": len(request.photos),
                        "$photo": photo,
                    },
                    dedupe_key=f"as.adm.photo:{request.number}:{index}",
                ),
                now,
            )
