"""Reading a range of days from the coarsest rollup rows that add up to it exactly.

A year-long tile summed from `kpi_daily` reads every day's row of every slicer; the same sums
over whole quarters, whole months and weeks cut at month ends (`kpi_spans`) give the same
figure from a fraction of the rows. `cover` splits a range into whole quarters (for a tile or
scoreboard with no time bucket), whole months, whole week parts, then the days left at its
edges; `source` is the SQL that reads each piece from its table, with a
`day` column (the span's first day) that the day, week and month buckets group by exactly:
a span never crosses a week or a month boundary that a bucket could need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.kpis.catalogue import DIMENSION_COLUMNS, MEASURES

QUARTER = "Q"
MONTH = "M"
WEEK = "W"
"""Grains of spans per technician; their lower-case forms fold all technicians together."""
_SLICERS = [c for c in DIMENSION_COLUMNS if c != "day"]
_COLUMNS = ", ".join([*_SLICERS, *MEASURES])


@dataclass
class Cover:
    """A range of local days as whole quarters, whole months, whole week parts and single-day
    runs."""

    quarters: list[date] = field(default_factory=list)
    months: list[date] = field(default_factory=list)
    weeks: list[date] = field(default_factory=list)
    days: list[tuple[date, date]] = field(default_factory=list)

    def add_day(self, day: date) -> None:
        if self.days and self.days[-1][1] + timedelta(days=1) == day:
            self.days[-1] = (self.days[-1][0], day)
        else:
            self.days.append((day, day))


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def _quarter_end(day: date) -> date:
    return _month_end(date(day.year, day.month + 2, 1))


def week_part_start(day: date) -> date:
    """The first day of the week part holding `day`: its Monday, or the 1st of its month."""
    return max(day - timedelta(days=day.weekday()), day.replace(day=1))


def _week_part_end(day: date) -> date:
    return min(day + timedelta(days=6 - day.weekday()), _month_end(day))


def cover(
    first: date,
    last: date,
    *,
    by_day: bool = False,
    by_week: bool = False,
    by_month: bool = False,
) -> Cover:
    """`first`..`last` in the fewest rows: whole quarters unless the caller buckets by time,
    whole months unless by week, whole week parts unless by day, single days for the rest."""
    pieces = Cover()
    day = first
    by_time = by_day or by_week or by_month
    while day <= last:
        if by_day:
            pieces.add_day(day)
            day += timedelta(days=1)
        elif not by_time and day.day == 1 and day.month % 3 == 1 and _quarter_end(day) <= last:
            pieces.quarters.append(day)
            day = _quarter_end(day) + timedelta(days=1)
        elif not by_week and day.day == 1 and _month_end(day) <= last:
            pieces.months.append(day)
            day = _month_end(day) + timedelta(days=1)
        elif week_part_start(day) == day and _week_part_end(day) <= last:
            pieces.weeks.append(day)
            day = _week_part_end(day) + timedelta(days=1)
        else:
            pieces.add_day(day)
            day += timedelta(days=1)
    return pieces


def source(
    pieces: Cover, filters: list[str], params: dict[str, Any], *, per_technician: bool
) -> str:
    """A FROM item with `day`, the slicers and the measures, reading each piece of the cover
    from its table; `filters` are conditions on slicer columns, true of every table. Without
    `per_technician` the spans that fold all technicians together are read (their
    `technician_id` is null): far fewer rows, for tiles that neither group nor filter by it."""
    parts = []
    where = "".join(f" AND {f}" for f in filters)
    grains = (QUARTER, MONTH, WEEK)
    quarter, month, week = grains if per_technician else tuple(g.lower() for g in grains)
    for grain, starts in (
        (quarter, pieces.quarters),
        (month, pieces.months),
        (week, pieces.weeks),
    ):
        if starts:
            params[f"span_{grain}"] = starts
            parts.append(
                f"SELECT start AS day, {_COLUMNS} FROM kpi_spans "
                f"WHERE grain = '{grain}' AND start = ANY(:span_{grain}){where}"
            )
    if pieces.days:
        runs = []
        for i, (lo, hi) in enumerate(pieces.days):
            params[f"day_lo{i}"], params[f"day_hi{i}"] = lo, hi
            runs.append(f"day BETWEEN :day_lo{i} AND :day_hi{i}")
        parts.append(f"SELECT day, {_COLUMNS} FROM kpi_daily WHERE ({' OR '.join(runs)}){where}")
    if not parts:
        return f"(SELECT day, {_COLUMNS} FROM kpi_daily WHERE FALSE) k"
    return "(" + " UNION ALL ".join(parts) + ") k"


_KEY = ", ".join(["grain", "start", *_SLICERS])
_SUMS = ", ".join(["sum(facts)", *(f"sum({m})" for m in MEASURES)])
COMPACT = sa.text(
    f"WITH dirty AS (SELECT DISTINCT grain, start FROM kpi_spans GROUP BY {_KEY} "
    "HAVING count(*) > 1), "
    "gone AS (DELETE FROM kpi_spans s USING dirty d "
    "WHERE s.grain = d.grain AND s.start = d.start RETURNING s.*) "
    f"INSERT INTO kpi_spans ({_KEY}, facts, {', '.join(MEASURES)}) "
    f"SELECT {_KEY}, {_SUMS} FROM gone GROUP BY {_KEY} "
    f"HAVING {' OR '.join(f'{s} <> 0' for s in _SUMS.split(', '))} "
    "ORDER BY grain, start"
)
"""Fold the difference rows of every span that has some into one row per slicer (dropping
slicers whose sums are all zero), written in span order so that a span's rows share pages.
Readers sum either way; this keeps them fast."""


LOCK = "fieldgraph:kpis:compact"


async def compact(session: AsyncSession) -> int:
    """Fold the spans' difference rows; returns the rows written (0 when another fold, from
    the job or a reconciliation, is under way: two would only wait on each other)."""
    locked = await session.scalar(
        sa.text("SELECT pg_try_advisory_xact_lock(hashtext(:lock))"), {"lock": LOCK}
    )
    if not locked:
        return 0
    result = await session.execute(COMPACT)
    return int(getattr(result, "rowcount", 0) or 0)
