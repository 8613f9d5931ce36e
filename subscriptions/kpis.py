"""Live KPI tiles: after a change commits, the figures of the days it moved, re-read."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import date
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError

from app.core.auth import Principal
from app.core.errors import DomainError, ErrorCode
from app.kpis import hooks, query
from app.kpis.query import Dimension, Filters
from schema.context import Info
from schema.kpis import KpiFilterInput, KpiMetric, KpiRow, KpiTilesPayload
from schema.permissions import allow


def _concerns(event: dict[str, Any], filters: Filters) -> bool:
    """Whether the change may move a tile under these filters (a cheap pre-check; the
    re-read applies every filter exactly)."""
    data = event["data"]
    for wanted, key in (
        (filters.territory_ids, "territoryIds"),
        (filters.partner_ids, "partnerIds"),
        (filters.technician_ids, "technicianIds"),
    ):
        if wanted and not set(wanted) & set(data.get(key, [])):
            return False
    return True


async def _tiles(
    info: Info,
    principal: Principal,
    metrics: list[query.Metric],
    filters: Filters,
    days: list[date],
) -> KpiTilesPayload:
    async with info.context.sessions() as session:
        rows = await query.kpis(
            session, principal, metrics, [Dimension.DAY], min(days), max(days), filters
        )
    return KpiTilesPayload(
        days=days, rows=[KpiRow.from_row(r) for r in rows if r.bucket in set(days)]
    )


@strawberry.type
class KpisSubscription:
    @strawberry.subscription(
        extensions=[allow(*query.READERS)],
        description=(
            "KPI tiles pushed as soon as a change that moves them commits: the figures asked "
            "for, per local day that moved, under the filters (a partner: its own only)."
        ),
    )
    async def kpi_updates(
        self,
        info: Info,
        metrics: Annotated[
            list[KpiMetric],  # type: ignore[valid-type]
            strawberry.argument(description="The KPIs of the tiles."),
        ],
        filters: Annotated[
            KpiFilterInput | None, strawberry.argument(description="Only these slicers.")
        ] = None,
    ) -> AsyncGenerator[KpiTilesPayload, None]:
        principal: Principal | None = info.context.principal
        assert principal is not None
        wanted = list(dict.fromkeys(metrics))
        try:
            if not wanted:
                raise DomainError("ask for at least one metric", ErrorCode.INVALID, ["metrics"])
            scoped = query.scoped_filters(principal, (filters or KpiFilterInput()).to_filters())
        except DomainError as refused:
            raise GraphQLError(
                refused.problems[0].message, extensions={"code": refused.code.value}
            ) from refused
        async with info.context.broker.subscribe(hooks.CHANNEL) as events:
            async for event in events:
                if event.get("kind") != hooks.KIND or not _concerns(event, scoped):
                    continue
                days = sorted(date.fromisoformat(d) for d in event["data"]["days"])
                yield await _tiles(info, principal, wanted, scoped, days)
