"""The short version of bench/webhook_cluster.py (issue 14): 3 web processes and 1 jobs runner
as real `python -m bot` subprocesses on PostgreSQL, behind the local Bot API server in webhook
mode; customers check out and pay by card at once while one web process is killed with SIGKILL
and not restarted. Nothing is lost and nothing happens twice: orders, payments, notifications,
and every order keeps bench/crash.py's delivery method and promo code with one use of the code."""

from __future__ import annotations

import os

import pytest

from bench.webhook_cluster import report_crash, run_crash
from tests.dbsetup import PG_ENV, PG_SKIP, pg_base_url

pytestmark = pytest.mark.skipif(pg_base_url() is None, reason=PG_SKIP)


async def test_killing_a_web_process_mid_traffic_loses_and_doubles_nothing() -> None:
    results = await run_crash(
        os.environ[PG_ENV], customers=8, processes=3, kill_after=2.5, settle_s=30.0
    )
    report_crash(results)
    assert results.kills == 1
    assert len(results.charges) + results.stuck == 8 and results.charges
    assert results.stuck == 0, "the other web processes served every customer to the end"
    assert results.lost_paid == 0
    assert results.duplicate_orders == 0
    assert results.duplicate_payments == 0
    assert results.oversold == 0
    assert results.inbox_left == 0, "every kept update was handled"
    assert results.undelivered == 0
    assert results.duplicate_sends == 0
    # issue 16 across processes: the method and the code are on every order, and the code was
    # used exactly once per order (the use is taken in the order's transaction)
    assert results.orders > 0 and results.without_method == 0 and results.without_code == 0
    assert results.code_uses == results.redemptions == results.orders
