"""The whole schema: importing this module registers every feature's tables on `Base.metadata`
(Alembic's autogenerate and the migration tests compare against it)."""

from __future__ import annotations

from storage.base import Base
from storage.tables import (  # noqa: F401  (imported for their tables)
    after_sales,
    api,
    audit,
    cart,
    catalog,
    checkout,
    customers,
    inbox,
    insight,
    jobs,
    marketing,
    merchant,
    orders,
    outbox,
    payments,
    promotions,
    reviews,
    shipping,
)

metadata = Base.metadata
