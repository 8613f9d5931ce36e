"""Technician ranking on one KPI, normalised for job mix.

A technician who takes the hard jobs should not rank below one who takes the easy ones. For a
rate, each technician's figure is compared with what the territory achieves on the same mix:
the expected rate is the territory's rate in each (task type, priority) cell, weighted by the
technician's own volume in that cell (indirect standardisation). The score is the figure minus
that expectation (for a rate where lower is better, expectation minus figure), so 0 is
"as good as the territory on this mix". Counts and sums (jobs, revenue) rank on the raw
figure: there is no mix to normalise a volume against; so do the shares of the shift
(utilisation, jobs per technician-day), whose denominator is the technician's shift, not a job
(negated where lower is better, so the best still ranks first).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal
from app.kpis import spans
from app.kpis.query import FORMULAS, Filters, Metric, check_range, scoped_filters

MAX_TECHNICIANS = 200


@dataclass(frozen=True)
class Standing:
    rank: int
    technician_id: int
    value: Decimal | None
    expected: Decimal | None
    score: Decimal
    volume: Decimal


async def scoreboard(
    session: AsyncSession,
    principal: Principal,
    metric: Metric,
    first: date,
    last: date,
    territory_id: int | None,
) -> list[Standing]:
    check_range(first, last)
    wanted = Filters(territory_ids=[territory_id] if territory_id is not None else [])
    filters = scoped_filters(principal, wanted)
    formula = FORMULAS[metric]
    denominator = formula.denominator or "1"
    params: dict[str, Any] = {}
    conditions = ["technician_id IS NOT NULL"]
    if filters.territory_ids:
        conditions.append("territory_id = ANY(:territories)")
        params["territories"] = filters.territory_ids
    if filters.partner_ids:
        conditions.append("partner_id = ANY(:partners)")
        params["partners"] = filters.partner_ids
    rows_from = spans.source(spans.cover(first, last), conditions, params, per_technician=True)
    rows = (
        await session.execute(
            sa.text(
                f"SELECT technician_id, task_type, priority, sum({formula.numerator}) AS num, "
                f"sum({denominator}) AS den FROM {rows_from} "
                "GROUP BY 1, 2, 3"
            ),
            params,
        )
    ).all()
    cell_num: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    cell_den: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    by_tech: dict[int, list[tuple[tuple[str, int], Decimal, Decimal]]] = defaultdict(list)
    for r in rows:
        cell = (r.task_type, r.priority)
        num, den = Decimal(r.num), Decimal(r.den)
        cell_num[cell] += num
        cell_den[cell] += den
        by_tech[r.technician_id].append((cell, num, den))
    standings = [
        _standing(tech, cells, cell_num, cell_den, metric) for tech, cells in by_tech.items()
    ]
    standings = [s for s in standings if s.volume > 0]
    standings.sort(key=lambda s: (-s.score, s.technician_id))
    return [
        Standing(i + 1, s.technician_id, s.value, s.expected, s.score, s.volume)
        for i, s in enumerate(standings[:MAX_TECHNICIANS])
    ]


def _standing(
    technician_id: int,
    cells: list[tuple[tuple[str, int], Decimal, Decimal]],
    cell_num: dict[tuple[str, int], Decimal],
    cell_den: dict[tuple[str, int], Decimal],
    metric: Metric,
) -> Standing:
    formula = FORMULAS[metric]
    num = sum((c[1] for c in cells), Decimal(0))
    den = sum((c[2] for c in cells), Decimal(0))
    if formula.denominator is None:
        value = num / formula.per
        return Standing(0, technician_id, value, None, value, num)
    if den == 0:
        return Standing(0, technician_id, None, None, Decimal(0), den)
    value = num / den / formula.per
    if not formula.by_job_mix:
        return Standing(
            0, technician_id, value, None, value if formula.higher_is_better else -value, den
        )
    expected = (
        sum(
            (d * cell_num[cell] / cell_den[cell] for cell, _, d in cells if cell_den[cell]),
            Decimal(0),
        )
        / den
        / formula.per
    )
    score = value - expected if formula.higher_is_better else expected - value
    return Standing(0, technician_id, value, expected, score, den)
