"""Tables of audit: who did what to which order, product or customer, and when."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, intpk, timestamp
from storage.crypto import EncryptedJSON


class AuditRow(Base):
    """One entry of the audit log: an admin's action, an import or export (CLI included), a
    customer's data export or deletion. Appended in the same transaction as the action."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_created", "created_at"),
        # /audit's filters, in its order (newest id first) so a page is one range (issue 13)
        Index("ix_audit_log_order_id", "order_id", "id"),
        Index("ix_audit_log_product_id", "product_id", "id"),
        Index("ix_audit_log_actor_id", "actor", "id"),
    )

    id: Mapped[intpk]
    actor: Mapped[str] = mapped_column(String(64))  # admin:<id>, customer:<id>, cli, job:<name>
    action: Mapped[str] = mapped_column(String(48))
    order_id: Mapped[int | None] = mapped_column(BigInteger)  # no foreign key: entries outlive
    product_id: Mapped[int | None] = mapped_column(BigInteger)
    customer_id: Mapped[int | None] = mapped_column(BigInteger)
    # What changed; it may quote a customer's data, so it is encrypted (decision 13).
    details: Mapped[dict[str, Any]] = mapped_column(EncryptedJSON())
    created_at: Mapped[timestamp]
