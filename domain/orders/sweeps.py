"""The queries the scheduled sweeps run over database state (uow.sweeps): which orders are due
for auto-completion, which products are low. Each sweep is a use case on a timer (see
domain/completion.py and domain/stock_report.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from domain.catalog.model import Product


class SweepRepository(Protocol):
    async def due_for_completion(self, delivered_before: datetime, limit: int) -> list[int]:
        """Ids of delivered orders with no open after-sales request whose delivery event is at
        or before `delivered_before`, oldest delivery first (on PostgreSQL the rows are locked
        and rows locked by another sweep are skipped)."""

    async def low_stock(self, sold_since: datetime, limit: int) -> list[tuple[Product, int]]:
        """Active products whose available units are at or below their threshold (> 0), with
        the units sold in orders not cancelled placed from the start of the UTC day of
        `sold_since` on (whole days: the daily sales rollup); lowest first."""
