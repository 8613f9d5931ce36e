"""The one SQL definition of what a task contributes to the KPIs, read from the source rows.

Both the incremental refresh and the reconciliation insert facts with `facts_insert`, so the
rollup kept in step and a full recompute can only differ if a change bypassed the hooks (a
bulk UPDATE of tasks, a territory moving time zone, a technician changing partner): the
reconciliation job repairs exactly that drift.

Each source emits (task, instant, technician, measure, value); the facts pivot them per local
day (the territory's time zone; UTC without a territory) and technician.
"""

from __future__ import annotations

from app.kpis.catalogue import (
    AMOUNTS,
    DIMENSION_COLUMNS,
    MEASURES,
    ON_TIME_GRACE_MINUTES,
    REPEAT_DAYS,
    SHIFT_PRIORITY,
    SHIFT_TASK_TYPE,
)

_TASKS = """
    SELECT t.id, t.status, t.type AS task_type, t.priority, t.territory_id, t.technician_id,
           t.follow_up_of_id, t.site_id, t.work_order_id, t.finished_at, t.created_at,
           t.response_due_at, t.resolution_due_at, t.window_end, t.scheduled_start,
           t.rating, t.feedback_at, COALESCE(tr.time_zone, 'UTC') AS tz,
           pm.category AS product_category, sr.channel, sr.created_at AS requested_at
    FROM tasks t
    LEFT JOIN territories tr ON tr.id = t.territory_id
    LEFT JOIN assets a ON a.id = t.asset_id
    LEFT JOIN product_models pm ON pm.id = a.product_model_id
    LEFT JOIN service_requests sr ON sr.id = t.service_request_id
    WHERE {scope}
"""

_SOURCES = f"""
    -- closing a visit: completions, first-time fix, resolution SLA, repeat visits, repair time
    SELECT t.id AS task_id, t.finished_at AS at, t.technician_id, m.measure, m.value
    FROM t CROSS JOIN LATERAL (VALUES
        ('jobs_completed', (t.status = 'COMPLETED')::int::numeric),
        ('first_visits_closed', (t.follow_up_of_id IS NULL)::int::numeric),
        ('first_time_fixes', (t.follow_up_of_id IS NULL AND t.status = 'COMPLETED')::int::numeric),
        ('resolution_due',
            (t.status = 'COMPLETED' AND t.resolution_due_at IS NOT NULL)::int::numeric),
        ('resolution_met',
            (t.status = 'COMPLETED' AND t.finished_at <= t.resolution_due_at)::int::numeric),
        ('repair_count', (t.status = 'COMPLETED')::int::numeric),
        ('repair_seconds', CASE WHEN t.status = 'COMPLETED' THEN floor(extract(epoch FROM
            t.finished_at - COALESCE(t.requested_at, t.created_at))) ELSE 0 END),
        ('repeat_visits', (t.status = 'COMPLETED' AND EXISTS (
            SELECT 1 FROM tasks p
            WHERE p.site_id = t.site_id AND p.status = 'COMPLETED'
              AND p.work_order_id <> t.work_order_id
              AND p.finished_at >= t.finished_at - interval '{REPEAT_DAYS} days'
              AND (p.finished_at < t.finished_at OR (p.finished_at = t.finished_at AND p.id < t.id))
        ))::int::numeric)
    ) AS m(measure, value)
    WHERE t.status IN ('COMPLETED', 'INCOMPLETE') AND t.finished_at IS NOT NULL
  UNION ALL
    -- first check-in: response SLA and on-time arrival
    SELECT t.id, a.at, t.technician_id, m.measure, m.value
    FROM t
    JOIN LATERAL (SELECT min(e.at) AS at FROM task_events e
                  WHERE e.task_id = t.id AND e.to_status = 'ON_SITE') a ON a.at IS NOT NULL
    CROSS JOIN LATERAL (VALUES
        ('response_due', (t.response_due_at IS NOT NULL)::int::numeric),
        ('response_met', (a.at <= t.response_due_at)::int::numeric),
        ('arrivals', (COALESCE(t.window_end, t.scheduled_start) IS NOT NULL)::int::numeric),
        ('arrivals_on_time', (a.at <= COALESCE(t.window_end,
            t.scheduled_start + interval '{ON_TIME_GRACE_MINUTES} minutes'))::int::numeric)
    ) AS m(measure, value)
  UNION ALL
    -- time on the road: a check-in straight from travel, from the start of that trip (an
    -- abandoned trip or a confirmation on the way is not the one that arrived), on the day
    -- of arrival
    SELECT t.id, e.at, t.technician_id, m.measure, m.value
    FROM t
    JOIN LATERAL (
        SELECT ev.at, (SELECT max(p.at) FROM task_events p WHERE p.task_id = t.id
                       AND p.action = 'START_TRAVEL' AND p.at <= ev.at) AS left_at
        FROM task_events ev
        WHERE ev.task_id = t.id AND ev.to_status = 'ON_SITE' AND ev.from_status = 'EN_ROUTE'
    ) e ON e.left_at IS NOT NULL
    CROSS JOIN LATERAL (VALUES
        ('travels', 1::numeric),
        ('travel_seconds', floor(extract(epoch FROM e.at - e.left_at))),
        ('busy_seconds', floor(extract(epoch FROM e.at - e.left_at))),
        ('idle_seconds', -floor(extract(epoch FROM e.at - e.left_at)))
    ) AS m(measure, value)
  UNION ALL
    -- time at the site: first check-in to the close of the visit, on the day it closed
    SELECT t.id, t.finished_at, t.technician_id, m.measure, m.value
    FROM t
    JOIN LATERAL (SELECT min(e.at) AS at FROM task_events e
                  WHERE e.task_id = t.id AND e.to_status = 'ON_SITE') a ON a.at IS NOT NULL
    CROSS JOIN LATERAL (VALUES
        ('onsite_seconds', floor(extract(epoch FROM t.finished_at - a.at))),
        ('busy_seconds', floor(extract(epoch FROM t.finished_at - a.at))),
        ('idle_seconds', -floor(extract(epoch FROM t.finished_at - a.at)))
    ) AS m(measure, value)
    WHERE t.status IN ('COMPLETED', 'INCOMPLETE') AND t.finished_at IS NOT NULL
  UNION ALL
    -- parts recorded as used on the visit, on the day they were recorded
    SELECT t.id, p.created_at, t.technician_id, 'parts_used', p.quantity::numeric
    FROM t JOIN task_parts p ON p.task_id = t.id
  UNION ALL
    -- offers, counted on the day they were made, against the technician offered
    SELECT t.id, o.offered_at, o.technician_id, m.measure, m.value
    FROM t JOIN task_offers o ON o.task_id = t.id
    CROSS JOIN LATERAL (VALUES
        ('offers_made', 1::numeric),
        ('offers_rejected', (o.status = 'REJECTED')::int::numeric),
        ('offers_expired', (o.status = 'EXPIRED')::int::numeric)
    ) AS m(measure, value)
  UNION ALL
    -- customer feedback
    SELECT t.id, t.feedback_at, t.technician_id, m.measure, m.value
    FROM t CROSS JOIN LATERAL (VALUES
        ('rating_count', 1::numeric), ('rating_sum', t.rating::numeric),
        ('rating_1', (t.rating = 1)::int::numeric), ('rating_2', (t.rating = 2)::int::numeric),
        ('rating_3', (t.rating = 3)::int::numeric), ('rating_4', (t.rating = 4)::int::numeric),
        ('rating_5', (t.rating = 5)::int::numeric)
    ) AS m(measure, value)
    WHERE t.rating IS NOT NULL AND t.feedback_at IS NOT NULL
  UNION ALL
    -- issued invoices of the visit net of tax, less its issued credit notes
    SELECT t.id, i.issued_at, t.technician_id, 'revenue_net',
           CASE WHEN i.kind = 'CREDIT_NOTE' THEN -i.net_amount ELSE i.net_amount END
    FROM t JOIN invoices i ON i.task_id = t.id
    WHERE i.status NOT IN ('DRAFT', 'VOID') AND i.issued_at IS NOT NULL
"""


def _pivot(measure: str) -> str:
    kind = "numeric(16, 2)" if measure in AMOUNTS else "bigint"
    return f"COALESCE(sum(s.value) FILTER (WHERE s.measure = '{measure}'), 0)::{kind}"


_FACT_COLUMNS = ("task_id", *DIMENSION_COLUMNS, *MEASURES)


def facts_ctes(scope: str, window: str = "TRUE") -> str:
    """Two CTEs: `t`, the tasks matching `scope`, and `new`, the facts of their instants
    matching `window` (on `s.at`), inserted into `kpi_task_facts` and returned."""
    return (
        f"t AS ({_TASKS.format(scope=scope)}), "
        f"new AS (INSERT INTO kpi_task_facts ({', '.join(_FACT_COLUMNS)}) "
        f"SELECT s.task_id, (s.at AT TIME ZONE t.tz)::date AS day, t.territory_id, "
        f"tech.partner_id, s.technician_id, t.product_category, t.channel, t.priority, "
        f"t.task_type, {', '.join(_pivot(m) for m in MEASURES)} "
        f"FROM ({_SOURCES}) s JOIN t ON t.id = s.task_id "
        f"LEFT JOIN technicians tech ON tech.id = s.technician_id "
        f"WHERE s.at IS NOT NULL AND {window} "
        f"GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9 RETURNING *)"
    )


_SHIFT_MEASURES = ("shift_seconds", "break_seconds", "idle_seconds", "shift_days")

_TECHNICIAN_DAYS = """
    SELECT c.technician_id, c.day, m.territory_id, tech.partner_id,
           COALESCE(tr.time_zone, 'UTC') AS tz
    FROM ({pairs}) c
    JOIN technicians tech ON tech.id = c.technician_id
    LEFT JOIN LATERAL (
        SELECT ms.territory_id FROM territory_memberships ms
        WHERE ms.technician_id = c.technician_id AND ms.is_primary
          AND ms.valid_from <= c.day AND (ms.valid_to IS NULL OR ms.valid_to >= c.day)
        ORDER BY ms.valid_from DESC, ms.id DESC LIMIT 1
    ) m ON TRUE
    LEFT JOIN territories tr ON tr.id = m.territory_id
    WHERE EXISTS (SELECT 1 FROM kpi_task_facts f WHERE f.technician_id = c.technician_id
                  AND f.day = c.day AND f.task_id IS NOT NULL)
       OR EXISTS (SELECT 1 FROM attendance_entries e WHERE e.technician_id = c.technician_id
                  AND e.day = c.day)
"""
"""The technician-days that count: those with a task fact or an attendance entry (a planned
day with neither is an absence, not idle time), with the primary territory and partner."""

_SHIFT_SECONDS = """
    (SELECT COALESCE(floor(sum(extract(epoch FROM upper(r) - lower(r)))), 0)
     FROM unnest(
         (SELECT range_agg(tstzrange((d.day + wh.starts_at) AT TIME ZONE d.tz,
                                     (d.day + wh.ends_at) AT TIME ZONE d.tz))
          FROM working_hours wh
          WHERE wh.technician_id = d.technician_id
            AND wh.weekday = extract(isodow FROM d.day)::int - 1)
         - COALESCE((SELECT range_agg(tstzrange(o.starts_at, o.ends_at)) FROM time_off o
                     WHERE o.technician_id = d.technician_id
                       AND o.ends_at > d.day::timestamp AT TIME ZONE d.tz
                       AND o.starts_at < (d.day + 1)::timestamp AT TIME ZONE d.tz),
                    '{}'::tstzmultirange)
     ) r)
"""
"""The day's weekly shifts in the territory's local time, less the time off overlapping them."""

_BREAK_SECONDS = """
    (SELECT COALESCE(floor(sum(extract(epoch FROM b.ended_at - b.started_at))), 0)
     FROM attendance_breaks b JOIN attendance_entries e ON e.id = b.entry_id
     WHERE e.technician_id = d.technician_id AND e.day = d.day AND b.ended_at IS NOT NULL)
"""


def shift_facts_ctes(pairs: str) -> str:
    """Two CTEs: `d`, the technician-days of `pairs` (a query of `technician_id, day`) that
    count, and `new`, their shift facts inserted into `kpi_task_facts` and returned."""
    zero = ", ".join(
        "0" if m in AMOUNTS else "0::bigint" for m in MEASURES if m not in _SHIFT_MEASURES
    )
    others = ", ".join(m for m in MEASURES if m not in _SHIFT_MEASURES)
    return (
        f"d AS ({_TECHNICIAN_DAYS.format(pairs=pairs)}), "
        f"h AS (SELECT d.*, {_SHIFT_SECONDS}::bigint AS shift_seconds, "
        f"{_BREAK_SECONDS}::bigint AS break_seconds FROM d), "
        f"new AS (INSERT INTO kpi_task_facts (task_id, {', '.join(DIMENSION_COLUMNS)}, "
        f"{others}, {', '.join(_SHIFT_MEASURES)}) "
        f"SELECT NULL, h.day, h.territory_id, h.partner_id, h.technician_id, NULL, NULL, "
        f"{SHIFT_PRIORITY}, '{SHIFT_TASK_TYPE}', {zero}, h.shift_seconds, h.break_seconds, "
        f"h.shift_seconds - h.break_seconds, (h.shift_seconds > 0)::int "
        f"FROM h WHERE h.shift_seconds > 0 OR h.break_seconds > 0 RETURNING *)"
    )
