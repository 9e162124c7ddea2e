"""Customers: the Telegram users who talk to the shop."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import (
    Text,
    bindparam,
    case,
    literal,
    null,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from domain.shared.customers import Customer, Language
from storage.base import dialect_insert, utcnow
from storage.crypto import keys_of
from storage.tables.customers import CustomerRow

_CUSTOMERS = CustomerRow.__table__
_CUSTOMER = select(_CUSTOMERS).where(_CUSTOMERS.c.id == bindparam("customer_id"))
# The upsert, built once per dialect (its INSERT ... ON CONFLICT is the dialect's own).
_UPSERTS: dict[str, Any] = {}


class SqlCustomerRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.s = session

    @staticmethod
    def _entity(row: CustomerRow) -> Customer:
        return Customer(
            id=row.id,
            first_name=row.first_name,
            username=row.username,
            language_code=row.language_code,
            language=Language(row.language) if row.language else None,
            reachable=row.reachable,
            optional_messages=row.optional_messages,
            verified_phone=row.verified_phone,
        )

    async def get(self, customer_id: int) -> Customer | None:
        # A Core row from a statement built once (every new customer's first update and every
        # order placed read it; the ORM's loading cost more than the query, issue 13).
        row = (await self.s.execute(_CUSTOMER, {"customer_id": customer_id})).first()
        return self._entity(cast(CustomerRow, row)) if row else None

    async def upsert(self, customer: Customer) -> None:
        # One statement (every new customer's first update runs it, issue 13): what Telegram
        # says replaces what was there; the chosen language, the optional messages and the
        # verified phone stay.
        dialect = self.s.get_bind().dialect.name
        statement = _UPSERTS.get(dialect)
        if statement is None:
            insert = dialect_insert(self.s)(_CUSTOMERS).values(
                id=bindparam("id"),
                first_name=bindparam("first_name"),
                username=bindparam("username"),
                language_code=bindparam("language_code"),
                language=bindparam("language"),
                reachable=bindparam("reachable"),
                created_at=bindparam("at"),
                updated_at=bindparam("at"),
            )
            statement = _UPSERTS[dialect] = insert.on_conflict_do_update(
                index_elements=["id"],
                set_={
                    name: insert.excluded[name]
                    for name in (
                        "first_name",
                        "username",
                        "language_code",
                        "reachable",
                        "updated_at",
                    )
                },
            )
        await self.s.execute(
            statement,
            {
                "id": customer.id,
                "first_name": customer.first_name[:128],
                "username": customer.username,
                "language_code": customer.language_code,
                "language": customer.language.value if customer.language else None,
                "reachable": customer.reachable,
                "at": utcnow(),
            },
        )

    async def set_language(self, customer_id: int, language: str | None) -> None:
        await self.s.execute(
            update(CustomerRow)
            .where(CustomerRow.id == customer_id)
            .values(language=language, updated_at=utcnow())
        )

    async def set_reachable(self, customer_id: int, reachable: bool) -> None:
        await self.s.execute(
            update(CustomerRow)
            .where(CustomerRow.id == customer_id)
            .values(reachable=reachable, updated_at=utcnow())
        )

    async def set_optional_messages(self, customer_id: int, wanted: bool) -> None:
        await self.s.execute(
            update(CustomerRow)
            .where(CustomerRow.id == customer_id)
            .values(optional_messages=wanted, updated_at=utcnow())
        )

    async def set_verified_phone(self, customer_id: int, phone: str) -> None:
        # Encrypted, with a blind index term (decision 13) that channel orders look it up by.
        # A number belongs to one Telegram account at a time: whoever verified it before
        # loses it, in the same statement (so a lookup finds one customer, on SQL as in the
        # fake, whatever else changed on either).
        keys = keys_of(self.s)
        mine = CustomerRow.id == customer_id
        earlier = CustomerRow.verified_phone_term.in_(keys.terms_for_lookup(VERIFIED_PHONE, phone))
        await self.s.execute(
            update(CustomerRow)
            .where(or_(mine, earlier))
            .values(
                verified_phone=case((mine, literal(keys.encrypt(phone), Text())), else_=null()),
                verified_phone_term=case(
                    (mine, literal(verified_phone_term(keys.term, phone), Text())), else_=null()
                ),
                updated_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )


VERIFIED_PHONE = "vphone"  # the blind index kind of a verified phone


def verified_phone_term(term: Callable[[str, str], str], phone: str) -> str:
    """The blind index term of a verified phone (the whole E.164 number)."""
    return term(VERIFIED_PHONE, phone)
