"""service plans on contracts and the planned visits they generate

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-04 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, length: int, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=length)


TASK_TYPE = _enum(
    "tasktype",
    16,
    "INSTALLATION",
    "REPAIR",
    "MAINTENANCE",
    "PREVENTIVE",
    "INSPECTION",
    "REPLACEMENT",
)


def _audited() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "service_plans",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column(
            "contract_id",
            sa.BigInteger(),
            sa.ForeignKey("contracts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("visit_type", TASK_TYPE, nullable=False),
        sa.Column(
            "target", _enum("plantarget", 16, "ASSETS", "SITE", "ALL_COVERED"), nullable=False
        ),
        sa.Column("site_id", sa.BigInteger(), sa.ForeignKey("sites.id"), nullable=True),
        sa.Column(
            "asset_ids", postgresql.ARRAY(sa.BigInteger()), nullable=False, server_default="{}"
        ),
        sa.Column(
            "frequency", _enum("planfrequency", 16, "WEEKLY", "MONTHLY", "YEARLY"), nullable=False
        ),
        sa.Column("interval", sa.Integer(), nullable=False),
        sa.Column("by_months", postgresql.ARRAY(sa.Integer()), nullable=False, server_default="{}"),
        sa.Column("month_day", sa.Integer(), nullable=True),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("week_of_month", sa.Integer(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("tolerance_before_days", sa.Integer(), nullable=False),
        sa.Column("tolerance_after_days", sa.Integer(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("required_skills", postgresql.JSONB(), nullable=False, server_default="[]"),
        sa.Column(
            "preferred_technician_id",
            sa.BigInteger(),
            sa.ForeignKey("technicians.id"),
            nullable=True,
        ),
        sa.Column("checklist_template_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "holiday_policy",
            _enum("holidaypolicy", 24, "NEXT_WORKING_DAY", "PREVIOUS_WORKING_DAY", "KEEP"),
            nullable=False,
        ),
        sa.Column(
            "non_working_weekdays",
            postgresql.ARRAY(sa.Integer()),
            nullable=False,
            server_default="{6}",
        ),
        *_audited(),
        sa.CheckConstraint("interval BETWEEN 1 AND 120", name="interval_range"),
        sa.CheckConstraint("tolerance_before_days >= 0", name="tolerance_before"),
        sa.CheckConstraint("tolerance_after_days >= 0", name="tolerance_after"),
    )
    for column in ("contract_id", "site_id", "preferred_technician_id"):
        op.create_index(f"ix_service_plans_{column}", "service_plans", [column])
    op.create_table(
        "planned_visits",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column(
            "plan_id",
            sa.BigInteger(),
            sa.ForeignKey("service_plans.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "contract_id",
            sa.BigInteger(),
            sa.ForeignKey("contracts.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("customer_id", sa.BigInteger(), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("site_id", sa.BigInteger(), sa.ForeignKey("sites.id"), nullable=False),
        sa.Column("asset_id", sa.BigInteger(), sa.ForeignKey("assets.id"), nullable=True),
        sa.Column("territory_id", sa.BigInteger(), sa.ForeignKey("territories.id"), nullable=True),
        sa.Column("target_key", sa.String(length=40), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("visit_on", sa.Date(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("task_id", sa.BigInteger(), sa.ForeignKey("tasks.id"), nullable=True),
        sa.Column(
            "status",
            _enum("visitstatus", 16, "PLANNED", "DONE", "MISSED", "CANCELLED"),
            nullable=False,
        ),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("plan_id", "target_key", "due_on", name="uq_planned_visit"),
    )
    op.create_index("ix_planned_visits_contract_due", "planned_visits", ["contract_id", "due_on"])
    op.create_index(
        "ix_planned_visits_open_window",
        "planned_visits",
        ["window_end"],
        postgresql_where=sa.text("status = 'PLANNED'"),
    )
    op.create_index("ix_planned_visits_task_id", "planned_visits", ["task_id"], unique=True)
    for column in ("plan_id", "contract_id", "customer_id", "site_id", "asset_id", "territory_id"):
        op.create_index(f"ix_planned_visits_{column}", "planned_visits", [column])


def downgrade() -> None:
    op.drop_table("planned_visits")
    op.drop_table("service_plans")
