"""Tracking, part two: ETA, vicinity and trail settings on tracking policies, and the derived
state of en-route tasks (latest ETA; running-late and vicinity notices sent once).

Revision ID: 0010
Revises: 0009
Create Date: 2025-01-01 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
"""The derived state refers to tasks (service lifecycle)."""

POLICY_COLUMNS: list[tuple[str, sa.types.TypeEngine[object], str]] = [
    ("vicinity_radius_meters", sa.Float(), "500"),
    ("vicinity_minutes", sa.Integer(), "10"),
    ("late_grace_minutes", sa.Integer(), "0"),
    ("travel_speed_kmh", sa.Float(), "40"),
    ("travel_detour", sa.Float(), "1.3"),
    ("stay_minutes", sa.Integer(), "5"),
    ("stay_radius_meters", sa.Float(), "75"),
    ("trail_tolerance_meters", sa.Float(), "10"),
]


def upgrade() -> None:
    for name, type_, default in POLICY_COLUMNS:
        op.add_column(
            "tracking_policies",
            sa.Column(name, type_, nullable=False, server_default=sa.text(default)),
        )
        op.alter_column("tracking_policies", name, server_default=None)
    op.create_table(
        "task_tracking_states",
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("technician_id", sa.BigInteger(), nullable=False),
        sa.Column("eta_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("eta_minutes", sa.Integer(), nullable=True),
        sa.Column("distance_meters", sa.Float(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("late_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("vicinity_notified_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["technician_id"], ["technicians.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("task_id"),
    )


def downgrade() -> None:
    op.drop_table("task_tracking_states")
    for name, _, _ in reversed(POLICY_COLUMNS):
        op.drop_column("tracking_policies", name)
