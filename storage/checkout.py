"""Checkouts in progress and saved addresses."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import (
    Table,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from domain.checkout.flow import Checkout, CheckoutDraft, CheckoutStep
from domain.checkout.model import Address
from storage.base import dialect_insert, utcnow
from storage.tables.checkout import AddressRow, CheckoutRow

_ADDRESSES = cast(Table, AddressRow.__table__)
# A checkout's address steps and its Confirm read and write these: built once on the Core
# table (issue 13). The encrypted columns keep their types, so they are still encrypted on the
# way in and decrypted on the way out.
_OF_CUSTOMER = _ADDRESSES.c.customer_id == bindparam("customer_id")
_ADDRESS = select(_ADDRESSES).where(_ADDRESSES.c.id == bindparam("address_id"))
_ADDRESSES_OF = select(_ADDRESSES).where(_OF_CUSTOMER)
_LATEST_ADDRESSES = _ADDRESSES_OF.order_by(_ADDRESSES.c.id.desc()).limit(5)
_ADDRESS_COUNT = select(func.count()).select_from(_ADDRESSES).where(_OF_CUSTOMER)
_NEW_ADDRESS = insert(_ADDRESSES).values(
    customer_id=bindparam("customer_id"),
    recipient=bindparam("recipient"),
    phone=bindparam("phone"),
    text=bindparam("text"),
    created_at=bindparam("at"),
)


class SqlAddressRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    @staticmethod
    def _entity(row: AddressRow) -> Address:
        return Address(row.id, row.customer_id, row.recipient, row.phone, row.text)

    async def list(self, customer_id: int) -> list[Address]:
        rows = await self.s.execute(_LATEST_ADDRESSES, {"customer_id": customer_id})
        return [self._entity(cast(AddressRow, r)) for r in rows]

    async def get(self, address_id: int) -> Address | None:
        row = (await self.s.execute(_ADDRESS, {"address_id": address_id})).first()
        return self._entity(cast(AddressRow, row)) if row else None

    async def add(self, address: Address) -> int:
        # Encrypted columns cannot be compared in SQL (each token is different): compare the
        # customer's own few addresses decrypted.
        mine = await self.s.execute(_ADDRESSES_OF, {"customer_id": address.customer_id})
        for row in mine:
            if (row.recipient, row.phone, row.text) == (
                address.recipient,
                address.phone,
                address.text,
            ):
                return int(row.id)
        result = await self.s.execute(
            _NEW_ADDRESS,
            {
                "customer_id": address.customer_id,
                "recipient": address.recipient,
                "phone": address.phone,
                "text": address.text,
                "at": utcnow(),
            },
        )
        return int(result.inserted_primary_key[0])  # type: ignore[attr-defined]

    async def count(self, customer_id: int) -> int:
        total = await self.s.scalar(_ADDRESS_COUNT, {"customer_id": customer_id})
        return int(total or 0)


_CHECKOUTS = cast(Table, CheckoutRow.__table__)
# Every checkout step reads the checkout (and the Checkout button writes it unread): the
# statements are built once, on the Core tables, since building one and loading ORM rows cost
# more than running it (issue 13). The encrypted draft keeps its column type, so it is still
# decrypted on the way out and encrypted on the way in.
_SAVED_ADDRESSES = (
    select(func.count())
    .select_from(_ADDRESSES)
    .where(_ADDRESSES.c.customer_id == _CHECKOUTS.c.customer_id)
    .scalar_subquery()
)
# One statement: the checkout and how many addresses its customer has saved.
_CHECKOUT = select(_CHECKOUTS, _SAVED_ADDRESSES.label("saved_addresses")).where(
    _CHECKOUTS.c.customer_id == bindparam("customer_id")
)
_CHECKOUT_FOR_UPDATE = _CHECKOUT.with_for_update(of=_CHECKOUTS)
_SAVED = ("token", "step", "draft", "order_id", "updated_at")
# The upsert that saves a checkout, built once per dialect (its ON CONFLICT is the dialect's).
_UPSERTS: dict[str, Any] = {}
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
        # What get() read of each checkout, as save() would write it: a save that changes
        # nothing writes nothing (as the ORM's flush did when this read ORM rows).
        self._read: dict[int, dict[str, Any]] = {}

    async def get(self, customer_id: int, *, for_update: bool = False) -> Checkout | None:
        # A Core row is read fresh every time: a locked read sees the row as it is now.
        statement = _CHECKOUT_FOR_UPDATE if for_update else _CHECKOUT
        row = (await self.s.execute(statement, {"customer_id": customer_id})).first()
        if row is None:
            self._read.pop(customer_id, None)
            return None
        self._read[customer_id] = {name: getattr(row, name) for name in _SAVED}
        return Checkout(
            customer_id=row.customer_id,
            token=row.token,
            step=CheckoutStep(row.step),
            draft=CheckoutDraft.from_dict(row.draft),
            saved_address_count=int(row.saved_addresses or 0),
            order_id=row.order_id,
            updated_at=row.updated_at,
        )

    async def save(self, checkout: Checkout) -> None:
        values = {
            "token": checkout.token,
            "step": checkout.step.value,
            "draft": checkout.draft.to_dict(),
            "order_id": checkout.order_id,
            "updated_at": checkout.updated_at or utcnow(),
        }
        if self._read.get(checkout.customer_id) == values:
            return  # saved as it was read
        # One statement whether or not the customer has a checkout: a new one replaces the
        # row and its token (the Checkout button saves without reading first).
        dialect = self.s.get_bind().dialect.name
        statement = _UPSERTS.get(dialect)
        if statement is None:
            new = dialect_insert(self.s)(_CHECKOUTS).values(
                customer_id=bindparam("customer_id"),
                **{name: bindparam(name) for name in _SAVED},
            )
            statement = _UPSERTS[dialect] = new.on_conflict_do_update(
                index_elements=["customer_id"],
                set_={name: new.excluded[name] for name in _SAVED},
            )
        await self.s.execute(statement, {"customer_id": checkout.customer_id, **values})
        self._read[checkout.customer_id] = values

    async def save_if_unchanged(self, checkout: Checkout, read: Checkout) -> bool:
        if read.updated_at is None or checkout.customer_id != read.customer_id:
            return False  # a stored checkout always has its time
        self._read.pop(read.customer_id, None)  # whatever happens, no longer as read
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
