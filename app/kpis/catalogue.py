"""The measures the rollups carry: one counter or sum per column, shared by the facts, the
daily rollup, the migration and the query layer."""

from __future__ import annotations

COUNTERS: tuple[str, ...] = (
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
    "shift_seconds",
    "break_seconds",
    "idle_seconds",
    "shift_days",
)
"""Whole-number measures (bigint)."""

AMOUNTS: tuple[str, ...] = ("revenue_net",)
"""Money measures (numeric(16, 2)), summed exactly."""

MEASURES: tuple[str, ...] = COUNTERS + AMOUNTS

DIMENSION_COLUMNS: tuple[str, ...] = (
    "day",
    "territory_id",
    "partner_id",
    "technician_id",
    "product_category",
    "channel",
    "priority",
    "task_type",
)
"""The grain of `kpi_daily`: the local day in the territory's time zone and the slicers."""

ON_TIME_GRACE_MINUTES = 15
"""Without an appointment window, an arrival is on time up to this long after the scheduled
start."""

SHIFT_TASK_TYPE = "SHIFT"
"""The task type slicer of a technician-day's shift facts (they belong to no task)."""
SHIFT_PRIORITY = 0
"""The priority slicer of a technician-day's shift facts."""

REPEAT_DAYS = 30
"""A completion at a site that had another job completed this many days before is a repeat."""
