"""check-ins outside the schedule are flagged; operator policies are versioned and audited

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = (
    "WORK",
    "COMMUNICATION",
    "SLA",
    "PRIORITY_RULES",
    "ESCALATION",
    "TRACKING",
    "REQUISITION_APPROVAL",
)
KIND = sa.Enum(*KINDS, name="policykind", native_enum=False, length=24)


def upgrade() -> None:
    op.add_column(
        "tasks", sa.Column("off_schedule", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column(
        "escalation_policies",
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
    )
    op.create_table(
        "policy_sets",
        sa.Column("kind", KIND, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind"),
    )
    op.create_table(
        "policy_changes",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("kind", KIND, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("item", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("setting", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("old_value", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("new_value", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column("actor", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("actor_role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("actor_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_policy_changes_kind_id", "policy_changes", ["kind", "id"], unique=False)
    op.execute(
        "INSERT INTO policy_sets (kind, version, updated_at) VALUES "
        + ", ".join(f"('{kind}', 1, now())" for kind in KINDS)
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
                "key": "check_in_same_day",
                "value": False,
                "description": "travel and check-ins must also fall on the scheduled day(s) in "
                "the territory's time zone, whatever the tolerances",
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
        " 'check_in_late_minutes', 'start_travel_early_minutes', 'check_in_same_day')"
    )
    op.drop_index("ix_policy_changes_kind_id", table_name="policy_changes")
    op.drop_table("policy_changes")
    op.drop_table("policy_sets")
    op.drop_column("escalation_policies", "version")
    op.drop_column("tasks", "off_schedule")
