"""KPI rollups: the facts each task contributes, and their sums per day and slicer.

`kpi_task_facts` holds, per task, one row per (local day, technician) it counts on; it is
replaced whole whenever the task or its source rows change. `kpi_daily` is the sum of those
facts per day and dimension, moved by the difference in the same transaction (see
`app/kpis/rollup.py`). `kpi_spans` holds the same sums over whole months and over weeks cut at
month ends, kept by triggers on `kpi_daily` (see `app/kpis/spans.py`), so a year-long tile sums
a few thousand rows instead of every day's."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.core.models import id_field


def _counter() -> Any:
    return Field(default=0, sa_type=sa.BigInteger, nullable=False)


def _amount() -> Any:
    return Field(default=Decimal("0"), sa_type=sa.Numeric(16, 2), nullable=False)


class KpiDimensions(SQLModel):
    day: date
    territory_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    partner_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    technician_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    product_category: str | None = Field(default=None, max_length=16)
    channel: str | None = Field(default=None, max_length=24)
    priority: int = Field(sa_type=sa.SmallInteger)
    task_type: str = Field(max_length=16)


class KpiMeasures(SQLModel):
    jobs_completed: int = _counter()
    first_visits_closed: int = _counter()
    first_time_fixes: int = _counter()
    response_due: int = _counter()
    response_met: int = _counter()
    resolution_due: int = _counter()
    resolution_met: int = _counter()
    arrivals: int = _counter()
    arrivals_on_time: int = _counter()
    offers_made: int = _counter()
    offers_rejected: int = _counter()
    offers_expired: int = _counter()
    rating_count: int = _counter()
    rating_sum: int = _counter()
    rating_1: int = _counter()
    rating_2: int = _counter()
    rating_3: int = _counter()
    rating_4: int = _counter()
    rating_5: int = _counter()
    repeat_visits: int = _counter()
    repair_count: int = _counter()
    repair_seconds: int = _counter()
    travels: int = _counter()
    travel_seconds: int = _counter()
    onsite_seconds: int = _counter()
    busy_seconds: int = _counter()
    parts_used: int = _counter()
    shift_seconds: int = _counter()
    break_seconds: int = _counter()
    idle_seconds: int = _counter()
    shift_days: int = _counter()
    revenue_net: Decimal = _amount()


class KpiTaskFact(KpiDimensions, KpiMeasures, table=True):
    """What one task contributes to one day's rollup (no foreign key: a deleted task's facts
    are removed by the next refresh or reconciliation)."""

    __tablename__ = "kpi_task_facts"
    __table_args__ = (
        sa.Index("ix_kpi_task_facts_task", "task_id"),
        sa.Index("ix_kpi_task_facts_day", "day"),
        sa.Index("ix_kpi_task_facts_technician_day", "technician_id", "day"),
    )

    id: int | None = id_field()
    task_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    """None for a technician-day's shift facts (shift, break and idle time, days on shift)."""


class KpiDaily(KpiDimensions, KpiMeasures, table=True):
    """The sum of the facts per local day and slicer; what dashboards and BI tools read."""

    __tablename__ = "kpi_daily"
    __table_args__ = (
        sa.Index(
            "uq_kpi_daily_grain",
            "day",
            "territory_id",
            "partner_id",
            "technician_id",
            "product_category",
            "channel",
            "priority",
            "task_type",
            unique=True,
            postgresql_nulls_not_distinct=True,
        ),
    )

    id: int | None = id_field()
    facts: int = Field(default=0, sa_type=sa.BigInteger, nullable=False)
    """How many fact rows make this row up; a row that falls to zero is deleted."""


class KpiSpan(KpiMeasures, table=True):
    """`kpi_daily` summed over a span of days: a whole local month (grain `M`) or the part of
    an ISO week that falls in one month (grain `W`, starting on the Monday or the 1st).

    Rows are appended by the triggers on `kpi_daily` (one row of differences per statement
    and slicer, never an update, so writers never wait on each other) and folded together by
    `kpi-compact`; readers sum them, so a span's figure is exact at any moment."""

    __tablename__ = "kpi_spans"
    __table_args__ = (sa.Index("ix_kpi_spans_grain_start", "grain", "start"),)

    id: int | None = id_field()
    grain: str = Field(max_length=1)
    start: date
    territory_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    partner_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    technician_id: int | None = Field(default=None, sa_type=sa.BigInteger)
    product_category: str | None = Field(default=None, max_length=16)
    channel: str | None = Field(default=None, max_length=24)
    priority: int = Field(sa_type=sa.SmallInteger)
    task_type: str = Field(max_length=16)
    facts: int = Field(default=0, sa_type=sa.BigInteger, nullable=False)


from app.kpis import hooks as _hooks  # noqa: E402,F401  (installs the session hooks)
