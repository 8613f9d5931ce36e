"""Remote resolution through GraphQL: requests of remote-first categories start in remote
triage (policy as data), an agent diagnoses, then resolves remotely (the request closes and
its SLA clock stops) or escalates to a field task that carries the diagnosis (the clock keeps
running); retries, stale versions, bounds and who may see the internal notes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.auth import Role
from app.core.models import utcnow
from app.service_requests.models import RequestCategory, ServiceRequest
from app.sla.models import EscalationTrigger
from app.sla.sweeper import sweep_once
from app.work_orders.models import Task
from schema.ids import encode_id
from tests.remote_service import factories as rf
from tests.sla.support import RESPONSE_MINUTES, T0, late_request
from tests.support import GraphQLClient, error_codes
from tests.work_orders import factories as wf

CREATE_REQUEST = """
mutation($input: CreateServiceRequestInput!) { createServiceRequest(input: $input) {
  serviceRequest { id status version } userErrors { field message code } } }
"""
CASE = """
query($id: ID!) { remoteCase(serviceRequestId: $id) {
  id stage notes resolutionCode { code } resolvedBy resolvedAt resolutionSummary
  requiredSkills { code minLevel } suspectedParts { id sku } attachments { id }
  task { id description requiredSkills { skill { code } minLevel } }
  serviceRequest { id status } version } }
"""
DIAGNOSE = """
mutation($input: DiagnoseRemotelyInput!) { diagnoseRemotely(input: $input) {
  remoteCase { id stage notes resolutionCode { code } suspectedParts { sku }
    attachments { id } requiredSkills { code minLevel } }
  serviceRequest { id version } userErrors { field message code } } }
"""
RESOLVE = """
mutation($input: ResolveRemotelyInput!) { resolveRemotely(input: $input) {
  remoteCase { id stage resolvedBy resolvedAt resolutionSummary resolutionCode { code } }
  serviceRequest { id status version resolvedAt } userErrors { field message code } } }
"""
ESCALATE = """
mutation($input: EscalateRemoteCaseInput!) { escalateRemoteCase(input: $input) {
  remoteCase { id stage escalatedBy task { id description durationMinutes
    requiredSkills { skill { code } minLevel } } }
  serviceRequest { id status version } userErrors { field message code } } }
"""
CREATE_TASK = """
mutation($input: CreateTaskInput!) { createTask(input: $input) {
  task { id } userErrors { field message code } } }
"""
SET_POLICY = """
mutation($input: SetRemoteFirstPolicyInput!) { setRemoteFirstPolicy(input: $input) {
  policy { requestCategory productCategory remoteFirst version }
  userErrors { field message code } } }
"""
RATE = """
query($since: Date, $territoryId: ID) {
  remoteResolutionRate(since: $since, period: DAY, territoryId: $territoryId) {
    periodStart territoryId triaged resolved escalated rate } }
"""


def gid(kind: str, db_id: int | None) -> str:
    assert db_id is not None
    return encode_id(kind, db_id)


async def new_request(
    gql: GraphQLClient, w: wf.World, category: str = "REPAIR", asset: bool = True
) -> dict[str, Any]:
    payload = await gql.as_role(Role.AGENT).mutate(
        CREATE_REQUEST,
        {
            "customerId": gid("Customer", w.customer.id),
            "siteId": gid("Site", w.site.id),
            "assetId": gid("Asset", w.asset.id) if asset else None,
            "channel": "PHONE",
            "category": category,
            "description": "The air conditioner drips water",
        },
    )
    assert payload["userErrors"] == []
    request: dict[str, Any] = payload["serviceRequest"]
    return request


async def case_of(gql: GraphQLClient, request_id: str) -> Any:
    return (await gql.as_role(Role.AGENT)(CASE, {"id": request_id}))["remoteCase"]


async def test_policy_as_data_decides_which_requests_start_in_remote_triage(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given an admin makes repairs remote-first, except for HVAC units
    w = await wf.world(session)  # its asset is an HVAC split AC
    admin = gql.as_role(Role.ADMIN)
    first = await admin.mutate(SET_POLICY, {"requestCategory": "REPAIR", "remoteFirst": True})
    assert first["userErrors"] == [] and first["policy"]["remoteFirst"] is True

    # when a repair and an installation come in
    repair = await new_request(gql, w, asset=False)
    install = await new_request(gql, w, "INSTALLATION")

    # then the repair starts in remote triage, the installation goes straight to dispatch
    assert (await case_of(gql, repair["id"]))["stage"] == "TRIAGE"
    assert await case_of(gql, install["id"]) is None

    # and no field task may be created for the repair until it is escalated
    dispatcher = gql.as_role(Role.DISPATCHER)
    refused = await dispatcher.mutate(CREATE_TASK, {"serviceRequestId": repair["id"]})
    assert error_codes(refused) == ["INVALID_TRANSITION"]
    assert refused["userErrors"][0]["field"] == ["serviceRequestId"]
    installed = await dispatcher.mutate(CREATE_TASK, {"serviceRequestId": install["id"]})
    assert installed["userErrors"] == []

    # when the admin turns HVAC repairs off (more specific than the category's row)
    hvac = {"requestCategory": "REPAIR", "productCategory": "HVAC", "remoteFirst": False}
    assert (await admin.mutate(SET_POLICY, hvac))["userErrors"] == []
    hvac_repair = await new_request(gql, w)

    # then an HVAC repair skips remote triage, while a repair without an asset still tries it
    assert await case_of(gql, hvac_repair["id"]) is None
    assert (await case_of(gql, (await new_request(gql, w, asset=False))["id"]))["stage"] == "TRIAGE"
    policies = await admin(
        "{ remoteFirstPolicies { requestCategory productCategory remoteFirst } }"
    )
    assert policies["remoteFirstPolicies"] == [
        {"requestCategory": "REPAIR", "productCategory": None, "remoteFirst": True},
        {"requestCategory": "REPAIR", "productCategory": "HVAC", "remoteFirst": False},
    ]


async def test_an_agent_diagnoses_and_resolves_remotely_and_the_sla_clock_stops(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a repair in remote triage with a customer's photo, and the resolution catalogue
    w = await wf.world(session)
    await rf.remote_first(session)
    reset = await rf.code(session, "GUIDED_RESET")
    request = await new_request(gql, w)
    row = await session.get(ServiceRequest, _db_id(request["id"]))
    assert row is not None and row.id is not None
    photo = await rf.photo(session, service_request_id=row.id)
    agent = gql.as_role(Role.AGENT)

    # when the agent records the diagnosis (notes, code, the photo)
    diagnosed = await agent.mutate(
        DIAGNOSE,
        {
            "serviceRequestId": request["id"],
            "notes": "Drain line clogged; customer can clear it with guidance",
            "resolutionCode": reset.code,
            "attachmentIds": [gid("Attachment", photo)],
            "expectedVersion": request["version"],
        },
    )
    assert diagnosed["userErrors"] == []
    assert diagnosed["remoteCase"]["resolutionCode"] == {"code": reset.code}
    assert diagnosed["remoteCase"]["attachments"] == [{"id": gid("Attachment", photo)}]
    version = diagnosed["serviceRequest"]["version"]
    assert version == request["version"] + 1

    # and resolves it remotely with an idempotency key, against the version it read
    resolve = {
        "serviceRequestId": request["id"],
        "summary": "Talked the customer through clearing the drain; unit cooling again",
        "expectedVersion": version,
        "idempotencyKey": "resolve-1",
    }
    resolved = await agent.mutate(RESOLVE, resolve)

    # then the request is closed as resolved remotely, by the agent, now
    assert resolved["userErrors"] == []
    assert resolved["remoteCase"]["stage"] == "RESOLVED"
    assert resolved["remoteCase"]["resolvedBy"] == "test:agent"
    assert resolved["serviceRequest"]["status"] == "RESOLVED"
    assert resolved["serviceRequest"]["resolvedAt"] is not None

    # and a retry with the same key answers the same and changes nothing
    again = await agent.mutate(RESOLVE, resolve)
    assert again == resolved

    # and a second resolution with another key is refused: the case is no longer in triage
    other = resolve | {"idempotencyKey": "resolve-2", "expectedVersion": None}
    assert error_codes(await agent.mutate(RESOLVE, other)) == ["INVALID_TRANSITION"]

    # and the SLA clock stopped at the resolution: the sweep settles it as met, even later
    await sweep_once(session, utcnow() + timedelta(days=30))
    await session.refresh(row)
    assert row.sla_state.value == "MET"


def _db_id(global_id: str) -> int:
    from schema.ids import split_id

    parts = split_id(global_id)
    assert parts is not None
    return int(parts[1])


async def test_escalation_carries_the_diagnosis_into_the_field_task_and_the_clock_keeps_running(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given a repair in remote triage diagnosed with skills and a suspected part
    w = await wf.world(session)
    await rf.remote_first(session)
    pump = await rf.part(session, "Drain pump")
    request = await new_request(gql, w)
    agent = gql.as_role(Role.AGENT)
    diagnosed = await agent.mutate(
        DIAGNOSE,
        {
            "serviceRequestId": request["id"],
            "notes": "Pump hums but does not drain",
            "suspectedPartIds": [gid("Part", pump.id)],
            "requiredSkills": [{"code": w.skill.code, "minLevel": 2}],
        },
    )
    assert diagnosed["userErrors"] == []
    version = diagnosed["serviceRequest"]["version"]

    # when a stale escalation comes in, then it is refused and nothing is created
    stale = {"serviceRequestId": request["id"], "expectedVersion": version - 1}
    assert error_codes(await agent.mutate(ESCALATE, stale)) == ["STALE_VERSION"]

    # when the agent escalates it to the field
    escalate = {
        "serviceRequestId": request["id"],
        "expectedVersion": version,
        "durationMinutes": 90,
        "idempotencyKey": "escalate-1",
    }
    escalated = await agent.mutate(ESCALATE, escalate)

    # then a task carries the diagnosis: its skills, the notes and the suspected part
    assert escalated["userErrors"] == []
    case = escalated["remoteCase"]
    assert case["stage"] == "ESCALATED" and case["escalatedBy"] == "test:agent"
    task = case["task"]
    assert task["requiredSkills"] == [{"skill": {"code": w.skill.code}, "minLevel": 2}]
    assert "Pump hums but does not drain" in task["description"]
    assert f"{pump.sku} Drain pump" in task["description"]
    assert task["durationMinutes"] == 90
    assert escalated["serviceRequest"]["status"] == "IN_PROGRESS"

    # and a retry creates no second task
    assert await agent.mutate(ESCALATE, escalate) == escalated
    tasks = await gql.as_role(Role.DISPATCHER)(
        "query($id: ID!) { node(id: $id) { ... on ServiceRequest { tasks { id } } } }",
        {"id": request["id"]},
    )
    assert tasks["node"]["tasks"] == [{"id": task["id"]}]

    # and the SLA clock keeps running: the task has the request's due times, and past them
    # both are breached
    row = await session.get(ServiceRequest, _db_id(request["id"]))
    field = await session.get(Task, _db_id(task["id"]))
    assert row is not None and field is not None
    assert field.resolution_due_at == row.resolution_due_at
    assert row.resolution_due_at is not None
    await sweep_once(session, row.resolution_due_at + timedelta(minutes=1))
    await session.refresh(row)
    await session.refresh(field)
    assert (row.sla_state.value, field.sla_state.value) == ("BREACHED", "BREACHED")


async def test_the_remote_resolution_rate_counts_by_day_and_territory(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    # given three requests triaged remotely in one territory: two resolved, one escalated
    w = await wf.world(session)
    await rf.remote_first(session)
    code = await rf.code(session)
    agent = gql.as_role(Role.AGENT)
    ids = [(await new_request(gql, w))["id"] for _ in range(3)]
    for request_id in ids[:2]:
        resolve = {"serviceRequestId": request_id, "summary": "Fixed", "resolutionCode": code.code}
        assert (await agent.mutate(RESOLVE, resolve))["userErrors"] == []
    assert (await agent.mutate(ESCALATE, {"serviceRequestId": ids[2]}))["userErrors"] == []

    # when a manager reads the rate for the territory
    territory = gid("Territory", w.territory.id)
    rows = (
        await gql.as_role(Role.MANAGER)(
            RATE, {"since": utcnow().date().isoformat(), "territoryId": territory}
        )
    )["remoteResolutionRate"]

    # then today's row has 2 of 3 resolved remotely
    assert rows == [
        {
            "periodStart": utcnow().date().isoformat(),
            "territoryId": territory,
            "triaged": 3,
            "resolved": 2,
            "escalated": 1,
            "rate": 0.6667,
        }
    ]


async def test_bounds_and_typed_errors(gql: GraphQLClient, session: AsyncSession) -> None:
    w = await wf.world(session)
    await rf.remote_first(session)
    request = await new_request(gql, w)
    install = await new_request(gql, w, "INSTALLATION")
    other = await rf.photo(session, service_request_id=_db_id(install["id"]))
    agent = gql.as_role(Role.AGENT)

    async def codes(**changes: Any) -> list[str]:
        return error_codes(
            await agent.mutate(DIAGNOSE, {"serviceRequestId": request["id"]} | changes)
        )

    assert await codes(notes="x" * 8001) == ["INVALID"]
    assert await codes(resolutionCode="NO_SUCH_CODE") == ["NOT_FOUND"]
    assert await codes(requiredSkills=[{"code": "NO-SUCH-SKILL"}]) == ["INVALID"]
    assert await codes(requiredSkills=[{"code": w.skill.code, "minLevel": 6}]) == ["INVALID"]
    assert await codes(attachmentIds=[gid("Attachment", other)]) == ["NOT_FOUND"]
    assert await codes(suspectedPartIds=[gid("Part", 1)] * 21) == ["INVALID"]
    assert await codes(serviceRequestId=gid("Task", 1)) == ["INVALID"]
    # resolving needs a summary and a code; a request not worked remotely has no case
    no_code = {"serviceRequestId": request["id"], "summary": "Fixed"}
    assert error_codes(await agent.mutate(RESOLVE, no_code)) == ["INVALID"]
    empty = {"serviceRequestId": request["id"], "summary": " ", "resolutionCode": "X"}
    assert error_codes(await agent.mutate(RESOLVE, empty)) == ["INVALID"]
    not_remote = {"serviceRequestId": install["id"]}
    assert error_codes(await agent.mutate(ESCALATE, not_remote)) == ["INVALID_TRANSITION"]
    wrong_length = {"serviceRequestId": request["id"], "durationMinutes": 2}
    assert error_codes(await agent.mutate(ESCALATE, wrong_length)) == ["INVALID"]


@pytest.mark.parametrize(
    ("role", "sees"),
    [
        (None, False),
        (Role.CUSTOMER, False),
        (Role.PARTNER, False),
        (Role.TECHNICIAN, False),
        (Role.AGENT, True),
        (Role.DISPATCHER, True),
        (Role.MANAGER, True),
        (Role.ADMIN, True),
    ],
)
async def test_only_staff_read_remote_cases_and_their_internal_notes(
    gql: GraphQLClient, session: AsyncSession, role: Role | None, sees: bool
) -> None:
    w = await wf.world(session)
    await rf.remote_first(session)
    request = await new_request(gql, w)
    links: dict[str, int | None] = {}
    if role is Role.CUSTOMER:
        links = {"customer_id": w.customer.id}
    elif role is Role.TECHNICIAN:
        links = {"technician_id": w.technician.id}
    client = gql.as_role(role, **links)
    body = await client.raw(
        "query($id: ID!) { remoteCase(serviceRequestId: $id) { notes } "
        "remoteCases(first: 5) { totalCount } }",
        {"id": request["id"]},
    )
    if sees:
        assert body["data"]["remoteCase"] == {"notes": ""}
        assert body["data"]["remoteCases"]["totalCount"] >= 1
    else:
        assert body.get("data") is None
        assert body["errors"][0]["extensions"]["code"] in ("FORBIDDEN", "UNAUTHENTICATED")
    mutation = await client.raw(
        RESOLVE,
        {"input": {"serviceRequestId": request["id"], "summary": "x", "resolutionCode": "X"}},
    )
    if not sees:
        refused = mutation["data"]["resolveRemotely"]
        assert [e["code"] for e in refused["userErrors"]] == [
            "UNAUTHENTICATED" if role is None else "FORBIDDEN"
        ]


async def test_a_visit_the_customer_booked_in_a_held_slot_skips_remote_triage(
    gql: GraphQLClient, session: AsyncSession
) -> None:
    from tests.service_requests.test_booking import BOOK, a_held_slot, booking

    # given repairs are remote-first, and a customer holding a slot for a repair visit
    await rf.remote_first(session)
    d, customer, hold = await a_held_slot(gql, session)

    # when they book it
    booked = await customer.mutate(BOOK, booking(d, hold))

    # then the visit is booked as they chose, and the request has no remote case
    assert booked["userErrors"] == [] and booked["task"]["id"]
    assert await case_of(gql, booked["serviceRequest"]["id"]) is None


async def test_a_request_in_remote_triage_is_not_escalated_as_unassigned(
    session: AsyncSession,
) -> None:
    # given repairs tried remotely first, and an installation that is not, both 45 min old
    w = await wf.world(session)
    await rf.remote_first(session)
    in_triage = await late_request(session, w)
    field_only = await late_request(session, w, category=RequestCategory.INSTALLATION)
    # when the sweeper runs past the unassigned threshold and then past the response due time
    unassigned = await sweep_once(session, T0 + timedelta(minutes=45))
    overdue = await sweep_once(session, T0 + timedelta(minutes=RESPONSE_MINUTES + 60))
    # then only the field request is "unassigned"; the one in triage still runs late on its
    # response clock like any other
    assert {(r.subject_id, r.trigger) for r in unassigned.escalations} == {
        (field_only.id, EscalationTrigger.UNASSIGNED)
    }
    assert (in_triage.id, EscalationTrigger.RESPONSE_OVERDUE) in {
        (r.subject_id, r.trigger) for r in overdue.escalations
    }
