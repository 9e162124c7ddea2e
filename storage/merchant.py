"""SQLAlchemy repositories of the merchant features: shipments, dialogs, the inventory log and
the back office's queries and edits. Like the others, they never commit."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, cast

from sqlalchemy import (
    Table,
    and_,
    bindparam,
    delete,
    func,
    literal_column,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from domain.catalog.model import Product
from domain.orders.lifecycle import OrderStatus
from domain.orders.model import Order
from domain.shared.dialogs import Dialog, DialogKind
from domain.shared.money import Money
from domain.shared.paging import Page, Paged, Seek, Toward, keyset_page
from storage.base import dialect_insert, utcnow
from storage.catalog import product_of
from storage.orders import SqlOrderRepository
from storage.tables.catalog import CategoryRow, ProductRow
from storage.tables.insight import SalesHourRow
from storage.tables.merchant import DialogRow
from storage.tables.orders import OrderRow

# Every typed message reads the chat's dialog (is it an answer to one?): built once, read as a
# Core row, always as the row is now (issue 13). The encrypted data keeps its column type.
_DIALOGS = cast(Table, DialogRow.__table__)
_DIALOG = select(_DIALOGS).where(
    _DIALOGS.c.chat_id == bindparam("chat_id"), _DIALOGS.c.user_id == bindparam("user_id")
)


class SqlDialogRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def get(self, chat_id: int, user_id: int) -> Dialog | None:
        row = (await self.s.execute(_DIALOG, {"chat_id": chat_id, "user_id": user_id})).first()
        if row is None:
            return None
        try:
            kind = DialogKind(row.kind)
        except ValueError:  # written by a newer version of the bot
            return None
        return Dialog(
            chat_id=row.chat_id,
            user_id=row.user_id,
            kind=kind,
            token=row.token,
            step=row.step,
            data=dict(row.data or {}),
            updated_at=row.updated_at,
        )

    async def save(self, dialog: Dialog) -> None:
        values: dict[str, Any] = {
            "chat_id": dialog.chat_id,
            "user_id": dialog.user_id,
            "kind": dialog.kind.value,
            "token": dialog.token,
            "step": dialog.step,
            "data": dialog.data,
            "updated_at": dialog.updated_at or utcnow(),
        }
        # One statement that inserts or replaces, so two taps at once cannot collide.
        insert = dialect_insert(self.s)
        statement = insert(DialogRow).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=[DialogRow.chat_id, DialogRow.user_id],
            set_={k: statement.excluded[k] for k in values if k not in ("chat_id", "user_id")},
        )
        await self.s.execute(statement)

    async def delete(self, chat_id: int, user_id: int, token: str | None = None) -> bool:
        where = [DialogRow.chat_id == chat_id, DialogRow.user_id == user_id]
        if token is not None:
            where.append(DialogRow.token == token)
        result = await self.s.execute(delete(DialogRow).where(*where))
        return bool(result.rowcount)  # type: ignore[attr-defined]


class SqlBackofficeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    async def orders(
        self, statuses: Collection[OrderStatus] | None, page: Page, *, oldest_first: bool
    ) -> Paged[Order]:
        where = [] if statuses is None else [OrderRow.status.in_([s.value for s in statuses])]
        if statuses is None:
            # Every order: a sum over the sales rollup (orders by hour and status,
            # storage/rollups.py), not a count of the whole history (issue 13).
            total = await self.s.scalar(select(func.coalesce(func.sum(SalesHourRow.orders), 0)))
        else:
            # The merchant's filters are open statuses: an index range of the open orders.
            total = await self.s.scalar(select(func.count()).select_from(OrderRow).where(*where))
        if page.seek is not None:
            return await self._seek(statuses, page, page.seek, int(total or 0), oldest_first)
        if statuses is None or len(statuses) < 2:
            rows = list(
                await self.s.scalars(
                    select(OrderRow)
                    .where(*where)
                    .order_by(*_in_order(oldest_first))
                    .offset(page.offset)
                    .limit(page.size)
                )
            )
        else:
            rows = await self._page_of_statuses(statuses, page, oldest_first=oldest_first)
        items = await SqlOrderRepository(self.s)._entities(rows)
        return Paged(items, int(total or 0), page)

    async def orders_with_open(self, page: Page) -> Paged[Order]:
        """Orders with after-sales requests open, oldest first (the merchant's "after"
        filter): the count and every page are ranges of the partial index
        ix_orders_after_sales_open, so they cost the orders with a request open, not the
        history (issue 13); with a seek, a page by key as the other lists."""
        total = int(
            await self.s.scalar(select(func.count()).select_from(OrderRow).where(_open())) or 0
        )
        if page.seek is not None:
            return await self._seek(None, page, page.seek, total, True, after_sales=True)
        rows = await self.s.scalars(
            select(OrderRow)
            .where(_open())
            .order_by(*_in_order(True))
            .offset(page.offset)
            .limit(page.size)
        )
        items = await SqlOrderRepository(self.s)._entities(rows.all())
        return Paged(items, total, page)

    async def _seek(
        self,
        statuses: Collection[OrderStatus] | None,
        page: Page,
        seek: Seek,
        total: int,
        oldest_first: bool,
        *,
        after_sales: bool = False,
    ) -> Paged[Order]:
        """A page found by its boundary row (the merchant's Prev/Next, issue 13): one range of
        (created_at, id) on the orders-by-time index (or by status and time), wherever the
        page lies, plus a one-row look on the other side for whether there is more. The key
        row need not be in the list any more (its order moved on): its place is enough. A
        key that names no order is a page from the start. `after_sales`: the list is the
        orders with after-sales requests open (`statuses` None), on its partial index."""
        a = after_sales
        found = (
            await self.s.execute(
                select(OrderRow.created_at, OrderRow.status, OrderRow.after_sales_open).where(
                    OrderRow.id == seek.key
                )
            )
        ).one_or_none()
        if found is None:
            return await self._from_start(statuses, page, total, oldest_first, after_sales=a)
        key = (found.created_at, seek.key)
        # The key row still in the list is a row on its side: no need to look there.
        listed = (statuses is None or found.status in {s.value for s in statuses}) and (
            not a or found.after_sales_open > 0
        )
        if seek.toward == Toward.BEFORE:
            # The rows before the key, nearest first: the page shown ends next to it.
            rows = await self._nearest(
                statuses, _beyond(key, not oldest_first), page.size + 1, after_sales=a
            )
            if len(rows) <= page.size:  # the first page (or less than a page was left before)
                return await self._from_start(statuses, page, total, oldest_first, after_sales=a)
            rows = list(reversed(rows[: page.size]))
            after = listed or bool(
                await self._ids(
                    statuses, _beyond(key, oldest_first, inclusive=True), 1, after_sales=a
                )
            )
            return await self._paged(rows, total, page, before=True, after=after)
        inclusive = seek.toward == Toward.FROM
        rows = await self._nearest(
            statuses, _beyond(key, oldest_first, inclusive), page.size + 1, after_sales=a
        )
        before = (listed and not inclusive) or bool(
            await self._ids(
                statuses, _beyond(key, not oldest_first, not inclusive), 1, after_sales=a
            )
        )
        if not rows and before:  # nothing left after it (orders moved on): the last page
            rows = await self._nearest(
                statuses, None, page.size + 1, oldest_first=not oldest_first, after_sales=a
            )
            more = len(rows) > page.size
            return await self._paged(
                list(reversed(rows[: page.size])), total, page, before=more, after=False
            )
        more = len(rows) > page.size
        return await self._paged(rows[: page.size], total, page, before=before, after=more)

    async def _from_start(
        self,
        statuses: Collection[OrderStatus] | None,
        page: Page,
        total: int,
        oldest_first: bool,
        *,
        after_sales: bool = False,
    ) -> Paged[Order]:
        rows = await self._nearest(
            statuses, None, page.size + 1, oldest_first=oldest_first, after_sales=after_sales
        )
        more = len(rows) > page.size
        return await self._paged(rows[: page.size], total, page, before=False, after=more)

    async def _paged(
        self, rows: list[OrderRow], total: int, page: Page, *, before: bool, after: bool
    ) -> Paged[Order]:
        items = await SqlOrderRepository(self.s)._entities(rows)
        return keyset_page(items, total, page, before=before, after=after)

    async def _nearest(
        self,
        statuses: Collection[OrderStatus] | None,
        side: tuple[Any, bool] | None,
        limit: int,
        *,
        oldest_first: bool = True,
        after_sales: bool = False,
    ) -> list[OrderRow]:
        """The first `limit` orders on one side of a key (`_beyond`), nearest first; with no
        side, the first of the list. One status (or every order, or those with after-sales
        open): one index range of whole rows; several: their ids merged (`_ids`), then the
        rows by id."""
        if statuses is not None and len(statuses) > 1:
            ids = await self._ids(
                statuses, side, limit, oldest_first=oldest_first, after_sales=after_sales
            )
            return await self._rows(ids)
        if statuses is not None and not statuses:
            return []
        condition, ascending = side if side is not None else (None, oldest_first)
        query = select(OrderRow).order_by(*_in_order(ascending)).limit(limit)
        if condition is not None:
            query = query.where(condition)
        if statuses is not None:
            query = query.where(OrderRow.status == next(iter(statuses)).value)
        if after_sales:
            query = query.where(_open())
        return list(await self.s.scalars(query))

    async def _ids(
        self,
        statuses: Collection[OrderStatus] | None,
        side: tuple[Any, bool] | None,
        limit: int,
        *,
        oldest_first: bool = True,
        after_sales: bool = False,
    ) -> list[int]:
        """The first `limit` ids on one side of a key (`_beyond`), nearest first; with no side,
        the first of the list. Several statuses: the first of each status on its own index
        range (status, created_at, id), merged (as `_page_of_statuses`)."""
        condition, ascending = side if side is not None else (None, oldest_first)
        order = _in_order(ascending)

        def head(status_where: list[Any]) -> Any:
            query = select(OrderRow.id.label("id"), OrderRow.created_at.label("created_at"))
            if condition is not None:
                query = query.where(condition)
            if after_sales:
                query = query.where(_open())
            return query.where(*status_where).order_by(*order).limit(limit)

        if statuses is None:
            return list(await self.s.scalars(select(head([]).subquery().c.id)))
        values = sorted(s.value for s in statuses)
        if not values:
            return []
        if len(values) == 1:
            return list(
                await self.s.scalars(select(head([OrderRow.status == values[0]]).subquery().c.id))
            )
        heads = [head([OrderRow.status == v]).subquery() for v in values]
        merged = union_all(*(select(h.c.id, h.c.created_at) for h in heads)).subquery()
        merged_order = (
            (merged.c.created_at, merged.c.id)
            if ascending
            else (merged.c.created_at.desc(), merged.c.id.desc())
        )
        return list(await self.s.scalars(select(merged.c.id).order_by(*merged_order).limit(limit)))

    async def _rows(self, ids: list[int]) -> list[OrderRow]:
        if not ids:
            return []
        found = {
            r.id: r for r in await self.s.scalars(select(OrderRow).where(OrderRow.id.in_(ids)))
        }
        return [found[i] for i in ids if i in found]

    async def _page_of_statuses(
        self, statuses: Collection[OrderStatus], page: Page, *, oldest_first: bool
    ) -> list[OrderRow]:
        """A page of orders in several statuses: the first rows of each status by
        (status, created_at, id), merged. Given `status IN (...)` and the order, the planners
        walk the whole orders-by-time index filtering by status instead (issue 13)."""
        heads = []
        for status in sorted(s.value for s in statuses):
            head = (
                select(OrderRow.id.label("id"), OrderRow.created_at.label("created_at"))
                .where(OrderRow.status == status)
                .order_by(
                    *(
                        (OrderRow.created_at, OrderRow.id)
                        if oldest_first
                        else (OrderRow.created_at.desc(), OrderRow.id.desc())
                    )
                )
                .limit(page.offset + page.size)
                .subquery()
            )
            heads.append(select(head.c.id, head.c.created_at))
        merged = union_all(*heads).subquery()
        ids = list(
            await self.s.scalars(
                select(merged.c.id)
                .order_by(
                    *(
                        (merged.c.created_at, merged.c.id)
                        if oldest_first
                        else (merged.c.created_at.desc(), merged.c.id.desc())
                    )
                )
                .offset(page.offset)
                .limit(page.size)
            )
        )
        found = {
            r.id: r for r in await self.s.scalars(select(OrderRow).where(OrderRow.id.in_(ids)))
        }
        return [found[i] for i in ids if i in found]

    async def recent_orders(self, limit: int) -> list[Order]:
        rows = await self.s.scalars(
            select(OrderRow).order_by(OrderRow.created_at.desc(), OrderRow.id.desc()).limit(limit)
        )
        return await SqlOrderRepository(self.s)._entities(rows.all())

    def _listing(self) -> Any:
        return (
            select(ProductRow, CategoryRow.name)
            .join(CategoryRow, CategoryRow.id == ProductRow.category_id)
            .order_by(CategoryRow.position, CategoryRow.name, ProductRow.name, ProductRow.id)
        )

    async def products(self, page: Page) -> Paged[Product]:
        total = await self.s.scalar(select(func.count()).select_from(ProductRow))
        result = await self.s.execute(self._listing().offset(page.offset).limit(page.size))
        return Paged([product_of(p, c) for p, c in result.all()], int(total or 0), page)

    async def all_products(self) -> list[Product]:
        result = await self.s.execute(self._listing())
        return [product_of(p, c) for p, c in result.all()]

    async def product_id_by_sku(self, sku: str) -> int | None:
        found = await self.s.scalar(select(ProductRow.id).where(ProductRow.sku == sku))
        return int(found) if found is not None else None

    async def _refresh(self, product_id: int) -> None:
        # The UPDATEs below bypass the session; reload the row if the session holds it, so a
        # later read in this transaction sees the new values.
        await self.s.execute(
            select(ProductRow)
            .where(ProductRow.id == product_id)
            .execution_options(populate_existing=True)
        )

    async def update_product(
        self,
        product_id: int,
        *,
        name: str | None = None,
        price: Money | None = None,
        description: str | None = None,
        low_stock_threshold: int | None = None,
        active: bool | None = None,
        photo_file_id: str | None = None,
    ) -> bool:
        values: dict[str, Any] = {"updated_at": utcnow()}
        if name is not None:
            values["name"] = name
        if price is not None:
            values["price_minor"], values["currency"] = price.amount, price.currency
        if description is not None:
            values["description"] = description
        if low_stock_threshold is not None:
            values["low_stock_threshold"] = low_stock_threshold
        if active is not None:
            values["active"] = active
        if photo_file_id is not None:
            values["photo_file_id"] = photo_file_id
        result = await self.s.execute(
            update(ProductRow)
            .where(ProductRow.id == product_id)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        await self._refresh(product_id)
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def adjust_stock(self, product_id: int, delta: int) -> int | None:
        # One conditional UPDATE: an order reserving units meanwhile cannot be undercut.
        result = await self.s.execute(
            update(ProductRow)
            .where(
                ProductRow.id == product_id,
                ProductRow.stock + delta >= ProductRow.reserved,
                ProductRow.stock + delta >= 0,
            )
            .values(stock=ProductRow.stock + delta, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return None
        await self._refresh(product_id)
        stock = await self.s.scalar(select(ProductRow.stock).where(ProductRow.id == product_id))
        return int(stock) if stock is not None else None


def _open() -> Any:
    """Orders with after-sales requests open, as ix_orders_after_sales_open's WHERE: the 0 in
    the SQL text, not a bound parameter, so every plan sees the index applies (SQLite's plan
    before binding, PostgreSQL's generic plan of a prepared statement; storage/tables/orders.py)."""
    return OrderRow.after_sales_open > literal_column("0")


def _in_order(ascending: bool) -> tuple[Any, Any]:
    """(created_at, id), either way."""
    if ascending:
        return (OrderRow.created_at, OrderRow.id)
    return (OrderRow.created_at.desc(), OrderRow.id.desc())


def _beyond(key: tuple[Any, int], ascending: bool, inclusive: bool = False) -> tuple[Any, bool]:
    """The rows past `key` (created_at, id) going up (or down), and that direction: a range on
    created_at plus a filter that skips only the rows tied at the edge, as the API's keyset
    pages (storage/channels.py): SQLite seeks the index with a plain range, not with a row
    value next to a second bound."""
    at, key_id = key
    if ascending:
        past = OrderRow.id >= key_id if inclusive else OrderRow.id > key_id
        return and_(OrderRow.created_at >= at, or_(OrderRow.created_at > at, past)), True
    past = OrderRow.id <= key_id if inclusive else OrderRow.id < key_id
    return and_(OrderRow.created_at <= at, or_(OrderRow.created_at < at, past)), False
