"""after-sales requests (lines, events, refunds, customer dialogs) and reviews

Revision ID: 0007_after_sales
Revises: 0005_core

Written by hand so it holds only the after-sales feature's tables; the jobs feature branches
from 0005_core too (0006_jobs) and the bot upgrades to "heads".
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_after_sales"
down_revision = "0005_core"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "after_sales_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("details", sa.Text(), nullable=True),
        sa.Column("photos", sa.JSON(), nullable=False),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        sa.Column("disposition", sa.String(length=16), nullable=True),
        sa.Column("return_carrier_code", sa.String(length=16), nullable=True),
        sa.Column("return_carrier_name", sa.String(length=64), nullable=True),
        sa.Column("return_tracking", sa.String(length=64), nullable=True),
        sa.Column("return_url", sa.String(length=512), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ship_carrier_code", sa.String(length=16), nullable=True),
        sa.Column("ship_carrier_name", sa.String(length=64), nullable=True),
        sa.Column("ship_tracking", sa.String(length=64), nullable=True),
        sa.Column("ship_url", sa.String(length=512), nullable=True),
        sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_after_sales_requests_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_after_sales_requests")),
        sa.UniqueConstraint("number", name=op.f("uq_after_sales_requests_number")),
    )
    op.create_index(
        op.f("ix_after_sales_requests_order_id"), "after_sales_requests", ["order_id"]
    )
    op.create_index(
        "ix_after_sales_requests_status_created", "after_sales_requests", ["status", "created_at"]
    )
    op.create_index(
        "ix_after_sales_requests_customer_created",
        "after_sales_requests",
        ["customer_id", "created_at"],
    )

    op.create_table(
        "after_sales_lines",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("order_line_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "quantity > 0", name=op.f("ck_after_sales_lines_quantity_positive")
        ),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_after_sales_lines_order_line_id_order_lines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["after_sales_requests.id"],
            name=op.f("fk_after_sales_lines_request_id_after_sales_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_after_sales_lines")),
        sa.UniqueConstraint(
            "request_id", "order_line_id", name=op.f("uq_after_sales_lines_request_id")
        ),
    )
    op.create_index(
        op.f("ix_after_sales_lines_order_line_id"), "after_sales_lines", ["order_line_id"]
    )

    op.create_table(
        "after_sales_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["after_sales_requests.id"],
            name=op.f("fk_after_sales_events_request_id_after_sales_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_after_sales_events")),
    )
    op.create_index(
        op.f("ix_after_sales_events_request_id"), "after_sales_events", ["request_id"]
    )

    op.create_table(
        "after_sales_refunds",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("payment_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_after_sales_refunds_payment_id_payments"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["after_sales_requests.id"],
            name=op.f("fk_after_sales_refunds_request_id_after_sales_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_after_sales_refunds")),
        sa.UniqueConstraint("request_id", name=op.f("uq_after_sales_refunds_request_id")),
    )
    op.create_index(
        op.f("ix_after_sales_refunds_payment_id"), "after_sales_refunds", ["payment_id"]
    )

    op.create_table(
        "after_sales_dialogs",
        sa.Column("customer_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_after_sales_dialogs_customer_id_customers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_after_sales_dialogs")),
    )

    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rating >= 1 AND rating <= 5", name=op.f("ck_reviews_rating_range")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_reviews_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("order_id", "customer_id", name=op.f("uq_reviews_order_id")),
    )


def downgrade() -> None:
    op.drop_table("reviews")
    op.drop_table("after_sales_dialogs")
    op.drop_index(op.f("ix_after_sales_refunds_payment_id"), table_name="after_sales_refunds")
    op.drop_table("after_sales_refunds")
    op.drop_index(op.f("ix_after_sales_events_request_id"), table_name="after_sales_events")
    op.drop_table("after_sales_events")
    op.drop_index(op.f("ix_after_sales_lines_order_line_id"), table_name="after_sales_lines")
    op.drop_table("after_sales_lines")
    op.drop_index(
        "ix_after_sales_requests_customer_created", table_name="after_sales_requests"
    )
    op.drop_index("ix_after_sales_requests_status_created", table_name="after_sales_requests")
    op.drop_index(op.f("ix_after_sales_requests_order_id"), table_name="after_sales_requests")
    op.drop_table("after_sales_requests")
