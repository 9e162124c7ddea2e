"""Steps in the caller's unit of work: the one place a request changes state (`step`), the
customer's messages about a request, and what every after-sales use case shares
(`AfterSalesBase`: the unit of work, the clock, the settings, the ports)."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from domain.after_sales.ports import AfterSalesUnitOfWork
from domain.after_sales.records import (
    FINAL,
    AfterSalesEvent,
    AfterSalesRequest,
    AfterSalesStepError,
)
from domain.after_sales.rules import (
    EVENT_FOR_TRIGGER,
    KIND_TEXTS,
    new_request_number,
    next_status,
    state_param,
)
from domain.payments.ports import StarRefunds
from domain.shared.clock import Clock
from domain.shared.customers import (
    language_of,
)
from domain.shared.errors import NotFoundError
from domain.shared.notifications import Notification
from domain.shipping.carriers import DEFAULT_CARRIERS, Carrier

if TYPE_CHECKING:
    from domain.shared.ports import UnitOfWorkFactory


async def step(
    uow: AfterSalesUnitOfWork,
    request: AfterSalesRequest,
    trigger: str,
    *,
    actor: str,
    at: datetime,
    note: str | None = None,
    params: dict[str, Any] | None = None,
) -> AfterSalesEvent:
    """The one place a request changes state: the machine decides, the status is stored as a
    compare-and-set (of two admins pressing at once, one takes the step), the event is kept
    and the order's count of open requests follows. The caller commits."""
    assert request.id is not None
    before = request.status
    after = next_status(before, request.kind, trigger, request.number)
    request.status = after
    request.updated_at = at
    if not await uow.after_sales.save(request, expected=before):
        request.status = before
        fresh = await uow.after_sales.get(request.id)
        raise AfterSalesStepError(
            number=request.number, state=state_param(fresh.status if fresh else before)
        )
    event = AfterSalesEvent(
        EVENT_FOR_TRIGGER[trigger], actor, at, before, after, note, params or {}
    )
    await uow.after_sales.add_event(request.id, event)
    request.events.append(event)
    if after in FINAL and before not in FINAL:
        await uow.orders.change_after_sales_open(request.order_id, -1)
    return event


async def tell_customer(
    uow: AfterSalesUnitOfWork,
    request: AfterSalesRequest,
    template: str,
    at: datetime,
    **params: Any,
) -> None:
    """Queue a message about the request for its customer, in their language, once."""
    customer = await uow.customers.get(request.customer_id)
    await uow.outbox.add(
        Notification(
            chat_id=request.customer_id,
            template=template,
            params={
                "request": request.number,
                "request_id": request.id,
                "number": request.order_number,
                "kind": {"$text": KIND_TEXTS[request.kind]},
                **params,
            },
            language=language_of(customer),
            dedupe_key=f"{template}:{request.number}",
        ),
        at,
    )


async def _load(uow: AfterSalesUnitOfWork, request_id: int) -> AfterSalesRequest:
    request = await uow.after_sales.get(request_id)
    if request is None:
        raise NotFoundError("as.error.not_found")
    return request


@dataclass(frozen=True)
class AfterSalesConfig:
    """The settings after-sales rules depend on."""

    window: timedelta = timedelta(days=15)  # from delivery (AFTER_SALES_DAYS)
    return_address: str = ""  # where goods go back (RETURN_ADDRESS)
    admin_chat_id: int | None = None
    carriers: tuple[Carrier, ...] = DEFAULT_CARRIERS
    page_size: int = 6

    def carrier(self, code: str) -> Carrier | None:
        """The configured carrier with this code."""
        return next((c for c in self.carriers if c.code == code), None)


class AfterSalesBase:
    """What the after-sales use cases share (see `AfterSales`)."""

    def __init__(
        self,
        uow: UnitOfWorkFactory[AfterSalesUnitOfWork],
        clock: Clock,
        config: AfterSalesConfig,
        stars: StarRefunds | None = None,
        numbers: Callable[[], str] = new_request_number,
        tokens: Callable[[], str] = lambda: secrets.token_urlsafe(6),
    ) -> None:
        self._uow = uow
        self._clock = clock
        self.config = config
        self.stars = stars
        self._numbers = numbers
        self._tokens = tokens
