"""Marketing's unit of work: the insight aggregates (RFM segments) and broadcasts."""

from __future__ import annotations

from typing import Protocol

from domain.insight.ports import InsightUnitOfWork
from domain.marketing.records import BroadcastRepository


class MarketingUnitOfWork(InsightUnitOfWork, Protocol):
    """Marketing's unit of work."""

    @property
    def broadcasts(self) -> BroadcastRepository: ...
