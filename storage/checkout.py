"""Checkouts in progress and saved addresses."""

from __future__ import annotations

from sqlalchemy import (
    func,
    select,
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
