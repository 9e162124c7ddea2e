"""the audit log's filtered lists by (order_id | product_id | actor, id) (issue 13): /audit
lists entries newest first by id and pages by key (an id range); the filters' indexes were on
(…, created_at), so a page of one admin's or product's entries read all of them and sorted
them. The new indexes hold each filter's entries in the list's order; they replace the old ones,
which nothing else reads

Revision ID: 0010_audit_log_by_id
Revises: 0009_orders_after_sales_open
Create Date: 2026-12-07
"""

from alembic import op

revision = "0010_audit_log_by_id"
down_revision = "0009_orders_after_sales_open"
branch_labels = None
depends_on = None

FILTERS = ("order", "product", "actor")


def _column(name: str) -> str:
    return "actor" if name == "actor" else f"{name}_id"


def upgrade() -> None:
    for name in FILTERS:
        op.create_index(f"ix_audit_log_{name}_id", "audit_log", [_column(name), "id"])
        op.drop_index(f"ix_audit_log_{name}_created", table_name="audit_log")


def downgrade() -> None:
    for name in FILTERS:
        op.create_index(f"ix_audit_log_{name}_created", "audit_log", [_column(name), "created_at"])
        op.drop_index(f"ix_audit_log_{name}_id", table_name="audit_log")
