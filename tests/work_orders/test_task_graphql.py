"""The whole service path through GraphQL, for each role, and what each role may not do."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.core.events import Broker
from app.work_orders.channels import task_channel
from schema.ids import encode_id, split_id
from tests.support import GraphQLClient, error_codes
from tests.work_orders import factories

TASK_FIELDS = "id status version technician { id } events { fromStatus toStatus actorRole reason }"
CREATE_REQUEST = """
mutation($input: CreateServiceRequestInput!) {
  createServiceRequest(input: $input) {
    serviceRequest { id status priority eligibility { status coverage { kind labour parts } } }
    userErrors { field code }
  }
}
"""
CREATE_TASK = f"""
mutation($input: CreateTaskInput!) {{
  createTask(input: $input) {{ task {{ {TASK_FIELDS} requiredSkills {{ code minLevel }} }}
    userErrors {{ field code }} }}
}}
"""
ASSIGN = f"""
mutation($input: AssignTaskInput!) {{
  assignTask(input: $input) {{ task {{ {TASK_FIELDS} }} warnings {{ code }}
    userErrors {{ field code }} }}
}}
"""


def step(name: str, input_type: str = "TaskStepInput", payload: str = "") -> str:
    return f"""
mutation($input: {input_type}!) {{
  {name}(input: $input) {{ task {{ {TASK_FIELDS} }} {payload} userErrors {{ field message code }} }}
}}
"""


ACCEPT = step("acceptTask")
REJECT = step("rejectTask", "RejectTaskInput")
TRAVEL = step("startTravel")
CHECK_IN = step("checkIn", "CheckInInput", "warnings")
START = step("startWork")
COMPLETE = step("completeTask", "CompleteTaskInput")
INCOMPLETE = step("markTaskIncomplete", "MarkTaskIncompleteInput", "followUpTask { id status }")
RESCHEDULE = step("rescheduleTask", "RescheduleTaskInput")
CANCEL = step("cancelTask", "CancelTaskInput")
FEEDBACK = step("submitFeedback", "SubmitFeedbackInput")
NOTE = step("addTaskNote", "AddTaskNoteInput")
PARTS = step("recordPartsUsed", "RecordPartsUsedInput")
MY_REQUESTS = """
query { myServiceRequests { totalCount edges { node {
  status timeline { kind status } tasks { status rating } } } } }
"""
MY_TASKS = "query($date: Date!) { myTasks(date: $date) { id status } }"
TASKS = """
query($first: Int, $filter: TaskFilter) { tasks(first: $first, filter: $filter) {
  totalCount edges { node { id status technician { name } site { name } customer { name }
  serviceRequest { id } requiredSkills { code skill { code } } events { toStatus } } } } }
"""
HISTORY = """
query($customerId: ID) { serviceHistory(customerId: $customerId) {
  totalCount edges { node { status resolutionCode partsUsed { partCode quantity }
  notes { body } technician { id } } } } }
"""
AT_SITE = {"lat": factories.SITE_LAT, "lng": factories.SITE_LNG}
FAR = {"lat": factories.SITE_LAT + 0.05, "lng": factories.SITE_LNG}


def gid(type_name: str, db_id: int | None) -> str:
    assert db_id is not None
    return encode_id(type_name, db_id)


def later(hours: float = 2) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).isoformat()


class Roles:
    def __init__(self, gql: GraphQLClient, w: factories.World) -> None:
        self.customer = gql.as_role(Role.CUSTOMER, customer_id=w.customer.id)
        self.agent = gql.as_role(Role.AGENT)
        self.dispatcher = gql.as_role(Role.DISPATCHER)
        self.tech = gql.as_role(Role.TECHNICIAN, technician_id=w.technician.id)


async def ok(client: GraphQLClient, doc: str, input: dict[str, Any]) -> dict[str, Any]:
    payload = await client.mutate(doc, input)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def requested_task(gql: GraphQLClient, w: factories.World) -> dict[str, Any]:
    roles = Roles(gql, w)
    request = await ok(roles.customer, CREATE_REQUEST, {
        "siteId": gid("Site", w.site.id), "assetId": gid("Asset", w.asset.id),
        "channel": "WHATSAPP", "category": "REPAIR", "description": "AC not cooling",
    })  # fmt: skip
    created = await ok(roles.agent, CREATE_TASK, {
        "serviceRequestId": request["serviceRequest"]["id"], "durationMinutes": 60,
        "requiredSkills": [{"code": w.skill.code, "minLevel": 2}],
        "prerequisites": ["Clear access to the outdoor unit"],
    })  # fmt: skip
    return created["task"]


async def dispatched(gql: GraphQLClient, w: factories.World) -> dict[str, Any]:
    task = await requested_task(gql, w)
    assigned = await ok(Roles(gql, w).dispatcher, ASSIGN, {
        "taskId": task["id"], "technicianId": gid("Technician", w.technician.id), "start": later(),
    })  # fmt: skip
    return assigned["task"]


async def test_the_whole_path_from_request_to_rating(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await factories.world(session)
    await factories.stocked_van(session, w.technician, "CAP-35UF", 2)
    roles = Roles(gql, w)
    task = await dispatched(gql, w)
    key = {"taskId": task["id"]}

    await ok(roles.tech, ACCEPT, key)
    await ok(roles.tech, TRAVEL, key)
    await ok(roles.tech, CHECK_IN, key | {"location": AT_SITE})
    await ok(roles.tech, START, key)
    await ok(roles.tech, PARTS, key | {"parts": [{"partCode": "CAP-35UF", "quantity": 1}]})
    await ok(roles.tech, NOTE, key | {"body": "Replaced the run capacitor"})
    done = await ok(roles.tech, COMPLETE, key | {
        "resolutionCode": "FIXED", "signature": {"imageRef": "att:sig-1", "signerName": "Asha"},
    })  # fmt: skip
    rated = await ok(roles.customer, FEEDBACK, key | {"rating": 5, "comment": "Quick"})

    assert done["task"]["status"] == "COMPLETED" and rated["task"]["status"] == "COMPLETED"
    assert [(e["fromStatus"], e["toStatus"]) for e in done["task"]["events"]] == [
        (None, "UNSCHEDULED"), ("UNSCHEDULED", "DISPATCHED"), ("DISPATCHED", "ACCEPTED"),
        ("ACCEPTED", "EN_ROUTE"), ("EN_ROUTE", "ON_SITE"), ("ON_SITE", "IN_PROGRESS"),
        ("IN_PROGRESS", "COMPLETED"),
    ]  # fmt: skip
    mine = (await roles.customer(MY_REQUESTS))["myServiceRequests"]["edges"][0]["node"]
    assert mine["status"] == "RESOLVED" and mine["tasks"] == [{"status": "COMPLETED", "rating": 5}]
    assert [t["kind"] for t in mine["timeline"]][:3] == ["REQUESTED", "CREATE", "ASSIGN"]
    history = (await gql(HISTORY, {"customerId": gid("Customer", w.customer.id)}))["serviceHistory"]
    assert history["edges"][0]["node"]["partsUsed"] == [{"partCode": "CAP-35UF", "quantity": 1}]


async def test_a_customer_request_shows_its_eligibility(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await factories.world(session)
    w.asset.warranty_expires_on = (datetime.now(UTC) + timedelta(days=30)).date()
    await session.flush()
    payload = await ok(Roles(gql, w).customer, CREATE_REQUEST, {
        "siteId": gid("Site", w.site.id), "assetId": gid("Asset", w.asset.id),
        "channel": "WEB", "category": "REPAIR", "description": "Smoke from the unit",
    })  # fmt: skip
    request = payload["serviceRequest"]
    assert request["eligibility"] == {
        "status": "WARRANTY",
        "coverage": {"kind": "WARRANTY", "labour": True, "parts": True},
    }
    assert (request["status"], request["priority"]) == ("OPEN", 1)


async def test_an_illegal_transition_is_refused_and_publishes_nothing(
    gql: GraphQLClient, session: AsyncSession, broker: Broker
) -> None:
    w = await factories.world(session)
    roles = Roles(gql, w)
    task = await dispatched(gql, w)
    db_id = split_id(task["id"])[1]  # type: ignore[index]

    async with broker.subscribe(task_channel(db_id)) as events:
        refused = await roles.tech.mutate(START, {"taskId": task["id"]})
        await ok(roles.tech, ACCEPT, {"taskId": task["id"]})
        first = await asyncio.wait_for(anext(events), timeout=5)

    assert error_codes(refused) == ["INVALID_TRANSITION"] and refused["task"] is None
    assert (first["data"]["from"], first["data"]["to"]) == ("DISPATCHED", "ACCEPTED")


async def test_a_stale_version_is_refused(gql: GraphQLClient, session: AsyncSession) -> None:
    w = await factories.world(session)
    task = await dispatched(gql, w)
    stale = await Roles(gql, w).tech.mutate(
        ACCEPT, {"taskId": task["id"], "expectedVersion": task["version"] - 1}
    )
    assert error_codes(stale) == ["STALE_VERSION"]


async def test_a_replayed_accept_returns_the_first_result(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await factories.world(session)
    tech = Roles(gql, w).tech
    task = await dispatched(gql, w)
    first = await ok(tech, ACCEPT, {"taskId": task["id"], "idempotencyKey": "phone-1"})
    again = await ok(tech, ACCEPT, {"taskId": task["id"], "idempotencyKey": "phone-1"})

    assert again["task"]["version"] == first["task"]["version"]
    assert [e["toStatus"] for e in again["task"]["events"]].count("ACCEPTED") == 1


async def test_a_check_in_outside_the_geofence_is_refused(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await factories.world(session)
    tech = Roles(gql, w).tech
    task = await dispatched(gql, w)
    await ok(tech, ACCEPT, {"taskId": task["id"]})
    refused = await tech.mutate(CHECK_IN, {"taskId": task["id"], "location": FAR})

    assert error_codes(refused) == ["INVALID"]
    assert refused["userErrors"][0]["field"] == ["location"]


async def test_a_rejection_unschedules_and_hides_the_task_from_the_technician(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await factories.world(session)
    roles = Roles(gql, w)
    task = await dispatched(gql, w)
    await ok(roles.tech, REJECT, {"taskId": task["id"], "reason": "vehicle broke down"})
    seen = await gql("query($id: ID!) { task(id: $id) { status excludedTechnicians { id } } }",
                     {"id": task["id"]})  # fmt: skip
    again = await roles.dispatcher.mutate(ASSIGN, {
        "taskId": task["id"], "technicianId": gid("Technician", w.technician.id), "start": later(),
    })  # fmt: skip

    assert seen["task"] == {
        "status": "UNSCHEDULED",
        "excludedTechnicians": [{"id": gid("Technician", w.technician.id)}],
    }
    assert error_codes(again) == ["CONFLICT"]
    assert (await roles.tech(MY_TASKS, {"date": later()[:10]}))["myTasks"] == []


async def test_a_replayed_rejection_succeeds_without_showing_the_task_it_gave_up(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # The task leaves the technician's sight with the rejection: the first answer shows it as
    # the change left it, a replay must not show what became of it since (who took it next).
    w = await factories.world(session)
    tech = Roles(gql, w).tech
    task = await dispatched(gql, w)
    arguments = {"taskId": task["id"], "reason": "vehicle broke down", "idempotencyKey": "r-1"}
    first = await ok(tech, REJECT, arguments)
    again = await ok(tech, REJECT, arguments)

    assert first["task"]["status"] == "UNSCHEDULED"
    assert again["task"] is None and again["userErrors"] == []


async def test_the_customer_reschedules_then_cancels(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await factories.world(session)
    customer = Roles(gql, w).customer
    task = await dispatched(gql, w)
    moved = await ok(customer, RESCHEDULE, {
        "taskId": task["id"], "windowStart": later(48), "windowEnd": later(50),
    })  # fmt: skip
    cancelled = await ok(customer, CANCEL, {"taskId": task["id"], "reason": "fixed it myself"})

    assert (moved["task"]["status"], moved["task"]["technician"]) == ("UNSCHEDULED", None)
    assert cancelled["task"]["status"] == "CANCELLED"
    assert cancelled["task"]["events"][-1]["reason"] == "fixed it myself"


async def test_an_incomplete_visit_opens_a_follow_up(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await factories.world(session)
    tech = Roles(gql, w).tech
    task = await dispatched(gql, w)
    for doc, extra in ((ACCEPT, {}), (CHECK_IN, {"location": AT_SITE})):
        await ok(tech, doc, {"taskId": task["id"], **extra})
    payload = await ok(tech, INCOMPLETE, {"taskId": task["id"], "reason": "part on order"})

    assert payload["task"]["status"] == "INCOMPLETE"
    assert payload["followUpTask"]["status"] == "UNSCHEDULED"
    assert payload["followUpTask"]["id"] != task["id"]


async def test_the_task_list_does_not_grow_queries_with_its_size(
    gql: GraphQLClient, session: AsyncSession, statements: Any
) -> None:
    w = await factories.world(session)
    for _ in range(20):
        await requested_task(gql, w)

    async def count(first: int) -> int:
        statements.reset()
        data = await gql(TASKS, {"first": first})
        assert len(data["tasks"]["edges"]) == first
        return int(statements.total)

    assert await count(2) == await count(20)


async def test_parts_used_leave_the_van_and_a_short_van_refuses_the_record(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    from app.inventory.models import StockLevel

    w = await factories.world(session)
    await factories.stocked_van(session, w.technician, "FUSE-5A", 2)
    roles = Roles(gql, w)
    key = {"taskId": (await dispatched(gql, w))["id"]}
    for step_doc, extra in (
        (ACCEPT, {}),
        (TRAVEL, {}),
        (CHECK_IN, {"location": AT_SITE}),
        (START, {}),
    ):
        await ok(roles.tech, step_doc, key | extra)

    used = await roles.tech.mutate(PARTS, key | {"parts": [{"partCode": "FUSE-5A", "quantity": 2}]})
    short = await roles.tech.mutate(
        PARTS, key | {"parts": [{"partCode": "FUSE-5A", "quantity": 1}]}
    )

    assert used["userErrors"] == []
    assert [e["code"] for e in short["userErrors"]] == ["INSUFFICIENT_STOCK"]
    levels = (await session.scalars(select(StockLevel))).all()
    assert sorted(level.on_hand for level in levels) == [0, 0]


async def test_a_replayed_assignment_returns_the_first_warnings(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    w = await factories.world(session)
    unskilled = await factories.technician(session)
    task = await requested_task(gql, w)
    dispatcher = Roles(gql, w).dispatcher
    assign = {
        "taskId": task["id"],
        "technicianId": gid("Technician", unskilled.id),
        "start": later(),
        "reason": "only one free today",
        "idempotencyKey": "console-7",
    }

    first = await ok(dispatcher, ASSIGN, assign)
    again = await ok(dispatcher, ASSIGN, assign)

    assert first["warnings"] != []
    assert again["warnings"] == first["warnings"]
    assert again["task"]["id"] == first["task"]["id"]
