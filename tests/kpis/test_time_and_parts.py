"""Time on the road, time at the site and parts used: counted from the task's audit trail and
parts lines, in the same transaction as the change, and read through `kpis`."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.kpis.hooks import note_tasks
from app.work_orders.models import TaskPart
from schema.ids import encode_id
from tests.kpis import helpers
from tests.support import GraphQLClient
from tests.work_orders import factories

KPIS = """
query ($from: Date!, $to: Date!, $territory: ID!) {
  kpis(metrics: [TRAVEL_HOURS, AVERAGE_TRAVEL_MINUTES, ON_SITE_HOURS, ON_SITE_SHARE,
                 PARTS_USED],
       dimensions: [], from: $from, to: $to, filters: { territoryIds: [$territory] }) {
    rows { values { metric value numerator denominator } }
    userErrors { code }
  }
}
"""


async def _timeline(session: AsyncSession, task_id: int, travel: int, on_site: int) -> None:
    """Set the visit's clock: left `travel` minutes before the check-in, which came
    `on_site` minutes before the close (history as the device reported it)."""
    finished = await session.scalar(sa.text(f"SELECT finished_at FROM tasks WHERE id = {task_id}"))
    arrived = finished - timedelta(minutes=on_site)
    for status, at in (("EN_ROUTE", arrived - timedelta(minutes=travel)), ("ON_SITE", arrived)):
        await session.execute(
            sa.text("UPDATE task_events SET at = :at WHERE task_id = :id AND to_status = :s"),
            {"at": at, "id": task_id, "s": status},
        )
    async with session.begin_nested():
        note_tasks(session.sync_session, {task_id})


async def test_travel_time_at_the_site_and_parts_used_add_up(
    session: AsyncSession, gql: GraphQLClient
) -> None:
    # given two visits: 20 min on the road and 60 at the site, then 40 and 90, 3 parts used
    w = await factories.world(session)
    for travel, on_site, parts in ((20, 60, 1), (40, 90, 2)):
        task = await helpers.new_task(session, w)
        assert task.id is not None
        for step in (helpers.assign, helpers.arrive, helpers.complete):
            assert await helpers.committed(session, step(session, w, task.id))
        await _timeline(session, task.id, travel, on_site)
        async with session.begin_nested():
            session.add(TaskPart(task_id=task.id, part_code="FLT-1", quantity=parts, author="t"))
    # when a manager reads the territory's figures
    today = date.today()
    data = await gql.as_role(Role.MANAGER)(
        KPIS,
        {
            "from": (today - timedelta(days=1)).isoformat(),
            "to": (today + timedelta(days=1)).isoformat(),
            "territory": encode_id("Territory", w.territory.id),
        },
    )
    values = {v["metric"]: v for v in data["kpis"]["rows"][0]["values"]}
    # then an hour on the road in two trips, 2.5 h at the site, 150 of 210 busy minutes there
    assert Decimal(values["TRAVEL_HOURS"]["value"]) == 1
    assert Decimal(values["AVERAGE_TRAVEL_MINUTES"]["value"]) == 30
    assert values["AVERAGE_TRAVEL_MINUTES"]["denominator"] == "2"
    assert Decimal(values["ON_SITE_HOURS"]["value"]) == Decimal("2.5")
    assert Decimal(values["ON_SITE_SHARE"]["value"]) == Decimal(150) / Decimal(210)
    assert Decimal(values["PARTS_USED"]["value"]) == 3
