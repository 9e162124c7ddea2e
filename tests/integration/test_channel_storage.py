"""Storage of orders from other sales channels, on SQLite and PostgreSQL: the verified phone is
stored encrypted and found through its blind index, also after rotate-keys (its term is
rewritten under the new key), and the sync's page is a range scan of ix_orders_updated."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Text, select, type_coerce

from bot.demo.history import seed_history
from domain.shared.customers import Customer
from storage.channels import reindex_verified_phones
from storage.crypto import DataKeys
from storage.db import Database
from storage.explain import capture, explain
from storage.migrate import upgrade
from storage.privacy import RotationStats, encrypted_tables, rotate_table
from storage.tables.customers import CustomerRow
from tests.dbsetup import TEST_DATA_KEY, TEST_KEYS

PHONE = "+14155552671"
NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


async def rotate_keys(database_url: str, reindex: Any) -> DataKeys:
    """rotate-keys as `python -m bot rotate-keys` runs it, to a new first key with the test
    key kept for reading, with one re-indexing step (that must rewrite one term); the new
    key alone, to read with afterwards."""
    new = DataKeys.generate()
    both = DataKeys([new, TEST_DATA_KEY])
    rotating = Database(database_url, keys=both)
    stats = RotationStats()
    try:
        for table in encrypted_tables():
            await rotate_table(rotating.uow, both, table, 2, stats)
        before = stats.values
        await reindex(rotating.uow, both, 2, stats)
        assert stats.values == before + 1
    finally:
        await rotating.dispose()
    return DataKeys([new])


async def test_a_verified_phone_is_stored_encrypted_and_found_after_the_keys_rotate(
    database_url: str,
) -> None:
    await upgrade(database_url)
    old = Database(database_url, keys=TEST_KEYS)
    try:
        async with old.uow() as uow:
            await uow.customers.upsert(Customer(id=7, first_name="Ann"))
            await uow.customers.set_verified_phone(7, PHONE)
            await uow.commit()
        async with old.uow(readonly=True) as uow:
            stored = await uow.session.scalar(
                select(type_coerce(CustomerRow.verified_phone, Text())).where(CustomerRow.id == 7)
            )
            term = await uow.session.scalar(
                select(CustomerRow.verified_phone_term).where(CustomerRow.id == 7)
            )
            assert stored is not None and PHONE not in stored and "4155552671" not in stored
            assert term is not None and "4155552671" not in term
            assert await uow.channels.customer_with_phone(PHONE) == 7
    finally:
        await old.dispose()
    new = await rotate_keys(database_url, reindex_verified_phones)
    only_new = Database(database_url, keys=new)
    try:
        async with only_new.uow(readonly=True) as uow:
            assert await uow.channels.customer_with_phone(PHONE) == 7
    finally:
        await only_new.dispose()


@pytest.mark.parametrize("deep", [False, True])
async def test_a_sync_page_is_a_range_scan_of_ix_orders_updated(db: Database, deep: bool) -> None:
    await seed_history(db, days=20, customers=20, seed=17, now=NOW, orders_per_day=10, products=4)
    async with db.uow(readonly=True) as uow:
        first = await uow.channels.changed_since(NOW - timedelta(days=30), None, 50)
    assert len(first) == 50
    assert [(o.updated_at, o.id) for o in first] == sorted((o.updated_at, o.id) for o in first)
    last = first[-1]
    assert last.updated_at is not None and last.id is not None
    after = (last.updated_at, last.id) if deep else None
    with capture(db.engine) as captured:
        async with db.uow(readonly=True) as uow:
            page = await uow.channels.changed_since(NOW - timedelta(days=30), after, 50)
    assert page and (not deep or page[0].id not in {o.id for o in first})
    if db.engine.dialect.name == "postgresql":  # statistics, as a running database has them
        async with db.engine.connect() as conn:
            await conn.exec_driver_sql("ANALYZE orders")
            await conn.commit()
    prelude = ["SET enable_seqscan = off"] if db.engine.dialect.name == "postgresql" else []
    plans = await explain(db.engine, captured, prelude=prelude)
    [orders] = [p for p in plans if "FROM orders" in p.statement and "updated_at" in p.statement]
    assert not orders.full_scans, "\n".join(orders.lines)
    assert any("ix_orders_updated" in line for line in orders.lines), "\n".join(orders.lines)
    # Sorted by the index itself: no sort step over the matching rows.
    assert not any(
        "TEMP B-TREE" in line or line.strip().startswith("Sort") for line in orders.lines
    )


async def test_a_channel_buyers_code_uses_are_found_by_phone_after_the_keys_rotate(
    database_url: str,
) -> None:
    from domain.promotions.model import PromoCode, PromoKind
    from storage.promotions import reindex_promo_buyers
    from storage.tables.promotions import PromoRedemptionRow
    from tests.contract import seed

    channel = -(2**53) - 9
    await upgrade(database_url)
    old = Database(database_url, keys=TEST_KEYS)
    try:
        order_id = await seed.order(old, "C-1", customer_id=channel)  # its phone is seed's
        async with old.uow() as uow:
            promo_id = await uow.promos.add(
                PromoCode(code="ONCE", kind=PromoKind.PERCENT, value=10, currency="USD")
            )
            assert await uow.promos.redeem(promo_id, order_id, channel, NOW, PHONE)
            await uow.commit()
        async with old.uow(readonly=True) as uow:
            term = await uow.session.scalar(select(PromoRedemptionRow.buyer_term))
            assert term is not None and "4155552671" not in term, "a blind index term"
            assert await uow.promos.customer_uses(promo_id, channel, PHONE) == 1
    finally:
        await old.dispose()
    new = await rotate_keys(database_url, reindex_promo_buyers)
    only_new = Database(database_url, keys=new)
    try:
        async with only_new.uow(readonly=True) as uow:
            assert await uow.promos.customer_uses(promo_id, channel, PHONE) == 1
            assert await uow.promos.customer_uses(promo_id, channel, "+14155550000") == 0
    finally:
        await only_new.dispose()
