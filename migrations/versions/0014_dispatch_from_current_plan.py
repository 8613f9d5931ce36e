"""dispatch runs may start from the plan in force

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-24 08:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "dispatch_runs",
        sa.Column("from_current_plan", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("dispatch_runs", "from_current_plan")
