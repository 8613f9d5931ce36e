"""Reading the rollup: KPI figures by bucket and slicer, bounded and scoped to the caller.

Ratios are computed from summed counters (never averaged averages), so a week or a month is
exact whatever the grain. Buckets are local: `day` is already the territory's local day.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Principal, Role
from app.core.errors import DomainError, ErrorCode, camel
from app.kpis import spans

MAX_DAYS = 400
"""The longest range one query may cover (a year and a bit, for year-on-year tiles)."""
MAX_ROWS = 2000
"""The most rows one query may return; narrow the dimensions or the filters beyond."""


class Metric(StrEnum):
    """A KPI of the catalogue (docs/kpis.md)."""

    JOBS_COMPLETED = "JOBS_COMPLETED"
    """Tasks completed."""
    FIRST_TIME_FIX_RATE = "FIRST_TIME_FIX_RATE"
    """First visits completed / first visits closed (0-1)."""
    SLA_RESPONSE_RATE = "SLA_RESPONSE_RATE"
    """Check-ins by the response due time / check-ins with one due (0-1)."""
    SLA_RESOLUTION_RATE = "SLA_RESOLUTION_RATE"
    """Completions by the resolution due time / completions with one due (0-1)."""
    ON_TIME_ARRIVAL_RATE = "ON_TIME_ARRIVAL_RATE"
    """Check-ins by the window end (or scheduled start + 15 min) / check-ins (0-1)."""
    MEAN_TIME_TO_REPAIR_HOURS = "MEAN_TIME_TO_REPAIR_HOURS"
    """Mean hours from the request (or task) to its completion."""
    OFFERS_MADE = "OFFERS_MADE"
    """Offers made to technicians."""
    OFFER_REJECTION_RATE = "OFFER_REJECTION_RATE"
    """Offers rejected / offers made (0-1)."""
    OFFER_EXPIRY_RATE = "OFFER_EXPIRY_RATE"
    """Offers that expired unanswered / offers made (0-1)."""
    REPEAT_VISIT_RATE = "REPEAT_VISIT_RATE"
    """Completions at a site with another job done in the 30 days before / completions."""
    CSAT_AVERAGE = "CSAT_AVERAGE"
    """Average customer rating (1-5)."""
    CSAT_RESPONSES = "CSAT_RESPONSES"
    """Customer ratings received."""
    CSAT_1 = "CSAT_1"
    """Ratings of 1 star."""
    CSAT_2 = "CSAT_2"
    """Ratings of 2 stars."""
    CSAT_3 = "CSAT_3"
    """Ratings of 3 stars."""
    CSAT_4 = "CSAT_4"
    """Ratings of 4 stars."""
    CSAT_5 = "CSAT_5"
    """Ratings of 5 stars."""
    REVENUE_NET = "REVENUE_NET"
    """Issued task invoices net of tax, less credit notes."""
    TRAVEL_HOURS = "TRAVEL_HOURS"
    """Hours on the road: from starting travel to the check-in it led to."""
    AVERAGE_TRAVEL_MINUTES = "AVERAGE_TRAVEL_MINUTES"
    """Mean minutes from starting travel to checking in."""
    ON_SITE_HOURS = "ON_SITE_HOURS"
    """Hours at the site: from the first check-in to the close of the visit."""
    ON_SITE_SHARE = "ON_SITE_SHARE"
    """Time at the site / time at the site and on the road (0-1): how much of the busy day
    is spent where the customer is."""
    PARTS_USED = "PARTS_USED"
    """Units of parts recorded as used on visits."""
    UTILISATION = "UTILISATION"
    """Hours at the site and on the road / shift hours (0-1, above 1 with overtime)."""
    WORK_SHARE = "WORK_SHARE"
    """Hours at the site / shift hours."""
    TRAVEL_SHARE = "TRAVEL_SHARE"
    """Hours on the road / shift hours."""
    BREAK_SHARE = "BREAK_SHARE"
    """Hours on break / shift hours."""
    IDLE_SHARE = "IDLE_SHARE"
    """Shift hours neither at the site, on the road nor on break / shift hours."""
    SHIFT_HOURS = "SHIFT_HOURS"
    """Planned shift hours (weekly hours less time off) of the technician-days counted."""
    BREAK_HOURS = "BREAK_HOURS"
    """Hours on break (attendance breaks)."""
    JOBS_PER_TECHNICIAN_DAY = "JOBS_PER_TECHNICIAN_DAY"
    """Jobs completed / technician-days on shift."""


@dataclass(frozen=True)
class Formula:
    numerator: str
    denominator: str | None = None
    per: Decimal = Decimal(1)
    """The unit the value is counted in, in the columns' units (3600: seconds read as hours)."""
    higher_is_better: bool = True
    by_job_mix: bool = True
    """False where the denominator is the technician's shift, not a job: the scoreboard ranks
    the raw figure (there is no task type or priority to weigh a shift by)."""


FORMULAS: dict[Metric, Formula] = {
    Metric.JOBS_COMPLETED: Formula("jobs_completed"),
    Metric.FIRST_TIME_FIX_RATE: Formula("first_time_fixes", "first_visits_closed"),
    Metric.SLA_RESPONSE_RATE: Formula("response_met", "response_due"),
    Metric.SLA_RESOLUTION_RATE: Formula("resolution_met", "resolution_due"),
    Metric.ON_TIME_ARRIVAL_RATE: Formula("arrivals_on_time", "arrivals"),
    Metric.MEAN_TIME_TO_REPAIR_HOURS: Formula(
        "repair_seconds", "repair_count", Decimal(3600), higher_is_better=False
    ),
    Metric.OFFERS_MADE: Formula("offers_made"),
    Metric.OFFER_REJECTION_RATE: Formula("offers_rejected", "offers_made", higher_is_better=False),
    Metric.OFFER_EXPIRY_RATE: Formula("offers_expired", "offers_made", higher_is_better=False),
    Metric.REPEAT_VISIT_RATE: Formula("repeat_visits", "jobs_completed", higher_is_better=False),
    Metric.CSAT_AVERAGE: Formula("rating_sum", "rating_count"),
    Metric.CSAT_RESPONSES: Formula("rating_count"),
    Metric.CSAT_1: Formula("rating_1"),
    Metric.CSAT_2: Formula("rating_2"),
    Metric.CSAT_3: Formula("rating_3"),
    Metric.CSAT_4: Formula("rating_4"),
    Metric.CSAT_5: Formula("rating_5"),
    Metric.REVENUE_NET: Formula("revenue_net"),
    Metric.TRAVEL_HOURS: Formula("travel_seconds", per=Decimal(3600), higher_is_better=False),
    Metric.AVERAGE_TRAVEL_MINUTES: Formula(
        "travel_seconds", "travels", Decimal(60), higher_is_better=False
    ),
    Metric.ON_SITE_HOURS: Formula("onsite_seconds", per=Decimal(3600)),
    Metric.ON_SITE_SHARE: Formula("onsite_seconds", "busy_seconds"),
    Metric.PARTS_USED: Formula("parts_used"),
    Metric.UTILISATION: Formula("busy_seconds", "shift_seconds", by_job_mix=False),
    Metric.WORK_SHARE: Formula("onsite_seconds", "shift_seconds", by_job_mix=False),
    Metric.TRAVEL_SHARE: Formula(
        "travel_seconds", "shift_seconds", higher_is_better=False, by_job_mix=False
    ),
    Metric.BREAK_SHARE: Formula(
        "break_seconds", "shift_seconds", higher_is_better=False, by_job_mix=False
    ),
    Metric.IDLE_SHARE: Formula(
        "idle_seconds", "shift_seconds", higher_is_better=False, by_job_mix=False
    ),
    Metric.SHIFT_HOURS: Formula("shift_seconds", per=Decimal(3600)),
    Metric.BREAK_HOURS: Formula("break_seconds", per=Decimal(3600), higher_is_better=False),
    Metric.JOBS_PER_TECHNICIAN_DAY: Formula("jobs_completed", "shift_days", by_job_mix=False),
}


class Dimension(StrEnum):
    """What a KPI query groups by."""

    DAY = "DAY"
    """The local day (territory time zone)."""
    WEEK = "WEEK"
    """The local ISO week, by its Monday."""
    MONTH = "MONTH"
    """The local month, by its first day."""
    TERRITORY = "TERRITORY"
    """The task's territory."""
    PARTNER = "PARTNER"
    """The technician's partner company (none for employees)."""
    TECHNICIAN = "TECHNICIAN"
    """The technician (offered, or assigned)."""
    PRODUCT_CATEGORY = "PRODUCT_CATEGORY"
    """The category of the asset's product model."""
    CHANNEL = "CHANNEL"
    """The channel the service request came in by."""
    PRIORITY = "PRIORITY"
    """The task's priority (1 highest)."""
    TASK_TYPE = "TASK_TYPE"
    """The kind of task."""


BUCKETS = {
    Dimension.DAY: "day",
    Dimension.WEEK: "date_trunc('week', day)::date",
    Dimension.MONTH: "date_trunc('month', day)::date",
}
COLUMNS = {
    Dimension.TERRITORY: "territory_id",
    Dimension.PARTNER: "partner_id",
    Dimension.TECHNICIAN: "technician_id",
    Dimension.PRODUCT_CATEGORY: "product_category",
    Dimension.CHANNEL: "channel",
    Dimension.PRIORITY: "priority",
    Dimension.TASK_TYPE: "task_type",
}
READERS = frozenset({Role.ADMIN, Role.MANAGER, Role.DISPATCHER, Role.PARTNER})
"""Managers, admins and dispatchers read every KPI (there is no territory scoping of staff
yet); a partner reads only its own technicians' figures."""


@dataclass(frozen=True)
class Filters:
    territory_ids: list[int] = field(default_factory=list)
    partner_ids: list[int] = field(default_factory=list)
    technician_ids: list[int] = field(default_factory=list)
    product_categories: list[str] = field(default_factory=list)
    channels: list[str] = field(default_factory=list)
    priorities: list[int] = field(default_factory=list)
    task_types: list[str] = field(default_factory=list)


_FILTER_COLUMNS = {
    "territory_ids": "territory_id",
    "partner_ids": "partner_id",
    "technician_ids": "technician_id",
    "product_categories": "product_category",
    "channels": "channel",
    "priorities": "priority",
    "task_types": "task_type",
}


@dataclass(frozen=True)
class Figure:
    metric: Metric
    numerator: Decimal
    denominator: Decimal | None

    @property
    def value(self) -> Decimal | None:
        formula = FORMULAS[self.metric]
        if self.denominator is None:
            return self.numerator / formula.per
        if self.denominator == 0:
            return None
        return self.numerator / self.denominator / formula.per


@dataclass(frozen=True)
class Row:
    """One bucket and combination of slicers, with a figure per metric asked for."""

    bucket: date | None
    keys: dict[Dimension, Any]
    figures: list[Figure]


def scoped_filters(principal: Principal, filters: Filters) -> Filters:
    """The filters the caller may apply: a partner is held to its own partner dimension."""
    if principal.role not in READERS:
        raise DomainError("this role may not read KPIs", ErrorCode.FORBIDDEN)
    if principal.role is not Role.PARTNER:
        return filters
    own = principal.partner_id
    if own is None or any(p != own for p in filters.partner_ids):
        raise DomainError(
            "a partner reads only its own figures", ErrorCode.FORBIDDEN, ["filters", "partnerIds"]
        )
    return Filters(**{**filters.__dict__, "partner_ids": [own]})


MAX_FILTER_VALUES = 200
"""Values one filter takes at most (a longer list is a client error, not a query to run)."""
_BIGINT = 2**63 - 1


def check_filters(filters: Filters) -> None:
    """Each filter a bounded list of values a column can hold: a made-up id far beyond the
    column's range, or ten thousand of them, is refused before any statement runs."""
    for name in _FILTER_COLUMNS:
        values = getattr(filters, name)
        at = ["filters", camel(name)]
        if len(values) > MAX_FILTER_VALUES:
            raise DomainError(
                f"a filter takes at most {MAX_FILTER_VALUES} values", ErrorCode.INVALID, at
            )
        for value in values:
            fits = 0 <= value <= _BIGINT if isinstance(value, int) else len(value) <= 40
            if not fits:
                raise DomainError(f"no such value: {str(value)[:40]}", ErrorCode.INVALID, at)


def check_range(first: date, last: date) -> None:
    if last < first:
        raise DomainError("`to` is before `from`", ErrorCode.INVALID, ["to"])
    if (last - first).days + 1 > MAX_DAYS:
        raise DomainError(f"a range covers at most {MAX_DAYS} days", ErrorCode.INVALID, ["to"])


def slicer_filters(filters: Filters, params: dict[str, Any]) -> list[str]:
    """Conditions on the slicer columns (every rollup table has them), binding their values."""
    clauses = []
    for name, column in _FILTER_COLUMNS.items():
        values = getattr(filters, name)
        if values:
            params[name] = list(values)
            clauses.append(f"{column} = ANY(:{name})")
    return clauses


def _sums(metrics: list[Metric]) -> list[str]:
    columns: list[str] = []
    for metric in metrics:
        formula = FORMULAS[metric]
        for column in (formula.numerator, formula.denominator):
            if column is not None and column not in columns:
                columns.append(column)
    return columns


async def kpis(
    session: AsyncSession,
    principal: Principal,
    metrics: list[Metric],
    dimensions: list[Dimension],
    first: date,
    last: date,
    filters: Filters,
) -> list[Row]:
    """The figures of `metrics` grouped by `dimensions` over local days `first`..`last`."""
    if not metrics:
        raise DomainError("ask for at least one metric", ErrorCode.INVALID, ["metrics"])
    check_range(first, last)
    check_filters(filters)
    buckets = [d for d in dimensions if d in BUCKETS]
    if len(buckets) > 1:
        raise DomainError("group by one of DAY, WEEK, MONTH", ErrorCode.INVALID, ["dimensions"])
    filters = scoped_filters(principal, filters)
    slicers = [d for d in dict.fromkeys(dimensions) if d in COLUMNS]
    params: dict[str, Any] = {}
    pieces = spans.cover(
        first,
        last,
        by_day=Dimension.DAY in buckets,
        by_week=Dimension.WEEK in buckets,
        by_month=Dimension.MONTH in buckets,
    )
    per_technician = Dimension.TECHNICIAN in slicers or bool(filters.technician_ids)
    rows_from = spans.source(
        pieces, slicer_filters(filters, params), params, per_technician=per_technician
    )
    group = [BUCKETS[buckets[0]]] if buckets else ["NULL::date"]
    group += [COLUMNS[d] for d in slicers]
    sums = _sums(list(dict.fromkeys(metrics)))
    statement = (
        f"SELECT {', '.join(f'{g} AS g{i}' for i, g in enumerate(group))}, "
        f"{', '.join(f'sum({c}) AS {c}' for c in sums)} FROM {rows_from} "
        f"GROUP BY {', '.join(group)} "
        f"ORDER BY {', '.join(str(i + 1) for i in range(len(group)))} LIMIT {MAX_ROWS + 1}"
    )
    found = (await session.execute(sa.text(statement), params)).all()
    if len(found) > MAX_ROWS:
        raise DomainError(
            f"the query gives more than {MAX_ROWS} rows: group by fewer dimensions, filter, "
            "or shorten the range",
            ErrorCode.INVALID,
            ["dimensions"],
        )
    return [_row(r._mapping, slicers, list(dict.fromkeys(metrics))) for r in found]


def _row(values: Any, slicers: list[Dimension], metrics: list[Metric]) -> Row:
    figures = []
    for metric in metrics:
        formula = FORMULAS[metric]
        numerator = Decimal(values[formula.numerator] or 0)
        denominator = (
            None if formula.denominator is None else Decimal(values[formula.denominator] or 0)
        )
        figures.append(Figure(metric, numerator, denominator))
    keys = {d: values[f"g{i + 1}"] for i, d in enumerate(slicers)}
    return Row(values["g0"], keys, figures)


def period_days(period_days: int, today: date) -> tuple[date, date]:
    return today - timedelta(days=period_days - 1), today
