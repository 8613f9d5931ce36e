"""money taken that no invoice was due for is held as the customer's credit

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 10:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXED = ("customer_id", "invoice_id", "payment_link_id", "payment_id")


def upgrade() -> None:
    op.create_table(
        "customer_credits",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("invoice_id", sa.BigInteger(), nullable=True),
        sa.Column("payment_link_id", sa.BigInteger(), nullable=True),
        sa.Column("payment_id", sa.BigInteger(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("provider_ref", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("receipt_number", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "refund_reference", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True
        ),
        sa.Column("refunded_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.CheckConstraint("amount > 0", name="positive_amount"),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.ForeignKeyConstraint(["invoice_id"], ["invoices.id"]),
        sa.ForeignKeyConstraint(["payment_link_id"], ["payment_links.id"]),
        sa.ForeignKeyConstraint(["payment_id"], ["payments.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("provider_ref"),
    )
    for column in INDEXED:
        op.create_index(
            op.f(f"ix_customer_credits_{column}"), "customer_credits", [column], unique=False
        )


def downgrade() -> None:
    for column in INDEXED:
        op.drop_index(op.f(f"ix_customer_credits_{column}"), table_name="customer_credits")
    op.drop_table("customer_credits")
