"""files attached to depot repair orders (condition photos at intake)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-04 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("attachments", sa.Column("repair_order_id", sa.BigInteger(), nullable=True))
    op.create_index(
        op.f("ix_attachments_repair_order_id"), "attachments", ["repair_order_id"], unique=False
    )
    op.create_foreign_key(
        "attachments_repair_order_id_fkey",
        "attachments",
        "repair_orders",
        ["repair_order_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.drop_constraint("one_parent", "attachments", type_="check")
    op.create_check_constraint(
        "one_parent",
        "attachments",
        sa.text("num_nonnulls(service_request_id, task_id, repair_order_id) = 1"),
    )


def downgrade() -> None:
    op.drop_constraint("one_parent", "attachments", type_="check")
    op.execute("DELETE FROM attachments WHERE repair_order_id IS NOT NULL")
    op.create_check_constraint(
        "one_parent", "attachments", sa.text("(service_request_id IS NULL) <> (task_id IS NULL)")
    )
    op.drop_constraint("attachments_repair_order_id_fkey", "attachments", type_="foreignkey")
    op.drop_index(op.f("ix_attachments_repair_order_id"), table_name="attachments")
    op.drop_column("attachments", "repair_order_id")
