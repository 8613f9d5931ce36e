"""KPI queries: figures by bucket and slicer, and the technician scoreboard."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import DomainError
from app.core.models import utcnow
from app.kpis import query, scoreboard
from app.territories.models import Territory
from schema.context import Info
from schema.errors import from_domain_error
from schema.ids import decode_optional_id
from schema.kpis import (
    PERIOD_DAYS,
    KpiDimension,
    KpiFilterInput,
    KpiMetric,
    KpiPeriod,
    KpiReportPayload,
    KpiRow,
    ScoreboardEntry,
    ScoreboardPayload,
)
from schema.permissions import allow

READERS = tuple(query.READERS)


async def _today(session: AsyncSession, territory_id: int | None) -> date:
    zone = "UTC"
    if territory_id is not None:
        territory = await session.get(Territory, territory_id)
        zone = territory.time_zone if territory is not None else zone
    return datetime.now(ZoneInfo(zone)).date() if zone != "UTC" else utcnow().date()


@strawberry.type
class KpisQuery:
    @strawberry.field(
        extensions=[allow(*READERS)],
        description=(
            "KPI figures over local days `from`..`to` (at most 400), grouped by `dimensions`, "
            "read from the live rollup (docs/kpis.md). A partner sees only its own technicians."
        ),
    )
    async def kpis(
        self,
        info: Info,
        metrics: Annotated[
            list[KpiMetric],  # type: ignore[valid-type]
            strawberry.argument(description="The KPIs wanted, in the order of each row's values."),
        ],
        dimensions: Annotated[
            list[KpiDimension],  # type: ignore[valid-type]
            strawberry.argument(description="What to group by; empty for one total row."),
        ],
        from_: Annotated[
            date, strawberry.argument(name="from", description="First local day, included.")
        ],
        to: Annotated[date, strawberry.argument(description="Last local day, included.")],
        filters: Annotated[
            KpiFilterInput | None, strawberry.argument(description="Only these slicers.")
        ] = None,
    ) -> KpiReportPayload:
        try:
            rows = await query.kpis(
                info.context.session,
                info.context.principal,  # type: ignore[arg-type]
                list(metrics),
                list(dimensions),
                from_,
                to,
                (filters or KpiFilterInput()).to_filters(),
            )
        except DomainError as refused:
            return KpiReportPayload(user_errors=from_domain_error(refused))
        return KpiReportPayload(rows=[KpiRow.from_row(r) for r in rows])

    @strawberry.field(
        extensions=[allow(*READERS)],
        description=(
            "Technicians ranked on one KPI over a period ending today (local), normalised for "
            "job mix: a rate is compared with the territory's rate on the same task types and "
            "priorities (docs/kpis.md)."
        ),
    )
    async def scoreboard(
        self,
        info: Info,
        metric: Annotated[KpiMetric, strawberry.argument(description="The KPI ranked on.")],  # type: ignore[valid-type]
        period: Annotated[KpiPeriod, strawberry.argument(description="How far back.")],  # type: ignore[valid-type]
        territory_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only this territory (default: every one)."),
        ] = None,
    ) -> ScoreboardPayload:
        session = info.context.session
        try:
            territory = decode_optional_id(territory_id, "Territory", "territoryId")
            last = await _today(session, territory)
            first, last = query.period_days(PERIOD_DAYS[period], last)
            standings = await scoreboard.scoreboard(
                session,
                info.context.principal,  # type: ignore[arg-type]
                metric,
                first,
                last,
                territory,
            )
        except DomainError as refused:
            return ScoreboardPayload(user_errors=from_domain_error(refused))
        return ScoreboardPayload(
            entries=[ScoreboardEntry.from_standing(s) for s in standings],
            from_day=first,
            to_day=last,
        )
