"""SQLAlchemy repositories of the after-sales feature (uow.after_sales) and of reviews
(uow.reviews). Like the others, they never commit."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Table,
    bindparam,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.after_sales.records import (
    AfterSalesEvent,
    AfterSalesRequest,
    Disposition,
    Draft,
    DraftKind,
    Parcel,
    RequestEventType,
    RequestKind,
    RequestLine,
    RequestStatus,
    ReturnReason,
)
from domain.orders.model import Order
from domain.shared.errors import DuplicateError
from domain.shared.money import Money
from domain.shared.paging import Page, Paged
from storage.base import dialect_insert, utcnow
from storage.merchant import SqlBackofficeRepository
from storage.tables.after_sales import (
    AfterSalesDialogRow,
    AfterSalesEventRow,
    AfterSalesLineRow,
    AfterSalesRequestRow,
)
from storage.tables.orders import OrderLineRow, OrderRow

# Every typed message reads the customer's after-sales dialog (is it an answer to one?): built
# once, read as a Core row, always as the row is now (issue 13). The encrypted data keeps its
# column type.
_DRAFTS = cast(Table, AfterSalesDialogRow.__table__)
_DRAFT = select(_DRAFTS).where(_DRAFTS.c.customer_id == bindparam("customer_id"))
_DRAFT_FOR_UPDATE = _DRAFT.with_for_update()


def _parcel(
    code: str | None, name: str | None, tracking: str | None, url: str | None, at: datetime | None
) -> Parcel | None:
    if not code or not tracking:
        return None
    return Parcel(code, name or code, tracking, url, at)


def _event(row: AfterSalesEventRow) -> AfterSalesEvent:
    return AfterSalesEvent(
        type=RequestEventType(row.type),
        actor=row.actor,
        at=row.created_at,
        from_status=RequestStatus(row.from_status) if row.from_status else None,
        to_status=RequestStatus(row.to_status) if row.to_status else None,
        note=row.note,
        params=dict(row.params or {}),
    )


class SqlAfterSalesRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    # -- requests ----------------------------------------------------------------------------

    async def lock_order(self, order_id: int) -> None:
        # FOR UPDATE on PostgreSQL; SQLAlchemy leaves it out on SQLite, whose write
        # transactions (BEGIN IMMEDIATE) are serialised anyway.
        await self.s.execute(select(OrderRow.id).where(OrderRow.id == order_id).with_for_update())

    async def covered(self, order_id: int) -> dict[int, int]:
        result = await self.s.execute(
            select(AfterSalesLineRow.order_line_id, func.sum(AfterSalesLineRow.quantity))
            .join(AfterSalesRequestRow, AfterSalesRequestRow.id == AfterSalesLineRow.request_id)
            .where(
                AfterSalesRequestRow.order_id == order_id,
                AfterSalesRequestRow.status != RequestStatus.DECLINED.value,
            )
            .group_by(AfterSalesLineRow.order_line_id)
        )
        return {int(line_id): int(units or 0) for line_id, units in result.all()}

    async def number_taken(self, number: str) -> bool:
        found = await self.s.scalar(
            select(AfterSalesRequestRow.id).where(AfterSalesRequestRow.number == number)
        )
        return found is not None

    async def add(self, request: AfterSalesRequest) -> int:
        row = AfterSalesRequestRow(
            number=request.number,
            order_id=request.order_id,
            customer_id=request.customer_id,
            kind=request.kind.value,
            status=request.status.value,
            reason=request.reason.value,
            details=request.details,
            photos=list(request.photos),
            created_at=request.created_at,
            updated_at=request.updated_at or request.created_at,
            **self._columns(request),
        )
        try:  # in a SAVEPOINT: a refused duplicate leaves the rest of the unit of work intact
            async with self.s.begin_nested():
                self.s.add(row)
        except IntegrityError as exc:
            raise DuplicateError() from exc
        self.s.add_all(
            AfterSalesLineRow(
                request_id=row.id, order_line_id=line.order_line_id, quantity=line.quantity
            )
            for line in request.lines
        )
        await self.s.flush()
        return row.id

    @staticmethod
    def _columns(request: AfterSalesRequest) -> dict[str, Any]:
        """What the steps fill in, as column values."""
        returned, shipped = request.returned, request.shipped
        return {
            "decline_reason": request.decline_reason,
            "disposition": request.disposition.value if request.disposition else None,
            "return_carrier_code": returned.carrier_code if returned else None,
            "return_carrier_name": returned.carrier_name if returned else None,
            "return_tracking": returned.tracking if returned else None,
            "return_url": returned.url if returned else None,
            "returned_at": returned.at if returned else None,
            "ship_carrier_code": shipped.carrier_code if shipped else None,
            "ship_carrier_name": shipped.carrier_name if shipped else None,
            "ship_tracking": shipped.tracking if shipped else None,
            "ship_url": shipped.url if shipped else None,
            "shipped_at": shipped.at if shipped else None,
        }

    async def _entities(self, rows: Sequence[AfterSalesRequestRow]) -> list[AfterSalesRequest]:
        if not rows:
            return []
        ids = [r.id for r in rows]
        lines = await self.s.execute(
            select(AfterSalesLineRow, OrderLineRow)
            .join(OrderLineRow, OrderLineRow.id == AfterSalesLineRow.order_line_id)
            .where(AfterSalesLineRow.request_id.in_(ids))
            .order_by(AfterSalesLineRow.id)
        )
        orders = {
            order_id: (number, currency)
            for order_id, number, currency in (
                await self.s.execute(
                    select(OrderRow.id, OrderRow.number, OrderRow.currency).where(
                        OrderRow.id.in_({r.order_id for r in rows})
                    )
                )
            ).all()
        }
        by_request: dict[int, list[RequestLine]] = {}
        for covered, sold in lines.all():
            currency = orders[rows[ids.index(covered.request_id)].order_id][1]
            by_request.setdefault(covered.request_id, []).append(
                RequestLine(
                    order_line_id=covered.order_line_id,
                    quantity=covered.quantity,
                    product_id=sold.product_id,
                    sku=sold.sku,
                    name=sold.name,
                    unit_price=Money(sold.unit_price_minor, currency),
                )
            )
        return [
            AfterSalesRequest(
                id=r.id,
                number=r.number,
                order_id=r.order_id,
                customer_id=r.customer_id,
                kind=RequestKind(r.kind),
                status=RequestStatus(r.status),
                reason=ReturnReason(r.reason),
                lines=by_request.get(r.id, []),
                created_at=r.created_at,
                details=r.details,
                photos=list(r.photos or []),
                order_number=orders[r.order_id][0],
                currency=orders[r.order_id][1],
                decline_reason=r.decline_reason,
                disposition=Disposition(r.disposition) if r.disposition else None,
                returned=_parcel(
                    r.return_carrier_code,
                    r.return_carrier_name,
                    r.return_tracking,
                    r.return_url,
                    r.returned_at,
                ),
                shipped=_parcel(
                    r.ship_carrier_code,
                    r.ship_carrier_name,
                    r.ship_tracking,
                    r.ship_url,
                    r.shipped_at,
                ),
                updated_at=r.updated_at,
            )
            for r in rows
        ]

    async def _one(self, where: Any) -> AfterSalesRequest | None:
        row = await self.s.scalar(
            select(AfterSalesRequestRow).where(where).execution_options(populate_existing=True)
        )
        found = await self._entities([row] if row else [])
        return found[0] if found else None

    async def get(self, request_id: int) -> AfterSalesRequest | None:
        return await self._one(AfterSalesRequestRow.id == request_id)

    async def get_by_number(self, number: str) -> AfterSalesRequest | None:
        return await self._one(AfterSalesRequestRow.number == number)

    async def for_order(self, order_id: int) -> list[AfterSalesRequest]:
        rows = await self.s.scalars(
            select(AfterSalesRequestRow)
            .where(AfterSalesRequestRow.order_id == order_id)
            .order_by(AfterSalesRequestRow.created_at, AfterSalesRequestRow.id)
        )
        return await self._entities(rows.all())

    async def _paged(self, where: Any, page: Page, order: Any) -> Paged[AfterSalesRequest]:
        total = await self.s.scalar(
            select(func.count()).select_from(AfterSalesRequestRow).where(where)
        )
        rows = await self.s.scalars(
            select(AfterSalesRequestRow)
            .where(where)
            .order_by(*order)
            .offset(page.offset)
            .limit(page.size)
        )
        return Paged(await self._entities(rows.all()), int(total or 0), page)

    async def for_customer(self, customer_id: int, page: Page) -> Paged[AfterSalesRequest]:
        return await self._paged(
            AfterSalesRequestRow.customer_id == customer_id,
            page,
            (AfterSalesRequestRow.created_at.desc(), AfterSalesRequestRow.id.desc()),
        )

    async def listing(
        self, statuses: Collection[RequestStatus], page: Page
    ) -> Paged[AfterSalesRequest]:
        return await self._paged(
            AfterSalesRequestRow.status.in_([s.value for s in statuses]),
            page,
            (AfterSalesRequestRow.created_at, AfterSalesRequestRow.id),
        )

    async def count_by_status(
        self, statuses: Collection[RequestStatus]
    ) -> dict[RequestStatus, int]:
        if not statuses:
            return {}
        result = await self.s.execute(
            select(AfterSalesRequestRow.status, func.count())
            .where(AfterSalesRequestRow.status.in_(sorted(s.value for s in statuses)))
            .group_by(AfterSalesRequestRow.status)
        )
        return {RequestStatus(status): int(n) for status, n in result.all()}

    async def save(self, request: AfterSalesRequest, expected: RequestStatus) -> bool:
        result = await self.s.execute(
            update(AfterSalesRequestRow)
            .where(
                AfterSalesRequestRow.id == request.id,
                AfterSalesRequestRow.status == expected.value,
            )
            .values(
                status=request.status.value,
                updated_at=request.updated_at or utcnow(),
                **self._columns(request),
            )
            .execution_options(synchronize_session=False)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def add_event(self, request_id: int, event: AfterSalesEvent) -> None:
        self.s.add(
            AfterSalesEventRow(
                request_id=request_id,
                type=event.type.value,
                actor=event.actor,
                from_status=event.from_status.value if event.from_status else None,
                to_status=event.to_status.value if event.to_status else None,
                note=event.note,
                params=event.params,
                created_at=event.at,
            )
        )
        await self.s.flush()

    async def events(self, request_id: int) -> list[AfterSalesEvent]:
        rows = await self.s.scalars(
            select(AfterSalesEventRow)
            .where(AfterSalesEventRow.request_id == request_id)
            .order_by(AfterSalesEventRow.created_at, AfterSalesEventRow.id)
        )
        return [_event(r) for r in rows.all()]

    # -- the merchant's order book -----------------------------------------------------------

    async def orders_with_open(self, page: Page) -> Paged[Order]:
        # The merchant's order lists page by key in one place (storage/merchant.py).
        return await SqlBackofficeRepository(self.s).orders_with_open(page)

    # -- the customers' dialogs --------------------------------------------------------------

    async def get_draft(self, customer_id: int, *, for_update: bool = False) -> Draft | None:
        statement = _DRAFT_FOR_UPDATE if for_update else _DRAFT
        row = (await self.s.execute(statement, {"customer_id": customer_id})).first()
        if row is None:
            return None
        try:
            kind = DraftKind(row.kind)
        except ValueError:  # written by a newer version of the bot
            return None
        return Draft(
            customer_id=row.customer_id,
            kind=kind,
            token=row.token,
            step=row.step,
            data=dict(row.data or {}),
            updated_at=row.updated_at,
        )

    async def save_draft(self, draft: Draft) -> None:
        values: dict[str, Any] = {
            "customer_id": draft.customer_id,
            "kind": draft.kind.value,
            "token": draft.token,
            "step": draft.step,
            "data": draft.data,
            "updated_at": draft.updated_at or utcnow(),
        }
        # One statement that inserts or replaces, so two taps at once cannot collide.
        statement = dialect_insert(self.s)(AfterSalesDialogRow).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[AfterSalesDialogRow.customer_id],
            set_={k: statement.excluded[k] for k in values if k != "customer_id"},
        )
        await self.s.execute(statement)

    async def delete_draft(self, customer_id: int, token: str | None = None) -> bool:
        where = [AfterSalesDialogRow.customer_id == customer_id]
        if token is not None:
            where.append(AfterSalesDialogRow.token == token)
        result = await self.s.execute(delete(AfterSalesDialogRow).where(*where))
        return bool(result.rowcount)  # type: ignore[attr-defined]
