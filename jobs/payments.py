"""The payment sweep: a use case on a timer. Each run finds due rows by query (time is data, so
a restart forgets nothing), expires overdue unpaid orders and sends due reminders, in batches.
Idempotent: two runners at once expire each order once and remind once."""

from __future__ import annotations

from domain.payments.expiry import SweepStats
from domain.payments.service import Payments


class PaymentSweep:
    """Runs `Payments.sweep` and logs what it did."""

    def __init__(self, payments: Payments) -> None:
        self.payments = payments

    async def run_once(self) -> SweepStats:
        """One sweep: expire what is overdue, then remind what is due."""
        return await self.payments.sweep()  # logged by the run (jobs/runs.py)
