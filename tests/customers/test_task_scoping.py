"""Field work opens the customer's records to the technicians on it, and back."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.work_orders.models import Task, TaskStatus, TaskType, WorkOrder
from tests.support import GraphQLClient
from tests.work_orders import factories

CUSTOMERS = "{ customers { edges { node { name sites { name } } } } }"
TECHNICIANS = "{ technicians { edges { node { name } } } }"


async def give_task(session: AsyncSession, world: factories.World) -> Task:
    order = WorkOrder(customer_id=world.customer.id, site_id=world.site.id)
    session.add(order)
    await session.flush()
    task = Task(
        type=TaskType.REPAIR,
        work_order_id=order.id,
        customer_id=world.customer.id,
        site_id=world.site.id,
        location=world.site.point,
        technician_id=world.technician.id,
        status=TaskStatus.ACCEPTED,
    )
    session.add(task)
    await session.flush()
    return task


async def test_a_technician_sees_the_customers_of_their_tasks_only(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    served, other = await factories.world(session), await factories.world(session)
    await give_task(session, served)

    view = await gql.as_role(Role.TECHNICIAN, technician_id=served.technician.id)(CUSTOMERS)
    idle = await gql.as_role(Role.TECHNICIAN, technician_id=other.technician.id)(CUSTOMERS)

    assert [e["node"]["name"] for e in view["customers"]["edges"]] == [served.customer.name]
    assert view["customers"]["edges"][0]["node"]["sites"] != []
    assert idle["customers"]["edges"] == []


async def test_a_partner_sees_the_customers_its_technicians_serve(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    served = await factories.world(session)
    company = await factories.partner(session)
    served.technician.partner_id = company.id
    served.technician.employment = "PARTNER"  # type: ignore[assignment]
    await give_task(session, served)

    view = await gql.as_role(Role.PARTNER, partner_id=company.id)(CUSTOMERS)
    assert [e["node"]["name"] for e in view["customers"]["edges"]] == [served.customer.name]


async def test_a_customer_sees_the_technician_assigned_to_their_task_only(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    served, other = await factories.world(session), await factories.world(session)
    await give_task(session, served)

    view = await gql.as_role(Role.CUSTOMER, customer_id=served.customer.id)(TECHNICIANS)
    nobody = await gql.as_role(Role.CUSTOMER, customer_id=other.customer.id)(TECHNICIANS)

    assert [e["node"]["name"] for e in view["technicians"]["edges"]] == [served.technician.name]
    assert nobody["technicians"]["edges"] == []


async def test_a_customer_no_longer_sees_a_technician_once_the_task_is_cancelled(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    served = await factories.world(session)
    task = await give_task(session, served)
    task.status = TaskStatus.CANCELLED
    await session.flush()

    view = await gql.as_role(Role.CUSTOMER, customer_id=served.customer.id)(TECHNICIANS)
    assert view["technicians"]["edges"] == []
