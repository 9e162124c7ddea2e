"""The short version of bench/crash.py: real bot processes killed with SIGKILL during
concurrent checkouts and card payments. Afterwards no paid order is lost, none is placed twice,
nothing is oversold, every notification was delivered, and every order keeps its delivery method
and promo code with exactly one use of the code (the duplicate-send count is a
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
    # issue 16 under kills: the delivery method and the code are on every order, and the
    # code was used exactly once per order (a use is taken in the order's transaction)
    assert results.orders > 0 and results.without_method == 0 and results.without_code == 0
    assert results.code_uses == results.redemptions == results.orders
