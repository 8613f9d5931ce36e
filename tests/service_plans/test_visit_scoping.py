"""A technician reads the planned visit of a task assigned to them, but not the plan behind
it (plans are for staff and the customer)."""

from __future__ import annotations

from datetime import datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from app.contracts.models import ContractKind
from app.core.auth import Role
from app.core.models import utcnow
from app.work_orders import offers
from app.work_orders.models import Task
from tests.notifications.support import DISPATCHER
from tests.service_plans import factories as sp
from tests.support import GraphQLClient
from tests.work_orders import factories

VISITS = "{ plannedVisits(first: 10) { edges { node { plan { name } task { id } } } } }"


async def test_a_technician_sees_their_visit_but_not_its_plan(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await factories.world(session)
    contract = await factories.contract(session, w.customer, ContractKind.AMC, asset=w.asset)
    today = utcnow().date()
    assert contract.id is not None and w.technician.id is not None
    plan = await sp.plan(
        session, contract.id, today, 30, frequency="WEEKLY", non_working_weekdays=[]
    )
    first = (await sp.visits(session, plan.id))[0]
    task = await session.get(Task, first.task_id)
    assert task is not None and task.window_start is not None
    start = datetime.combine(first.visit_on, time(6), task.window_start.tzinfo)
    await offers.assign_task(session, DISPATCHER, task.id or 0, w.technician.id, start)

    seen = await gql.as_role(Role.TECHNICIAN, technician_id=w.technician.id)(VISITS)
    staff = await gql(VISITS)

    (edge,) = seen["plannedVisits"]["edges"]
    assert edge["node"]["plan"] is None and edge["node"]["task"] is not None
    assert {e["node"]["plan"]["name"] for e in staff["plannedVisits"]["edges"]} == {plan.name}
