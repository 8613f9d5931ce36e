"""KPI rollups: per-task facts, daily sums per slicer, and plain views for BI tools

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04 17:42:48.191112
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


VIEWS = {
    "kpi_daily_report": """
        SELECT k.day, k.territory_id, tr.name AS territory_name, k.partner_id,
               p.name AS partner_name, k.technician_id, tech.name AS technician_name,
               k.product_category, k.channel, k.priority, k.task_type,
               k.jobs_completed, k.first_visits_closed, k.first_time_fixes,
               k.response_due, k.response_met, k.resolution_due, k.resolution_met,
               k.arrivals, k.arrivals_on_time, k.offers_made, k.offers_rejected,
               k.offers_expired, k.rating_count, k.rating_sum, k.rating_1, k.rating_2,
               k.rating_3, k.rating_4, k.rating_5, k.repeat_visits, k.repair_count,
               k.repair_seconds, k.revenue_net
        FROM kpi_daily k
        LEFT JOIN territories tr ON tr.id = k.territory_id
        LEFT JOIN partners p ON p.id = k.partner_id
        LEFT JOIN technicians tech ON tech.id = k.technician_id
    """,
    "kpi_monthly_territory": """
        SELECT date_trunc('month', k.day)::date AS month, k.territory_id,
               tr.name AS territory_name,
               sum(k.jobs_completed) AS jobs_completed,
               sum(k.first_time_fixes)::numeric / NULLIF(sum(k.first_visits_closed), 0)
                   AS first_time_fix_rate,
               sum(k.response_met)::numeric / NULLIF(sum(k.response_due), 0)
                   AS sla_response_rate,
               sum(k.resolution_met)::numeric / NULLIF(sum(k.resolution_due), 0)
                   AS sla_resolution_rate,
               sum(k.arrivals_on_time)::numeric / NULLIF(sum(k.arrivals), 0)
                   AS on_time_arrival_rate,
               sum(k.offers_rejected)::numeric / NULLIF(sum(k.offers_made), 0)
                   AS offer_rejection_rate,
               sum(k.offers_expired)::numeric / NULLIF(sum(k.offers_made), 0)
                   AS offer_expiry_rate,
               sum(k.rating_sum)::numeric / NULLIF(sum(k.rating_count), 0) AS csat_average,
               sum(k.repeat_visits)::numeric / NULLIF(sum(k.jobs_completed), 0)
                   AS repeat_visit_rate,
               sum(k.repair_seconds)::numeric / 3600 / NULLIF(sum(k.repair_count), 0)
                   AS mean_time_to_repair_hours,
               sum(k.revenue_net) AS revenue_net
        FROM kpi_daily k
        LEFT JOIN territories tr ON tr.id = k.territory_id
        GROUP BY 1, 2, 3
    """,
}
"""Plain views for BI tools (Metabase, Superset): documented in docs/kpis.md."""


def upgrade() -> None:
    op.create_table(
        "kpi_daily",
        sa.Column("jobs_completed", sa.BigInteger(), nullable=False),
        sa.Column("first_visits_closed", sa.BigInteger(), nullable=False),
        sa.Column("first_time_fixes", sa.BigInteger(), nullable=False),
        sa.Column("response_due", sa.BigInteger(), nullable=False),
        sa.Column("response_met", sa.BigInteger(), nullable=False),
        sa.Column("resolution_due", sa.BigInteger(), nullable=False),
        sa.Column("resolution_met", sa.BigInteger(), nullable=False),
        sa.Column("arrivals", sa.BigInteger(), nullable=False),
        sa.Column("arrivals_on_time", sa.BigInteger(), nullable=False),
        sa.Column("offers_made", sa.BigInteger(), nullable=False),
        sa.Column("offers_rejected", sa.BigInteger(), nullable=False),
        sa.Column("offers_expired", sa.BigInteger(), nullable=False),
        sa.Column("rating_count", sa.BigInteger(), nullable=False),
        sa.Column("rating_sum", sa.BigInteger(), nullable=False),
        sa.Column("rating_1", sa.BigInteger(), nullable=False),
        sa.Column("rating_2", sa.BigInteger(), nullable=False),
        sa.Column("rating_3", sa.BigInteger(), nullable=False),
        sa.Column("rating_4", sa.BigInteger(), nullable=False),
        sa.Column("rating_5", sa.BigInteger(), nullable=False),
        sa.Column("repeat_visits", sa.BigInteger(), nullable=False),
        sa.Column("repair_count", sa.BigInteger(), nullable=False),
        sa.Column("repair_seconds", sa.BigInteger(), nullable=False),
        sa.Column("revenue_net", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("territory_id", sa.BigInteger(), nullable=True),
        sa.Column("partner_id", sa.BigInteger(), nullable=True),
        sa.Column("technician_id", sa.BigInteger(), nullable=True),
        sa.Column("product_category", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("task_type", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("facts", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "uq_kpi_daily_grain",
        "kpi_daily",
        [
            "day",
            "territory_id",
            "partner_id",
            "technician_id",
            "product_category",
            "channel",
            "priority",
            "task_type",
        ],
        unique=True,
        postgresql_nulls_not_distinct=True,
    )
    op.create_table(
        "kpi_task_facts",
        sa.Column("jobs_completed", sa.BigInteger(), nullable=False),
        sa.Column("first_visits_closed", sa.BigInteger(), nullable=False),
        sa.Column("first_time_fixes", sa.BigInteger(), nullable=False),
        sa.Column("response_due", sa.BigInteger(), nullable=False),
        sa.Column("response_met", sa.BigInteger(), nullable=False),
        sa.Column("resolution_due", sa.BigInteger(), nullable=False),
        sa.Column("resolution_met", sa.BigInteger(), nullable=False),
        sa.Column("arrivals", sa.BigInteger(), nullable=False),
        sa.Column("arrivals_on_time", sa.BigInteger(), nullable=False),
        sa.Column("offers_made", sa.BigInteger(), nullable=False),
        sa.Column("offers_rejected", sa.BigInteger(), nullable=False),
        sa.Column("offers_expired", sa.BigInteger(), nullable=False),
        sa.Column("rating_count", sa.BigInteger(), nullable=False),
        sa.Column("rating_sum", sa.BigInteger(), nullable=False),
        sa.Column("rating_1", sa.BigInteger(), nullable=False),
        sa.Column("rating_2", sa.BigInteger(), nullable=False),
        sa.Column("rating_3", sa.BigInteger(), nullable=False),
        sa.Column("rating_4", sa.BigInteger(), nullable=False),
        sa.Column("rating_5", sa.BigInteger(), nullable=False),
        sa.Column("repeat_visits", sa.BigInteger(), nullable=False),
        sa.Column("repair_count", sa.BigInteger(), nullable=False),
        sa.Column("repair_seconds", sa.BigInteger(), nullable=False),
        sa.Column("revenue_net", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("territory_id", sa.BigInteger(), nullable=True),
        sa.Column("partner_id", sa.BigInteger(), nullable=True),
        sa.Column("technician_id", sa.BigInteger(), nullable=True),
        sa.Column("product_category", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("task_type", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("task_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_kpi_task_facts_day", "kpi_task_facts", ["day"], unique=False)
    op.create_index("ix_kpi_task_facts_task", "kpi_task_facts", ["task_id"], unique=False)
    for name, body in VIEWS.items():
        op.execute(f"CREATE VIEW {name} AS {body}")


def downgrade() -> None:
    for name in VIEWS:
        op.execute(f"DROP VIEW IF EXISTS {name}")
    op.drop_index("ix_kpi_task_facts_task", table_name="kpi_task_facts")
    op.drop_index("ix_kpi_task_facts_day", table_name="kpi_task_facts")
    op.drop_table("kpi_task_facts")
    op.drop_index("uq_kpi_daily_grain", table_name="kpi_daily", postgresql_nulls_not_distinct=True)
    op.drop_table("kpi_daily")
