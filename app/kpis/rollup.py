"""Keeping `kpi_daily` in step: replace a task's facts and move the rollup by the difference.

`refresh_tasks` runs in the transaction that changed the tasks (from the session hook in
`app/kpis/hooks.py`, just before commit); `reconcile` recomputes whole days from the source
rows and reports how many rollup rows it had to repair.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from app.kpis.catalogue import DIMENSION_COLUMNS, MEASURES
from app.kpis.facts import facts_ctes, shift_facts_ctes

_DIMS = ", ".join(DIMENSION_COLUMNS)
_ROLLUP_COLUMNS = f"{_DIMS}, facts, {', '.join(MEASURES)}"


def _upsert_from(source: str, sign: str) -> str:
    sums = ", ".join(f"{sign}sum({m})" for m in MEASURES)
    updates = ", ".join(f"{c} = kpi_daily.{c} + EXCLUDED.{c}" for c in ("facts", *MEASURES))
    return (
        f"INSERT INTO kpi_daily ({_ROLLUP_COLUMNS}) "
        f"SELECT {_DIMS}, {sign}count(*), {sums} FROM {source} GROUP BY {_DIMS} "
        f"ON CONFLICT ({_DIMS}) DO UPDATE SET {updates} "
        f"RETURNING day, territory_id, partner_id, technician_id"
    )


_AFFECTED = sa.text(
    "SELECT id FROM tasks WHERE id = ANY(:ids) "
    "OR site_id IN (SELECT site_id FROM tasks WHERE id = ANY(:ids)) "
    "UNION SELECT unnest(CAST(:ids AS bigint[]))"
)
"""A completion can make a later one at the same site a repeat visit: refresh the site."""

_SUBTRACT = sa.text(
    "WITH old AS (DELETE FROM kpi_task_facts WHERE task_id = ANY(:ids) RETURNING *) "
    + _upsert_from("old", "-")
)
_ADD = sa.text(f"WITH {facts_ctes('t.id = ANY(:ids)')} " + _upsert_from("new", ""))
_DROP_EMPTY = sa.text("DELETE FROM kpi_daily WHERE day = ANY(:days) AND facts = 0")


@dataclass(frozen=True)
class Touched:
    """Rollup rows a refresh moved: what a live tile listens for."""

    days: frozenset[date]
    territory_ids: frozenset[int]
    partner_ids: frozenset[int]
    technician_ids: frozenset[int]

    def as_event(self) -> dict[str, Any]:
        return {
            "days": sorted(d.isoformat() for d in self.days),
            "territoryIds": sorted(self.territory_ids),
            "partnerIds": sorted(self.partner_ids),
            "technicianIds": sorted(self.technician_ids),
        }


_PAIRS = (
    "SELECT DISTINCT technician_id, day "
    "FROM unnest(CAST(:technicians AS bigint[]), CAST(:days AS date[])) p(technician_id, day)"
)
_SUBTRACT_SHIFTS = sa.text(
    f"WITH p AS ({_PAIRS}), old AS (DELETE FROM kpi_task_facts f USING p "
    "WHERE f.task_id IS NULL AND f.technician_id = p.technician_id AND f.day = p.day "
    "RETURNING f.*) " + _upsert_from("old", "-")
)
_ADD_SHIFTS = sa.text(f"WITH {shift_facts_ctes(_PAIRS)} " + _upsert_from("new", ""))

TechnicianDay = tuple[int, date]


def refresh_tasks(
    connection: Connection, task_ids: set[int], technician_days: set[TechnicianDay] | None = None
) -> Touched:
    """Replace the facts of these tasks (and of the tasks at their sites), then the shift facts
    of every technician-day whose task facts moved and of `technician_days`, and move the
    rollup by the difference. Synchronous: it runs inside the session's commit."""
    rows: list[Any] = []
    if task_ids:
        ids = sorted(connection.execute(_AFFECTED, {"ids": sorted(task_ids)}).scalars())
        rows += list(connection.execute(_SUBTRACT, {"ids": ids}))
        rows += list(connection.execute(_ADD, {"ids": ids}))
    pairs = set(technician_days or ()) | {
        (r.technician_id, r.day) for r in rows if r.technician_id is not None
    }
    if pairs:
        ordered = sorted(pairs)
        bound = {"technicians": [p[0] for p in ordered], "days": [p[1] for p in ordered]}
        rows += list(connection.execute(_SUBTRACT_SHIFTS, bound))
        rows += list(connection.execute(_ADD_SHIFTS, bound))
    days = frozenset(row.day for row in rows)
    if days:
        connection.execute(_DROP_EMPTY, {"days": sorted(days)})
    return Touched(
        days=days,
        territory_ids=frozenset(r.territory_id for r in rows if r.territory_id is not None),
        partner_ids=frozenset(r.partner_id for r in rows if r.partner_id is not None),
        technician_ids=frozenset(r.technician_id for r in rows if r.technician_id is not None),
    )


_WINDOW = "s.at >= :lo AND s.at < :hi AND (s.at AT TIME ZONE t.tz)::date BETWEEN :first AND :last"
_RECOMPUTE_FACTS = sa.text(
    "WITH gone AS (DELETE FROM kpi_task_facts WHERE day BETWEEN :first AND :last), "
    f"{facts_ctes('TRUE', _WINDOW)} SELECT count(*) FROM new"
)
_RECOMPUTE_SHIFTS = sa.text(
    "WITH "
    + shift_facts_ctes(
        "SELECT technician_id, day FROM kpi_task_facts WHERE day BETWEEN :first AND :last "
        "AND task_id IS NOT NULL AND technician_id IS NOT NULL "
        "UNION SELECT technician_id, day FROM attendance_entries "
        "WHERE day BETWEEN :first AND :last"
    )
    + " SELECT count(*) FROM new"
)
_EXPECTED = (
    f"SELECT {_DIMS}, count(*) AS facts, {', '.join(f'sum({m}) AS {m}' for m in MEASURES)} "
    f"FROM kpi_task_facts WHERE day BETWEEN :first AND :last GROUP BY {_DIMS}"
)
_STORED = f"SELECT {_ROLLUP_COLUMNS} FROM kpi_daily WHERE day BETWEEN :first AND :last"
_DRIFT = sa.text(
    f"SELECT count(*) FROM (({_EXPECTED} EXCEPT ALL {_STORED}) "
    f"UNION ALL ({_STORED} EXCEPT ALL {_EXPECTED})) d"
)
_REPLACE = [
    sa.text("DELETE FROM kpi_daily WHERE day BETWEEN :first AND :last"),
    sa.text(f"INSERT INTO kpi_daily ({_ROLLUP_COLUMNS}) {_EXPECTED}"),
]


def recompute_statements(first: date, last: date) -> list[tuple[sa.TextClause, dict[str, Any]]]:
    """The statements of a reconciliation of local days `first`..`last`, in order; the
    third one's scalar is the number of rollup rows that differed."""
    lo = datetime.combine(first - timedelta(days=1), time(), UTC)
    hi = datetime.combine(last + timedelta(days=2), time(), UTC)
    bounds = {"first": first, "last": last, "lo": lo, "hi": hi}
    return [
        (_RECOMPUTE_FACTS, bounds),
        (_RECOMPUTE_SHIFTS, bounds),
        (_DRIFT, bounds),
        *[(s, bounds) for s in _REPLACE],
    ]


DRIFT_STATEMENT = 2
"""The index of the statement whose scalar is the drift."""
