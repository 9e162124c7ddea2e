"""Orders from the channel: place, read (status and events), cancel while unpaid; and the
admin scope's mark paid, ship, and the sync listing of every order changed since a time. Every
step is a use case of domain/channels/orders.py (the same rules as chat orders); every POST
takes an Idempotency-Key (bot/api/idempotency.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from bot.api import paging
from bot.api.auth import Caller, require, services
from bot.api.idempotency import idempotent
from bot.api.keys import ADMIN, READ_ORDERS, WRITE_ORDERS
from bot.api.problems import Problem
from bot.api.schemas import OrderIn, OrderOut, OrderPage, ProblemOut, ShipIn
from domain.channels.orders import ChannelLine, ChannelOrderRequest
from domain.orders.model import Order, PaymentMethod
from domain.shared.errors import NotFoundError

router = APIRouter(tags=["orders"])
_PROBLEM = {"model": ProblemOut, "description": "a problem (RFC 9457)"}
READ_PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: _PROBLEM for code in (400, 401, 403, 404, 422, 429)
}
WRITE_PROBLEMS: dict[int | str, dict[str, Any]] = {
    code: _PROBLEM for code in (400, 401, 403, 404, 409, 422, 429)
}
Number = Annotated[str, Path(min_length=1, max_length=32, description="the order's number")]
SYNC_PAGE = 100
# After the caller: the key is taken in the caller's name (bot/api/idempotency.py).
Idempotent = Annotated[None, Depends(idempotent)]


def _seen(request: Request, order: Order) -> OrderOut:
    """The order as answered; the audit entry of the call names it."""
    request.state.order_id = order.id
    return OrderOut.of(order)


# A time as RFC 3339 writes it (pydantic alone would also take a number of seconds).
RFC3339 = r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})?$"
_PARTS = re.compile(r"^(.{10}).(.{8})(?:\.(\d+))?(.*)$")


def _moment(text: str) -> datetime:
    """An RFC 3339 time (UTC when it has no offset); Problem 422 for one that does not exist
    (a 13th month, a 25th hour)."""
    parts = _PARTS.match(text)
    try:
        if parts is None:
            raise ValueError(text)
        day, clock, fraction, zone = parts.groups()
        micro = ((fraction or "") + "000000")[:6]
        offset = "+00:00" if zone.upper() == "Z" else zone
        moment = datetime.fromisoformat(f"{day}T{clock}.{micro}{offset}")
    except ValueError:
        raise Problem(
            422,
            "invalid-request",
            "api.problem.invalid_title",
            "api.problem.invalid",
            extra={"errors": [{"loc": ["query", "changed_since"], "msg": "no such time"}]},
        ) from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _not_found(number: str) -> Problem:
    return Problem(
        404,
        "not-found",
        "api.problem.not_found_title",
        "api.problem.order_not_found",
        number=number,
    )


@router.post(
    "/orders",
    response_model=OrderOut,
    status_code=201,
    responses={**WRITE_PROBLEMS, 200: {"model": OrderOut, "description": "placed before"}},
)
async def place_order(
    request: Request,
    response: Response,
    caller: Annotated[Caller, Depends(require(WRITE_ORDERS))],
    _key: Idempotent,
    body: OrderIn,
) -> OrderOut:
    """Place an order: stock is reserved at once (409 when short), the admin chat is told.
    With a `reference` already placed by this channel, that order (200). A `promo_code` that
    leaves nothing to pay places it paid (payment_method free, a payment of 0)."""
    placed = await services(request).channels.place(
        ChannelOrderRequest(
            channel=caller.name,
            reference=body.reference,
            lines=[ChannelLine(line.product_id, line.quantity) for line in body.lines],
            recipient=body.recipient,
            phone=body.phone,
            address_text=body.address,
            payment_method=PaymentMethod(body.payment_method),
            shipping_method=body.shipping_method,
            promo_code=body.promo_code,
        )
    )
    if not placed.created:
        response.status_code = 200
    order = await services(request).channels.get(placed.order.number)
    return _seen(request, order or placed.order)


@router.get("/orders/{number}", response_model=OrderOut, responses=READ_PROBLEMS)
async def get_order(
    request: Request,
    caller: Annotated[Caller, Depends(require(READ_ORDERS))],
    number: Number,
) -> OrderOut:
    """One order with its status and events: the key's channel's own (any, with admin)."""
    channel = None if caller.may(ADMIN) else caller.name
    order = await services(request).channels.get(number, channel)
    if order is None:
        raise _not_found(number)
    return _seen(request, order)


async def _answer(request: Request, moved: Order) -> OrderOut:
    """The order a step moved, with its events (the step's included)."""
    order = await services(request).channels.get(moved.number)
    return _seen(request, order or moved)


@router.post(
    "/orders/{number}/cancel",
    response_model=OrderOut,
    responses=WRITE_PROBLEMS,
)
async def cancel_order(
    request: Request,
    caller: Annotated[Caller, Depends(require(WRITE_ORDERS))],
    _key: Idempotent,
    number: Number,
) -> OrderOut:
    """Cancel one of the channel's orders that is not paid yet (409 otherwise); its units go
    back on sale."""
    try:
        order = await services(request).channels.cancel_unpaid(caller.name, number)
    except NotFoundError:
        raise _not_found(number) from None
    return await _answer(request, order)


@router.post(
    "/orders/{number}/mark-paid",
    response_model=OrderOut,
    responses=WRITE_PROBLEMS,
)
async def mark_paid(
    request: Request,
    caller: Annotated[Caller, Depends(require(ADMIN))],
    _key: Idempotent,
    number: Number,
) -> OrderOut:
    """The shop received the bank transfer of an order waiting for one (admin)."""
    try:
        order = await services(request).channels.mark_paid(caller.name, number)
    except NotFoundError:
        raise _not_found(number) from None
    return await _answer(request, order)


@router.post(
    "/orders/{number}/ship",
    response_model=OrderOut,
    responses=WRITE_PROBLEMS,
)
async def ship_order(
    request: Request,
    caller: Annotated[Caller, Depends(require(ADMIN))],
    _key: Idempotent,
    number: Number,
    body: ShipIn,
) -> OrderOut:
    """Hand a paid or cash-on-delivery order to a carrier with its tracking number (admin)."""
    try:
        order = await services(request).channels.ship(
            caller.name, number, body.carrier, body.tracking_number
        )
    except NotFoundError:
        raise _not_found(number) from None
    return await _answer(request, order)


@router.get("/orders", response_model=OrderPage, responses=READ_PROBLEMS)
async def changed_orders(
    request: Request,
    _caller: Annotated[Caller, Depends(require(ADMIN))],
    changed_since: Annotated[
        str | None,
        Query(
            pattern=RFC3339,
            description="RFC 3339 time; orders changed at or after it (UTC when no offset)",
            json_schema_extra={"format": "date-time"},
            examples=["2026-12-07T09:00:00Z"],
        ),
    ] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> OrderPage:
    """Every order (every channel's and the chat's) changed since a time, oldest change first,
    for syncing: follow `next_cursor` until it is null (admin). The listing carries no events
    (`events` is empty): read an order for them."""
    since = _moment(changed_since) if changed_since else datetime(1970, 1, 1, tzinfo=UTC)
    after = None
    if cursor is not None:
        value = paging.decode(cursor)
        try:
            after = (datetime.fromisoformat(value["at"]), int(value["id"]))
            since = datetime.fromisoformat(value["since"])
        except (KeyError, TypeError, ValueError):
            raise Problem(
                400, "bad-cursor", "api.problem.invalid_title", "api.problem.bad_cursor"
            ) from None
    orders = await services(request).channels.changed_since(since, after, SYNC_PAGE)
    following = None
    if len(orders) == SYNC_PAGE:
        last = orders[-1]
        following = paging.encode(
            {
                "since": since.isoformat(),
                "at": (last.updated_at or last.created_at).isoformat(),
                "id": last.id,
            }
        )
    return OrderPage(items=[OrderOut.of(order) for order in orders], next_cursor=following)
