"""travel and check-ins outside the scheduled time are refused or flagged

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "tasks", sa.Column("off_schedule", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    work = sa.table(
        "work_policies",
        sa.column("key"),
        sa.column("value", postgresql.JSONB()),
        sa.column("description"),
    )
    op.bulk_insert(
        work,
        [
            {
                "key": "check_in_window_mode",
                "value": "REFUSE",
                "description": "REFUSE, FLAG (reason required) or ALLOW a start of travel or a "
                "check-in outside the scheduled window",
            },
            {
                "key": "check_in_early_minutes",
                "value": 180,
                "description": "how long before the scheduled start a check-in may be",
            },
            {
                "key": "check_in_late_minutes",
                "value": 240,
                "description": "how long after the scheduled end travel or a check-in may start",
            },
            {
                "key": "start_travel_early_minutes",
                "value": 360,
                "description": "how long before the scheduled start travel may start",
            },
        ],
    )


def downgrade() -> None:
    op.execute(
        "DELETE FROM work_policies WHERE key IN ('check_in_window_mode', 'check_in_early_minutes',"
        " 'check_in_late_minutes', 'start_travel_early_minutes')"
    )
    op.drop_column("tasks", "off_schedule")
