"""KPI sums over whole months and week parts, kept by triggers on kpi_daily; time on the road
and at the site, and parts used, as new counters

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-04 20:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0037"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLICERS = "territory_id, partner_id, technician_id, product_category, channel, priority, task_type"
SPAN_SLICERS = SLICERS.replace(
    "technician_id", "CASE WHEN s.grain IN ('M', 'W') THEN r.technician_id END"
)
"""Upper-case grains keep the technician; lower-case ones fold every technician together."""
MEASURES = (
    "jobs_completed",
    "first_visits_closed",
    "first_time_fixes",
    "response_due",
    "response_met",
    "resolution_due",
    "resolution_met",
    "arrivals",
    "arrivals_on_time",
    "offers_made",
    "offers_rejected",
    "offers_expired",
    "rating_count",
    "rating_sum",
    "rating_1",
    "rating_2",
    "rating_3",
    "rating_4",
    "rating_5",
    "repeat_visits",
    "repair_count",
    "repair_seconds",
    "travels",
    "travel_seconds",
    "onsite_seconds",
    "busy_seconds",
    "parts_used",
    "revenue_net",
)
NEW_MEASURES = ("travels", "travel_seconds", "onsite_seconds", "busy_seconds", "parts_used")
"""Time on the road and at the site, and parts used: new counters of the facts and rollups."""
MONTH = "date_trunc('month', r.day)::date"
WEEK_PART = "greatest(date_trunc('week', r.day), date_trunc('month', r.day))::date"
SPANS = (
    f"(VALUES ('M', {MONTH}), ('W', {WEEK_PART}), ('m', {MONTH}), ('w', {WEEK_PART})) "
    "s(grain, start)"
)


def _apply(rows: str) -> str:
    """One difference row per span and slicer of the rows a statement wrote to kpi_daily."""
    sums = ", ".join(f"sum(r.sign * r.{c})" for c in ("facts", *MEASURES))
    nonzero = " OR ".join(f"sum(r.sign * r.{c}) <> 0" for c in ("facts", *MEASURES))
    return (
        f"INSERT INTO kpi_spans (grain, start, {SLICERS}, facts, {', '.join(MEASURES)}) "
        f"SELECT s.grain, s.start, {SPAN_SLICERS}, {sums} "
        f"FROM ({rows}) r CROSS JOIN LATERAL {SPANS} "
        f"GROUP BY s.grain, s.start, {SPAN_SLICERS} HAVING {nonzero}"
    )


TRIGGERS = {
    "INSERT": ("REFERENCING NEW TABLE AS new_rows", "SELECT 1 AS sign, * FROM new_rows"),
    "DELETE": ("REFERENCING OLD TABLE AS old_rows", "SELECT -1 AS sign, * FROM old_rows"),
    "UPDATE": (
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "SELECT 1 AS sign, * FROM new_rows UNION ALL SELECT -1 AS sign, * FROM old_rows",
    ),
}


def upgrade() -> None:
    for table in ("kpi_task_facts", "kpi_daily"):
        for name in NEW_MEASURES:
            op.add_column(
                table, sa.Column(name, sa.BigInteger(), nullable=False, server_default="0")
            )
            op.alter_column(table, name, server_default=None)
    op.create_table(
        "kpi_spans",
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
        *[sa.Column(name, sa.BigInteger(), nullable=False) for name in NEW_MEASURES],
        sa.Column("revenue_net", sa.Numeric(16, 2), nullable=False),
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("grain", sqlmodel.sql.sqltypes.AutoString(length=1), nullable=False),
        sa.Column("start", sa.Date(), nullable=False),
        sa.Column("territory_id", sa.BigInteger(), nullable=True),
        sa.Column("partner_id", sa.BigInteger(), nullable=True),
        sa.Column("technician_id", sa.BigInteger(), nullable=True),
        sa.Column("product_category", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("channel", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True),
        sa.Column("priority", sa.SmallInteger(), nullable=False),
        sa.Column("task_type", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("facts", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_kpi_spans_grain_start", "kpi_spans", ["grain", "start"], unique=False)
    for event, (referencing, rows) in TRIGGERS.items():
        name = f"kpi_spans_on_{event.lower()}"
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {_apply(rows)}; RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON kpi_daily {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )
    columns = ", ".join(("facts", *MEASURES))
    op.execute(
        f"INSERT INTO kpi_spans (grain, start, {SLICERS}, {columns}) "
        f"SELECT s.grain, s.start, {SPAN_SLICERS}, "
        f"{', '.join(f'sum(r.{c})' for c in ('facts', *MEASURES))} "
        f"FROM kpi_daily r CROSS JOIN LATERAL {SPANS} GROUP BY s.grain, s.start, {SPAN_SLICERS}"
    )


def downgrade() -> None:
    for event in TRIGGERS:
        name = f"kpi_spans_on_{event.lower()}"
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON kpi_daily")
        op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.drop_index("ix_kpi_spans_grain_start", table_name="kpi_spans")
    op.drop_table("kpi_spans")
    for table in ("kpi_task_facts", "kpi_daily"):
        for name in NEW_MEASURES:
            op.drop_column(table, name)
