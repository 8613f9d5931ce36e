"""travel and advance requests per task, and travel policies per task type

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-04 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0034"
down_revision: str | None = "0033"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "travel_policies",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column(
            "task_type",
            sa.Enum(
                "INSTALLATION",
                "REPAIR",
                "MAINTENANCE",
                "PREVENTIVE",
                "INSPECTION",
                "REPLACEMENT",
                name="tasktype",
                native_enum=False,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("requires_approval", sa.Boolean(), nullable=False),
        sa.Column("approval_beyond_km", sa.Numeric(precision=8, scale=2), nullable=True),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("auto_approve_below", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("dispatcher_limit", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("manager_limit", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.CheckConstraint(
            "approval_beyond_km IS NULL OR approval_beyond_km >= 0", name="distance_not_negative"
        ),
        sa.CheckConstraint(
            "auto_approve_below >= 0 AND dispatcher_limit >= 0"
            " AND (manager_limit IS NULL OR manager_limit >= dispatcher_limit)",
            name="ordered_limits",
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_travel_policies_task_type",
        "travel_policies",
        [sa.literal_column("coalesce(task_type, '*')")],
        unique=True,
    )
    op.create_table(
        "travel_requests",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("technician_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "mode",
            sa.Enum(
                "CAR",
                "TWO_WHEELER",
                "BUS",
                "TRAIN",
                "FLIGHT",
                "OTHER",
                name="travelmode",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("origin", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("destination", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("departs_on", sa.Date(), nullable=False),
        sa.Column("returns_on", sa.Date(), nullable=False),
        sa.Column("estimated_cost", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("lodging_nights", sa.Integer(), nullable=False),
        sa.Column("advance_amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("notes", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "PENDING_APPROVAL",
                "APPROVED",
                "REJECTED",
                "CANCELLED",
                name="travelstatus",
                native_enum=False,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("approver_role", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("requested_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("decided_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.Column("advance_paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("advance_paid_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column(
            "settlement_status",
            sa.Enum(
                "NO_ADVANCE",
                "NOT_PAID",
                "PAID_OUT",
                "SETTLED",
                name="settlementstatus",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("balance", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.CheckConstraint("advance_amount >= 0", name="advance_not_negative"),
        sa.CheckConstraint("estimated_cost > 0", name="positive_cost"),
        sa.CheckConstraint("returns_on >= departs_on", name="ordered_dates"),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
        ),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["technicians.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_travel_requests_status"), "travel_requests", ["status"], unique=False)
    op.create_index(
        op.f("ix_travel_requests_task_id"), "travel_requests", ["task_id"], unique=False
    )
    op.create_index(
        op.f("ix_travel_requests_technician_id"), "travel_requests", ["technician_id"], unique=False
    )
    op.create_index(
        "uq_travel_requests_open_per_task",
        "travel_requests",
        ["task_id", "technician_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('PENDING_APPROVAL', 'APPROVED')"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_travel_requests_open_per_task",
        table_name="travel_requests",
        postgresql_where=sa.text("status IN ('PENDING_APPROVAL', 'APPROVED')"),
    )
    op.drop_index(op.f("ix_travel_requests_technician_id"), table_name="travel_requests")
    op.drop_index(op.f("ix_travel_requests_task_id"), table_name="travel_requests")
    op.drop_index(op.f("ix_travel_requests_status"), table_name="travel_requests")
    op.drop_table("travel_requests")
    op.drop_index("uq_travel_policies_task_type", table_name="travel_policies")
    op.drop_table("travel_policies")
