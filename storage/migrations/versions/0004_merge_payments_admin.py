"""merge the payments and admin branches

Revision ID: 0004_merge
Revises: 0002_payments, 0003_admin
"""

revision = "0004_merge"
down_revision = ("0002_payments", "0003_admin")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
