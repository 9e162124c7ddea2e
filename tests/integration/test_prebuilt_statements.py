"""The checkout journey's hot statements, built once and read as Core rows (issue 13), keep
what the ORM's per-call statements did: encrypted columns stay encrypted at rest, a read sees
the row as it is now, a save that changes nothing writes nothing, and no step costs a
statement more."""

from __future__ import annotations

import collections
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event, text

from domain.checkout.flow import Checkout, CheckoutDraft, CheckoutStep
from storage.crypto import TOKEN_PREFIX
from storage.db import Database
from tests.integration.helpers import T0, add_customer


@contextmanager
def counted(db: Database) -> Iterator[collections.Counter[str]]:
    """The statements the database receives in the block, by their first word."""
    seen: collections.Counter[str] = collections.Counter()

    def statement(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        seen[sql.split()[0].upper()] += 1

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", statement)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)


def _at(minutes: int) -> Any:
    return T0 + timedelta(minutes=minutes)


# -- checkouts ---------------------------------------------------------------------------


async def test_a_new_checkout_is_saved_in_one_statement_with_its_draft_encrypted(
    db: Database,
) -> None:
    await add_customer(db, 1)
    draft = CheckoutDraft(recipient="Ann Smith", phone="+14155552671", new_address=True)
    for token, minutes in (("tok1", 1), ("tok2", 2)):  # a first checkout, then one over it
        async with db.uow() as uow:
            with counted(db) as seen:
                await uow.checkouts.save(
                    Checkout(1, token, CheckoutStep.ENTER_ADDRESS, draft, updated_at=_at(minutes))
                )
            await uow.commit()
        assert sum(seen.values()) == 1, seen  # no read of the row first
    async with db.uow(readonly=True) as uow:
        raw = await uow.session.scalar(text("SELECT draft FROM checkouts"))
        found = await uow.checkouts.get(1)
    assert isinstance(raw, str) and raw.startswith(TOKEN_PREFIX) and "Ann" not in raw
    assert found == Checkout(1, "tok2", CheckoutStep.ENTER_ADDRESS, draft, 0, None, _at(2))


async def test_a_checkout_read_again_is_read_as_it_is_now(db: Database) -> None:
    await add_customer(db, 1)
    async with db.uow() as uow:
        await uow.checkouts.save(Checkout(1, "tok1", CheckoutStep.ENTER_PHONE, updated_at=_at(1)))
        await uow.commit()
    async with db.uow() as uow:
        read = await uow.checkouts.get(1)
        assert read is not None
        moved = Checkout(1, "tok1", CheckoutStep.ENTER_ADDRESS, updated_at=_at(2))
        assert await uow.checkouts.save_if_unchanged(moved, read)
        # the same unit of work reads the write it made, not the row it read before
        assert await uow.checkouts.get(1) == moved
        # and saving what it first read puts that back
        await uow.checkouts.save(read)
        assert await uow.checkouts.get(1, for_update=True) == read
        await uow.commit()
    async with db.uow(readonly=True) as uow:
        assert await uow.checkouts.get(1) == read


async def test_a_checkout_saved_as_it_was_read_writes_nothing(db: Database) -> None:
    await add_customer(db, 1)
    async with db.uow() as uow:
        await uow.checkouts.save(Checkout(1, "tok1", CheckoutStep.ENTER_PHONE, updated_at=_at(1)))
        await uow.commit()
    async with db.uow() as uow:
        read = await uow.checkouts.get(1, for_update=True)
        assert read is not None
        with counted(db) as seen:
            await uow.checkouts.save(read)
        assert not seen, seen
        with counted(db) as seen:
            await uow.checkouts.save(Checkout(1, "tok1", CheckoutStep.REVIEW, updated_at=_at(2)))
        assert sum(seen.values()) == 1, seen
