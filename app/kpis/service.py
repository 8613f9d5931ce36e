"""Reconciliation: recompute KPI days from the source rows and repair the rollup's drift
(the month and week spans follow `kpi_daily` by trigger, then are folded)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.kpis.rollup import DRIFT_STATEMENT, recompute_statements
from app.kpis.spans import compact


async def reconcile(session: AsyncSession, first: date, last: date) -> int:
    """Recompute local days `first`..`last` (inclusive) and rewrite them; returns how many
    rollup rows differed from the recompute (0 when the incremental upkeep was exact)."""
    drift = 0
    for index, (statement, params) in enumerate(recompute_statements(first, last)):
        result = await session.execute(statement, params)
        if index == DRIFT_STATEMENT:
            drift = int(result.scalar_one())
    await compact(session)
    return drift
