"""HTTP API (issue 17): API keys, Idempotency-Key records, per-key rate windows

Revision ID: 0003_api_keys
Revises: 0002_promo_codes
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_api_keys"
down_revision = "0002_promo_codes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("scopes", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("name", name=op.f("uq_api_keys_name")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    # The answer may quote personal data: encrypted text (decision 13), like other JSON columns.
    op.create_table(
        "api_idempotency",
        sa.Column("key_name", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key_name", "idempotency_key", name=op.f("pk_api_idempotency")),
    )
    op.create_index("ix_api_idempotency_created", "api_idempotency", ["created_at"])
    op.create_table(
        "api_rate_windows",
        sa.Column("key_name", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key_name", "window_start", name=op.f("pk_api_rate_windows")),
    )
    op.create_index("ix_api_rate_windows_start", "api_rate_windows", ["window_start"])


def downgrade() -> None:
    op.drop_index("ix_api_rate_windows_start", table_name="api_rate_windows")
    op.drop_table("api_rate_windows")
    op.drop_index("ix_api_idempotency_created", table_name="api_idempotency")
    op.drop_table("api_idempotency")
    op.drop_table("api_keys")
