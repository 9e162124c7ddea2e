"""The audit log: who did what to which order, product or customer, and when.

Every admin action, every import and export (the command line's too), every customer data
export and erasure appends one entry with `record`, in the same unit of work as the action, so
an action and its entry commit together or not at all. An entry names its subject by id and
keeps what changed in `details`; a customer's erasure entry carries no personal data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from domain.shared.paging import Page, Paged

CLI_ACTOR = "cli"

# The actions recorded (each has a label in the locale files; an unknown one shows as it is).
ACTIONS = (
    "order_ship",
    "order_cancel",
    "order_deliver",
    "order_complete",
    "order_confirm_cod",
    "order_note",
    "order_message",
    "customer_message",
    "order_track",
    "product_add",
    "product_edit",
    "product_activate",
    "product_deactivate",
    "product_stock",
    "catalog_import",
    "export_orders",
    "export_products",
    "backup",
    "restore",
    "rotate_keys",
    "customer_export",
    "customer_erase",
    "receipt_confirm",
    "receipt_reject",
    "refund",
    "order_mark_paid",  # a bank transfer marked received by a sales channel's admin key
    "promo_create",  # promo codes (issue 16)
    "promo_pause",
    "promo_resume",
    "as_approve",
    "as_decline",
    "as_receive",
    "as_close",
    "review_reply",
    "broadcast",  # a broadcast sent to customers (issue 16)
    "api_call",  # a call of the HTTP API, by the key (actor api:<name>)
    "api_key_create",
    "api_key_revoke",
)


@dataclass(frozen=True)
class Target:
    """What an entry is about: an order, a product, a customer (any of them, or none)."""

    order_id: int | None = None
    product_id: int | None = None
    customer_id: int | None = None


NOTHING = Target()


@dataclass(frozen=True)
class AuditEntry:
    """One line of the audit log."""

    actor: str  # admin:<id>, customer:<id>, cli, job:<name>, api:<key name>
    action: str  # a short name: order_ship, product_stock, catalog_import, ...
    at: datetime
    order_id: int | None = None
    product_id: int | None = None
    customer_id: int | None = None
    details: dict[str, Any] = field(default_factory=dict)
    # Its place in the log once stored (what /audit's page buttons carry); not its content.
    id: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class AuditFilter:
    """Which entries to list: about an order, a product, or by an actor (all when empty)."""

    order_id: int | None = None
    product_id: int | None = None
    actor: str | None = None


class AuditLog(Protocol):
    """The audit log, in the caller's transaction."""

    async def append(self, entry: AuditEntry) -> None: ...
    async def latest(self, page: Page, which: AuditFilter) -> Paged[AuditEntry]:
        """A page of the entries `which` selects, newest first; with `page.seek`, the page
        next to that entry (keyset paging, as `BackofficeRepository.orders`)."""
        ...


class Audited(Protocol):
    """Any unit of work (they all have the audit log: domain/shared/ports.py)."""

    @property
    def audit(self) -> AuditLog: ...


async def record(
    uow: Audited,
    actor: str,
    action: str,
    target: Target,
    details: dict[str, Any] | None = None,
    *,
    at: datetime,
) -> None:
    """Append one entry to the audit log, in the action's own unit of work."""
    await uow.audit.append(
        AuditEntry(
            actor=actor,
            action=action,
            at=at,
            order_id=target.order_id,
            product_id=target.product_id,
            customer_id=target.customer_id,
            details=dict(details or {}),
        )
    )
