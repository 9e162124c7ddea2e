"""The short version of bench/crash.py: real bot processes killed with SIGKILL during
concurrent checkouts and card payments. Afterwards no paid order is lost, none is placed twice,
nothing is oversold and every notification was delivered (the duplicate-send count is a
figure, printed by the bench, not asserted)."""

from __future__ import annotations

from bench.crash import report, run


async def test_killing_the_bot_during_checkouts_and_payments_loses_and_doubles_nothing(
    capsys: object,
) -> None:
    results = await run(customers=6, kills=3, every=1.5, settle_s=60.0, database_url=None)
    report(results)
    assert results.kills == 3
    assert len(results.charges) + results.stuck == 6 and results.charges
    assert results.lost_paid == 0
    assert results.duplicate_orders == 0
    assert results.oversold == 0
    assert results.undelivered == 0
