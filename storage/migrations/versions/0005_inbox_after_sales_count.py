"""update inbox for payments; open after-sales count on orders

Revision ID: 0005_core
Revises: 0004_merge
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_core"
down_revision = "0004_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "update_inbox",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("telegram_charge_id", sa.String(length=255), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replayed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_update_inbox")),
    )
    op.create_index(
        op.f("ix_update_inbox_telegram_charge_id"),
        "update_inbox",
        ["telegram_charge_id"],
        unique=False,
    )
    with op.batch_alter_table("orders") as batch:
        batch.add_column(
            sa.Column("after_sales_open", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("after_sales_open")
    op.drop_index(op.f("ix_update_inbox_telegram_charge_id"), table_name="update_inbox")
    op.drop_table("update_inbox")
