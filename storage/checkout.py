"""Checkouts in progress and saved addresses."""

from __future__ import annotations

from typing import cast

from sqlalchemy import (
    Table,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from domain.checkout.flow import Checkout, CheckoutDraft, CheckoutStep
from domain.checkout.model import Address
from storage.base import utcnow
from storage.tables.checkout import AddressRow, CheckoutRow


class SqlAddressRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    @staticmethod
    def _entity(row: AddressRow) -> Address:
        return Address(row.id, row.customer_id, row.recipient, row.phone, row.text)

    async def list(self, customer_id: int) -> list[Address]:
        rows = await self.s.scalars(
            select(AddressRow)
            .where(AddressRow.customer_id == customer_id)
            .order_by(AddressRow.id.desc())
            .limit(5)
        )
        return [self._entity(r) for r in rows.all()]

    async def get(self, address_id: int) -> Address | None:
        row = await self.s.get(AddressRow, address_id)
        return self._entity(row) if row else None

    async def add(self, address: Address) -> int:
        # Encrypted columns cannot be compared in SQL (each token is different): compare the
        # customer's own few addresses decrypted.
        mine = await self.s.scalars(
            select(AddressRow).where(AddressRow.customer_id == address.customer_id)
        )
        for row in mine.all():
            if (row.recipient, row.phone, row.text) == (
                address.recipient,
                address.phone,
                address.text,
            ):
                return row.id
        row = AddressRow(
            customer_id=address.customer_id,
            recipient=address.recipient,
            phone=address.phone,
            text=address.text,
            created_at=utcnow(),
        )
        self.s.add(row)
        await self.s.flush()
        return row.id

    async def count(self, customer_id: int) -> int:
        total = await self.s.scalar(
            select(func.count())
            .select_from(AddressRow)
            .where(AddressRow.customer_id == customer_id)
        )
        return int(total or 0)


_SAVED_ADDRESSES = (
    select(func.count())
    .select_from(AddressRow)
    .where(AddressRow.customer_id == CheckoutRow.customer_id)
    .scalar_subquery()
)


_CHECKOUTS = cast(Table, CheckoutRow.__table__)
# A checkout saved over only as it was read (a typed answer's step, issue 13): built once, the
# read's token, step and time compared in the same statement that writes.
_SAVE_IF_UNCHANGED = (
    update(_CHECKOUTS)
    .where(
        _CHECKOUTS.c.customer_id == bindparam("read_customer"),
        _CHECKOUTS.c.token == bindparam("read_token"),
        _CHECKOUTS.c.step == bindparam("read_step"),
        _CHECKOUTS.c.updated_at == bindparam("read_at", type_=_CHECKOUTS.c.updated_at.type),
    )
    .values(
        token=bindparam("new_token"),
        step=bindparam("new_step"),
        draft=bindparam("new_draft"),
        order_id=bindparam("new_order"),
        updated_at=bindparam("new_at"),
    )
)


class SqlCheckoutRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session
        # The session's identity map holds rows weakly: keeping the rows read here lets
        # save() find them there instead of reading them again.
        self._read: dict[int, CheckoutRow] = {}

    async def get(self, customer_id: int, *, for_update: bool = False) -> Checkout | None:
        # One statement: the checkout and how many addresses its customer has saved.
        query = select(CheckoutRow, _SAVED_ADDRESSES).where(CheckoutRow.customer_id == customer_id)
        if for_update:
            query = query.with_for_update(of=CheckoutRow).execution_options(populate_existing=True)
        found = (await self.s.execute(query)).one_or_none()
        if found is None:
            return None
        row, saved = found
        self._read[customer_id] = row
        return Checkout(
            customer_id=row.customer_id,
            token=row.token,
            step=CheckoutStep(row.step),
            draft=CheckoutDraft.from_dict(row.draft),
            saved_address_count=int(saved or 0),
            order_id=row.order_id,
            updated_at=row.updated_at,
        )

    async def save(self, checkout: Checkout) -> None:
        row = await self.s.get(CheckoutRow, checkout.customer_id)
        values = {
            "token": checkout.token,
            "step": checkout.step.value,
            "draft": checkout.draft.to_dict(),
            "order_id": checkout.order_id,
            "updated_at": checkout.updated_at or utcnow(),
        }
        if row is None:
            self.s.add(CheckoutRow(customer_id=checkout.customer_id, **values))
        else:
            for key, value in values.items():
                setattr(row, key, value)
        await self.s.flush()

    async def save_if_unchanged(self, checkout: Checkout, read: Checkout) -> bool:
        if read.updated_at is None or checkout.customer_id != read.customer_id:
            return False  # a stored checkout always has its time
        result = await self.s.execute(
            _SAVE_IF_UNCHANGED,
            {
                "read_customer": read.customer_id,
                "read_token": read.token,
                "read_step": read.step.value,
                "read_at": read.updated_at,
                "new_token": checkout.token,
                "new_step": checkout.step.value,
                "new_draft": checkout.draft.to_dict(),
                "new_order": checkout.order_id,
                "new_at": checkout.updated_at or utcnow(),
            },
        )
        return bool(result.rowcount == 1)  # type: ignore[attr-defined]
