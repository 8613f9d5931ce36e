"""daily attendance: clock-ins, breaks, corrections, alerts and their policies

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-04 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geography
from sqlalchemy.dialects import postgresql

revision: str = "0033"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _audited() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def _place(name: str) -> sa.Column[object]:
    return sa.Column(
        name, Geography(geometry_type="POINT", srid=4326, spatial_index=False), nullable=True
    )


def upgrade() -> None:
    op.create_table(
        "attendance_policies",
        *_audited(),
        sa.Column("clock_in_required", sa.Boolean(), nullable=False),
        sa.Column("auto_clock_in", sa.Boolean(), nullable=False),
        sa.Column("late_after_minutes", sa.Integer(), nullable=False),
        sa.Column("no_show_after_minutes", sa.Integer(), nullable=False),
        sa.Column("overtime_daily_minutes", sa.Integer(), nullable=False),
        sa.Column("max_backdate_hours", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("territory_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["territory_id"], ["territories.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_attendance_policies_territory_id"), "attendance_policies", ["territory_id"]
    )
    op.create_index(
        "attendance_policies_territory_key",
        "attendance_policies",
        ["territory_id"],
        unique=True,
        postgresql_nulls_not_distinct=True,
    )
    op.create_table(
        "attendance_entries",
        *_audited(),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("technician_id", sa.BigInteger(), nullable=False),
        sa.Column("territory_id", sa.BigInteger(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("clock_in_at", sa.DateTime(timezone=True), nullable=True),
        _place("clock_in_location"),
        sa.Column(
            "clock_in_source",
            sa.Enum(
                "MANUAL",
                "AUTO_PING",
                "CORRECTION",
                name="clocksource",
                native_enum=False,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("clock_out_at", sa.DateTime(timezone=True), nullable=True),
        _place("clock_out_location"),
        sa.CheckConstraint(
            "clock_out_at IS NULL OR clock_out_at >= clock_in_at", name="clock_order"
        ),
        sa.ForeignKeyConstraint(["technician_id"], ["technicians.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["territory_id"], ["territories.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("technician_id", "day", name="uq_attendance_entries_technician_day"),
    )
    op.create_index("ix_attendance_entries_day", "attendance_entries", ["day"], unique=False)
    op.create_index(
        op.f("ix_attendance_entries_technician_id"), "attendance_entries", ["technician_id"]
    )
    op.create_index(
        op.f("ix_attendance_entries_territory_id"), "attendance_entries", ["territory_id"]
    )
    op.create_table(
        "attendance_breaks",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "MEAL", "REST", "PERSONAL", "OTHER", name="breakkind", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("ended_at IS NULL OR ended_at >= started_at", name="break_order"),
        sa.ForeignKeyConstraint(["entry_id"], ["attendance_entries.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_attendance_breaks_entry_id"), "attendance_breaks", ["entry_id"])
    op.create_index(
        "uq_attendance_breaks_open",
        "attendance_breaks",
        ["entry_id"],
        unique=True,
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_table(
        "attendance_corrections",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("actor_role", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["attendance_entries.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_attendance_corrections_entry_id"), "attendance_corrections", ["entry_id"]
    )
    op.create_table(
        "attendance_alerts",
        sa.Column("technician_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "LATE_START", "NO_SHOW", name="attendancealertkind", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["technician_id"], ["technicians.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("technician_id", "day", "kind"),
    )


def downgrade() -> None:
    op.drop_table("attendance_alerts")
    op.drop_table("attendance_corrections")
    op.drop_index("uq_attendance_breaks_open", table_name="attendance_breaks")
    op.drop_table("attendance_breaks")
    op.drop_index("ix_attendance_entries_day", table_name="attendance_entries")
    op.drop_table("attendance_entries")
    op.drop_index("attendance_policies_territory_key", table_name="attendance_policies")
    op.drop_table("attendance_policies")
