"""Job costing over GraphQL: managers only."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.work_orders.models import TaskStatus
from schema.ids import encode_id
from tests.billing import factories
from tests.support import GraphQLClient
from tests.work_orders import factories as wf

MARGINS = """query { marginsByTerritory(from: "2031-01-01T00:00:00Z", to: "2031-02-01T00:00:00Z")
  { keyId tasks margin { amount } } }"""


@pytest.mark.parametrize(
    ("role", "code"),
    [
        (None, "UNAUTHENTICATED"),
        (Role.CUSTOMER, "FORBIDDEN"),
        (Role.TECHNICIAN, "FORBIDDEN"),
        (Role.PARTNER, "FORBIDDEN"),
        (Role.DISPATCHER, "FORBIDDEN"),
        (Role.MANAGER, None),
        (Role.ADMIN, None),
    ],
)
async def test_only_managers_read_margins(
    gql: GraphQLClient, role: Role | None, code: str | None
) -> None:
    body = await gql.as_role(role).raw(MARGINS)
    if code is None:
        assert body["data"]["marginsByTerritory"] == []
    else:
        assert body["errors"][0]["extensions"]["code"] == code


async def test_margins_name_their_technician_and_territory(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given one completed, invoiced visit
    world = await wf.world(session)
    end = datetime(2031, 5, 5, 12, tzinfo=UTC)
    task = await factories.task(
        session, world, status=TaskStatus.COMPLETED, minutes=60, finished_at=end
    )
    await session.commit()
    window = {"from": "2031-05-05T00:00:00Z", "to": "2031-05-06T00:00:00Z"}

    # when a manager reads margins per technician and per territory
    body = await gql.as_role(Role.MANAGER)(
        """query($from: DateTime!, $to: DateTime!) {
          byTech: marginsByTechnician(from: $from, to: $to) {
            tasks technician { id name } territory { id } }
          byArea: marginsByTerritory(from: $from, to: $to) {
            tasks territory { id name } technician { id } }
          taskCosting(taskIds: [$task]) { task { id status } }
        }""".replace("$task", f'"{encode_id("Task", task.id or 0)}"'),
        window,
    )

    # then each row names its object, not just an id
    (tech,) = body["byTech"]
    (area,) = body["byArea"]
    assert tech == {
        "tasks": 1,
        "technician": {
            "id": encode_id("Technician", world.technician.id or 0),
            "name": world.technician.name,
        },
        "territory": None,
    }
    assert area["territory"]["name"] == world.territory.name and area["technician"] is None
    assert body["taskCosting"][0]["task"]["id"] == encode_id("Task", task.id or 0)
