"""The unit of work, feature by feature: one transaction over the repositories a feature needs.

Each feature declares the repositories it uses as a protocol that extends the protocols of the
features below it (`catalog` adds products to `shared`, `orders` adds orders to `catalog`, ...),
so a use case names exactly what it touches and no feature imports one above it. Repositories
are read-only properties: an implementation may return any subtype (SQL or in-memory), which
mypy accepts covariantly. `storage/db.py` implements them all; `domain/ports.py` names the whole.
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self, TypeVar

from domain.shared.audit import AuditLog
from domain.shared.customers import CustomerRepository
from domain.shared.dialogs import DialogRepository
from domain.shared.notifications import OutboxRepository


class SharedUnitOfWork(Protocol):
    """One transaction. Rolls back unless `commit()` is called; repositories never commit."""

    @property
    def customers(self) -> CustomerRepository: ...
    @property
    def outbox(self) -> OutboxRepository: ...
    @property
    def dialogs(self) -> DialogRepository: ...
    @property
    def audit(self) -> AuditLog: ...

    async def __aenter__(self) -> Self: ...
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    async def commit(self) -> None: ...
    async def rollback(self) -> None: ...


U_co = TypeVar("U_co", bound=SharedUnitOfWork, covariant=True)


class UnitOfWorkFactory(Protocol[U_co]):
    """Opens units of work; `readonly=True` promises no writes (lets SQLite read concurrently)."""

    def __call__(self, *, readonly: bool = False) -> U_co: ...
