"""promo codes: codes, their redemptions, and the discount on orders and their lines

Revision ID: 0002_promo_codes
Revises: 0001_baseline
Create Date: 2026-12-07

issue 16: promo_codes (the merchant's codes, a uses counter the redemption raises with one
conditional UPDATE), promo_redemptions (one per order, for per-customer limits and for giving
a use back once), and the order's snapshot: orders.promo_code, orders.discount_minor and
order_lines.discount_minor (the line's share of the discount). Existing orders had no discount.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_promo_codes"
down_revision = "0001_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "promo_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("min_subtotal_minor", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("max_uses_per_customer", sa.Integer(), nullable=True),
        sa.Column("product_ids", sa.String(length=512), nullable=False),
        sa.Column("category_ids", sa.String(length=512), nullable=False),
        sa.Column("free_shipping", sa.Boolean(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("uses", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("uses >= 0", name=op.f("ck_promo_codes_uses_not_negative")),
        sa.CheckConstraint(
            "max_uses IS NULL OR uses <= max_uses", name=op.f("ck_promo_codes_uses_within_max")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promo_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_promo_codes_code")),
    )
    op.create_table(
        "promo_redemptions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("promo_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_promo_redemptions_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["promo_id"], ["promo_codes.id"], name=op.f("fk_promo_redemptions_promo_id_promo_codes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promo_redemptions")),
        sa.UniqueConstraint("order_id", name=op.f("uq_promo_redemptions_order_id")),
    )
    op.create_index(
        "ix_promo_redemptions_promo_customer",
        "promo_redemptions",
        ["promo_id", "customer_id"],
        unique=False,
    )
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("promo_code", sa.String(length=32), nullable=True))
        batch.add_column(
            sa.Column("discount_minor", sa.BigInteger(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("order_lines") as batch:
        batch.add_column(
            sa.Column("discount_minor", sa.BigInteger(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_column("discount_minor")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("discount_minor")
        batch.drop_column("promo_code")
    op.drop_index("ix_promo_redemptions_promo_customer", table_name="promo_redemptions")
    op.drop_table("promo_redemptions")
    op.drop_table("promo_codes")
