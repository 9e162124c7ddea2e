"""The customer's after-sales dialogs, kept in the database like checkout: a new request (kind,
lines, reason, details, photos, confirm) and the return parcel (carrier, number)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from domain.after_sales.ports import AfterSalesUnitOfWork
from domain.after_sales.records import (
    AfterSalesError,
    AfterSalesRequest,
    Draft,
    DraftKind,
    Parcel,
    RequestKind,
    ReturnReason,
)
from domain.after_sales.requests import CustomerRequests, OrderAfterSales
from domain.after_sales.rules import DETAILS_MAX, PHOTOS_MAX, clean_text, next_status, paid_in_stars
from domain.after_sales.steps import step
from domain.orders.model import Order
from domain.shared.customers import (
    customer_actor,
    display_name,
)
from domain.shared.errors import NotFoundError
from domain.shared.notifications import Notification

if TYPE_CHECKING:
    pass


@dataclass
class DraftResult:
    """A customer's dialog after a step: still going, or with the request it made."""

    draft: Draft
    request: AfterSalesRequest | None = None
    order: Order | None = None


class CustomerDialogs(CustomerRequests):
    """The customer's dialogs (a finished one opens a request)."""

    async def current_draft(self, customer_id: int) -> Draft | None:
        """The customer's dialog, unless there is none or it was left alone too long."""
        async with self._uow(readonly=True) as uow:
            draft = await uow.after_sales.get_draft(customer_id)
        if draft is None or draft.expired(self._clock.now()):
            return None
        return draft

    async def start_request(self, customer_id: int, number: str) -> DraftResult:
        """Begin a request on one of the customer's orders: its kind is asked first."""
        now = self._clock.now()
        async with self._uow() as uow:
            order = await self._own_order(uow, customer_id, number)
            self._check_window(order, now)
            summary = await self._summary(uow, order)
            if not any(summary.remaining.values()):
                raise AfterSalesError("as.error.nothing_left", number=order.number)
            draft = Draft(
                customer_id,
                DraftKind.REQUEST,
                self._tokens(),
                "kind",
                {"order_id": order.id, "number": order.number, "lines": {}, "photos": []},
                now,
            )
            await uow.after_sales.save_draft(draft)
            await uow.commit()
        return DraftResult(draft, order=order)

    async def _draft(
        self,
        uow: AfterSalesUnitOfWork,
        customer_id: int,
        token: str | None,
        kind: DraftKind,
        step_name: str | None = None,
    ) -> Draft:
        draft = await uow.after_sales.get_draft(customer_id, for_update=True)
        if (
            draft is None
            or draft.kind != kind
            or (token is not None and draft.token != token)
            or (step_name is not None and draft.step != step_name)
        ):
            raise AfterSalesError("as.error.stale")
        return draft

    async def _save_draft(self, uow: AfterSalesUnitOfWork, draft: Draft) -> None:
        draft.updated_at = self._clock.now()
        await uow.after_sales.save_draft(draft)

    async def _draft_order(self, uow: AfterSalesUnitOfWork, draft: Draft) -> Order:
        order = await uow.orders.get(int(draft.data["order_id"]))
        if order is None or order.customer_id != draft.customer_id:
            raise AfterSalesError("as.error.stale")
        assert order.id is not None
        order.events = await uow.orders.events(order.id)
        return order

    async def draft_view(self, customer_id: int, token: str) -> OrderAfterSales:
        """The order of the customer's request dialog with what may still be asked for."""
        async with self._uow(readonly=True) as uow:
            draft = await uow.after_sales.get_draft(customer_id)
            if draft is None or draft.token != token or draft.kind != DraftKind.REQUEST:
                raise AfterSalesError("as.error.stale")
            order = await self._draft_order(uow, draft)
            return await self._summary(uow, order)

    async def choose_kind(self, customer_id: int, token: str, kind: str) -> DraftResult:
        """Return, exchange or repair; the units are asked next."""
        try:
            chosen = RequestKind(kind)
        except ValueError:
            raise AfterSalesError("as.error.stale") from None
        async with self._uow() as uow:
            draft = await self._draft(uow, customer_id, token, DraftKind.REQUEST, "kind")
            order = await self._draft_order(uow, draft)
            draft.data["kind"] = chosen.value
            if chosen == RequestKind.RETURN and paid_in_stars(order):
                # A Stars order comes back whole (see the module's docstring): all is chosen.
                draft.data["lines"] = {str(line.id): line.quantity for line in order.lines}
            draft.advance()
            await self._save_draft(uow, draft)
            await uow.commit()
        return DraftResult(draft, order=order)

    async def change_line(
        self, customer_id: int, token: str, line_id: int, delta: int
    ) -> DraftResult:
        """One unit more or fewer of a line, within what may still be asked for."""
        if delta not in (-1, 1):
            raise AfterSalesError("as.error.stale")
        async with self._uow() as uow:
            draft = await self._draft(uow, customer_id, token, DraftKind.REQUEST, "lines")
            order = await self._draft_order(uow, draft)
            remaining = (await self._summary(uow, order)).remaining
            if line_id not in remaining:
                raise AfterSalesError("as.error.stale")
            lines = draft.chosen()
            wanted = lines.get(line_id, 0) + delta
            if wanted < 0:
                raise AfterSalesError("as.error.stale")
            if wanted > remaining[line_id]:
                name = next(line.name for line in order.lines if line.id == line_id)
                raise AfterSalesError(
                    "as.error.already_covered", name=name, left=remaining[line_id]
                )
            lines[line_id] = wanted
            draft.data["lines"] = {str(k): v for k, v in lines.items() if v > 0}
            await self._save_draft(uow, draft)
            await uow.commit()
        return DraftResult(draft, order=order)

    async def lines_chosen(self, customer_id: int, token: str) -> DraftResult:
        """Done choosing units; the reason is asked next."""
        async with self._uow() as uow:
            draft = await self._draft(uow, customer_id, token, DraftKind.REQUEST, "lines")
            if not draft.chosen():
                raise AfterSalesError("as.error.no_units")
            draft.advance()
            await self._save_draft(uow, draft)
            await uow.commit()
        return DraftResult(draft)

    async def choose_reason(self, customer_id: int, token: str, code: str) -> DraftResult:
        """Why; the details are asked next (optional)."""
        try:
            reason = ReturnReason(code)
        except ValueError:
            raise AfterSalesError("as.error.stale") from None
        async with self._uow() as uow:
            draft = await self._draft(uow, customer_id, token, DraftKind.REQUEST, "reason")
            draft.data["reason"] = reason.value
            draft.advance()
            await self._save_draft(uow, draft)
            await uow.commit()
        return DraftResult(draft)

    async def give_text(self, customer_id: int, text: str) -> DraftResult | None:
        """Typed text for the customer's dialog: a request's details or the return parcel's
        tracking number. None when no such step waits; InvalidInputError leaves it there."""
        async with self._uow() as uow:
            draft = await uow.after_sales.get_draft(customer_id, for_update=True)
            if draft is None or draft.expired(self._clock.now()) or not draft.waits_for_text:
                return None
            if draft.kind == DraftKind.REQUEST:
                draft.data["details"] = clean_text(text, 1, DETAILS_MAX)
                draft.advance()
                await self._save_draft(uow, draft)
                result = DraftResult(draft)
            elif draft.kind == DraftKind.TRACKING:
                result = await self._send_back(uow, draft, text)
            else:
                return None  # a review's comment: domain/reviews.py takes it
            await uow.commit()
        return result

    async def give_photo(self, customer_id: int, file_id: str) -> DraftResult | None:
        """A photo for the request being filled in; None when none is asked for. At the limit
        the dialog moves on to the summary."""
        async with self._uow() as uow:
            draft = await uow.after_sales.get_draft(customer_id, for_update=True)
            if draft is None or draft.expired(self._clock.now()) or not draft.waits_for_photo:
                return None
            photos = list(draft.data.get("photos") or [])
            if len(photos) >= PHOTOS_MAX:
                raise AfterSalesError("as.error.photos_max", max=PHOTOS_MAX)
            photos.append(file_id)
            draft.data["photos"] = photos
            if len(photos) >= PHOTOS_MAX:
                draft.advance()
            await self._save_draft(uow, draft)
            await uow.commit()
        return DraftResult(draft)

    async def skip(self, customer_id: int, token: str) -> DraftResult:
        """Leave an optional step (details, photos) empty, or be done with the photos."""
        async with self._uow() as uow:
            draft = await self._draft(uow, customer_id, token, DraftKind.REQUEST)
            if not draft.optional:
                raise AfterSalesError("as.error.stale")
            draft.advance()
            await self._save_draft(uow, draft)
            await uow.commit()
        return DraftResult(draft)

    async def cancel_draft(self, customer_id: int, token: str) -> Draft:
        """Drop the customer's dialog; nothing it collected takes effect."""
        async with self._uow() as uow:
            draft = await uow.after_sales.get_draft(customer_id)
            if draft is None or draft.token != token or draft.step == "sent":
                raise AfterSalesError("as.error.stale")
            await uow.after_sales.delete_draft(customer_id, token)
            await uow.commit()
        return draft

    async def submit(self, customer_id: int, token: str) -> DraftResult:
        """Send the request the dialog collected; a second tap finds it sent already."""
        async with self._uow() as uow:
            draft = await uow.after_sales.get_draft(customer_id, for_update=True)
            if draft is None or draft.token != token or draft.kind != DraftKind.REQUEST:
                raise AfterSalesError("as.error.stale")
            if draft.step == "sent":
                sent = await uow.after_sales.get(int(draft.data["request_id"]))
                if sent is None:
                    raise AfterSalesError("as.error.stale")
                return DraftResult(draft, request=sent)
            if draft.step != "confirm":
                raise AfterSalesError("as.error.stale")
            data = draft.data
            request = await self._open_request(
                uow,
                customer_id,
                str(data["number"]),
                str(data.get("kind")),
                draft.chosen(),
                str(data.get("reason")),
                data.get("details"),
                list(data.get("photos") or []),
            )
            # The dialog stays, finished, naming its request: a double tap shows it again.
            draft.advance()
            draft.data = {"request_id": request.id, "number": request.order_number}
            await self._save_draft(uow, draft)
            await uow.commit()
        return DraftResult(draft, request=request)

    async def start_send_back(self, customer_id: int, request_id: int) -> Draft:
        """Begin giving the return parcel: the carrier is asked first."""
        async with self._uow() as uow:
            request = await uow.after_sales.get(request_id)
            if request is None or request.customer_id != customer_id:
                raise NotFoundError("as.error.not_found")
            next_status(request.status, request.kind, "send_back", request.number)
            draft = Draft(
                customer_id,
                DraftKind.TRACKING,
                self._tokens(),
                "carrier",
                {"request_id": request.id, "request": request.number},
                self._clock.now(),
            )
            await uow.after_sales.save_draft(draft)
            await uow.commit()
        return draft

    async def choose_return_carrier(self, customer_id: int, token: str, code: str) -> Draft:
        """The return parcel's carrier; its tracking number is asked next."""
        carrier = self.config.carrier(code)
        async with self._uow() as uow:
            draft = await self._draft(uow, customer_id, token, DraftKind.TRACKING, "carrier")
            if carrier is None:
                raise AfterSalesError("as.error.stale")
            draft.data["carrier"] = carrier.code
            draft.advance()
            await self._save_draft(uow, draft)
            await uow.commit()
        return draft

    async def _send_back(self, uow: AfterSalesUnitOfWork, draft: Draft, text: str) -> DraftResult:
        carrier = self.config.carrier(str(draft.data.get("carrier")))
        if carrier is None:
            raise AfterSalesError("as.error.stale")
        tracking = carrier.check(text)
        now = self._clock.now()
        request = await uow.after_sales.get(int(draft.data["request_id"]))
        if request is None or request.customer_id != draft.customer_id:
            raise AfterSalesError("as.error.stale")
        parcel = Parcel(carrier.code, carrier.name, tracking, carrier.link(tracking), now)
        request.returned = parcel
        await step(
            uow,
            request,
            "send_back",
            actor=customer_actor(draft.customer_id),
            at=now,
            params={"carrier": carrier.code, "tracking": tracking},
        )
        await uow.after_sales.delete_draft(draft.customer_id, draft.token)
        if self.config.admin_chat_id is not None:
            customer = await uow.customers.get(request.customer_id)
            await uow.outbox.add(
                Notification(
                    chat_id=self.config.admin_chat_id,
                    template="as.adm.returned",
                    params={
                        "request": request.number,
                        "request_id": request.id,
                        "customer": display_name(customer, request.customer_id),
                        "carrier": carrier.name,
                        "tracking": tracking,
                        "url": parcel.url or "—",
                    },
                    dedupe_key=f"as.adm.returned:{request.number}:{tracking}"[:128],
                ),
                now,
            )
        return DraftResult(draft, request=request)
