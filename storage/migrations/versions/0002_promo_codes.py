"""promo codes: codes, their redemptions, and the discount on orders and their lines

Revision ID: 0002_promo_codes
Revises: 0001_baseline
Create Date: 2026-12-07
"""

revision = "0002_promo_codes"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
