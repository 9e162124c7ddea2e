"""The checkout journey's hot statements, built once and read as Core rows (issue 13), keep
what the ORM's per-call statements did: encrypted columns stay encrypted at rest, a read sees
the row as it is now, a save that changes nothing writes nothing, and no step costs a
statement more."""

from __future__ import annotations

import collections
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, text

from domain.after_sales.records import Draft, DraftKind
from domain.checkout.flow import Checkout, CheckoutDraft, CheckoutStep
from domain.checkout.model import Address
from domain.shared.dialogs import Dialog, DialogKind
from domain.shared.paging import Page
from storage.crypto import TOKEN_PREFIX
from storage.db import Database, SqlUnitOfWork
from tests.integration.helpers import T0, add_customer, draft


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


# -- the other hot reads and writes ---------------------------------------------------------

# What the journey's steps call on every update of theirs (tests/e2e/test_statement_counts.py).
HOT_CALLS: dict[str, tuple[bool, Callable[[SqlUnitOfWork, dict[str, int]], Awaitable[Any]]]] = {
    "products.get": (True, lambda uow, ids: uow.products.get(ids["A"])),
    "products.categories": (True, lambda uow, ids: uow.products.categories()),
    "products.category": (True, lambda uow, ids: uow.products.category(ids["category"])),
    "products.in_category": (
        True,
        lambda uow, ids: uow.products.in_category(ids["category"], Page(0, 6)),
    ),
    "products.reserve": (False, lambda uow, ids: uow.products.reserve(ids["A"], 1)),
    "products.reserve_and_read": (
        False,
        lambda uow, ids: uow.products.reserve_and_read(ids["A"], 1),
    ),
    "carts.set_quantity": (False, lambda uow, ids: uow.carts.set_quantity(1, ids["A"], 2)),
    "carts.remove": (False, lambda uow, ids: uow.carts.remove(1, ids["A"])),
    "carts.clear": (False, lambda uow, ids: uow.carts.clear(1)),
    "addresses.count": (True, lambda uow, ids: uow.addresses.count(1)),
    "addresses.list": (True, lambda uow, ids: uow.addresses.list(1)),
    "addresses.get": (True, lambda uow, ids: uow.addresses.get(1)),
    "dialogs.get": (True, lambda uow, ids: uow.dialogs.get(1, 1)),
    "after_sales.get_draft": (True, lambda uow, ids: uow.after_sales.get_draft(1)),
    "after_sales.get_draft(for_update)": (
        False,
        lambda uow, ids: uow.after_sales.get_draft(1, for_update=True),
    ),
}


@pytest.mark.parametrize("name", sorted(HOT_CALLS))
async def test_a_hot_call_runs_the_statements_it_built_once(
    db: Database, seed: Callable[..., Awaitable[dict[str, int]]], name: str
) -> None:
    ids = await seed(draft("A"), draft("B"))
    await add_customer(db, 1)
    async with db.uow(readonly=True) as uow:
        [category] = await uow.products.categories()
    ids["category"] = category.id
    readonly, call = HOT_CALLS[name]
    executed: list[list[object]] = [[], []]
    async with db.uow(readonly=readonly) as uow:
        for run in executed:

            def statement(_conn: Any, clause: object, *_args: Any, run: list[object] = run) -> None:
                run.append(clause)

            engine = db.engine.sync_engine
            event.listen(engine, "before_execute", statement)
            try:
                await call(uow, ids)
            finally:
                event.remove(engine, "before_execute", statement)
    first, second = executed
    assert first and len(first) == len(second)
    assert all(a is b for a, b in zip(first, second, strict=True)), (first, second)


async def test_a_product_read_again_is_read_as_it_is_now(
    db: Database, seed: Callable[..., Awaitable[dict[str, int]]]
) -> None:
    ids = await seed(draft("A", stock=5))
    async with db.uow() as uow:
        before = await uow.products.get(ids["A"])
        assert before is not None and before.reserved == 0
        assert await uow.products.reserve(ids["A"], 2)
        # the same unit of work reads its own reservation, not the row it loaded before
        after = await uow.products.get(ids["A"])
        assert after is not None and (after.stock, after.reserved) == (5, 2)
        assert after.category_name == "Tea" and after.price == before.price


async def test_personal_data_stays_encrypted_and_reads_back(db: Database) -> None:
    await add_customer(db, 1)
    data = {"order": 7, "note": "Ann Smith, +14155552671"}
    address = Address(0, 1, "Ann Smith", "+14155552671", "1 Main Street")
    async with db.uow() as uow:
        await uow.dialogs.save(Dialog(1, 1, DialogKind.NOTE, "tok", "text", data, _at(1)))
        await uow.after_sales.save_draft(Draft(1, DraftKind.TRACKING, "tok", "carrier", data))
        address_id = await uow.addresses.add(address)
        assert await uow.addresses.add(address) == address_id  # the same address, once
        await uow.commit()
    async with db.uow(readonly=True) as uow:
        raws = [
            await uow.session.scalar(text(f"SELECT {column} FROM {table}"))
            for table, column in (
                ("merchant_dialogs", "data"),
                ("after_sales_dialogs", "data"),
                ("addresses", "recipient"),
                ("addresses", "phone"),
                ("addresses", "text"),
            )
        ]
        dialog = await uow.dialogs.get(1, 1)
        found = await uow.after_sales.get_draft(1)
        saved = Address(address_id, 1, "Ann Smith", "+14155552671", "1 Main Street")
        assert await uow.addresses.get(address_id) == saved
        assert await uow.addresses.list(1) == [saved]
    for raw in raws:
        assert isinstance(raw, str) and raw.startswith(TOKEN_PREFIX) and "Ann" not in raw
    assert dialog == Dialog(1, 1, DialogKind.NOTE, "tok", "text", data, _at(1))
    assert found is not None and (found.kind, found.step, found.data) == (
        DraftKind.TRACKING,
        "carrier",
        data,
    )
