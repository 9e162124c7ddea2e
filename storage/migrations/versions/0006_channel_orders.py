"""orders from other sales channels (issue 17): the channel and its own order id on an order,
the (updated_at, id) index that syncing pages by, and a customer's verified phone

Revision ID: 0006_channel_orders
Revises: 0005_marketing
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_channel_orders"
down_revision = "0005_marketing"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL channel: placed in the Telegram chat. (channel, channel_reference) is unique, so a
    # channel placing its order twice gets the first back; NULLs never collide.
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("channel_reference", sa.String(length=64), nullable=True))
    op.create_index(
        "uq_orders_channel_reference", "orders", ["channel", "channel_reference"], unique=True
    )
    # Orders changed since a time, in pages: keyset on (updated_at, id).
    op.create_index("ix_orders_updated", "orders", ["updated_at", "id"], unique=False)
    # The phone a customer shared as their own contact in checkout (Telegram vouches for it):
    # encrypted, and found by its blind index term (decision 13).
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("verified_phone", sa.Text(), nullable=True))
        batch.add_column(sa.Column("verified_phone_term", sa.String(length=64), nullable=True))
    op.create_index(
        "ix_customers_verified_phone_term", "customers", ["verified_phone_term"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_customers_verified_phone_term", table_name="customers")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("verified_phone_term")
        batch.drop_column("verified_phone")
    op.drop_index("ix_orders_updated", table_name="orders")
    op.drop_index("uq_orders_channel_reference", table_name="orders")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("channel_reference")
        batch.drop_column("channel")
