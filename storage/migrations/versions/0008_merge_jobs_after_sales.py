"""merge the jobs and after-sales branches

Revision ID: 0008_merge
Revises: 0006_jobs, 0007_after_sales
"""

revision = "0008_merge"
down_revision = ("0006_jobs", "0007_after_sales")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
