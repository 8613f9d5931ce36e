"""Part needs of tasks (set by a dispatcher, beside a diagnosis's suspected parts) and the
warehouse units a published plan reserved for pickups on the way to tasks

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-04 23:33:57.076914
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0038"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dispatch_pickup_reservations",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("technician_id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("part_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("reserved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["stock_locations.id"],
        ),
        sa.ForeignKeyConstraint(
            ["part_id"],
            ["parts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["dispatch_runs.id"],
        ),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["technician_id"],
            ["technicians.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_dispatch_pickup_reservations_location_id"),
        "dispatch_pickup_reservations",
        ["location_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_dispatch_pickup_reservations_part_id"),
        "dispatch_pickup_reservations",
        ["part_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_dispatch_pickup_reservations_run_id"),
        "dispatch_pickup_reservations",
        ["run_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_dispatch_pickup_reservations_task_id"),
        "dispatch_pickup_reservations",
        ["task_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_dispatch_pickup_reservations_technician_id"),
        "dispatch_pickup_reservations",
        ["technician_id"],
        unique=False,
    )
    op.create_index(
        "ix_dispatch_pickups_held",
        "dispatch_pickup_reservations",
        ["task_id"],
        unique=False,
        postgresql_where="released_at IS NULL",
    )
    op.create_table(
        "task_part_needs",
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.Column("part_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("set_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity BETWEEN 0 AND 999", name="quantity_range"),
        sa.ForeignKeyConstraint(
            ["part_id"],
            ["parts.id"],
        ),
        sa.ForeignKeyConstraint(["task_id"], ["tasks.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("task_id", "part_id"),
    )


def downgrade() -> None:
    op.drop_table("task_part_needs")
    op.drop_index(
        "ix_dispatch_pickups_held",
        table_name="dispatch_pickup_reservations",
        postgresql_where="released_at IS NULL",
    )
    op.drop_index(
        op.f("ix_dispatch_pickup_reservations_technician_id"),
        table_name="dispatch_pickup_reservations",
    )
    op.drop_index(
        op.f("ix_dispatch_pickup_reservations_task_id"), table_name="dispatch_pickup_reservations"
    )
    op.drop_index(
        op.f("ix_dispatch_pickup_reservations_run_id"), table_name="dispatch_pickup_reservations"
    )
    op.drop_index(
        op.f("ix_dispatch_pickup_reservations_part_id"), table_name="dispatch_pickup_reservations"
    )
    op.drop_index(
        op.f("ix_dispatch_pickup_reservations_location_id"),
        table_name="dispatch_pickup_reservations",
    )
    op.drop_table("dispatch_pickup_reservations")
