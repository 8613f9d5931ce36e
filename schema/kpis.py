"""GraphQL types of the KPI queries: metrics, dimensions, filters, rows and the scoreboard."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum

import strawberry

from app.kpis import query
from app.kpis.query import Filters, Row
from app.kpis.scoreboard import Standing
from schema.assets import ProductCategory
from schema.errors import Payload
from schema.ids import decode_ids, encode_id
from schema.pagination import FirstItems
from schema.service_requests import RequestChannel
from schema.work_orders import TaskKind

KpiMetric = strawberry.enum(
    query.Metric, name="KpiMetric", description="A KPI of the catalogue (docs/kpis.md)."
)
KpiDimension = strawberry.enum(
    query.Dimension,
    name="KpiDimension",
    description="What KPI figures are grouped by; at most one of DAY, WEEK, MONTH.",
)


class Period(StrEnum):
    """A scoreboard's period, ending today."""

    LAST_7_DAYS = "LAST_7_DAYS"
    """The last 7 days, today included."""
    LAST_30_DAYS = "LAST_30_DAYS"
    """The last 30 days, today included."""
    LAST_90_DAYS = "LAST_90_DAYS"
    """The last 90 days, today included."""
    LAST_365_DAYS = "LAST_365_DAYS"
    """The last 365 days, today included."""


PERIOD_DAYS = {
    Period.LAST_7_DAYS: 7,
    Period.LAST_30_DAYS: 30,
    Period.LAST_90_DAYS: 90,
    Period.LAST_365_DAYS: 365,
}
KpiPeriod = strawberry.enum(Period, name="KpiPeriod", description="A scoreboard's period.")


@strawberry.input(description="Only the figures of these slicers (each list ORs its values).")
class KpiFilterInput:
    territory_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only these territories."
    )
    partner_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only these partners' technicians."
    )
    technician_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only these technicians."
    )
    product_categories: list[ProductCategory] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only assets of these product categories."
    )
    channels: list[RequestChannel] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only requests that came in by these channels."
    )
    priorities: list[int] | None = strawberry.field(
        default=None, description="Only tasks of these priorities (1-5)."
    )
    task_types: list[TaskKind] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="Only tasks of these types."
    )

    def to_filters(self) -> Filters:
        return Filters(
            territory_ids=decode_ids(
                list(self.territory_ids or []), "Territory", "filters.territoryIds"
            ),
            partner_ids=decode_ids(list(self.partner_ids or []), "Partner", "filters.partnerIds"),
            technician_ids=decode_ids(
                list(self.technician_ids or []), "Technician", "filters.technicianIds"
            ),
            product_categories=[str(c) for c in self.product_categories or []],
            channels=[str(c) for c in self.channels or []],
            priorities=list(self.priorities or []),
            task_types=[str(t) for t in self.task_types or []],
        )


@strawberry.type(description="One KPI figure: the value and the sums it is computed from.")
class KpiValue:
    metric: KpiMetric = strawberry.field(  # type: ignore[valid-type]
        description="Which KPI."
    )
    value: Decimal | None = strawberry.field(
        description="The figure; null for a rate with nothing to divide by."
    )
    numerator: Decimal = strawberry.field(description="The summed counter on top.")
    denominator: Decimal | None = strawberry.field(
        description="The summed counter below, for a rate or mean; null for a count or sum."
    )


def _gid(type_name: str, value: int | None) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(encode_id(type_name, value))


@strawberry.type(description="The KPI figures of one bucket and combination of slicers.")
class KpiRow:
    bucket: date | None = strawberry.field(
        description="First local day of the bucket (the day, the week's Monday, the month's "
        "first); null when not grouped by time."
    )
    territory_id: strawberry.ID | None = strawberry.field(
        description="The territory, when grouped by it (null: tasks with no territory)."
    )
    partner_id: strawberry.ID | None = strawberry.field(
        description="The partner, when grouped by it (null: employees)."
    )
    technician_id: strawberry.ID | None = strawberry.field(
        description="The technician, when grouped by it (null: none assigned)."
    )
    product_category: str | None = strawberry.field(
        description="The product category, when grouped by it."
    )
    channel: str | None = strawberry.field(description="The request channel, when grouped by it.")
    priority: int | None = strawberry.field(description="The priority, when grouped by it.")
    task_type: str | None = strawberry.field(description="The task type, when grouped by it.")
    values: list[KpiValue] = strawberry.field(
        extensions=[FirstItems(40)], description="One figure per metric asked for, in order."
    )

    @classmethod
    def from_row(cls, row: Row) -> KpiRow:
        keys = row.keys
        d = query.Dimension
        return cls(
            bucket=row.bucket,
            territory_id=_gid("Territory", keys.get(d.TERRITORY)),
            partner_id=_gid("Partner", keys.get(d.PARTNER)),
            technician_id=_gid("Technician", keys.get(d.TECHNICIAN)),
            product_category=keys.get(d.PRODUCT_CATEGORY),
            channel=keys.get(d.CHANNEL),
            priority=keys.get(d.PRIORITY),
            task_type=keys.get(d.TASK_TYPE),
            values=[
                KpiValue(
                    metric=f.metric, value=f.value, numerator=f.numerator, denominator=f.denominator
                )
                for f in row.figures
            ],
        )


@strawberry.type(description="KPI figures, or why the query was refused.")
class KpiReportPayload(Payload):
    rows: list[KpiRow] = strawberry.field(
        default_factory=list,
        description=f"The rows, ordered by bucket then slicers; at most {query.MAX_ROWS}.",
    )


@strawberry.type(description="A technician's place on a scoreboard.")
class ScoreboardEntry:
    rank: int = strawberry.field(description="1 for the best score.")
    technician_id: strawberry.ID = strawberry.field(description="The technician.")
    value: Decimal | None = strawberry.field(description="The technician's own figure.")
    expected: Decimal | None = strawberry.field(
        description="What the territory achieves on the technician's job mix (rates only)."
    )
    score: Decimal = strawberry.field(
        description="What the ranking sorts on: the figure above its job-mix expectation "
        "(reversed where lower is better); the raw figure for counts and sums."
    )
    volume: Decimal = strawberry.field(
        description="How many cases the figure rests on (its denominator, or the count)."
    )

    @classmethod
    def from_standing(cls, s: Standing) -> ScoreboardEntry:
        return cls(
            rank=s.rank,
            technician_id=strawberry.ID(encode_id("Technician", s.technician_id)),
            value=s.value,
            expected=s.expected,
            score=s.score,
            volume=s.volume,
        )


@strawberry.type(description="A technician ranking, or why it was refused.")
class ScoreboardPayload(Payload):
    entries: list[ScoreboardEntry] = strawberry.field(
        default_factory=list, description="Technicians from best to worst, at most 200."
    )
    from_day: date | None = strawberry.field(default=None, description="First local day.")
    to_day: date | None = strawberry.field(default=None, description="Last local day.")


@strawberry.type(description="KPI tiles that changed: their figures on the local days that moved.")
class KpiTilesPayload(Payload):
    days: list[date] = strawberry.field(
        default_factory=list, description="The local days whose figures changed."
    )
    rows: list[KpiRow] = strawberry.field(
        default_factory=list,
        description="The figures asked for, one row per changed day, with the filters applied.",
    )
