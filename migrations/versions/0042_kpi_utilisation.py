"""KPI utilisation against the shift: shift, break and idle time and days on shift per
technician-day, as new counters of the facts, the daily rollup and the spans; quarter spans

Revision ID: 0042
Revises: 0038
Create Date: 2026-12-05 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0042"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SLICERS = "territory_id, partner_id, technician_id, product_category, channel, priority, task_type"
SPAN_SLICERS = SLICERS.replace(
    "technician_id", "CASE WHEN s.grain IN ('Q', 'M', 'W') THEN r.technician_id END"
)
OLD_MEASURES = (
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
NEW_MEASURES = ("shift_seconds", "break_seconds", "idle_seconds", "shift_days")
QUARTER = "date_trunc('quarter', r.day)::date"
MONTH = "date_trunc('month', r.day)::date"
WEEK_PART = "greatest(date_trunc('week', r.day), date_trunc('month', r.day))::date"
OLD_SPANS = (
    f"(VALUES ('M', {MONTH}), ('W', {WEEK_PART}), ('m', {MONTH}), ('w', {WEEK_PART})) "
    "s(grain, start)"
)
SPANS = (
    f"(VALUES ('Q', {QUARTER}), ('M', {MONTH}), ('W', {WEEK_PART}), ('q', {QUARTER}), "
    f"('m', {MONTH}), ('w', {WEEK_PART})) s(grain, start)"
)
"""Quarters (`Q`, and `q` with technicians folded) let a year-long tile or scoreboard with no
time bucket read a third of the rows months would give. The triggers (and the fold) write each
statement's rows in (grain, start) order, so one span's rows share pages: a year-long read
then touches a few hundred pages instead of one page per row."""
TRIGGERS = {
    "INSERT": "SELECT 1 AS sign, * FROM new_rows",
    "DELETE": "SELECT -1 AS sign, * FROM old_rows",
    "UPDATE": "SELECT 1 AS sign, * FROM new_rows UNION ALL SELECT -1 AS sign, * FROM old_rows",
}


def _apply(rows: str, measures: tuple[str, ...], spans: str = SPANS) -> str:
    """One difference row per span and slicer of the rows a statement wrote to kpi_daily."""
    sums = ", ".join(f"sum(r.sign * r.{c})" for c in ("facts", *measures))
    nonzero = " OR ".join(f"sum(r.sign * r.{c}) <> 0" for c in ("facts", *measures))
    return (
        f"INSERT INTO kpi_spans (grain, start, {SLICERS}, facts, {', '.join(measures)}) "
        f"SELECT s.grain, s.start, {SPAN_SLICERS}, {sums} "
        f"FROM ({rows}) r CROSS JOIN LATERAL {spans} "
        f"GROUP BY s.grain, s.start, {SPAN_SLICERS} HAVING {nonzero} "
        "ORDER BY s.grain, s.start"
    )


def _replace_triggers(measures: tuple[str, ...], spans: str) -> None:
    for event, rows in TRIGGERS.items():
        name = f"kpi_spans_on_{event.lower()}"
        op.execute(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {_apply(rows, measures, spans)}; RETURN NULL; END $$"
        )


def upgrade() -> None:
    for table in ("kpi_task_facts", "kpi_daily", "kpi_spans"):
        for name in NEW_MEASURES:
            op.add_column(
                table, sa.Column(name, sa.BigInteger(), nullable=False, server_default="0")
            )
            op.alter_column(table, name, server_default=None)
    op.alter_column("kpi_task_facts", "task_id", existing_type=sa.BigInteger(), nullable=True)
    op.create_index("ix_kpi_task_facts_technician_day", "kpi_task_facts", ["technician_id", "day"])
    measures = (*OLD_MEASURES, *NEW_MEASURES)
    _replace_triggers(measures, SPANS)
    # idle time is the shift less breaks less busy time: existing busy time already counts
    op.execute("UPDATE kpi_task_facts SET idle_seconds = -busy_seconds WHERE busy_seconds <> 0")
    op.execute("UPDATE kpi_daily SET idle_seconds = -busy_seconds WHERE busy_seconds <> 0")
    columns = ", ".join(("facts", *measures))
    quarters = f"(VALUES ('Q', {QUARTER}), ('q', {QUARTER})) s(grain, start)"
    op.execute(
        f"INSERT INTO kpi_spans (grain, start, {SLICERS}, {columns}) "
        f"SELECT s.grain, s.start, {SPAN_SLICERS}, "
        f"{', '.join(f'sum(r.{c})' for c in ('facts', *measures))} "
        f"FROM kpi_daily r CROSS JOIN LATERAL {quarters} "
        f"GROUP BY s.grain, s.start, {SPAN_SLICERS} ORDER BY s.grain, s.start"
    )


def downgrade() -> None:
    _replace_triggers(OLD_MEASURES, OLD_SPANS)
    op.execute("DELETE FROM kpi_spans WHERE grain IN ('Q', 'q')")
    op.execute("DELETE FROM kpi_daily WHERE task_type = 'SHIFT'")
    op.execute("DELETE FROM kpi_spans WHERE task_type = 'SHIFT'")
    op.execute("DELETE FROM kpi_task_facts WHERE task_id IS NULL")
    op.drop_index("ix_kpi_task_facts_technician_day", table_name="kpi_task_facts")
    op.alter_column("kpi_task_facts", "task_id", existing_type=sa.BigInteger(), nullable=False)
    for table in ("kpi_task_facts", "kpi_daily", "kpi_spans"):
        for name in NEW_MEASURES:
            op.drop_column(table, name)
