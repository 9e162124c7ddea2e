"""a per-customer promo limit for buyers without Telegram: each redemption by another sales
channel's buyer keeps the blind index term of the order's phone, and the limit counts that
buyer's redemptions by it (before, every buyer of a channel counted as the channel's one
customer row). Redemptions made before this revision have no term: they count for nobody

Revision ID: 0011_promo_buyer_term
Revises: 0010_audit_log_by_id
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_promo_buyer_term"
down_revision = "0010_audit_log_by_id"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("promo_redemptions") as batch:
        batch.add_column(sa.Column("buyer_term", sa.String(length=64), nullable=True))
    op.create_index(
        "ix_promo_redemptions_promo_buyer", "promo_redemptions", ["promo_id", "buyer_term"]
    )


def downgrade() -> None:
    op.drop_index("ix_promo_redemptions_promo_buyer", table_name="promo_redemptions")
    with op.batch_alter_table("promo_redemptions") as batch:
        batch.drop_column("buyer_term")
