"""The lists front ends page through: task filters for the desk, a technician's day, a
customer's requests newest first."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.core.models import utcnow
from app.service_requests.models import (
    CoverageKind,
    EligibilityStatus,
    RequestCategory,
    RequestChannel,
    ServiceRequest,
    ServiceRequestStatus,
)
from app.work_orders.models import Task, TaskStatus
from schema.ids import encode_id
from tests.billing import factories as billing
from tests.support import GraphQLClient
from tests.work_orders import factories

TASKS = """query($filter: TaskFilter) {
  tasks(first: 50, filter: $filter) { totalCount edges { node { id } } }
}"""


def task_ids(body: dict) -> set[str]:
    return {edge["node"]["id"] for edge in body["tasks"]["edges"]}


def gid(task: Task) -> str:
    assert task.id is not None
    return encode_id("Task", task.id)


async def test_the_desk_filters_tasks_by_customer_assignment_and_text(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given two customers' tasks, one of them not held by any technician
    mine = await factories.world(session)
    other = await factories.world(session)
    held = await billing.task(session, mine, status=TaskStatus.ACCEPTED)
    queued = await billing.task(session, mine, status=TaskStatus.UNSCHEDULED)
    queued.technician_id = None
    queued.description = "Fridge 100% silent, compressor_click"
    elsewhere = await billing.task(session, other, status=TaskStatus.ACCEPTED)
    await session.commit()
    desk = gql.as_role(Role.DISPATCHER)
    customer_id = encode_id("Customer", mine.customer.id or 0)

    # then each filter narrows the list
    by_customer = await desk(TASKS, {"filter": {"customerId": customer_id}})
    assert task_ids(by_customer) == {gid(held), gid(queued)}
    unassigned = await desk(TASKS, {"filter": {"customerId": customer_id, "unassigned": True}})
    assert task_ids(unassigned) == {gid(queued)}
    assigned = await desk(TASKS, {"filter": {"customerId": customer_id, "unassigned": False}})
    assert task_ids(assigned) == {gid(held)}
    for text, expected in [
        (f"T-{elsewhere.id}", {gid(elsewhere)}),
        (str(elsewhere.id), {gid(elsewhere)}),
        ("COMPRESSOR_click", {gid(queued)}),
        ("100%", {gid(queued)}),
        (mine.customer.name, {gid(held), gid(queued)}),
    ]:
        found = await desk(TASKS, {"filter": {"search": text}})
        assert task_ids(found) & {gid(held), gid(queued), gid(elsewhere)} == expected, text
    # and a wildcard is only a character
    assert task_ids(await desk(TASKS, {"filter": {"search": "%"}})) & {gid(held)} == set()


async def test_search_text_is_bounded(gql: GraphQLClient) -> None:
    body = await gql.as_role(Role.DISPATCHER).raw(TASKS, {"filter": {"search": "x" * 101}})
    assert [error["extensions"]["code"] for error in body["errors"]] == ["INVALID"]


async def test_a_search_of_digits_int_cannot_read_is_plain_text(gql: GraphQLClient) -> None:
    for text in ("²", "T-²", "٣"):  # digits to str.isdigit, not to int()
        body = await gql.as_role(Role.DISPATCHER).raw(TASKS, {"filter": {"search": text}})
        assert "errors" not in body, text


async def test_a_technician_s_day_defaults_to_today_in_their_zone(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a task of today and one of tomorrow (territory time, Asia/Kolkata)
    world = await factories.world(session)
    today = await billing.task(session, world, status=TaskStatus.ACCEPTED)
    tomorrow = await billing.task(session, world, status=TaskStatus.ACCEPTED)
    zone = ZoneInfo("Asia/Kolkata")
    noon = datetime.combine(utcnow().astimezone(zone).date(), time(12), zone)
    today.scheduled_start, today.scheduled_end = noon, noon + timedelta(minutes=30)
    later = noon + timedelta(days=1)
    tomorrow.scheduled_start, tomorrow.scheduled_end = later, later + timedelta(minutes=30)
    await session.commit()

    # when the technician asks for their tasks without a date
    body = await gql.as_role(Role.TECHNICIAN, technician_id=world.technician.id)(
        "query { myTasks { id } }"
    )

    # then today's come back
    assert [task["id"] for task in body["myTasks"]] == [gid(today)]


async def test_a_customer_s_requests_come_newest_first_and_filter_by_status(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    world = await factories.world(session)
    made = []
    for status in (ServiceRequestStatus.RESOLVED, ServiceRequestStatus.OPEN):
        request = ServiceRequest(
            customer_id=world.customer.id,  # type: ignore[arg-type]
            site_id=world.site.id,  # type: ignore[arg-type]
            channel=RequestChannel.WEB,
            category=RequestCategory.REPAIR,
            description="no cooling",
            eligibility_status=EligibilityStatus.CHARGEABLE,
            coverage_kind=CoverageKind.NONE,
            reported_by="customer",
            status=status,
        )
        session.add(request)
        await session.flush()
        made.append(encode_id("ServiceRequest", request.id or 0))
    await session.commit()
    customer = gql.as_role(Role.CUSTOMER, customer_id=world.customer.id)
    query = """query($status: [ServiceRequestStatus!], $order: RequestOrder) {
      myServiceRequests(status: $status, order: $order) { edges { node { id } } } }"""

    def ids(body: dict) -> list[str]:
        return [edge["node"]["id"] for edge in body["myServiceRequests"]["edges"]]

    assert ids(await customer(query)) == made[::-1]
    assert ids(await customer(query, {"order": "OLDEST_FIRST"})) == made
    assert ids(await customer(query, {"status": ["OPEN"]})) == [made[1]]

    # and the next page of a newest-first list goes on to older ones
    first = await customer("query { myServiceRequests(first: 1) { pageInfo { endCursor } } }")
    cursor = first["myServiceRequests"]["pageInfo"]["endCursor"]
    rest = await customer(
        "query($after: String) { myServiceRequests(after: $after) { edges { node { id } } } }",
        {"after": cursor},
    )
    assert ids(rest) == [made[0]]
