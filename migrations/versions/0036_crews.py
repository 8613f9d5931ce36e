"""crews: a task's lead and members with their own check-in and completion, the lead's
skills, daily segments of multi-day tasks, and whose steps move a crew task (policy)

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-04 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "crew_members",
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("technician_id", sa.BigInteger(), nullable=False),
        sa.Column("is_lead", sa.Boolean(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("check_in_distance_meters", sa.Float(), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["technician_id"], ["technicians.id"]),
        sa.PrimaryKeyConstraint("task_id", "technician_id"),
    )
    op.create_index("ix_crew_members_technician", "crew_members", ["technician_id"])
    op.create_index(
        "one_lead_per_task",
        "crew_members",
        ["task_id"],
        unique=True,
        postgresql_where=sa.text("is_lead"),
    )
    op.create_table(
        "task_lead_skills",
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("skill_id", sa.BigInteger(), nullable=False),
        sa.Column("min_level", sa.Integer(), nullable=False),
        sa.CheckConstraint("min_level BETWEEN 1 AND 5", name="level_range"),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["skill_id"], ["skills.id"]),
        sa.PrimaryKeyConstraint("task_id", "skill_id"),
    )
    op.create_table(
        "task_segments",
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("ends_at > starts_at", name="segment_order"),
        sa.CheckConstraint("sequence >= 1", name="sequence_from_one"),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("task_id", "sequence"),
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
                "key": "crew_state_follows",
                "value": "LEAD",
                "description": "LEAD: a crew task moves with its lead's check-in and completion; "
                "ALL: it waits for every member",
            }
        ],
    )


def downgrade() -> None:
    op.execute("DELETE FROM work_policies WHERE key = 'crew_state_follows'")
    op.drop_table("task_segments")
    op.drop_table("task_lead_skills")
    op.drop_index("one_lead_per_task", table_name="crew_members")
    op.drop_index("ix_crew_members_technician", table_name="crew_members")
    op.drop_table("crew_members")
