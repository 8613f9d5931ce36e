"""Year-long tiles read whole months and week parts from `kpi_spans`: the pieces cover the
range exactly, and every figure equals the sum of the days it stands for."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal, Role
from app.kpis import spans
from app.kpis.catalogue import MEASURES
from app.kpis.query import Dimension, Filters, Metric, kpis
from app.kpis.scoreboard import scoreboard
from tests.kpis import helpers

MANAGER = Principal("test:manager", Role.MANAGER, "Manager")
START = date(2025, 11, 20)


def _days_of(pieces: spans.Cover) -> list[date]:
    days: list[date] = []
    for quarter in pieces.quarters:
        day = quarter
        while day.month in (quarter.month, quarter.month + 1, quarter.month + 2) and (
            day.year == quarter.year
        ):
            days.append(day)
            day += timedelta(days=1)
    for month in pieces.months:
        day = month
        while day.month == month.month:
            days.append(day)
            day += timedelta(days=1)
    for part in pieces.weeks:
        day = part
        days.append(day)
        while day.weekday() < 6 and (day + timedelta(days=1)).month == part.month:
            day += timedelta(days=1)
            days.append(day)
    for lo, hi in pieces.days:
        days += [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]
    return sorted(days)


@given(
    first=st.dates(date(2024, 1, 1), date(2026, 12, 31)),
    length=st.integers(0, 400),
    grain=st.sampled_from(["day", "week", "month", "none"]),
)
def test_the_pieces_cover_each_day_of_the_range_once(first: date, length: int, grain: str) -> None:
    last = first + timedelta(days=length)
    pieces = spans.cover(
        first, last, by_day=grain == "day", by_week=grain == "week", by_month=grain == "month"
    )
    assert _days_of(pieces) == [first + timedelta(days=i) for i in range(length + 1)]
    if grain != "none":
        assert not pieces.quarters
    elif length > 190:
        assert pieces.quarters
    if grain == "week":
        assert not pieces.months
    if grain == "day":
        assert not pieces.months and not pieces.weeks


_GIVEN = {
    "facts": "1",
    "jobs_completed": "1 + (d * tech + k) % 4",
    "first_visits_closed": "2",
    "first_time_fixes": "(d + tech) % 3",
    "arrivals": "3",
    "arrivals_on_time": "(d + k) % 4",
    "rating_count": "1",
    "rating_sum": "1 + (d * 7 + tech) % 5",
    "revenue_net": "(100 + d * tech + k)::numeric / 7",
}


async def _history(session: AsyncSession) -> None:
    """130 days of rows for 6 technicians in 2 territories, a few slicers each, straight
    into `kpi_daily` (the triggers write the spans)."""
    measures = {m: _GIVEN.get(m, "0") for m in ("facts", *MEASURES)}
    await session.execute(
        sa.text(
            "INSERT INTO kpi_daily (day, territory_id, partner_id, technician_id, "
            f"product_category, channel, priority, task_type, {', '.join(measures)}) "
            "SELECT CAST(:start AS date) + d, 1 + tech % 2, NULLIF(tech % 3, 0), tech, "
            "(ARRAY['HVAC','APPLIANCE'])[1 + (tech + d) % 2], 'WEB', 1 + (d + k) % 3, "
            f"(ARRAY['REPAIR','INSTALLATION'])[1 + k], {', '.join(measures.values())} "
            "FROM generate_series(0, 129) d, generate_series(1, 6) tech, generate_series(0, 1) k"
        ),
        {"start": START},
    )


async def _from_days(
    session: AsyncSession, bucket: str, first: date, last: date
) -> dict[object, tuple[int, int, object]]:
    rows = await session.execute(
        sa.text(
            f"SELECT {bucket} AS b, sum(jobs_completed), sum(first_time_fixes), "
            "sum(revenue_net) FROM kpi_daily WHERE day BETWEEN :first AND :last "
            "AND territory_id = 1 GROUP BY 1"
        ),
        {"first": first, "last": last},
    )
    return {r[0]: (int(r[1]), int(r[2]), r[3]) for r in rows}


async def test_tiles_over_spans_equal_the_sum_of_their_days(session: AsyncSession) -> None:
    await _history(session)
    await spans.compact(session)
    # and a few later changes left as difference rows, not yet folded
    await session.execute(
        sa.text("UPDATE kpi_daily SET jobs_completed = jobs_completed + 2 WHERE day = :day"),
        {"day": START + timedelta(days=40)},
    )
    await session.execute(
        sa.text("DELETE FROM kpi_daily WHERE day = :day AND technician_id = 2"),
        {"day": START + timedelta(days=71)},
    )
    metrics = [Metric.JOBS_COMPLETED, Metric.FIRST_TIME_FIX_RATE, Metric.REVENUE_NET]
    filters = Filters(territory_ids=[1])
    cases = [
        (Dimension.MONTH, "date_trunc('month', day)::date"),
        (Dimension.WEEK, "date_trunc('week', day)::date"),
        (Dimension.DAY, "day"),
        (None, "NULL::date"),
    ]
    for first, last in [
        (START, START + timedelta(days=129)),
        (START + timedelta(days=3), START + timedelta(days=100)),
        (date(2026, 1, 1), date(2026, 1, 31)),
    ]:
        for dimension, bucket in cases:
            rows = await kpis(
                session, MANAGER, metrics, [dimension] if dimension else [], first, last, filters
            )
            got = {
                r.bucket: (
                    int(r.figures[0].numerator),
                    int(r.figures[1].numerator),
                    r.figures[2].numerator,
                )
                for r in rows
            }
            assert got == await _from_days(session, bucket, first, last), (dimension, first)


async def test_a_scoreboard_over_spans_ranks_as_over_days(session: AsyncSession) -> None:
    await _history(session)
    first, last = START + timedelta(days=5), START + timedelta(days=125)
    standings = await scoreboard(session, MANAGER, Metric.FIRST_TIME_FIX_RATE, first, last, 1)
    expected = await session.execute(
        sa.text(
            "SELECT technician_id, sum(first_time_fixes), sum(first_visits_closed) "
            "FROM kpi_daily WHERE day BETWEEN :first AND :last AND territory_id = 1 "
            "GROUP BY 1"
        ),
        {"first": first, "last": last},
    )
    assert {s.technician_id: s.volume for s in standings} == {r[0]: r[2] for r in expected}
    assert [s.rank for s in standings] == list(range(1, len(standings) + 1))


async def test_folding_keeps_one_row_per_span_and_slicer(session: AsyncSession) -> None:
    await _history(session)
    await session.execute(sa.text("UPDATE kpi_daily SET rating_sum = rating_sum + 1"))
    before = await helpers.spans_and_their_days(session)
    written = await spans.compact(session)
    stored, expected = await helpers.spans_and_their_days(session)
    assert stored == expected == before[1]
    assert written == len(stored)
    assert await session.scalar(sa.text("SELECT count(*) FROM kpi_spans")) == len(stored)
    # a second fold finds nothing to do
    assert await spans.compact(session) == 0


async def test_tiles_by_technician_read_the_spans_that_keep_them(session: AsyncSession) -> None:
    await _history(session)
    first, last = START + timedelta(days=9), START + timedelta(days=111)
    for dimensions, filters in [
        ([Dimension.MONTH, Dimension.TECHNICIAN], Filters()),
        ([Dimension.MONTH], Filters(technician_ids=[3, 4])),
    ]:
        rows = await kpis(
            session, MANAGER, [Metric.JOBS_COMPLETED], dimensions, first, last, filters
        )
        got = {(r.bucket, r.keys.get(Dimension.TECHNICIAN)): r.figures[0].numerator for r in rows}
        by_technician = Dimension.TECHNICIAN in dimensions
        expected = await session.execute(
            sa.text(
                "SELECT date_trunc('month', day)::date, "
                f"{'technician_id' if by_technician else 'NULL'}, sum(jobs_completed) "
                "FROM kpi_daily WHERE day BETWEEN :first AND :last "
                f"{'' if by_technician else 'AND technician_id IN (3, 4)'} GROUP BY 1, 2"
            ),
            {"first": first, "last": last},
        )
        assert got == {(r[0], r[1]): r[2] for r in expected}
