"""a warranty replacement can be requested from a depot repair order

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-04 18:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_foreign_key(
        "replacement_requests_repair_order_id_fkey",
        "replacement_requests",
        "repair_orders",
        ["repair_order_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.create_check_constraint(
        "repair_order_source",
        "replacement_requests",
        sa.text("source <> 'REPAIR_ORDER' OR repair_order_id IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_constraint("repair_order_source", "replacement_requests", type_="check")
    op.drop_constraint(
        "replacement_requests_repair_order_id_fkey", "replacement_requests", type_="foreignkey"
    )
